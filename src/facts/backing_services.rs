//! Which literals name a backing service: connection URLs, libpq key-value strings and
//! `host:port` pairs on the well-known ports of databases, caches and brokers.

use std::net::{IpAddr, Ipv4Addr};

/// A backing service a literal points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackingTarget {
    /// What kind of service: `PostgreSQL`, `Redis`, `HTTP service`…
    pub service: &'static str,
    /// The environment variable such a setting usually comes from.
    pub conventional_var: &'static str,
    pub host: String,
}

struct Scheme {
    names: &'static [&'static str],
    service: &'static str,
    var: &'static str,
    port: Option<u16>,
}

const SCHEMES: &[Scheme] = &[
    Scheme {
        names: &["postgres", "postgresql"],
        service: "PostgreSQL",
        var: "DATABASE_URL",
        port: Some(5432),
    },
    Scheme {
        names: &["mysql", "mariadb"],
        service: "MySQL",
        var: "DATABASE_URL",
        port: Some(3306),
    },
    Scheme {
        names: &["sqlserver", "mssql"],
        service: "SQL Server",
        var: "DATABASE_URL",
        port: Some(1433),
    },
    Scheme {
        names: &["mongodb", "mongodb+srv"],
        service: "MongoDB",
        var: "MONGODB_URI",
        port: Some(27017),
    },
    Scheme {
        names: &["redis", "rediss", "valkey"],
        service: "Redis",
        var: "REDIS_URL",
        port: Some(6379),
    },
    Scheme {
        names: &["memcache", "memcached"],
        service: "Memcached",
        var: "MEMCACHED_URL",
        port: Some(11211),
    },
    Scheme {
        names: &["amqp", "amqps"],
        service: "RabbitMQ",
        var: "AMQP_URL",
        port: Some(5672),
    },
    Scheme {
        names: &["nats", "tls+nats"],
        service: "NATS",
        var: "NATS_URL",
        port: Some(4222),
    },
    Scheme {
        names: &["kafka"],
        service: "Kafka",
        var: "KAFKA_BROKERS",
        port: Some(9092),
    },
    Scheme {
        names: &["mqtt", "mqtts"],
        service: "MQTT broker",
        var: "MQTT_URL",
        port: Some(1883),
    },
    Scheme {
        names: &["clickhouse"],
        service: "ClickHouse",
        var: "CLICKHOUSE_URL",
        port: Some(9000),
    },
    Scheme {
        names: &["cassandra"],
        service: "Cassandra",
        var: "CASSANDRA_NODES",
        port: Some(9042),
    },
    Scheme {
        names: &["http", "https", "ws", "wss", "grpc", "grpcs"],
        service: "HTTP service",
        var: "<SERVICE>_URL",
        port: None,
    },
];

/// Top-level names that only resolve inside a private network.
const PRIVATE_SUFFIXES: &[&str] = &[
    ".localhost",
    ".local",
    ".internal",
    ".svc",
    ".cluster.local",
    ".lan",
    ".corp",
    ".home",
    ".intranet",
    ".consul",
    ".docker",
];

/// Words in a name that mark a URL as the service's own or a browser's (`allowed_origin`,
/// `redirect_url`, `PUBLIC_URL`), not a backing service it calls.
const OWN_ADDRESS_WORDS: &[&str] = &[
    "origin",
    "redirect",
    "callback",
    "issuer",
    "audience",
    "public",
    "external",
    "frontend",
    "homepage",
    "website",
    "site",
    "cors",
    "self",
    "link",
    "placeholder",
    "example",
    "dummy",
    "sample",
];

/// Whether one of the names a URL is given says it is not a backing service.
pub fn names_own_address<'n>(names: impl IntoIterator<Item = &'n str>) -> bool {
    names.into_iter().any(|name| {
        let name = name.to_ascii_lowercase();
        OWN_ADDRESS_WORDS.iter().any(|word| name.contains(word))
    })
}

impl BackingTarget {
    /// An HTTP-like URL: a backing service only when used as one.
    pub fn is_http(&self) -> bool {
        self.conventional_var == HTTP_VAR
    }
}

const HTTP_VAR: &str = "<SERVICE>_URL";

/// What backing service a literal names, if it is one. Prose, prefixes (`"postgres://"`) and
/// templates whose host is a placeholder name none.
pub fn classify(literal: &str) -> Option<BackingTarget> {
    let literal = literal.trim();
    if literal.contains("host=") && !literal.contains("://") {
        return key_value(literal);
    }
    if literal.chars().any(char::is_whitespace) {
        return None;
    }
    let without_jdbc = literal.strip_prefix("jdbc:").unwrap_or(literal);
    match without_jdbc.split_once("://") {
        Some((scheme, rest)) => url(&scheme.to_ascii_lowercase(), rest),
        None => host_port(literal),
    }
}

fn url(scheme: &str, rest: &str) -> Option<BackingTarget> {
    let known = SCHEMES.iter().find(|s| s.names.contains(&scheme))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    // Several hosts (`mongodb://a:27017,b:27017`): the first tells.
    let first = host_port.split(',').next().unwrap_or_default();
    let host = split_host(first);
    if host.is_empty() || host.contains(['{', '}', '$', '<', '>']) || is_unspecified(host) {
        return None;
    }
    if is_documentation_host(&host.to_ascii_lowercase()) {
        return None;
    }
    if known.port.is_none() && !is_private_host(host) {
        return None;
    }
    Some(BackingTarget {
        service: known.service,
        conventional_var: known.var,
        host: host.to_string(),
    })
}

/// `host=db port=5432 user=app dbname=orders` (libpq).
fn key_value(literal: &str) -> Option<BackingTarget> {
    let pairs: Vec<(&str, &str)> = literal
        .split_whitespace()
        .map(|pair| pair.split_once('='))
        .collect::<Option<_>>()?;
    let host = pairs.iter().find(|(k, _)| *k == "host")?.1;
    let looks_like_libpq = pairs
        .iter()
        .any(|(k, _)| matches!(*k, "dbname" | "user" | "port" | "sslmode"));
    if !looks_like_libpq || host.is_empty() || host.contains(['{', '}', '$']) {
        return None;
    }
    Some(BackingTarget {
        service: "PostgreSQL",
        conventional_var: "DATABASE_URL",
        host: host.to_string(),
    })
}

/// `localhost:6379`, `redis:6379`, `10.0.0.7:5432,10.0.0.8:5432`.
fn host_port(literal: &str) -> Option<BackingTarget> {
    let first = literal.split(',').next()?;
    let (host, port) = first.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let known = SCHEMES.iter().find(|s| s.port == Some(port))?;
    if host.is_empty() || is_unspecified(host) || !is_private_host(host) {
        return None;
    }
    let names_a_host =
        host.parse::<IpAddr>().is_ok() || host.chars().any(|c| c.is_ascii_alphabetic());
    if !names_a_host
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return None;
    }
    Some(BackingTarget {
        service: known.service,
        conventional_var: known.var,
        host: host.to_string(),
    })
}

fn split_host(host_port: &str) -> &str {
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    host_port.split(':').next().unwrap_or_default()
}

fn is_unspecified(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified())
}

/// Loopback, private addresses and names that resolve only inside a private network.
pub fn is_private_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || is_shared(v4),
            IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
        };
    }
    if is_documentation_host(&host) {
        return false;
    }
    host == "localhost"
        || host == "host.docker.internal"
        || !host.contains('.')
        || PRIVATE_SUFFIXES.iter().any(|suffix| host.ends_with(suffix))
}

/// Names reserved for documentation and tests (RFC 2606, RFC 6761): `example.com`,
/// `resource.example.local`, `db.test`.
fn is_documentation_host(host: &str) -> bool {
    host.split('.').any(|label| label == "example")
        || host.ends_with(".test")
        || host.ends_with(".invalid")
}

fn is_shared(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (64..128).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(literal: &str) -> Option<&'static str> {
        classify(literal).map(|target| target.service)
    }

    #[test]
    fn connection_urls_name_their_service() {
        assert_eq!(
            service("postgres://app:pw@db.internal:5432/orders"),
            Some("PostgreSQL")
        );
        assert_eq!(service("postgresql://localhost/orders"), Some("PostgreSQL"));
        assert_eq!(
            service("mysql://root@prod-db.abc.rds.amazonaws.com/x"),
            Some("MySQL")
        );
        assert_eq!(service("redis://127.0.0.1/"), Some("Redis"));
        assert_eq!(
            service("mongodb+srv://cluster0.mongodb.net/app"),
            Some("MongoDB")
        );
        assert_eq!(
            service("amqp://guest:guest@rabbitmq:5672/%2f"),
            Some("RabbitMQ")
        );
        assert_eq!(service("jdbc:postgresql://db:5432/x"), Some("PostgreSQL"));
        assert_eq!(
            service("host=localhost user=app dbname=orders"),
            Some("PostgreSQL")
        );
        assert_eq!(service("localhost:6379"), Some("Redis"));
        assert_eq!(service("kafka:9092,kafka2:9092"), Some("Kafka"));
    }

    #[test]
    fn internal_http_services_count_public_apis_do_not() {
        assert_eq!(service("http://localhost:8080/api"), Some("HTTP service"));
        assert_eq!(service("http://inventory:8080"), Some("HTTP service"));
        assert_eq!(
            service("http://users.default.svc.cluster.local/v1"),
            Some("HTTP service")
        );
        assert_eq!(service("http://10.1.2.3:9000"), Some("HTTP service"));
        assert_eq!(service("https://api.github.com/repos"), None);
        assert_eq!(service("https://hooks.slack.com/services/x"), None);
    }

    #[test]
    fn prefixes_templates_prose_and_bind_addresses_name_nothing() {
        assert_eq!(service("postgres://"), None);
        assert_eq!(service("postgres://{}:{}@{}/{}"), None);
        assert_eq!(service("redis://${REDIS_HOST}"), None);
        assert_eq!(service("connect to postgres://localhost/x first"), None);
        assert_eq!(service("http://0.0.0.0:8080"), None);
        assert_eq!(service("0.0.0.0:5432"), None);
        assert_eq!(service("127.0.0.1:8080"), None);
        assert_eq!(service("api.example.com:5432"), None);
        assert_eq!(service("sqlite://data.db"), None);
        assert_eq!(service("12:30"), None);
        assert_eq!(service("https://resource.example.local"), None);
        assert_eq!(service("postgres://db.example.com/app"), None);
        assert_eq!(service("redis://cache.test:6379"), None);
        assert_eq!(service("10:5432"), None);
        assert_eq!(service("set host=db dbname=x before starting"), None);
        assert_eq!(
            service("postgres://db.internal/x?host=/run/pg"),
            Some("PostgreSQL")
        );
    }
}
