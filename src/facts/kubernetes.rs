//! What rules need to know about the Kubernetes ecosystem beyond the core API: ingress
//! controllers' affinity annotations, images of stateful backing services, host paths that
//! hold the node's own files rather than application state.

/// An annotation that turns on sticky sessions, if `key` and `value` are one: returns the
/// controller it belongs to.
///
/// - ingress-nginx: `nginx.ingress.kubernetes.io/affinity: cookie`
/// - HAProxy ingress: `haproxy.org/cookie-persistence: <name>`,
///   `haproxy-ingress.github.io/affinity: cookie`, `ingress.kubernetes.io/affinity: cookie`
/// - Traefik: `traefik.ingress.kubernetes.io/affinity: "true"` (v1),
///   `traefik.ingress.kubernetes.io/service.sticky.cookie: "true"` (v2+, on the Service)
/// - AWS Load Balancer Controller: `stickiness.enabled=true` in
///   `alb.ingress.kubernetes.io/target-group-attributes`
pub fn sticky_annotation(key: &str, value: &str) -> Option<&'static str> {
    let value = value.trim();
    let is_true = value.eq_ignore_ascii_case("true");
    match key {
        "nginx.ingress.kubernetes.io/affinity" if value.eq_ignore_ascii_case("cookie") => {
            Some("ingress-nginx")
        }
        "ingress.kubernetes.io/affinity" | "haproxy-ingress.github.io/affinity"
            if value.eq_ignore_ascii_case("cookie") =>
        {
            Some("HAProxy ingress")
        }
        "haproxy.org/cookie-persistence" if !value.is_empty() => Some("HAProxy ingress"),
        "traefik.ingress.kubernetes.io/affinity"
        | "traefik.ingress.kubernetes.io/service.sticky.cookie"
        | "traefik.ingress.kubernetes.io/service.sticky"
            if is_true =>
        {
            Some("Traefik")
        }
        "alb.ingress.kubernetes.io/target-group-attributes"
            if value.split(',').any(|attribute| {
                attribute
                    .trim()
                    .eq_ignore_ascii_case("stickiness.enabled=true")
            }) =>
        {
            Some("the AWS Load Balancer Controller")
        }
        _ => None,
    }
}

/// The backing service a container image runs, for images of databases, caches and brokers
/// (`postgres:16`, `docker.io/bitnami/redis:7`, `mongo`): they keep state and do not scale
/// by adding identical replicas.
pub fn stateful_image(image: &str) -> Option<&'static str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let name = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
    const STATEFUL: &[(&str, &str)] = &[
        ("postgres", "PostgreSQL"),
        ("postgresql", "PostgreSQL"),
        ("postgis", "PostgreSQL"),
        ("pgautoupgrade", "PostgreSQL"),
        ("mysql", "MySQL"),
        ("mariadb", "MariaDB"),
        ("mongo", "MongoDB"),
        ("mongodb", "MongoDB"),
        ("mongodb-community-server", "MongoDB"),
        ("redis", "Redis"),
        ("redis-stack", "Redis"),
        ("redis-stack-server", "Redis"),
        ("redis-cluster", "Redis"),
        ("valkey", "Valkey"),
        ("keydb", "KeyDB"),
        ("memcached", "Memcached"),
        ("rabbitmq", "RabbitMQ"),
        ("kafka", "Kafka"),
        ("zookeeper", "ZooKeeper"),
        ("nats", "NATS"),
        ("elasticsearch", "Elasticsearch"),
        ("opensearch", "OpenSearch"),
        ("cassandra", "Cassandra"),
        ("clickhouse-server", "ClickHouse"),
        ("clickhouse", "ClickHouse"),
        ("influxdb", "InfluxDB"),
        ("minio", "MinIO"),
        ("etcd", "etcd"),
        ("consul", "Consul"),
        ("cockroach", "CockroachDB"),
        ("neo4j", "Neo4j"),
        ("couchdb", "CouchDB"),
        ("qdrant", "Qdrant"),
    ];
    STATEFUL
        .iter()
        .find(|(image, _)| name == *image)
        .map(|(_, service)| *service)
}

/// Host paths that hold the node's own files, mounted to read configuration or talk to the
/// node (time zone, CA certificates, kernel interfaces, sockets), not to keep application
/// state.
pub fn is_node_system_path(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    if path.ends_with(".sock") || path.ends_with(".socket") {
        return true;
    }
    const SYSTEM: &[&str] = &[
        "/etc/localtime",
        "/etc/timezone",
        "/usr/share/zoneinfo",
        "/etc/ssl",
        "/etc/pki",
        "/etc/ca-certificates",
        "/usr/share/ca-certificates",
        "/etc/machine-id",
        "/etc/os-release",
        "/proc",
        "/sys",
        "/dev",
        "/lib/modules",
        "/run/udev",
    ];
    SYSTEM
        .iter()
        .any(|system| path == *system || path.starts_with(&format!("{system}/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sticky_annotations() {
        assert!(sticky_annotation("nginx.ingress.kubernetes.io/affinity", "cookie").is_some());
        assert!(
            sticky_annotation("nginx.ingress.kubernetes.io/affinity-mode", "balanced").is_none()
        );
        assert!(
            sticky_annotation(
                "alb.ingress.kubernetes.io/target-group-attributes",
                "deregistration_delay.timeout_seconds=30,stickiness.enabled=true"
            )
            .is_some()
        );
        assert!(
            sticky_annotation(
                "alb.ingress.kubernetes.io/target-group-attributes",
                "stickiness.enabled=false"
            )
            .is_none()
        );
        assert!(
            sticky_annotation(
                "traefik.ingress.kubernetes.io/service.sticky.cookie",
                "false"
            )
            .is_none()
        );
    }

    #[test]
    fn stateful_images() {
        assert_eq!(stateful_image("redis:alpine"), Some("Redis"));
        assert_eq!(
            stateful_image("docker.io/bitnami/postgresql:16"),
            Some("PostgreSQL")
        );
        assert_eq!(stateful_image("mongo@sha256:abc"), Some("MongoDB"));
        assert_eq!(stateful_image("registry.example.com/orders-api:1.0"), None);
        assert_eq!(stateful_image("redis-exporter:1"), None);
        assert_eq!(stateful_image("pgbouncer:1"), None);
    }

    #[test]
    fn system_paths() {
        assert!(is_node_system_path("/var/run/docker.sock"));
        assert!(is_node_system_path("/etc/ssl/certs"));
        assert!(!is_node_system_path("/var/lib/app"));
        assert!(!is_node_system_path("/data"));
    }
}
