//! What a secret looks like: names that hold one, values that are one (key formats, passwords in
//! URLs), and the placeholders that are not. Shared by the rules that look for secrets in code,
//! `.env` files, images and manifests.

/// Words that make a name secret on their own.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
    "bearer",
];

/// Adjacent words that make a name secret: `api_key`, `signingKey`, `ACCESS_KEY`.
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("signing", "key"),
    ("access", "key"),
    ("encryption", "key"),
    ("master", "key"),
    ("hmac", "key"),
    ("jwt", "key"),
    ("cookie", "key"),
    ("session", "key"),
    ("auth", "key"),
    ("app", "key"),
    ("account", "key"),
    ("sas", "key"),
    ("license", "key"),
    ("client", "key"),
];

/// A last word that makes the name about a secret rather than the secret itself:
/// `password_hash`, `token_url`, `secret_name`, `api_key_header`.
const ABOUT_A_SECRET: &[&str] = &[
    "name",
    "names",
    "id",
    "ids",
    "url",
    "urls",
    "uri",
    "endpoint",
    "path",
    "paths",
    "file",
    "files",
    "dir",
    "directory",
    "header",
    "headers",
    "type",
    "kind",
    "field",
    "fields",
    "env",
    "var",
    "variable",
    "len",
    "length",
    "size",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "exp",
    "lifetime",
    "duration",
    "timeout",
    "age",
    "count",
    "limit",
    "prefix",
    "suffix",
    "format",
    "regex",
    "pattern",
    "hash",
    "hashed",
    "digest",
    "salt",
    "policy",
    "rule",
    "rules",
    "label",
    "hint",
    "placeholder",
    "param",
    "parameter",
    "column",
    "table",
    "query",
    "template",
    "version",
    "algorithm",
    "alg",
    "location",
    "source",
    "ref",
    "reference",
    "provider",
    "store",
    "manager",
    "mount",
    "error",
    "err",
    "message",
    "msg",
    "prompt",
    "required",
    "enabled",
    "flag",
    "check",
    "validator",
    "chars",
    "charset",
    "strength",
    "min",
    "max",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "index",
    "offset",
    "mode",
    "method",
    "strategy",
    "backend",
    "cache",
    "encoding",
    "arn",
    "key_ref",
    "selector",
    "resource",
    "usage",
    "type_",
    "kid",
    "lookup",
    "generator",
    "command",
    "cmd",
];

/// A first word that makes the name about something else: `next_token`, `page_token`,
/// `cancel_token` are not credentials.
const NOT_A_CREDENTIAL_PREFIX: &[&str] = &[
    "next",
    "page",
    "continuation",
    "cancel",
    "cancellation",
    "resume",
    "sync",
    "idempotency",
    "request",
    "trace",
    "pagination",
    "cursor",
    "public",
    "is",
    "has",
    "no",
    "use",
    "forgot",
    "reset",
];

/// Splits an identifier, header or variable name into lowercase words: `JWT_SECRET`,
/// `apiKey`, `X-Api-Key`, `APIKey` all split the way a reader would.
pub fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = match previous {
            Some(p) if c.is_uppercase() && p.is_lowercase() => true,
            Some(p) if c.is_uppercase() && p.is_uppercase() => {
                next.is_some_and(|n| n.is_lowercase())
            }
            Some(p) if c.is_ascii_digit() != p.is_ascii_digit() && p.is_alphanumeric() => {
                // `sha256` stays one word; `key2` splits.
                c.is_ascii_digit() && current.len() > 3
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a binding, field, function, type, header or variable name holds a secret:
/// `password`, `db_passwd`, `JWT_SECRET`, `apiKey`, `x-api-key`, `GITHUB_TOKEN`,
/// `client_secret`, `SigningKey`. Names *about* a secret are not: `password_hash`, `token_url`,
/// `secret_name`, `next_page_token`.
pub fn is_secret_name(name: &str) -> bool {
    let mut words = words(name);
    // `TOKEN_PREFIX_V1`, `API_KEY_2`: a version or number says nothing about what the name holds.
    while words.len() > 1
        && words.last().is_some_and(|w| {
            w.trim_start_matches('v')
                .chars()
                .all(|c| c.is_ascii_digit())
        })
    {
        words.pop();
    }
    let Some(last) = words.last() else {
        return false;
    };
    if ABOUT_A_SECRET.contains(&last.as_str()) {
        return false;
    }
    if words
        .first()
        .is_some_and(|first| NOT_A_CREDENTIAL_PREFIX.contains(&first.as_str()))
    {
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|pair| SECRET_PAIRS.contains(&(pair[0].as_str(), pair[1].as_str())))
}

/// Whether an environment variable's name holds a secret: a secret name, or the `_PASS`/`_PWD`
/// ending variables use for passwords (`RABBITMQ_DEFAULT_PASS`, `SMTP_PWD`; not `PWD`, the
/// shell's working directory).
pub fn is_secret_variable(name: &str) -> bool {
    if is_secret_name(name) {
        return true;
    }
    let words = words(name);
    words.len() > 1
        && words
            .last()
            .is_some_and(|last| matches!(last.as_str(), "pass" | "pwd"))
}

/// Words a placeholder or a made-up development value is built from: `changeme`,
/// `my-super-secret-key`, `dev-secret-do-not-use`, `your_api_key_here`, `x-api-key`.
const PLACEHOLDER_WORDS: &[&str] = &[
    "a",
    "abc",
    "access",
    "admin",
    "and",
    "api",
    "app",
    "auth",
    "authorization",
    "bar",
    "baz",
    "bearer",
    "change",
    "changeit",
    "changeme",
    "client",
    "cookie",
    "csrf",
    "default",
    "dev",
    "development",
    "do",
    "dummy",
    "empty",
    "example",
    "fake",
    "fixme",
    "foo",
    "foobar",
    "for",
    "guest",
    "here",
    "hidden",
    "id",
    "in",
    "insecure",
    "insert",
    "it",
    "jwt",
    "key",
    "local",
    "localdev",
    "long",
    "me",
    "minioadmin",
    "mock",
    "mongo",
    "my",
    "mysql",
    "none",
    "not",
    "null",
    "only",
    "pass",
    "passwd",
    "password",
    "placeholder",
    "postgres",
    "private",
    "prod",
    "production",
    "qux",
    "rabbitmq",
    "random",
    "redacted",
    "redis",
    "refresh",
    "replace",
    "replaceme",
    "root",
    "sample",
    "secret",
    "session",
    "set",
    "signing",
    "some",
    "string",
    "super",
    "test",
    "testing",
    "the",
    "this",
    "tbd",
    "todo",
    "token",
    "undefined",
    "unsafe",
    "unused",
    "unverified",
    "ignored",
    "noop",
    "use",
    "user",
    "value",
    "very",
    "with",
    "x",
    "xsrf",
    "xyz",
    "you",
    "your",
];

/// Words that mark a value as a placeholder wherever they stand in it.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "replaceme",
    "dummy",
    "redacted",
    "xxxx",
    "notreal",
    "your_",
    "your-",
    "yourkey",
    "yoursecret",
    "yourtoken",
];

/// Whether a value stands in for a secret instead of being one: empty, a template
/// (`${DB_PASSWORD}`, `{{ .token }}`, `<token>`, `{}`), a reference (`/run/secrets/db`,
/// `vault:…`, an environment variable's name), a repeated character (`xxxx`, `****`), or made
/// only of placeholder words (`changeme`, `password`, `my-secret-key`, `test`, `dev-secret`).
pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    if value.chars().count() < 4 {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    if value.contains("${")
        || value.contains("{{")
        || value.contains("{}")
        || value.contains("%s")
        || value.contains("%(")
        || (value.starts_with('<') && value.ends_with('>'))
        || (value.starts_with('{') && value.ends_with('}'))
        || (value.starts_with('[') && value.ends_with(']'))
        || value.starts_with('$')
    {
        return true;
    }
    if is_reference(&lower) {
        return true;
    }
    let mut chars = value.chars();
    let first = chars.next().unwrap_or(' ');
    if chars.all(|c| c == first) {
        return true;
    }
    if PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    if looks_like_variable_name(value) {
        return true;
    }
    let segments: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect();
    if segments
        .iter()
        .any(|s| matches!(*s, "test" | "testing" | "sample" | "fake" | "mock" | "todo"))
    {
        return true;
    }
    segments
        .iter()
        .all(|segment| made_of_placeholder_words(segment))
}

/// A placeholder or a local development default (`postgres`, `guest`, `dev-secret`): the same
/// judgement as [`is_placeholder`], under the name the Dockerfile facts use.
pub fn is_dev_default(value: &str) -> bool {
    is_placeholder(value)
}

/// A path, URL without credentials, or a pointer into a secret store.
fn is_reference(lower: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "/",
        "./",
        "../",
        "~/",
        "file:",
        "env:",
        "vault:",
        "arn:",
        "secret:",
        "secrets:",
        "sm://",
        "gcp:",
        "azure:",
        "ssm:",
        "op://",
        "keyring:",
        "projects/",
    ];
    const SUFFIXES: &[&str] = &[
        ".pem", ".key", ".crt", ".cer", ".der", ".p12", ".pfx", ".jks", ".json", ".txt", ".toml",
        ".yaml", ".yml",
    ];
    PREFIXES.iter().any(|p| lower.starts_with(p))
        || SUFFIXES.iter().any(|s| lower.ends_with(s))
        || (lower.contains("://") && url_credentials(lower).is_none())
}

/// `DB_PASSWORD`, `API_KEY`: an environment variable's name, not its value.
fn looks_like_variable_name(value: &str) -> bool {
    value.contains('_')
        && !value.starts_with('_')
        && !value.ends_with('_')
        && !value.contains("__")
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && value.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

/// Whether a lowercase run of letters and digits splits entirely into placeholder words and
/// short numbers: `mysecretpassword`, `secret123`, `changeme`.
fn made_of_placeholder_words(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let mut reachable = vec![false; bytes.len() + 1];
    reachable[0] = true;
    for start in 0..bytes.len() {
        if !reachable[start] {
            continue;
        }
        let digits = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        for len in 1..=digits.min(4) {
            reachable[start + len] = true;
        }
        for word in PLACEHOLDER_WORDS {
            if segment[start..].starts_with(word) {
                reachable[start + word.len()] = true;
            }
        }
    }
    reachable[bytes.len()]
}

/// A credential recognised by its format, with its byte range in the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMatch {
    pub what: &'static str,
    pub range: std::ops::Range<usize>,
}

/// Well-known credential formats, found anywhere in a value: PEM private keys, AWS access key
/// ids, GitHub, GitLab, Slack, Stripe, Google, SendGrid and npm tokens, signed JWTs. Documentation
/// examples (`AKIAIOSFODNN7EXAMPLE`) and masked values (`ghp_xxxx…`) are not matches.
pub fn key_format(value: &str) -> Option<KeyMatch> {
    // The shortest format is a Slack token: `xoxb-` and ten more characters.
    if value.len() < 15 {
        return None;
    }
    let found = private_key(value).or_else(|| token_format(value))?;
    let text = &value[found.range.clone()];
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|m| text.to_ascii_lowercase().contains(m))
    {
        return None;
    }
    Some(found)
}

/// `-----BEGIN … PRIVATE KEY-----` followed by key material; the header alone (a parser
/// looking for it) is not a key.
fn private_key(value: &str) -> Option<KeyMatch> {
    let start = value.find("-----BEGIN ")?;
    let header_end = start
        + value[start..].find("-----\n").or_else(|| {
            value[start + 11..]
                .find("-----")
                .map(|i| i + 11)
                .filter(|_| value[start..].contains("PRIVATE KEY"))
        })?;
    let header = &value[start..header_end];
    if !header.contains("PRIVATE KEY") {
        return None;
    }
    let body_start = value[header_end..].find('-').map(|_| header_end + 5)?;
    let body_end = value[body_start..]
        .find("-----END")
        .map_or(value.len(), |i| body_start + i);
    let material = value[body_start.min(body_end)..body_end]
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .count();
    (material >= 32).then(|| KeyMatch {
        what: "a private key",
        range: start
            ..value[body_end..]
                .find("KEY-----")
                .map_or(body_end, |i| body_end + i + 8),
    })
}

/// Token formats: a fixed prefix and a run of characters of a known alphabet and length.
fn token_format(value: &str) -> Option<KeyMatch> {
    struct Format {
        prefixes: &'static [&'static str],
        min: usize,
        alphabet: fn(char) -> bool,
        what: &'static str,
    }
    fn alnum(c: char) -> bool {
        c.is_ascii_alphanumeric()
    }
    fn upper_alnum(c: char) -> bool {
        c.is_ascii_uppercase() || c.is_ascii_digit()
    }
    fn url_safe(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    }
    const FORMATS: &[Format] = &[
        Format {
            prefixes: &["AKIA", "ASIA"],
            min: 16,
            alphabet: upper_alnum,
            what: "an AWS access key id",
        },
        Format {
            prefixes: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
            min: 36,
            alphabet: alnum,
            what: "a GitHub token",
        },
        Format {
            prefixes: &["github_pat_"],
            min: 40,
            alphabet: url_safe,
            what: "a GitHub token",
        },
        Format {
            prefixes: &["glpat-"],
            min: 20,
            alphabet: url_safe,
            what: "a GitLab token",
        },
        Format {
            prefixes: &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
            min: 10,
            alphabet: url_safe,
            what: "a Slack token",
        },
        Format {
            prefixes: &["sk_live_", "rk_live_"],
            min: 16,
            alphabet: alnum,
            what: "a Stripe live key",
        },
        Format {
            prefixes: &["AIza"],
            min: 35,
            alphabet: url_safe,
            what: "a Google API key",
        },
        Format {
            prefixes: &["npm_"],
            min: 36,
            alphabet: alnum,
            what: "an npm token",
        },
        Format {
            prefixes: &["SG."],
            min: 60,
            alphabet: |c| url_safe(c) || c == '.',
            what: "a SendGrid API key",
        },
        Format {
            prefixes: &["https://hooks.slack.com/services/T"],
            min: 20,
            alphabet: |c| c.is_ascii_alphanumeric() || c == '/',
            what: "a Slack webhook URL",
        },
    ];
    for format in FORMATS {
        for prefix in format.prefixes {
            for (start, _) in value.match_indices(prefix) {
                // A token starts a word: `AKIA…` inside a longer identifier is not one.
                if value[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    continue;
                }
                let rest = &value[start + prefix.len()..];
                let len = rest.chars().take_while(|&c| (format.alphabet)(c)).count();
                if len >= format.min {
                    return Some(KeyMatch {
                        what: format.what,
                        range: start..start + prefix.len() + len,
                    });
                }
            }
        }
    }
    jwt(value)
}

/// `eyJ….eyJ….signature`: a signed JSON Web Token.
fn jwt(value: &str) -> Option<KeyMatch> {
    let start = value.find("eyJ")?;
    let rest = &value[start..];
    let len = rest
        .chars()
        .take_while(|&c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        .count();
    let token = &rest[..len];
    let parts: Vec<&str> = token.split('.').collect();
    (parts.len() == 3 && parts[1].starts_with("eyJ") && parts.iter().all(|p| p.len() >= 8)).then(
        || KeyMatch {
            what: "a signed JWT",
            range: start..start + len,
        },
    )
}

/// The password of a URL's user info (`postgres://app:s3cret@db/orders`), with its byte range,
/// when it is a real one: not empty, not a template, not the user name again, not a placeholder
/// (`password`, `postgres`, `guest`, `changeme`).
pub fn url_password(value: &str) -> Option<std::ops::Range<usize>> {
    let (user, range) = url_credentials(value)?;
    let password = &value[range.clone()];
    if password == user || is_placeholder(password) || password.starts_with(':') {
        return None;
    }
    Some(range)
}

/// The user and the range of the password in `scheme://user:password@host…`.
fn url_credentials(value: &str) -> Option<(&str, std::ops::Range<usize>)> {
    let scheme_end = value.find("://")?;
    let scheme = &value[..scheme_end];
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let authority_start = scheme_end + 3;
    let authority_len = value[authority_start..]
        .find(['/', '?', '#', ' ', '"', '\''])
        .unwrap_or(value.len() - authority_start);
    let authority = &value[authority_start..authority_start + authority_len];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let colon = userinfo.find(':')?;
    let password_start = authority_start + colon + 1;
    let password_end = authority_start + at;
    (password_end > password_start).then_some((&userinfo[..colon], password_start..password_end))
}

/// Authorization schemes a header value starts with.
const AUTH_SCHEMES: &[&str] = &["Bearer ", "bearer ", "Basic ", "Token ", "token ", "Bot "];

/// The credential of an `Authorization` header value (`Bearer eyJ…`, `Basic dXNlcjpwYXNz`),
/// with its range, when it is a literal credential and not a placeholder.
pub fn authorization_credential(value: &str) -> Option<std::ops::Range<usize>> {
    let scheme = AUTH_SCHEMES.iter().find(|s| value.starts_with(*s))?;
    let credential = &value[scheme.len()..];
    let plausible = credential.len() >= 8
        && credential.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '=' | '~')
        });
    (plausible && !is_placeholder(credential)).then_some(scheme.len()..value.len())
}

/// Whether a literal given to a secret-named place is a real secret: not a placeholder, not
/// prose (it has no spaces), not a URL without credentials.
pub fn is_secret_value(value: &str) -> bool {
    !value.trim().contains(char::is_whitespace) && !is_placeholder(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_like_a_reader_splits_them() {
        assert_eq!(words("JWT_SECRET"), ["jwt", "secret"]);
        assert_eq!(words("apiKey"), ["api", "key"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("X-Api-Key"), ["x", "api", "key"]);
        assert_eq!(words("HmacSha256"), ["hmac", "sha256"]);
        assert_eq!(words("signing_key2"), ["signing", "key2"]);
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "db_password",
            "DB_PASSWD",
            "JWT_SECRET",
            "client_secret",
            "apiKey",
            "api_key",
            "APIKEY",
            "x-api-key",
            "GITHUB_TOKEN",
            "access_token",
            "SigningKey",
            "private_key",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID_SECRET",
            "with_password",
            "bearer_auth",
            "SECRET_KEY_BASE",
            "hmac_key",
            "passphrase",
        ] {
            assert!(is_secret_name(name), "{name} should be secret");
        }
        for name in [
            "password_hash",
            "token_url",
            "secret_name",
            "next_page_token",
            "next_token",
            "api_key_header",
            "key",
            "username",
            "tokenizer",
            "cancellation_token",
            "PASSWORD_MIN_LENGTH",
            "secret_ref",
            "token_ttl",
            "public_key",
            "is_password",
            "forgot_password_url",
            "reset_password",
            "AWS_ACCESS_KEY_ID",
            "AUTOCONFIG_TOKEN_PREFIX_V1",
        ] {
            assert!(!is_secret_name(name), "{name} should not be secret");
        }
    }

    #[test]
    fn secret_variables() {
        assert!(is_secret_variable("RABBITMQ_DEFAULT_PASS"));
        assert!(is_secret_variable("SMTP_PWD"));
        assert!(is_secret_variable("JWT_SECRET"));
        assert!(!is_secret_variable("PWD"));
        assert!(!is_secret_variable("BYPASS"));
    }

    #[test]
    fn placeholders_are_not_secrets() {
        for value in [
            "",
            "changeme",
            "password",
            "secret",
            "xxx",
            "xxxxxxxxxxxx",
            "********",
            "<your-token>",
            "${DB_PASSWORD}",
            "{{ .Values.token }}",
            "example",
            "dummy",
            "test",
            "my-super-secret-key",
            "mysecretpassword",
            "secret123",
            "dev-secret-do-not-use-in-production",
            "your_api_key_here",
            "DB_PASSWORD",
            "x-api-key",
            "/run/secrets/db_password",
            "vault:secret/data/orders#password",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "AKIAIOSFODNN7EXAMPLE",
            "postgres",
            "{}",
            "unused",
        ] {
            assert!(is_placeholder(value), "{value:?} should be a placeholder");
        }
        for value in [
            "hunter2!",
            "s3cr3t-Pa55",
            "9f86d081884c7d659a2feaa0c55ad015",
            "Tr0ub4dor&3",
            "correcthorsebatterystaple",
            "sk_live_51HxQ2bK",
        ] {
            assert!(!is_placeholder(value), "{value:?} should be a secret");
        }
    }

    #[test]
    fn key_formats_are_found_where_they_stand() {
        let aws = "id=AKIAZ7Q2LMNOPQRS3TUV;";
        let found = key_format(aws).unwrap();
        assert_eq!(found.what, "an AWS access key id");
        assert_eq!(&aws[found.range], "AKIAZ7Q2LMNOPQRS3TUV");
        assert!(key_format("AKIAIOSFODNN7EXAMPLE").is_none());
        assert!(key_format("XAKIAZ7Q2LMNOPQRS3TUV").is_none());
        let github = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";
        assert_eq!(key_format(github).unwrap().what, "a GitHub token");
        assert!(key_format("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").is_none());
        assert_eq!(
            key_format("xoxb-123456789012-abcdefghij").unwrap().what,
            "a Slack token"
        );
        assert_eq!(key_format("xoxb-1234567890").unwrap().what, "a Slack token");
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7Vb1Yq2xZ9kLmNoPqRsTuVwXyZ0123456789abc\n-----END RSA PRIVATE KEY-----\n";
        let found = key_format(pem).unwrap();
        assert_eq!(found.what, "a private key");
        assert!(pem[found.range].ends_with("PRIVATE KEY-----"));
        assert!(key_format("-----BEGIN PRIVATE KEY-----").is_none());
        assert!(key_format("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----").is_none());
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(key_format(jwt).unwrap().what, "a signed JWT");
    }

    #[test]
    fn passwords_in_urls() {
        let url = "postgres://orders:Zq8-fT2m@db.internal:5432/orders";
        assert_eq!(&url[url_password(url).unwrap()], "Zq8-fT2m");
        for url in [
            "postgres://postgres:password@localhost/newsletter",
            "postgres://postgres:postgres@localhost/db",
            "amqp://guest:guest@rabbit:5672",
            "postgres://app:${DB_PASSWORD}@db/app",
            "postgres://{}:{}@{}/app",
            "redis://cache:6379",
            "postgres://user@db/app",
            "https://example.com/a:b@c",
        ] {
            assert!(url_password(url).is_none(), "{url}");
        }
    }

    /// Any text, multi-byte characters included, is judged without a panic, and ranges fall on
    /// character boundaries.
    #[test]
    fn survives_any_text() {
        const PIECES: &[&str] = &[
            "-----BEGIN ",
            "RSA ",
            "PRIVATE KEY-----",
            "\n",
            "-----END",
            "KEY-----",
            "MIIE",
            "é",
            "💥",
            "AKIA",
            "ghp_",
            "xoxb-",
            "eyJ",
            ".",
            "://",
            ":",
            "@",
            "/",
            "Bearer ",
            "sk_live_",
            "Zq8",
            "0123456789abcdef",
            "_",
            "-",
            " ",
            "${",
            "}",
            "<",
            ">",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..4000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut value = String::new();
            for step in 0..(seed % 20) {
                let index = (seed.rotate_left(step as u32 * 3) % PIECES.len() as u64) as usize;
                value.push_str(PIECES[index]);
            }
            for range in [
                key_format(&value).map(|m| m.range),
                url_password(&value),
                authorization_credential(&value),
            ]
            .into_iter()
            .flatten()
            {
                assert!(value.get(range).is_some(), "{value:?}");
            }
            let _ = (
                is_placeholder(&value),
                is_secret_name(&value),
                words(&value),
            );
        }
    }

    #[test]
    fn authorization_values() {
        let value = "Bearer 8f3b2a1c9d7e6f5a";
        assert_eq!(
            &value[authorization_credential(value).unwrap()],
            "8f3b2a1c9d7e6f5a"
        );
        assert!(authorization_credential("Bearer <token>").is_none());
        assert!(authorization_credential("Bearer {}").is_none());
        assert!(authorization_credential("Bearer realm=\"api\"").is_none());
    }
}
