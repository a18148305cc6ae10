use crate::diagnostic::{Level, Span};
use crate::facts::docker;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::dockerfile::{Args, Dockerfile, Healthcheck, Instruction};

pub static META: RuleMeta = RuleMeta {
    id: "healthcheck-binary-missing",
    category: Category::Disposability,
    default_level: Level::Deny,
    summary: "a HEALTHCHECK runs curl, wget or a shell that a scratch or distroless image lacks",
    docs: include_str!("../../../rules/disposability/healthcheck-binary-missing.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct HealthcheckBinaryMissing;

/// Programs health checks call that shell-less images do not have.
const PROBE_TOOLS: &[&str] = &[
    "sh", "bash", "ash", "dash", "zsh", "ksh", "curl", "wget", "nc", "netcat", "ncat", "pgrep",
    "ps",
];

/// What a busybox binary copied into the image provides.
const BUSYBOX_APPLETS: &[&str] = &["sh", "ash", "wget", "nc", "pgrep", "ps"];

/// Directories whose copy brings a whole userland.
const BIN_DIRECTORIES: &[&str] = &["/bin", "/usr/bin", "/usr/local/bin", "/busybox", "/sbin"];

impl Rule for HealthcheckBinaryMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_dockerfile(&self, dockerfile: &Dockerfile, out: &mut Reporter<'_>) {
        if !dockerfile.errors.is_empty() {
            return;
        }
        let Some(stage) = docker::shipping_stage(dockerfile) else {
            return;
        };
        let Some(image) = docker::shell_less_image(&docker::base_image(dockerfile, stage)) else {
            return;
        };
        let chain = docker::stage_chain(dockerfile, stage);
        let instructions: Vec<&Instruction> = docker::chain_instructions(dockerfile, &chain)
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        // Only the last HEALTHCHECK takes effect.
        let Some(healthcheck) = instructions
            .iter()
            .rev()
            .find(|i| i.keyword == "HEALTHCHECK")
        else {
            return;
        };
        let Some(Healthcheck::Cmd(args)) = healthcheck.healthcheck() else {
            return;
        };
        let mut needed: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        match &args {
            Args::Shell(text) => {
                // Shell form runs through the SHELL instruction's shell, `/bin/sh -c` by default.
                let shell = instructions
                    .iter()
                    .rev()
                    .find(|i| i.keyword == "SHELL")
                    .and_then(|i| match &i.args {
                        Args::Exec(words) => words.first().map(|w| w.text.clone()),
                        Args::Shell(_) => None,
                    })
                    .unwrap_or_else(|| "/bin/sh".to_string());
                let span = text
                    .words()
                    .first()
                    .map(|w| w.span.clone())
                    .unwrap_or(healthcheck.keyword_span.clone());
                needed.push((shell, span));
            }
            Args::Exec(words) => {
                if let Some(program) = words.first()
                    && PROBE_TOOLS.contains(&docker::basename(&program.text))
                {
                    needed.push((program.text.clone(), program.span.clone()));
                }
            }
        }
        for command in docker::commands(&args) {
            if let Some(program) = command.first()
                && PROBE_TOOLS.contains(&docker::basename(&program.text))
                && !needed
                    .iter()
                    .any(|(n, _)| docker::basename(n) == docker::basename(&program.text))
            {
                needed.push((program.text.clone(), program.span.clone()));
            }
        }
        let missing: Vec<&(String, std::ops::Range<usize>)> = needed
            .iter()
            .filter(|(program, _)| !provided(&instructions, docker::basename(program)))
            .collect();
        let Some((_, span)) = missing
            .iter()
            .find(|(p, _)| !docker::is_shell(p))
            .or(missing.first())
        else {
            return;
        };
        let names: Vec<String> = missing.iter().map(|(p, _)| format!("`{p}`")).collect();
        let (what, verb) = match names.as_slice() {
            [one] => (one.clone(), "is"),
            [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "are"),
            [] => return,
        };
        out.report(
            &META,
            Span::from(span.clone()),
            format!("HEALTHCHECK needs {what}, which {verb} not in the final image (`{image}`)"),
        )
        .label(
            "cannot run here: the check fails every time and the container is reported unhealthy",
        )
        .note(
            "twelve-factor IX: orchestrators restart or stop routing to unhealthy containers; a \
             check that cannot even start turns a healthy service into a dead one",
        )
        .help(
            "check health with the service's own binary (e.g. `HEALTHCHECK CMD \
             [\"/usr/local/bin/app\", \"healthcheck\"]`, a subcommand that calls the health \
             endpoint), or copy a static probe in (`COPY --from=… /grpc_health_probe /`); write \
             the check in exec form so no shell is needed",
        );
    }
}

/// Whether a COPY/ADD of the chain puts `program` into the image: by its destination or source
/// name, a copied bin directory, or busybox for its applets.
fn provided(instructions: &[&Instruction], program: &str) -> bool {
    let brings =
        |name: &str| name == program || (name == "busybox" && BUSYBOX_APPLETS.contains(&program));
    instructions
        .iter()
        .filter_map(|instruction| instruction.copy_args())
        .any(|arguments| {
            brings(docker::basename(&arguments.dest.text))
                || arguments.sources.iter().any(|source| {
                    BIN_DIRECTORIES.contains(&source.text.trim_end_matches('/'))
                        || brings(docker::basename(&source.text))
                })
        })
}
