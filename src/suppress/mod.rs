//! Suppressions: inline `fitness: ignore[…]` comments, Kubernetes `fitness.rs/ignore` annotations
//! and `[[ignore]]` entries of the config.
//! Each one is tracked, so the ones that suppress nothing are reported too.

pub mod annotation;
pub mod inline;
