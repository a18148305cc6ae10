//! `fitness.toml` and `[workspace.metadata.fitness]`: levels, rule options, per-path
//! overrides and `[[ignore]]` entries. Errors point into the file with miette.

pub mod architecture;
mod error;
mod raw;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::diagnostic::{Level, Span};
use crate::registry;
use crate::rule::RuleMeta;
use crate::source::{FileKind, SourceFile};
pub use error::ConfigError;
use raw::RawConfig;

pub const CONFIG_FILE: &str = "fitness.toml";

/// The configuration of one run, every layer merged.
#[derive(Default)]
pub struct Config {
    /// Levels from defaults, Cargo.toml metadata and fitness.toml, by rule id.
    levels: HashMap<&'static str, Level>,
    overrides: Vec<Override>,
    /// `-A/-W/-D` from the command line, in order; they win over everything.
    cli_levels: Vec<(&'static str, Level)>,
    deny_warnings: bool,
    pub options: HashMap<&'static str, toml::Table>,
    pub ignores: Vec<IgnoreEntry>,
    /// Paths never read (globs relative to the root), from every config file.
    exclude: Vec<String>,
    /// `max-file-mib`: files larger than this are reported, not read.
    max_file_mib: Option<u64>,
    /// The config files read, for findings about their entries.
    pub files: Vec<Arc<SourceFile>>,
    /// `[components]`, `[[layers]]`, `[[forbid]]`, `[[only]]`: the declared architecture.
    pub architecture: architecture::Architecture,
    /// `[[services]]`: links the service model takes as given.
    pub services: Vec<crate::model::ServiceOverride>,
}

struct Override {
    paths: GlobSet,
    levels: HashMap<&'static str, Level>,
}

/// An `[[ignore]]` entry.
pub struct IgnoreEntry {
    /// `None`: every rule.
    pub rules: Option<Vec<&'static str>>,
    pub paths: GlobSet,
    pub reason: String,
    pub expires: Option<jiff::civil::Date>,
    /// Which config file (index into `Config::files`) and where in it.
    pub file: usize,
    pub span: Span,
}

impl IgnoreEntry {
    pub fn covers(&self, rule: &str, path: &Path) -> bool {
        self.rules
            .as_ref()
            .is_none_or(|rules| rules.contains(&rule))
            && self.paths.is_match(path)
    }

    pub fn expired(&self, today: jiff::civil::Date) -> bool {
        self.expires.is_some_and(|expires| expires < today)
    }
}

impl Config {
    /// Every rule at its default level, nothing else configured.
    pub fn with_defaults() -> Config {
        Config {
            levels: registry::all()
                .iter()
                .map(|meta| (meta.id, meta.default_level))
                .collect(),
            ..Config::default()
        }
    }

    /// Reads the workspace's configuration: `[workspace.metadata.fitness]` in the root
    /// Cargo.toml, then `fitness.toml` (or `explicit`) over it.
    pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Config, Box<ConfigError>> {
        let mut config = Config::with_defaults();
        let manifest = root.join("Cargo.toml");
        // A Cargo.toml that cannot be read is the check's to report, as a parse error.
        if let Some(file) = read(&manifest, root).ok().flatten() {
            if let Some(raw) = raw::from_cargo_metadata(&file)? {
                config.apply(raw, file)?;
            }
        }
        let path = match explicit {
            Some(path) => {
                if !path.is_file() {
                    return Err(Box::new(ConfigError::plain(format!(
                        "config file `{}` does not exist",
                        path.display()
                    ))));
                }
                path.to_path_buf()
            }
            None => root.join(CONFIG_FILE),
        };
        if let Some(file) = read(&path, root)? {
            let raw = raw::from_fitness_toml(&file)?;
            config.apply(raw, file)?;
        }
        Ok(config)
    }

    /// A configuration from text: a `fitness.toml`, or a `Cargo.toml` whose
    /// `[workspace.metadata.fitness]` holds it. Nothing is read from disk.
    pub fn from_text(path: &Path, text: &str) -> Result<Config, Box<ConfigError>> {
        let is_manifest = path.file_name().is_some_and(|name| name == "Cargo.toml");
        let file = Arc::new(SourceFile::new(
            Arc::new(path.to_path_buf()),
            path.to_path_buf(),
            FileKind::CargoManifest,
            text.to_string(),
        ));
        let raw = if is_manifest {
            raw::from_cargo_metadata(&file)?.unwrap_or_default()
        } else {
            raw::from_fitness_toml(&file)?
        };
        let mut config = Config::with_defaults();
        config.apply(raw, file)?;
        Ok(config)
    }

    fn apply(&mut self, raw: RawConfig, file: Arc<SourceFile>) -> Result<(), Box<ConfigError>> {
        let index = self.files.len();
        self.files.push(file.clone());
        let error = |span: Span, message: String, label: &str| {
            Box::new(ConfigError::at(&file, span, message, label))
        };
        globs(&raw.exclude).map_err(|(span, message)| error(span, message, "bad pattern"))?;
        self.exclude
            .extend(raw.exclude.iter().map(|pattern| pattern.get_ref().clone()));
        if let Some(limit) = &raw.max_file_mib {
            let mib = u64::try_from(*limit.get_ref())
                .ok()
                .filter(|&mib| mib > 0)
                .ok_or_else(|| {
                    error(
                        limit.span().into(),
                        "`max-file-mib` takes a whole number of MiB, at least 1".into(),
                        "here",
                    )
                })?;
            self.max_file_mib = Some(mib);
        }
        let mut by_rule: Vec<(&'static RuleMeta, bool, Level, Span)> = Vec::new();
        for (name, setting) in &raw.rules {
            let rules = registry::select(name.get_ref()).ok_or_else(|| {
                error(
                    name.span().into(),
                    format!("unknown rule or category `{}`", name.get_ref()),
                    "not a rule id or category",
                )
            })?;
            let is_rule = rules.len() == 1 && rules[0].id == name.get_ref();
            let (level, options) = raw::rule_setting(setting)
                .map_err(|(span, message)| error(span, message, "here"))?;
            if let Some(options) = options {
                if !is_rule {
                    return Err(error(
                        setting.span().into(),
                        "options belong to one rule, not a category".into(),
                        "options",
                    ));
                }
                let merged = self.options.entry(rules[0].id).or_default();
                merged.extend(options);
                validate_options(rules[0].id, merged)
                    .map_err(|message| error(setting.span().into(), message, "options"))?;
            }
            if let Some(level) = level {
                for rule in rules {
                    by_rule.push((rule, is_rule, level, setting.span().into()));
                }
            }
        }
        // A rule named on its own wins over its category within one file.
        by_rule.sort_by_key(|(_, is_rule, ..)| *is_rule);
        for (rule, _, level, _) in by_rule {
            self.levels.insert(rule.id, level);
        }
        for entry in &raw.overrides {
            let entry_span: Span = entry.span().into();
            let entry = entry.get_ref();
            let paths = globs(&entry.paths)
                .map_err(|(span, message)| error(span, message, "bad pattern"))?;
            let mut levels = HashMap::new();
            for (name, setting) in &entry.rules {
                let rules = registry::select(name.get_ref()).ok_or_else(|| {
                    error(
                        name.span().into(),
                        format!("unknown rule or category `{}`", name.get_ref()),
                        "not a rule id or category",
                    )
                })?;
                let level =
                    raw::level(setting).map_err(|(span, message)| error(span, message, "here"))?;
                for rule in rules {
                    levels.insert(rule.id, level);
                }
            }
            if paths.is_empty() {
                return Err(error(
                    entry_span,
                    "an override needs `paths`".into(),
                    "this override",
                ));
            }
            self.overrides.push(Override { paths, levels });
        }
        for entry in &raw.ignore {
            let span: Span = entry.span().into();
            let entry = entry.get_ref();
            let rules = match &entry.rules {
                None => None,
                Some(names) => Some(
                    names
                        .iter()
                        .map(|name| {
                            registry::select(name.get_ref()).ok_or_else(|| {
                                error(
                                    name.span().into(),
                                    format!("unknown rule or category `{}`", name.get_ref()),
                                    "not a rule id or category",
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?
                        .into_iter()
                        .flatten()
                        .map(|meta| meta.id)
                        .collect(),
                ),
            };
            if entry.paths.is_empty() {
                return Err(error(
                    span,
                    "an `[[ignore]]` entry needs `paths`".into(),
                    "no paths given",
                ));
            }
            let paths = globs(&entry.paths)
                .map_err(|(span, message)| error(span, message, "bad pattern"))?;
            let reason = entry
                .reason
                .as_ref()
                .map(|r| r.get_ref().trim().to_string())
                .unwrap_or_default();
            if reason.is_empty() {
                return Err(error(
                    span,
                    "an `[[ignore]]` entry needs a `reason`".into(),
                    "no reason given",
                ));
            }
            let expires = match &entry.expires {
                None => None,
                Some(date) => Some(date.get_ref().parse::<jiff::civil::Date>().map_err(|_| {
                    error(
                        date.span().into(),
                        format!("`{}` is not a date like 2027-01-31", date.get_ref()),
                        "expected YYYY-MM-DD",
                    )
                })?),
            };
            self.ignores.push(IgnoreEntry {
                rules,
                paths,
                reason,
                expires,
                file: index,
                span,
            });
        }
        self.services.extend(raw.services.iter().map(|entry| {
            let entry = entry.get_ref();
            crate::model::ServiceOverride {
                name: entry.name.clone(),
                bin: entry.bin.clone(),
                dockerfile: entry
                    .dockerfile
                    .as_ref()
                    .map(|d| PathBuf::from(d.trim_start_matches("./"))),
                manifests: entry.manifests.clone(),
                compose_service: entry.compose_service.clone(),
            }
        }));
        self.architecture.add(
            architecture::RawArchitecture {
                components: raw.components.as_ref(),
                layers: &raw.layers,
                forbid: &raw.forbid,
                only: &raw.only,
            },
            &file,
        )?;
        Ok(())
    }

    /// Files larger than this many MiB are reported, not read.
    pub fn max_file_mib(&self) -> u64 {
        self.max_file_mib
            .unwrap_or(crate::source::DEFAULT_MAX_FILE_MIB)
    }

    /// The `exclude` globs of every config file, matched against paths relative to the root.
    pub fn exclude(&self) -> GlobSet {
        let patterns: Vec<toml::Spanned<String>> = self
            .exclude
            .iter()
            .map(|p| toml::Spanned::new(0..0, p.clone()))
            .collect();
        globs(&patterns).unwrap_or_default()
    }

    /// Applies `-A/-W/-D` flags in command-line order. `warnings` with deny makes every warning an error.
    pub fn apply_cli(&mut self, flags: &[(Level, String)]) -> Result<(), String> {
        for (level, name) in flags {
            if name == "warnings" && *level == Level::Deny {
                self.deny_warnings = true;
                continue;
            }
            let rules = registry::select(name)
                .ok_or_else(|| format!("unknown rule or category `{name}`"))?;
            self.cli_levels
                .extend(rules.into_iter().map(|rule| (rule.id, *level)));
        }
        Ok(())
    }

    /// The level of `rule` for a file at `path` (relative to the workspace root).
    pub fn level(&self, rule: &str, path: &Path) -> Level {
        let mut level = self.levels.get(rule).copied().unwrap_or(Level::Warn);
        for entry in &self.overrides {
            if let Some(&overridden) = entry.levels.get(rule)
                && entry.paths.is_match(path)
            {
                level = overridden;
            }
        }
        if let Some(&(_, cli)) = self.cli_levels.iter().rev().find(|(id, _)| *id == rule) {
            level = cli;
        }
        if self.deny_warnings && level == Level::Warn {
            level = Level::Deny;
        }
        level
    }

    /// Whether the rule is on anywhere: not `allow` by default, in an override or on the command line.
    pub fn enabled_anywhere(&self, rule: &str) -> bool {
        self.level(rule, Path::new("")) != Level::Allow
            || self
                .overrides
                .iter()
                .any(|o| o.levels.get(rule).is_some_and(|l| *l != Level::Allow))
    }
}

fn read(path: &Path, root: &Path) -> Result<Option<Arc<SourceFile>>, Box<ConfigError>> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|error| {
        Box::new(ConfigError::plain(format!(
            "cannot read `{}`: {error}",
            path.display()
        )))
    })?;
    let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    Ok(Some(Arc::new(SourceFile::new(
        Arc::new(relative),
        path.to_path_buf(),
        FileKind::CargoManifest,
        text,
    ))))
}

fn validate_options(rule: &'static str, options: &toml::Table) -> Result<(), String> {
    let mut instance = registry::rules()
        .into_iter()
        .find(|candidate| candidate.meta().id == rule)
        .ok_or_else(|| format!("rule `{rule}` has no options"))?;
    instance.configure(options)
}

fn globs(patterns: &[toml::Spanned<String>]) -> Result<GlobSet, (Span, String)> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let text = pattern.get_ref().trim_start_matches("./");
        let glob =
            Glob::new(text).map_err(|error| (Span::from(pattern.span()), error.to_string()))?;
        builder.add(glob);
        // `dir` and `dir/` also mean everything below it.
        if !text.contains('*') {
            let below = format!("{}/**", text.trim_end_matches('/'));
            builder.add(
                Glob::new(&below)
                    .map_err(|error| (Span::from(pattern.span()), error.to_string()))?,
            );
        }
    }
    builder
        .build()
        .map_err(|error| (Span::default(), error.to_string()))
}

/// Rule levels as `init` writes them: every rule at its default.
pub fn template() -> String {
    let mut text = String::from(
        "# cargo-fitness configuration (see the README's Configuration section).\n\
         # Levels: \"allow\" (off), \"warn\", \"deny\" (fails the check). A category name sets all its rules.\n\n\
         # Paths never read, relative to the workspace root:\n\
         # exclude = [\"vendor/**\"]\n\n\
         # Files larger than this many MiB are reported as not checked (default 10):\n\
         # max-file-mib = 10\n\n\
         [rules]\n",
    );
    let mut by_category: BTreeMap<_, Vec<&RuleMeta>> = BTreeMap::new();
    for meta in registry::all() {
        by_category.entry(meta.category).or_default().push(meta);
    }
    for (category, rules) in by_category {
        text.push_str(&format!(
            "\n# {} — {}\n",
            category.name(),
            category.principle()
        ));
        for rule in rules {
            text.push_str(&format!(
                "{} = \"{}\"  # {}\n",
                rule.id, rule.default_level, rule.summary
            ));
        }
    }
    text.push_str(
        "\n# Different levels for some paths:\n\
         # [[overrides]]\n\
         # paths = [\"crates/cli/**\"]\n\
         # rules = { hardcoded-backing-service = \"warn\" }\n\
         \n\
         # Accept findings under some paths, with a reason and an optional expiry date:\n\
         # [[ignore]]\n\
         # rules = [\"log-to-file\"]\n\
         # paths = [\"services/legacy/**\"]\n\
         # reason = \"moves to stdout logging with the platform migration\"\n\
         # expires = \"2027-06-30\"\n\
         \n\
         # The architecture the team declares (README: \"Declared architecture\"):\n\
         # [components]\n\
         # domain = { paths = [\"crates/domain\"] }\n\
         # db     = { external = [\"sqlx*\", \"diesel*\"] }\n\
         # [[forbid]]\n\
         # id = \"domain-is-pure\"\n\
         # from = \"domain\"\n\
         # to = [\"db\"]\n\
         # because = \"the domain knows no database\"\n",
    );
    text
}

pub fn config_path(root: &Path) -> PathBuf {
    root.join(CONFIG_FILE)
}
