//! The configuration as written, with spans for error messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::error::ConfigError;
use crate::diagnostic::{Level, Span};
use crate::source::SourceFile;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawConfig {
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    pub max_file_mib: Option<Spanned<i64>>,
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    pub overrides: Vec<Spanned<RawOverride>>,
    #[serde(default)]
    pub ignore: Vec<Spanned<RawIgnore>>,
    #[serde(default)]
    pub components: Option<super::architecture::RawComponents>,
    #[serde(default)]
    pub layers: Vec<Spanned<super::architecture::RawLayers>>,
    #[serde(default)]
    pub forbid: Vec<Spanned<super::architecture::RawForbid>>,
    #[serde(default)]
    pub only: Vec<Spanned<super::architecture::RawOnly>>,
    #[serde(default)]
    pub services: Vec<Spanned<RawService>>,
}

/// `[[services]]`: how a service is built and run, where the guess cannot tell.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawService {
    pub name: String,
    pub bin: Option<String>,
    pub dockerfile: Option<String>,
    #[serde(default)]
    pub manifests: Vec<String>,
    pub compose_service: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawOverride {
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawIgnore {
    pub rules: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    pub reason: Option<Spanned<String>>,
    pub expires: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct CargoToml {
    workspace: Option<Workspace>,
}

#[derive(Deserialize)]
struct Workspace {
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    fitness: Option<RawConfig>,
}

pub type RuleSetting = Spanned<toml::Value>;

pub fn from_fitness_toml(file: &SourceFile) -> Result<RawConfig, Box<ConfigError>> {
    toml::from_str(&file.text).map_err(|error| Box::new(ConfigError::from_toml(file, &error)))
}

pub fn from_cargo_metadata(file: &SourceFile) -> Result<Option<RawConfig>, Box<ConfigError>> {
    // A Cargo.toml that does not parse is cargo's to report; the run still goes on.
    let Ok(table) = toml::from_str::<toml::Table>(&file.text) else {
        return Ok(None);
    };
    let has_section = table
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("fitness"))
        .is_some();
    if !has_section {
        return Ok(None);
    }
    let manifest: CargoToml = toml::from_str(&file.text)
        .map_err(|error| Box::new(ConfigError::from_toml(file, &error)))?;
    Ok(manifest
        .workspace
        .and_then(|w| w.metadata)
        .and_then(|m| m.fitness))
}

/// `"warn"` or `{ level = "warn", option = … }`: the level and the options.
pub fn rule_setting(
    setting: &RuleSetting,
) -> Result<(Option<Level>, Option<toml::Table>), (Span, String)> {
    match setting.get_ref() {
        toml::Value::String(_) => Ok((Some(level(setting)?), None)),
        toml::Value::Table(table) => {
            let mut options = table.clone();
            let level = match options.remove("level") {
                None => None,
                Some(toml::Value::String(text)) => Some(parse_level(&text, setting.span().into())?),
                Some(_) => {
                    return Err((
                        setting.span().into(),
                        "`level` takes \"allow\", \"warn\" or \"deny\"".into(),
                    ));
                }
            };
            Ok((level, (!options.is_empty()).then_some(options)))
        }
        _ => Err((
            setting.span().into(),
            "expected a level (\"allow\", \"warn\", \"deny\") or a table".into(),
        )),
    }
}

pub fn level(setting: &RuleSetting) -> Result<Level, (Span, String)> {
    match setting.get_ref() {
        toml::Value::String(text) => parse_level(text, setting.span().into()),
        _ => Err((
            setting.span().into(),
            "expected \"allow\", \"warn\" or \"deny\"".into(),
        )),
    }
}

fn parse_level(text: &str, span: Span) -> Result<Level, (Span, String)> {
    Level::parse(text).ok_or_else(|| {
        (
            span,
            format!("unknown level `{text}`: use \"allow\", \"warn\" or \"deny\""),
        )
    })
}
