#!/usr/bin/env python3
"""Writes a synthetic Cargo workspace of about LINES lines of Rust, with deployment files.

    bench/generate.py LINES OUTDIR

The code is shaped like real services: config structs, handlers, routers, clients, matches,
closures, string literals, env reads, tests. The output is deterministic for a given LINES.
"""
import os
import random
import sys

FILE_LINES = 400
FILES_PER_CRATE = 25

MODULE = '''use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{{Deserialize, Serialize}};

/// Settings for part {n} of the service.
#[derive(Clone, Debug, Deserialize)]
pub struct Settings{n} {{
    pub database_url: String,
    pub cache_ttl: u64,
    #[serde(default = "default_limit_{n}")]
    pub limit: usize,
}}

fn default_limit_{n}() -> usize {{
    {n} * 10
}}

impl Settings{n} {{
    pub fn from_env() -> anyhow::Result<Self> {{
        Ok(Self {{
            database_url: std::env::var("DATABASE_URL")?,
            cache_ttl: std::env::var("CACHE_TTL").ok().and_then(|v| v.parse().ok()).unwrap_or(60),
            limit: default_limit_{n}(),
        }})
    }}
}}
'''

BLOCK = '''
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Item{n}_{i} {{
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub price_cents: i64,
}}

pub async fn handle_{n}_{i}(state: Arc<HashMap<u64, Item{n}_{i}>>, id: u64) -> Result<String, String> {{
    let item = state.get(&id).ok_or_else(|| format!("item {{id}} not found"))?;
    let total: i64 = item.tags.iter().map(|t| t.len() as i64).sum::<i64>() + item.price_cents;
    match total {{
        0 => Ok("free".to_string()),
        n if n < 100 => Ok(format!("cheap: {{}} ({{}})", item.name, n)),
        n => {{
            tracing::info!(id, total = n, "expensive item");
            Ok(format!("{{}} costs {{}}", item.name, n))
        }}
    }}
}}

pub fn summarize_{n}_{i}(items: &[Item{n}_{i}]) -> HashMap<String, usize> {{
    let mut counts = HashMap::new();
    for item in items.iter().filter(|item| item.price_cents > {i}) {{
        for tag in &item.tags {{
            *counts.entry(tag.clone()).or_insert(0) += 1;
        }}
    }}
    let timeout = Duration::from_millis({i} * 7 + 250);
    let _ = timeout;
    counts
}}
'''

TESTS = '''
#[cfg(test)]
mod tests {{
    use super::*;

    #[test]
    fn default_limit_is_positive() {{
        assert!(default_limit_{n}() > 0 || {n} == 0);
    }}
}}
'''

MAIN = '''mod routes;
{mods}

#[tokio::main]
async fn main() -> anyhow::Result<()> {{
    tracing_subscriber::fmt().json().init();
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    axum::serve(listener, routes::router()).await?;
    Ok(())
}}
'''

ROUTES = '''use axum::routing::get;
use axum::Router;

pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/items/:id", get(|| async { "item" }))
}
'''

DOCKERFILE = '''FROM rust:1.82-slim AS builder
WORKDIR /app
COPY . .
RUN cargo build --release --locked --bin {name}

FROM gcr.io/distroless/cc-debian12
COPY --from=builder /app/target/release/{name} /usr/local/bin/{name}
USER nonroot
ENTRYPOINT ["/usr/local/bin/{name}"]
'''

DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
          ports:
            - containerPort: 8080
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {name}-db
                  key: url
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
'''


def module(n, rng):
    parts = [MODULE.format(n=n)]
    i = 0
    while sum(p.count("\n") for p in parts) < FILE_LINES - 12:
        parts.append(BLOCK.format(n=n, i=i))
        i += 1
    if rng.random() < 0.5:
        parts.append(TESTS.format(n=n))
    return "".join(parts)


def main():
    lines, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(lines)
    files = max(1, lines // FILE_LINES)
    crates = max(1, (files + FILES_PER_CRATE - 1) // FILES_PER_CRATE)
    os.makedirs(out, exist_ok=True)
    names = [f"svc-{c:03}" for c in range(crates)]
    with open(os.path.join(out, "Cargo.toml"), "w") as f:
        f.write('[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n')
    written = 0
    for c, name in enumerate(names):
        root = os.path.join(out, "crates", name)
        os.makedirs(os.path.join(root, "src"), exist_ok=True)
        os.makedirs(os.path.join(root, "deploy"), exist_ok=True)
        with open(os.path.join(root, "Cargo.toml"), "w") as f:
            f.write(f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
                    'axum = "0.7"\nanyhow = "1"\nserde = { version = "1", features = ["derive"] }\n'
                    'tokio = { version = "1", features = ["full"] }\ntracing = "0.1"\n')
        count = min(FILES_PER_CRATE, files - written)
        mods = []
        for m in range(count):
            n = c * FILES_PER_CRATE + m
            with open(os.path.join(root, "src", f"part_{m:03}.rs"), "w") as f:
                f.write(module(n, rng))
            mods.append(f"mod part_{m:03};")
        written += count
        with open(os.path.join(root, "src", "main.rs"), "w") as f:
            f.write(MAIN.format(mods="\n".join(mods)))
        with open(os.path.join(root, "src", "routes.rs"), "w") as f:
            f.write(ROUTES)
        with open(os.path.join(root, "Dockerfile"), "w") as f:
            f.write(DOCKERFILE.format(name=name))
        with open(os.path.join(root, "deploy", "deployment.yaml"), "w") as f:
            f.write(DEPLOYMENT.format(name=name))


if __name__ == "__main__":
    main()
