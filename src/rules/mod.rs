//! One rule per file, one folder per category.

pub mod config {
    pub mod hardcoded_backing_service;
}
pub mod dependencies {
    pub mod wildcard_dependency;
}
pub mod logs {
    pub mod log_to_file;
}
pub mod meta {
    pub mod parse_error;
    pub mod unknown_rule;
    pub mod unused_suppression;
}
pub mod security {
    pub mod tls_verification_disabled;
}
