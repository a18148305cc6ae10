//! Logging libraries: which calls send log records to a file instead of a stream.

use syn::Expr;

use crate::source::rust::{RustFile, method_chain};

/// A call that writes logs to a file.
pub struct FileLogSink {
    pub library: &'static str,
    pub description: &'static str,
}

/// Functions whose call creates a file log writer, by resolved path.
const FILE_SINK_FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "tracing_appender::rolling::daily",
        "tracing-appender",
        "a daily rolling log file",
    ),
    (
        "tracing_appender::rolling::hourly",
        "tracing-appender",
        "an hourly rolling log file",
    ),
    (
        "tracing_appender::rolling::minutely",
        "tracing-appender",
        "a rolling log file",
    ),
    (
        "tracing_appender::rolling::never",
        "tracing-appender",
        "a log file",
    ),
    (
        "tracing_appender::rolling::RollingFileAppender::new",
        "tracing-appender",
        "a rolling log file",
    ),
    (
        "tracing_appender::rolling::RollingFileAppender::builder",
        "tracing-appender",
        "a rolling log file",
    ),
    (
        "tracing_appender::rolling::Builder::new",
        "tracing-appender",
        "a rolling log file",
    ),
    (
        "log4rs::append::file::FileAppender::builder",
        "log4rs",
        "a file appender",
    ),
    (
        "log4rs::append::rolling_file::RollingFileAppender::builder",
        "log4rs",
        "a rolling file appender",
    ),
    ("fern::log_file", "fern", "a log file"),
    ("simplelog::WriteLogger::new", "simplelog", "a log file"),
    ("simplelog::WriteLogger::init", "simplelog", "a log file"),
    ("env_logger::Target::Pipe", "env_logger", "a log file"),
];

/// Functions that only write to a file when given one (`WriteLogger::new(.., File::create(..))`).
const NEEDS_FILE_ARGUMENT: &[&str] = &[
    "simplelog::WriteLogger::new",
    "simplelog::WriteLogger::init",
    "env_logger::Target::Pipe",
];

/// Methods of logger builders that take a writer; a file given to them is a file sink.
const WRITER_METHODS: &[&str] = &["with_writer", "chain"];

/// Functions that open a file for writing.
const FILE_OPENERS: &[&str] = &[
    "std::fs::File::create",
    "std::fs::File::create_new",
    "std::fs::OpenOptions::new",
    "std::fs::File::options",
];

/// The file log sink this expression creates, if any.
pub fn file_log_sink(file: &RustFile<'_>, expr: &Expr) -> Option<FileLogSink> {
    match expr {
        Expr::Call(call) => {
            let path = file.called_path_where(expr, |path| {
                FILE_SINK_FUNCTIONS.iter().any(|(known, ..)| *known == path)
            })?;
            let &(_, library, description) =
                FILE_SINK_FUNCTIONS.iter().find(|(p, ..)| *p == path)?;
            if NEEDS_FILE_ARGUMENT.contains(&path.as_str())
                && !call.args.iter().any(|arg| opens_file(file, arg))
            {
                return None;
            }
            Some(FileLogSink {
                library,
                description,
            })
        }
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            if method == "log_to_file" || method == "log_to_file_and_writer" {
                let from_flexi_logger = method_chain(expr).any(|link| {
                    file.called_path_where(link, |p| p.starts_with("flexi_logger::"))
                        .is_some()
                });
                return from_flexi_logger.then_some(FileLogSink {
                    library: "flexi_logger",
                    description: "a log file",
                });
            }
            if WRITER_METHODS.contains(&method.as_str())
                && call.args.iter().any(|arg| opens_file(file, arg))
            {
                return Some(FileLogSink {
                    library: "the logger",
                    description: "a file writer",
                });
            }
            None
        }
        _ => None,
    }
}

/// Whether the expression opens a file, looking through wrappers such as `Mutex::new(..)`,
/// `Box::new(..)`, `Arc::new(..)`, `?` and `.unwrap()`.
fn opens_file(file: &RustFile<'_>, expr: &Expr) -> bool {
    method_chain(expr).any(|link| match link {
        Expr::Call(call) => {
            file.called_path_where(link, |path| FILE_OPENERS.contains(&path))
                .is_some()
                || (file
                    .called_path(link)
                    .is_some_and(|path| path.ends_with("::new"))
                    && call.args.iter().any(|arg| opens_file(file, arg)))
        }
        _ => false,
    })
}
