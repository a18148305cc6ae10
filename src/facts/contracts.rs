//! Contract tests: test code that loads a service's API contract (an OpenAPI document, a
//! `.proto` file, a utoipa/aide-generated spec) and the crates that run consumer-driven
//! contract tests (Pact). A service with routes or outbound clients and none of these has
//! nothing that holds its API to what its consumers and providers expect.

use syn::visit::Visit;
use syn::{Expr, Item};

use crate::diagnostic::Span;
use crate::source::rust::{CodeRole, RustFile, is_test_code, item_attrs, string_literal};

/// Crates that run consumer-driven contract tests, by name prefix (`pact_consumer`,
/// `pact_verifier`, `pact_mock_server`, `pact-stub-server`…).
pub const CONTRACT_TEST_CRATES: &[&str] = &["pact_", "pact-"];

/// Servers that speak HTTP or gRPC, by the framework name `facts::service` gives.
const API_FRAMEWORKS: &[&str] = &[
    "axum",
    "hyper",
    "actix-web",
    "warp",
    "tonic",
    "poem",
    "salvo",
    "rocket",
    "tiny_http",
    "shuttle",
];

/// Whether a server started with this framework exposes an HTTP or gRPC API (a bare TCP
/// listener may speak anything).
pub fn serves_api(framework: &str) -> bool {
    API_FRAMEWORKS.contains(&framework)
}

/// Whether a dependency runs contract tests.
pub fn is_contract_test_crate(name: &str) -> bool {
    CONTRACT_TEST_CRATES
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// Where test code in a file loads an API contract.
#[derive(Debug, Default)]
pub struct ContractFacts {
    /// `"openapi.yaml"`, `"proto/orders.proto"`, `ApiDoc::openapi()` in test code.
    pub loads: Vec<(String, Span)>,
}

impl ContractFacts {
    pub fn extract(file: &RustFile<'_>) -> ContractFacts {
        let mut finder = Finder {
            file,
            in_test: file.role != CodeRole::Production,
            facts: ContractFacts::default(),
        };
        finder.visit_file(&file.syntax);
        finder.facts
    }
}

/// A file name or path of an API contract: `*.proto`, or an `openapi`/`swagger` document.
pub fn is_contract_document(text: &str) -> bool {
    let lower = text.trim().to_ascii_lowercase();
    if lower.contains(char::is_whitespace) || lower.contains("://") {
        return false;
    }
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    name.ends_with(".proto")
        || ((name.contains("openapi") || name.contains("swagger"))
            && [".yaml", ".yml", ".json"]
                .iter()
                .any(|extension| name.ends_with(extension)))
}

struct Finder<'f, 's> {
    file: &'f RustFile<'s>,
    in_test: bool,
    facts: ContractFacts,
}

impl<'ast> Visit<'ast> for Finder<'_, '_> {
    fn visit_item(&mut self, item: &'ast Item) {
        let test = item_attrs(item).is_some_and(is_test_code);
        if self.in_test || test {
            let outer = std::mem::replace(&mut self.in_test, true);
            syn::visit::visit_item(self, item);
            self.in_test = outer;
        } else if let Item::Mod(module) = item {
            // Shipping code is not read, only the test modules and functions inside it.
            if let Some((_, items)) = &module.content {
                for item in items {
                    self.visit_item(item);
                }
            }
        } else if let Item::Impl(item_impl) = item {
            for impl_item in &item_impl.items {
                if let syn::ImplItem::Fn(function) = impl_item
                    && is_test_code(&function.attrs)
                {
                    self.in_test = true;
                    syn::visit::visit_impl_item_fn(self, function);
                    self.in_test = false;
                }
            }
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        if let Some(text) = string_literal(expr)
            && is_contract_document(&text)
        {
            self.facts.loads.push((text, self.file.span(expr)));
        }
        // `ApiDoc::openapi()`: the spec a utoipa/aide derive generates, compared in a test.
        if let Expr::Call(call) = expr
            && call.args.is_empty()
            && let Expr::Path(path) = &*call.func
            && path.path.segments.len() >= 2
            && path
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "openapi")
        {
            self.facts
                .loads
                .push(("openapi()".to_string(), self.file.span(expr)));
        }
        syn::visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_documents_are_recognised_by_name() {
        for yes in [
            "openapi.yaml",
            "../api/openapi.json",
            "docs/swagger.yml",
            "proto/orders.proto",
            "orders.openapi.yaml",
        ] {
            assert!(is_contract_document(yes), "{yes}");
        }
        for no in [
            "config.yaml",
            "spec.yaml",
            "https://example.com/openapi.json",
            "openapi",
            "the openapi.yaml file",
        ] {
            assert!(!is_contract_document(no), "{no}");
        }
    }
}
