use miette::{Diagnostic, NamedSource, SourceSpan};

use crate::diagnostic::Span;
use crate::source::SourceFile;

/// A configuration the tool cannot run with, pointing at the offending place.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(fitness::config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    source_code: Option<NamedSource<String>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
}

impl ConfigError {
    pub fn plain(message: String) -> ConfigError {
        ConfigError {
            message,
            source_code: None,
            span: None,
            label: String::new(),
        }
    }

    pub fn at(file: &SourceFile, span: Span, message: String, label: &str) -> ConfigError {
        ConfigError {
            message,
            source_code: Some(NamedSource::new(
                file.path.display().to_string(),
                file.text.clone(),
            )),
            span: Some((span.start, span.end - span.start).into()),
            label: label.to_string(),
        }
    }

    pub fn from_toml(file: &SourceFile, error: &toml::de::Error) -> ConfigError {
        let span = error.span().map(Span::from).unwrap_or_default();
        let message = error.message().trim().to_string();
        let message = message.replace("unknown field", "unknown key");
        ConfigError::at(
            file,
            span,
            format!("invalid configuration: {message}"),
            "here",
        )
    }
}
