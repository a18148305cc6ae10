//! Suppressions: inline `fitness: ignore[…]` comments and `[[ignore]]` entries of the config.
//! Each one is tracked, so the ones that suppress nothing are reported too.

pub mod inline;
