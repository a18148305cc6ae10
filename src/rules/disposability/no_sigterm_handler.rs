use crate::diagnostic::{Label, Level, Span};
use crate::facts::binaries::Binary;
use crate::facts::signals::{self, SignalKind};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "no-sigterm-handler",
    category: Category::Disposability,
    default_level: Level::Deny,
    summary: "a server binary never handles SIGTERM, so every stop or rollout kills it mid-request",
    docs: include_str!("../../../rules/disposability/no-sigterm-handler.md"),
    scope: CodeScope::Service,
};

pub struct NoSigtermHandler;

/// What a server binary does about SIGTERM, judged over all its files.
enum Verdict {
    Handles,
    /// Only `ctrl_c` (SIGINT); the place of the first one.
    CtrlCOnly(usize, Span),
    /// `ctrlc::set_handler` without the crate's `termination` feature.
    CtrlcWithoutTermination(usize, Span),
    /// actix-web's handling switched off with `.disable_signals()` and nothing instead.
    SignalsDisabled(usize, Span),
    Nothing,
}

impl Rule for NoSigtermHandler {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        for binary in cx.binaries() {
            if !binary.is_server || binary.is_example {
                continue;
            }
            let Some(root) = binary.root_facts else {
                continue;
            };
            let Some(entry) = cx.rust_facts[root].1.krate.entry else {
                continue;
            };
            let verdict = judge(cx, binary);
            report(cx, binary, entry, verdict, out);
        }
    }
}

fn judge(cx: &WorkspaceContext<'_>, binary: &Binary) -> Verdict {
    let uses: Vec<(usize, &signals::SignalUse)> = binary
        .files()
        .flat_map(|file| cx.rust_facts[file].1.signals.iter().map(move |u| (file, u)))
        .collect();
    let first = |kind: SignalKind| {
        uses.iter()
            .find(|(_, u)| u.kind == kind)
            .map(|(file, u)| (*file, u.span))
    };
    if first(SignalKind::Sigterm).is_some() {
        return Verdict::Handles;
    }
    let ctrlc = first(SignalKind::CtrlcCrate);
    if ctrlc.is_some() {
        let package = binary.package.map(|i| &cx.workspace.packages[i]);
        if package.is_some_and(|p| signals::ctrlc_handles_sigterm(cx.workspace, p)) {
            return Verdict::Handles;
        }
    }
    let disabled = first(SignalKind::FrameworkSignalsDisabled);
    let framework = uses.iter().find_map(|(_, u)| match u.kind {
        SignalKind::FrameworkHandlesSigterm(framework) => Some(framework),
        _ => None,
    });
    match (framework, disabled) {
        (Some("actix-web" | "actix-server"), Some(_)) => {}
        (Some(_), _) => return Verdict::Handles,
        _ => {}
    }
    if let Some((file, span)) = ctrlc {
        return Verdict::CtrlcWithoutTermination(file, span);
    }
    if let Some((file, span)) = first(SignalKind::CtrlC) {
        return Verdict::CtrlCOnly(file, span);
    }
    if first(SignalKind::GracefulShutdown).is_some() {
        // Wired to something the tool cannot follow (a token, a channel): give it the benefit.
        return Verdict::Handles;
    }
    if let Some((file, span)) = disabled {
        return Verdict::SignalsDisabled(file, span);
    }
    Verdict::Nothing
}

/// How to wire SIGTERM into the server the binary runs.
fn wiring_help(cx: &WorkspaceContext<'_>, binary: &Binary) -> String {
    let frameworks: Vec<&str> = binary
        .starts
        .iter()
        .map(|&(file, index)| cx.rust_facts[file].1.servers[index].framework)
        .collect();
    let framework = frameworks
        .iter()
        .find(|f| !matches!(**f, "tokio" | "std" | "async-std"))
        .or(frameworks.first())
        .copied();
    let wiring = match framework {
        Some("axum") => "`axum::serve(listener, app).with_graceful_shutdown(shutdown_signal())`",
        Some("tonic") => "`Server::builder()…serve_with_shutdown(addr, shutdown_signal())`",
        Some("warp") => {
            "`warp::serve(routes).bind_with_graceful_shutdown(addr, shutdown_signal())`"
        }
        Some("hyper") => "hyper's `with_graceful_shutdown(shutdown_signal())`",
        Some("poem") => {
            "poem's `Server::new(listener).run_with_graceful_shutdown(app, shutdown_signal(), None)`"
        }
        Some("salvo") => "salvo's `server.handle().stop_graceful(None)` when the signal arrives",
        Some("lapin" | "rdkafka" | "async-nats" | "aws-sdk-sqs") => {
            "a `tokio::select!` that stops taking messages and commits or acks what is in flight"
        }
        _ => "the server's graceful shutdown",
    };
    format!(
        "wait for SIGTERM with `tokio::signal::unix::signal(SignalKind::terminate())?.recv()` \
         (and `ctrl_c` for local runs) in a `shutdown_signal()` future, and pass it to {wiring}"
    )
}

fn report(
    cx: &WorkspaceContext<'_>,
    binary: &Binary,
    entry: Span,
    verdict: Verdict,
    out: &mut WorkspaceReporter,
) {
    let name = &binary.name;
    let (message, note, help, related) = match verdict {
        Verdict::Handles => return,
        Verdict::Nothing => (
            format!("the server binary `{name}` never handles SIGTERM"),
            "twelve-factor IX: Kubernetes, Docker and systemd stop a process with SIGTERM and kill \
             it after a grace period; without a handler it dies at once, cutting off in-flight \
             requests and skipping clean-up"
                .to_string(),
            wiring_help(cx, binary),
            None,
        ),
        Verdict::CtrlCOnly(file, span) => (
            format!("the server binary `{name}` handles Ctrl-C (SIGINT) but not SIGTERM"),
            "twelve-factor IX: `ctrl_c()` waits for SIGINT, which a terminal sends; orchestrators \
             stop a process with SIGTERM, which still kills it at once, mid-request"
                .to_string(),
            "also wait for `tokio::signal::unix::signal(SignalKind::terminate())?.recv()` and shut \
             down on whichever signal comes first (`tokio::select!`)"
                .to_string(),
            Some((file, span, "SIGINT only")),
        ),
        Verdict::CtrlcWithoutTermination(file, span) => (
            format!(
                "the server binary `{name}` handles signals with `ctrlc` without its `termination` feature"
            ),
            "twelve-factor IX: without `termination`, `ctrlc::set_handler` catches SIGINT only; \
             the SIGTERM an orchestrator sends still kills the process at once"
                .to_string(),
            "enable the feature: `ctrlc = { version = \"3\", features = [\"termination\"] }`"
                .to_string(),
            Some((file, span, "SIGINT only without the `termination` feature")),
        ),
        Verdict::SignalsDisabled(file, span) => (
            format!(
                "the server binary `{name}` turns off actix-web's signal handling and handles SIGTERM nowhere else"
            ),
            "twelve-factor IX: with `disable_signals()` actix-web no longer stops gracefully on \
             SIGTERM, and nothing else does"
                .to_string(),
            "handle SIGTERM yourself (`tokio::signal::unix::signal(SignalKind::terminate())`) and \
             call `server_handle.stop(true)`, or drop `.disable_signals()`"
                .to_string(),
            Some((file, span, "actix-web's SIGTERM handling is off")),
        ),
    };
    let related = related.and_then(|(file, span, message)| {
        let source = out.open(cx.workspace, &cx.rust_facts[file].0)?;
        Some(Label {
            location: source.location(span),
            message: message.to_string(),
        })
    });
    let Some(source) = out.open(cx.workspace, &binary.root) else {
        return;
    };
    let finding = out
        .report(&META, &source, entry, message)
        .label("entry point of the server binary")
        .note(note)
        .help(help);
    finding.labels.extend(related);
}
