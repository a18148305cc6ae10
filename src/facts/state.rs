//! State held in the process: session stores that keep sessions in memory, and global statics
//! that hold a map behind a lock.

use proc_macro2::{TokenStream, TokenTree};
use syn::{Expr, Item, Type};

use crate::diagnostic::Span;
use crate::source::rust::RustFile;

/// Session stores that keep every session in the process's memory, by resolved constructor path.
const MEMORY_SESSION_STORES: &[(&str, &str)] = &[
    ("tower_sessions::MemoryStore::default", "tower-sessions"),
    ("tower_sessions::MemoryStore::new", "tower-sessions"),
    (
        "tower_sessions::memory_store::MemoryStore::default",
        "tower-sessions",
    ),
    (
        "tower_sessions_memory_store::MemoryStore::default",
        "tower-sessions",
    ),
    (
        "tower_sessions_memory_store::MemoryStore::new",
        "tower-sessions",
    ),
    ("async_session::MemoryStore::new", "async-session"),
    ("async_session::MemoryStore::default", "async-session"),
    (
        "axum_sessions::async_session::MemoryStore::new",
        "axum-sessions",
    ),
    (
        "axum_sessions::async_session::MemoryStore::default",
        "axum-sessions",
    ),
    ("salvo::session::MemoryStore::new", "salvo"),
    ("salvo_extra::session::MemoryStore::new", "salvo"),
    ("salvo_session::MemoryStore::new", "salvo"),
    ("poem::session::MemoryStorage::new", "poem"),
    ("poem::session::MemoryStorage::default", "poem"),
    ("tide::sessions::MemoryStore::new", "tide"),
    ("axum_session::SessionNullPool::default", "axum_session"),
];

/// A session store that keeps sessions in memory.
pub struct MemorySessionStore {
    pub library: &'static str,
}

/// The in-memory session store this expression creates, if any.
pub fn memory_session_store(file: &RustFile<'_>, expr: &Expr) -> Option<MemorySessionStore> {
    let path = file.called_path_where(expr, |path| {
        MEMORY_SESSION_STORES
            .iter()
            .any(|(known, _)| *known == path)
    })?;
    let &(_, library) = MEMORY_SESSION_STORES.iter().find(|(p, _)| *p == path)?;
    Some(MemorySessionStore { library })
}

/// A global that holds a map or set behind a lock: state that lives in this process only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalMap {
    pub name: String,
    /// The span of the name.
    pub span: Span,
    /// How it is declared: `static`, `lazy_static!`, `thread_local!`.
    pub declared_with: &'static str,
    /// The container, e.g. `Mutex<HashMap>` or `DashMap`.
    pub container: String,
}

/// Maps and sets whose contents are per-key state.
const MAPS: &[&str] = &[
    "HashMap",
    "BTreeMap",
    "IndexMap",
    "HashSet",
    "BTreeSet",
    "IndexSet",
    "FxHashMap",
    "AHashMap",
    "FxHashSet",
    "AHashSet",
];

/// Maps that lock themselves.
const CONCURRENT_MAPS: &[&str] = &["DashMap", "DashSet", "SccHashMap", "HashIndex"];

/// Interior mutability that makes a global writable.
const LOCKS: &[&str] = &["Mutex", "RwLock", "RefCell", "ReentrantMutex"];

/// Names that say the global is a cache or a registry, not per-user state: twelve-factor VI
/// allows the process's memory as a cache, and a registry is filled once by the code itself.
const NOT_STATE_NAMES: &[&str] = &["CACHE", "MEMO", "REGISTRY", "INTERN", "POOL"];

/// The global maps behind a lock that an item declares: `static` and `lazy_static!` items.
pub fn global_maps(file: &RustFile<'_>, item: &Item) -> Vec<GlobalMap> {
    match item {
        Item::Static(item) => {
            let tokens = type_tokens(&item.ty);
            container(&tokens)
                .filter(|_| is_state_name(&item.ident.to_string()))
                .map(|container| GlobalMap {
                    name: item.ident.to_string(),
                    span: file.span(&item.ident),
                    declared_with: "static",
                    container,
                })
                .into_iter()
                .collect()
        }
        Item::Macro(item) => {
            let name = item
                .mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            // `thread_local!` state is per thread: requests move between threads, so it holds
            // scratch space, not anyone's session.
            let declared_with = match name.as_str() {
                "lazy_static" => "lazy_static!",
                _ => return Vec::new(),
            };
            macro_statics(item.mac.tokens.clone())
                .into_iter()
                .filter(|(ident, _)| is_state_name(&ident.to_string()))
                .filter_map(|(ident, ty)| {
                    Some(GlobalMap {
                        name: ident.to_string(),
                        span: file.span_of(ident.span()),
                        declared_with,
                        container: container(&ty)?,
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

fn is_state_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    !NOT_STATE_NAMES.iter().any(|word| upper.contains(word))
}

/// The identifiers of a type, in order: `LazyLock<Mutex<HashMap<String, User>>>` gives
/// `LazyLock Mutex HashMap String User`.
fn type_tokens(ty: &Type) -> Vec<String> {
    struct Idents(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Idents {
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            self.0.push(ident.to_string());
        }
    }
    let mut collector = Idents(Vec::new());
    syn::visit::Visit::visit_type(&mut collector, ty);
    collector.0
}

fn idents(tokens: TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => idents(group.stream(), out),
            _ => {}
        }
    }
}

/// How a type holds mutable per-key state: a concurrent map, or a map or set inside a lock.
/// A registry (see [`is_registry`]) is not state.
fn container(tokens: &[String]) -> Option<String> {
    let position = |names: &[&str]| tokens.iter().position(|t| names.contains(&t.as_str()));
    if let Some(map) = position(CONCURRENT_MAPS) {
        return (!is_registry(&tokens[map + 1..])).then(|| tokens[map].clone());
    }
    let lock = position(LOCKS)?;
    let map = lock
        + 1
        + position(MAPS)
            .filter(|&map| map > lock)?
            .checked_sub(lock + 1)?;
    if is_registry(&tokens[map + 1..]) {
        return None;
    }
    Some(format!("{}<{}>", tokens[lock], tokens[map]))
}

/// Values that are the process's own plumbing (channels, task handles, clients), not anyone's
/// data, by the end of their type's name: `mpsc::Sender`, `JoinHandle`, `opendal::Operator`.
const PLUMBING: &[&str] = &[
    "Sender",
    "Receiver",
    "Handle",
    "Waker",
    "Notify",
    "Semaphore",
    "Client",
    "Connection",
    "Operator",
];

/// Whether a map (given by the identifiers after its name) is a registry rather than state:
/// keyed by `&'static str` or `TypeId`, or holding channels and task handles.
fn is_registry(after_map: &[String]) -> bool {
    matches!(
        after_map.first().map(String::as_str),
        Some("static" | "TypeId")
    ) || after_map
        .iter()
        .any(|t| PLUMBING.iter().any(|suffix| t.ends_with(suffix)))
}

/// The `static ref NAME: Type` declarations inside `lazy_static!`.
fn macro_statics(tokens: TokenStream) -> Vec<(proc_macro2::Ident, Vec<String>)> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut found = Vec::new();
    let mut index = 0;
    while index < trees.len() {
        if matches!(&trees[index], TokenTree::Ident(i) if i == "static") {
            let mut cursor = index + 1;
            if matches!(trees.get(cursor), Some(TokenTree::Ident(i)) if i == "ref") {
                cursor += 1;
            }
            if let (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(colon))) =
                (trees.get(cursor), trees.get(cursor + 1))
                && colon.as_char() == ':'
            {
                let mut ty = Vec::new();
                let mut end = cursor + 2;
                while end < trees.len()
                    && !matches!(&trees[end], TokenTree::Punct(p) if p.as_char() == '=' || p.as_char() == ';')
                {
                    idents(TokenStream::from(trees[end].clone()), &mut ty);
                    end += 1;
                }
                found.push((name.clone(), ty));
                index = end;
                continue;
            }
        }
        index += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container_of(ty: &str) -> Option<String> {
        container(&type_tokens(&syn::parse_str::<Type>(ty).unwrap()))
    }

    #[test]
    fn maps_behind_locks_are_state() {
        assert_eq!(
            container_of("LazyLock<Mutex<HashMap<String, Session>>>").as_deref(),
            Some("Mutex<HashMap>")
        );
        assert_eq!(
            container_of("once_cell::sync::Lazy<tokio::sync::RwLock<BTreeMap<u64, User>>>")
                .as_deref(),
            Some("RwLock<BTreeMap>")
        );
        assert_eq!(
            container_of("OnceLock<Mutex<HashSet<String>>>").as_deref(),
            Some("Mutex<HashSet>")
        );
        assert_eq!(
            container_of("Lazy<DashMap<String, Cart>>").as_deref(),
            Some("DashMap")
        );
    }

    #[test]
    fn configuration_and_registries_are_not() {
        assert_eq!(container_of("OnceLock<Config>"), None);
        assert_eq!(container_of("LazyLock<HashMap<String, String>>"), None);
        assert_eq!(container_of("Mutex<Vec<u8>>"), None);
        assert_eq!(
            container_of("LazyLock<Mutex<HashMap<&'static str, Handler>>>"),
            None
        );
        assert_eq!(container_of("HashMap<String, Mutex<u32>>"), None);
        assert_eq!(
            container_of("LazyLock<Mutex<HashMap<String, mpsc::Sender<Call>>>>"),
            None
        );
    }
}
