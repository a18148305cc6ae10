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

/// Functions whose call installs a logger, by resolved path, with the library's name.
const LOGGER_INIT_FUNCTIONS: &[(&str, &str)] = &[
    ("tracing_subscriber::fmt::init", "tracing-subscriber"),
    ("tracing_subscriber::fmt::try_init", "tracing-subscriber"),
    ("tracing::subscriber::set_global_default", "tracing"),
    ("tracing::dispatcher::set_global_default", "tracing"),
    ("tracing_core::dispatcher::set_global_default", "tracing"),
    (
        "tracing_subscriber::util::SubscriberInitExt::init",
        "tracing-subscriber",
    ),
    (
        "tracing_subscriber::util::SubscriberInitExt::try_init",
        "tracing-subscriber",
    ),
    ("tracing_log::LogTracer::init", "tracing-log"),
    ("env_logger::init", "env_logger"),
    ("env_logger::try_init", "env_logger"),
    ("env_logger::init_from_env", "env_logger"),
    ("env_logger::try_init_from_env", "env_logger"),
    ("pretty_env_logger::init", "pretty_env_logger"),
    ("pretty_env_logger::try_init", "pretty_env_logger"),
    ("pretty_env_logger::init_timed", "pretty_env_logger"),
    ("pretty_env_logger::try_init_timed", "pretty_env_logger"),
    ("log4rs::init_file", "log4rs"),
    ("log4rs::init_config", "log4rs"),
    ("log4rs::init_raw_config", "log4rs"),
    ("simplelog::TermLogger::init", "simplelog"),
    ("simplelog::SimpleLogger::init", "simplelog"),
    ("simplelog::CombinedLogger::init", "simplelog"),
    ("simplelog::WriteLogger::init", "simplelog"),
    ("simple_logger::init", "simple_logger"),
    ("simple_logger::init_with_level", "simple_logger"),
    ("simple_logger::init_with_env", "simple_logger"),
    ("log::set_logger", "log"),
    ("log::set_boxed_logger", "log"),
    ("femme::start", "femme"),
    ("femme::with_level", "femme"),
    ("console_subscriber::init", "console-subscriber"),
    ("tracing_forest::init", "tracing-forest"),
    ("systemd_journal_logger::init", "systemd-journal-logger"),
];

/// Crates whose builders end in `.init()`/`.try_init()`, and what `.start()`/`.apply()` end.
const LOGGER_BUILDER_CRATES: &[(&str, &str, &[&str])] = &[
    (
        "tracing_subscriber::",
        "tracing-subscriber",
        &["init", "try_init"],
    ),
    ("env_logger::", "env_logger", &["init", "try_init"]),
    (
        "pretty_env_logger::",
        "pretty_env_logger",
        &["init", "try_init"],
    ),
    ("stderrlog::", "stderrlog", &["init"]),
    ("simple_logger::", "simple_logger", &["init"]),
    (
        "flexi_logger::",
        "flexi_logger",
        &["start", "start_with_specfile"],
    ),
    ("fern::", "fern", &["apply"]),
    ("tracing_forest::", "tracing-forest", &["init"]),
];

/// The logging library whose logger this expression installs, if it installs one:
/// `tracing_subscriber::fmt().init()`, `env_logger::init()`, `log4rs::init_file(..)`,
/// `Logger::try_with_env()?.start()`, `fern::Dispatch::new()….apply()`…
pub fn logger_init(file: &RustFile<'_>, expr: &Expr) -> Option<&'static str> {
    match expr {
        Expr::Call(_) => {
            let path = file.called_path_where(expr, |path| {
                LOGGER_INIT_FUNCTIONS
                    .iter()
                    .any(|(known, _)| *known == path)
            })?;
            LOGGER_INIT_FUNCTIONS
                .iter()
                .find(|(known, _)| *known == path)
                .map(|&(_, library)| library)
        }
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            let from_crate = |prefix: &str| {
                method_chain(&call.receiver).any(|link| {
                    file.called_path_where(link, |p| p.starts_with(prefix))
                        .is_some()
                })
            };
            if let Some(&(_, library, _)) = LOGGER_BUILDER_CRATES
                .iter()
                .find(|(prefix, _, ends)| ends.contains(&method.as_str()) && from_crate(prefix))
            {
                return Some(library);
            }
            // `logger.apply()` on a builder kept in a variable: the file must use the crate
            // (`subscriber.init()` comes from tracing-subscriber's `SubscriberInitExt`).
            if !call.args.is_empty() {
                return None;
            }
            LOGGER_BUILDER_CRATES
                .iter()
                .find(|(prefix, _, ends)| {
                    ends.contains(&method.as_str()) && file.text().contains(*prefix)
                })
                .map(|&(_, library, _)| library)
        }
        _ => None,
    }
}

/// Macros that print to stdout or stderr, by name.
const PRINT_MACROS: &[&str] = &["println", "eprintln", "print", "eprint", "dbg"];

/// The print macro a macro call is (`println`, `eprintln`, `print`, `eprint`, `dbg`), if it is
/// one: written bare or as `std::println!`.
pub fn print_macro(mac: &syn::Macro) -> Option<&'static str> {
    let segments = &mac.path.segments;
    let name = segments.last()?.ident.to_string();
    let qualified_by_std = match segments.len() {
        1 => true,
        2 => segments[0].ident == "std" || segments[0].ident == "core",
        _ => false,
    };
    if !qualified_by_std {
        return None;
    }
    PRINT_MACROS.iter().copied().find(|known| *known == name)
}
