//! Portico's one typed configuration, read once at start-up.
//!
//! Sources, later ones winning: built-in defaults, a TOML file (`PORTICO_CONFIG`, or
//! `portico.toml` in the working directory when present, with the keys in lower case and without
//! the prefix: `addr = "127.0.0.1:3000"`), then environment variables with the `PORTICO_`
//! prefix. `DATABASE_URL` and cargo-leptos' `LEPTOS_SITE_ADDR` are honoured as well,
//! because tools around Portico set them. Nothing else in Portico reads the environment.

use std::{net::SocketAddr, path::PathBuf};

use portico_domain::db;
use serde::Deserialize;
use thiserror::Error;
use url::Url;

/// A configuration problem, always naming the setting to fix.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{variable}: {message}")]
    Invalid { variable: String, message: String },
    #[error("configuration file {path}: {message}")]
    File { path: String, message: String },
}

/// The `PORTICO_*` variables Portico reads (`TEST_DATABASE_URL` is the test suite's).
const KNOWN_VARIABLES: &[&str] = &[
    "CONFIG",
    "DATA_DIR",
    "ADDR",
    "PUBLIC_URL",
    "DEMO",
    "LOG",
    "LOG_JSON",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_HOURS",
    "SIGN_IN_ATTEMPTS_PER_MINUTE",
    "SMTP_URL",
    "MAIL_FROM",
    "UPLOAD_LIMIT_MB",
    "TRUSTED_PROXIES",
    "SECRET_KEY",
    "BODY_TIMEOUT_SECONDS",
    "HEADER_TIMEOUT_SECONDS",
    "LIVE_STREAMS_PER_PERSON",
    "MOLLIE_API_KEY",
    "MOLLIE_API_URL",
    "TEST_DATABASE_URL",
];

fn invalid(variable: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        variable: variable.to_owned(),
        message: message.into(),
    }
}

/// The validated configuration.
#[derive(Clone)]
pub struct Config {
    /// Where Portico keeps its files (the SQLite database, uploads later).
    pub data_dir: PathBuf,
    /// The database; a SQLite file in `data_dir` unless `DATABASE_URL` says otherwise.
    pub database_url: String,
    /// The socket the server listens on.
    pub addr: SocketAddr,
    /// The address users see; passkeys and e-mailed links are built from it.
    pub public_url: Url,
    /// Demo mode: seed the demo company into an empty database at start-up.
    pub demo: bool,
    /// The log filter, in `tracing` directive syntax (e.g. `info,portico_server=debug`).
    pub log: String,
    /// Log as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// Running under `cargo leptos watch` (it sets `LEPTOS_WATCH`): pages may open the
    /// live-reload WebSocket.
    pub leptos_watch: bool,
    /// A session ends after this long without a request (SECURITY.md: 30 minutes).
    pub session_idle: std::time::Duration,
    /// A session ends this long after sign-in (SECURITY.md: 12 hours).
    pub session_absolute: std::time::Duration,
    /// Password and code attempts allowed per client address per minute.
    pub sign_in_attempts_per_minute: u32,
    /// Where mail is sent (`smtp://host:port`, `smtps://…`); without it mail stays in the outbox.
    pub smtp_url: Option<String>,
    /// The sender of Portico's mail, e.g. `Van Dijk Verhuizingen <portal@vandijk.example>`.
    pub mail_from: String,
    /// The largest document upload, in bytes (`PORTICO_UPLOAD_LIMIT_MB`, default 20).
    pub upload_limit: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`PORTICO_TRUSTED_PROXIES`, a
    /// comma-separated list of addresses or CIDR ranges); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The key that seals authenticator secrets in the database (`PORTICO_SECRET_KEY`,
    /// base64url of 32 bytes); without it, `secret.key` in the data directory (made on first
    /// start).
    pub secret_key: Option<portico_domain::accounts::at_rest::AtRestKey>,
    /// A request body that sends nothing for this long is cut off (`PORTICO_BODY_TIMEOUT_SECONDS`,
    /// default 20), so a slow client cannot hold a connection and its buffer open at will.
    pub body_timeout: std::time::Duration,
    /// A request whose head (request line and headers) has not arrived this long after the
    /// connection asked for it is cut off (`PORTICO_HEADER_TIMEOUT_SECONDS`, default 10).
    pub header_timeout: std::time::Duration,
    /// Open live-status streams one person may hold (`PORTICO_LIVE_STREAMS_PER_PERSON`, default
    /// 8): one per open tab; opening one more closes their oldest.
    pub live_streams_per_person: usize,
    /// Online payment through Mollie (`PORTICO_MOLLIE_API_KEY`, a `test_` or `live_` key);
    /// without it, or in demo mode, invoices are paid in Portico's own test mode.
    pub mollie_key: Option<portico_domain::payments::mollie::ApiKey>,
    /// Mollie's API address (`PORTICO_MOLLIE_API_URL`): Mollie's own unless a test suite points
    /// it at a local fake.
    pub mollie_api_url: Url,
}

impl Config {
    /// Whether invoices are paid in Portico's test mode rather than at Mollie.
    pub fn payments_in_test_mode(&self) -> bool {
        self.demo || self.mollie_key.is_none()
    }
}

// By hand, so that a password in the database URL never reaches a log.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database_url = match url::Url::parse(&self.database_url) {
            Ok(_) if self.database_url.starts_with("sqlite:") => self.database_url.clone(),
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                url.to_string()
            }
            Err(_) => "(unparsable)".into(),
        };
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &database_url)
            .field("addr", &self.addr)
            .field("public_url", &self.public_url.as_str())
            .field("demo", &self.demo)
            .field("log", &self.log)
            .field("log_json", &self.log_json)
            .field("leptos_watch", &self.leptos_watch)
            .field("session_idle", &self.session_idle)
            .field("session_absolute", &self.session_absolute)
            .field(
                "sign_in_attempts_per_minute",
                &self.sign_in_attempts_per_minute,
            )
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("upload_limit", &self.upload_limit)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("body_timeout", &self.body_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("at_rest_key", &self.secret_key.as_ref().map(|_| "(set)"))
            .field("mollie_key", &self.mollie_key)
            .field("mollie_api_url", &self.mollie_api_url.as_str())
            .finish()
    }
}

/// The raw values as the sources give them; every field is checked in [`Config::from_raw`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    data_dir: Option<String>,
    database_url: Option<String>,
    addr: Option<String>,
    public_url: Option<String>,
    demo: Option<Flag>,
    log: Option<String>,
    log_json: Option<Flag>,
    session_idle_minutes: Option<Number>,
    session_absolute_hours: Option<Number>,
    sign_in_attempts_per_minute: Option<Number>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    upload_limit_mb: Option<Number>,
    body_timeout_seconds: Option<Number>,
    header_timeout_seconds: Option<Number>,
    live_streams_per_person: Option<Number>,
    trusted_proxies: Option<String>,
    secret_key: Option<String>,
    mollie_api_key: Option<String>,
    mollie_api_url: Option<String>,
    /// Which variable gave `addr`, when it was not PORTICO_ADDR or the file.
    #[serde(skip)]
    addr_from: Option<&'static str>,
}

/// A whole number: a TOML integer, or text from an environment variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Text(String),
}

/// A yes/no setting: a TOML boolean, or text from an environment variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

impl Config {
    /// Reads the configuration from the process environment (and the optional TOML file).
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(std::env::vars())
    }

    /// Reads the configuration from the given variables; tests pass their own.
    pub fn load_from(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let get = |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());

        // A typo in a variable name must not fall back to a default silently.
        if let Some((unknown, _)) = vars.iter().find(|(k, _)| {
            k.strip_prefix("PORTICO_")
                .is_some_and(|rest| !KNOWN_VARIABLES.contains(&rest))
        }) {
            return Err(invalid(unknown, "is not a setting Portico knows"));
        }

        let mut raw = match get("PORTICO_CONFIG") {
            Some(path) => read_file(&path, true)?,
            None => read_file("portico.toml", false)?,
        };
        let prefixed = |name: &str| get(&format!("PORTICO_{name}"));
        let overlay = |slot: &mut Option<String>, value: Option<String>| {
            if value.is_some() {
                *slot = value;
            }
        };
        overlay(&mut raw.data_dir, prefixed("DATA_DIR"));
        overlay(&mut raw.database_url, get("DATABASE_URL"));
        // cargo-leptos sets LEPTOS_SITE_ADDR on every run; it is the fallback, not an override.
        if raw.addr.is_none() {
            raw.addr = get("LEPTOS_SITE_ADDR");
            raw.addr_from = raw.addr.as_ref().map(|_| "LEPTOS_SITE_ADDR");
        }
        if let Some(addr) = prefixed("ADDR") {
            raw.addr = Some(addr);
            raw.addr_from = None;
        }
        overlay(&mut raw.public_url, prefixed("PUBLIC_URL"));
        overlay(&mut raw.log, prefixed("LOG"));
        if let Some(text) = prefixed("DEMO") {
            raw.demo = Some(Flag::Text(text));
        }
        if let Some(text) = prefixed("LOG_JSON") {
            raw.log_json = Some(Flag::Text(text));
        }
        for (name, slot) in [
            ("SESSION_IDLE_MINUTES", &mut raw.session_idle_minutes),
            ("SESSION_ABSOLUTE_HOURS", &mut raw.session_absolute_hours),
            (
                "SIGN_IN_ATTEMPTS_PER_MINUTE",
                &mut raw.sign_in_attempts_per_minute,
            ),
            ("UPLOAD_LIMIT_MB", &mut raw.upload_limit_mb),
            ("BODY_TIMEOUT_SECONDS", &mut raw.body_timeout_seconds),
            ("HEADER_TIMEOUT_SECONDS", &mut raw.header_timeout_seconds),
            ("LIVE_STREAMS_PER_PERSON", &mut raw.live_streams_per_person),
        ] {
            if let Some(text) = prefixed(name) {
                *slot = Some(Number::Text(text));
            }
        }
        overlay(&mut raw.smtp_url, prefixed("SMTP_URL"));
        overlay(&mut raw.mail_from, prefixed("MAIL_FROM"));
        overlay(&mut raw.trusted_proxies, prefixed("TRUSTED_PROXIES"));
        overlay(&mut raw.secret_key, prefixed("SECRET_KEY"));
        overlay(&mut raw.mollie_api_key, prefixed("MOLLIE_API_KEY"));
        overlay(&mut raw.mollie_api_url, prefixed("MOLLIE_API_URL"));
        let mut config = Self::from_raw(raw)?;
        config.leptos_watch = get("LEPTOS_WATCH").is_some();
        Ok(config)
    }

    fn from_raw(raw: Raw) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(raw.data_dir.unwrap_or_else(|| "./data".into()));
        if data_dir.as_os_str().is_empty() {
            return Err(invalid("PORTICO_DATA_DIR", "must not be empty"));
        }

        let database_url = match raw.database_url {
            Some(url) => {
                db::backend_of(&url).map_err(|e| invalid("DATABASE_URL", e.to_string()))?;
                url.trim().to_owned()
            }
            None => db::default_sqlite_url(&data_dir),
        };

        let addr_text = raw.addr.unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_text.trim().parse().map_err(|_| {
            invalid(
                raw.addr_from.unwrap_or("PORTICO_ADDR"),
                format!(
                    "`{addr_text}` is not an address to listen on; expected e.g. 127.0.0.1:3000"
                ),
            )
        })?;

        let public_text = raw
            .public_url
            .unwrap_or_else(|| "http://localhost:3000".into());
        let public_url = Url::parse(public_text.trim())
            .map_err(|e| invalid("PORTICO_PUBLIC_URL", format!("`{public_text}`: {e}")))?;
        if !matches!(public_url.scheme(), "http" | "https") || public_url.host_str().is_none() {
            return Err(invalid(
                "PORTICO_PUBLIC_URL",
                format!("`{public_text}` must be an http:// or https:// URL with a host"),
            ));
        }

        Ok(Self {
            data_dir,
            database_url,
            addr,
            public_url,
            demo: parse_bool("PORTICO_DEMO", raw.demo, false)?,
            log: raw.log.unwrap_or_else(|| "info".into()),
            log_json: parse_bool("PORTICO_LOG_JSON", raw.log_json, false)?,
            leptos_watch: false,
            session_idle: std::time::Duration::from_secs(
                60 * parse_number("PORTICO_SESSION_IDLE_MINUTES", raw.session_idle_minutes, 30, 1..=1440)?,
            ),
            session_absolute: std::time::Duration::from_secs(
                3600 * parse_number("PORTICO_SESSION_ABSOLUTE_HOURS", raw.session_absolute_hours, 12, 1..=720)?,
            ),
            sign_in_attempts_per_minute: u32::try_from(parse_number(
                "PORTICO_SIGN_IN_ATTEMPTS_PER_MINUTE",
                raw.sign_in_attempts_per_minute,
                30,
                1..=100_000,
            )?)
            .unwrap_or(30),
            smtp_url: match raw.smtp_url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
                None => None,
                Some(url) => match Url::parse(&url) {
                    Ok(parsed) if matches!(parsed.scheme(), "smtp" | "smtps") && parsed.host_str().is_some() => {
                        Some(url)
                    }
                    _ => {
                        return Err(invalid(
                            "PORTICO_SMTP_URL",
                            "must be an smtp:// or smtps:// URL with a host, e.g. smtp://localhost:2525",
                        ))
                    }
                },
            },
            mail_from: {
                let from = raw.mail_from.unwrap_or_else(|| "Portico <portico@localhost>".into());
                if !from.contains('@') {
                    return Err(invalid("PORTICO_MAIL_FROM", format!("`{from}` is not an e-mail address")));
                }
                from
            },
            upload_limit: usize::try_from(
                parse_number("PORTICO_UPLOAD_LIMIT_MB", raw.upload_limit_mb, 20, 1..=1024)? * 1024 * 1024,
            )
            .unwrap_or(20 * 1024 * 1024),
            body_timeout: std::time::Duration::from_secs(parse_number(
                "PORTICO_BODY_TIMEOUT_SECONDS",
                raw.body_timeout_seconds,
                20,
                1..=600,
            )?),
            header_timeout: std::time::Duration::from_secs(parse_number(
                "PORTICO_HEADER_TIMEOUT_SECONDS",
                raw.header_timeout_seconds,
                10,
                1..=120,
            )?),
            live_streams_per_person: usize::try_from(parse_number(
                "PORTICO_LIVE_STREAMS_PER_PERSON",
                raw.live_streams_per_person,
                8,
                1..=100_000,
            )?)
            .unwrap_or(8),
            secret_key: match raw.secret_key.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(text) => Some(
                    portico_domain::accounts::at_rest::AtRestKey::from_base64(text)
                        .map_err(|message| invalid("PORTICO_SECRET_KEY", message))?,
                ),
            },
            trusted_proxies: parse_networks(
                "PORTICO_TRUSTED_PROXIES",
                raw.trusted_proxies.as_deref().unwrap_or_default(),
            )?,
            mollie_key: match raw.mollie_api_key.as_deref().map(str::trim) {
                None | Some("") => None,
                // The value is never repeated back: it is a secret.
                Some(text) => Some(portico_domain::payments::mollie::ApiKey::parse(text).ok_or_else(
                    || {
                        invalid(
                            "PORTICO_MOLLIE_API_KEY",
                            "is not a Mollie API key: expected test_ or live_ and 30 letters \
                             and digits (Mollie's dashboard, Developers, API keys)",
                        )
                    },
                )?),
            },
            mollie_api_url: {
                let text = raw
                    .mollie_api_url
                    .unwrap_or_else(|| portico_domain::payments::mollie::API_URL.to_owned());
                let url = Url::parse(text.trim()).map_err(|e| {
                    invalid("PORTICO_MOLLIE_API_URL", format!("`{text}`: {e}"))
                })?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(invalid("PORTICO_MOLLIE_API_URL", "must be an http(s) address"));
                }
                url
            },
        })
    }
}

/// `10.0.0.0/8, 192.0.2.7, 2001:db8::/32`: ranges, or single addresses (a /32 or /128).
fn parse_networks(variable: &str, text: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<ipnet::IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    invalid(
                        variable,
                        format!(
                            "`{part}` is not an address or CIDR range; expected e.g. \
                             10.0.0.0/8, 192.0.2.7 or 2001:db8::/32"
                        ),
                    )
                })
        })
        .collect()
}

fn parse_number(
    variable: &str,
    value: Option<Number>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let number = match value {
        None => return Ok(default),
        Some(Number::Int(n)) => u64::try_from(n).ok(),
        Some(Number::Text(text)) => text.trim().parse::<u64>().ok(),
    };
    number.filter(|n| range.contains(n)).ok_or_else(|| {
        invalid(
            variable,
            format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )
    })
}

fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable)".into(),
    }
}

fn read_file(path: &str, required: bool) -> Result<Raw, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Raw::default())
        }
        Err(e) => {
            return Err(invalid(
                "PORTICO_CONFIG",
                format!("cannot read `{path}`: {e}"),
            ))
        }
    };
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn parse_bool(variable: &str, value: Option<Flag>, default: bool) -> Result<bool, ConfigError> {
    let text = match value {
        None => return Ok(default),
        Some(Flag::Bool(value)) => return Ok(value),
        Some(Flag::Text(text)) => text.trim().to_ascii_lowercase(),
    };
    match Some(text.as_str()) {
        None | Some("") => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(variable, format!("`{other}` is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::load_from(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn trusted_proxies_are_ranges_or_addresses() -> Result<(), ConfigError> {
        assert!(load(&[])?.trusted_proxies.is_empty());
        let config = load(&[(
            "PORTICO_TRUSTED_PROXIES",
            " 10.0.0.0/8, 192.0.2.7 ,2001:db8::1/32",
        )])?;
        let shown: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]);
        match load(&[("PORTICO_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")]) {
            Err(ConfigError::Invalid { variable, message }) => {
                assert_eq!(variable, "PORTICO_TRUSTED_PROXIES");
                assert!(message.contains("proxy.local"), "{message}");
            }
            other => panic!("refused, got {other:?}"),
        }
        Ok(())
    }

    #[test]
    fn a_mollie_key_is_checked_at_start_and_never_shown() -> Result<(), ConfigError> {
        let none = load(&[])?;
        assert!(none.mollie_key.is_none() && none.payments_in_test_mode());
        assert_eq!(none.mollie_api_url.as_str(), "https://api.mollie.com/v2");
        let key = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";
        let real = load(&[("PORTICO_MOLLIE_API_KEY", key)])?;
        assert!(real.mollie_key.is_some() && !real.payments_in_test_mode());
        assert!(!format!("{real:?}").contains("dHar4XY7"), "{real:?}");
        let demo = load(&[("PORTICO_MOLLIE_API_KEY", key), ("PORTICO_DEMO", "true")])?;
        assert!(
            demo.payments_in_test_mode(),
            "the demo never takes real money"
        );
        match load(&[(
            "PORTICO_MOLLIE_API_KEY",
            "sk_live_notmollie_dHar4XY7LxsDOtmnkVtjN",
        )]) {
            Err(ConfigError::Invalid { variable, message }) => {
                assert_eq!(variable, "PORTICO_MOLLIE_API_KEY");
                assert!(!message.contains("dHar4XY7"), "{message}");
            }
            other => panic!("refused, got {other:?}"),
        }
        Ok(())
    }

    #[test]
    fn defaults_are_a_sqlite_file_under_data() -> Result<(), ConfigError> {
        let config = load(&[])?;
        assert_eq!(config.database_url, "sqlite://./data/portico.db?mode=rwc");
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.public_url.as_str(), "http://localhost:3000/");
        assert!(!config.demo);
        Ok(())
    }

    #[test]
    fn environment_overrides_and_leptos_addr_is_a_fallback() -> Result<(), ConfigError> {
        let config = load(&[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
            ("PORTICO_DEMO", "yes"),
        ])?;
        assert_eq!(config.addr.port(), 4000);
        assert!(config.demo);
        let config = load(&[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
            ("PORTICO_ADDR", "0.0.0.0:5000"),
        ])?;
        assert_eq!(config.addr.port(), 5000);
        Ok(())
    }

    #[test]
    fn a_toml_file_is_read_and_the_environment_wins() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("portico.toml");
        std::fs::write(
            &file,
            "addr = \"127.0.0.1:4100\"\ndemo = true\nlog = \"debug\"\n",
        )?;
        let path = file.to_string_lossy().to_string();
        let config = load(&[
            ("PORTICO_CONFIG", &path),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:9"),
        ])?;
        assert_eq!(
            config.addr.port(),
            4100,
            "the file beats cargo-leptos' default"
        );
        assert!(config.demo);
        assert_eq!(config.log, "debug");
        let config = load(&[
            ("PORTICO_CONFIG", &path),
            ("PORTICO_ADDR", "127.0.0.1:4200"),
        ])?;
        assert_eq!(config.addr.port(), 4200, "the environment beats the file");

        std::fs::write(&file, "adr = \"127.0.0.1:1\"\n")?;
        let message = load(&[("PORTICO_CONFIG", &path)])
            .err()
            .map(|e| e.to_string());
        assert!(
            message.as_deref().is_some_and(|m| m.contains("adr")),
            "{message:?}"
        );
        let message = load(&[("PORTICO_CONFIG", "/no/such/portico.toml")])
            .err()
            .map(|e| e.to_string());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.starts_with("PORTICO_CONFIG")),
            "{message:?}"
        );
        Ok(())
    }

    #[test]
    fn a_bad_leptos_site_addr_is_named_as_such() {
        let message = load(&[("LEPTOS_SITE_ADDR", "nowhere")])
            .err()
            .map(|e| e.to_string());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.starts_with("LEPTOS_SITE_ADDR")),
            "{message:?}"
        );
    }

    #[test]
    fn debug_output_hides_the_database_password() -> Result<(), ConfigError> {
        let config = load(&[(
            "DATABASE_URL",
            "postgres://portico:s3cret@db.internal/portico",
        )])?;
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
        Ok(())
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&str, &str, &str)] = &[
            ("DATABASE_URL", "mysql://x/y", "DATABASE_URL"),
            ("PORTICO_ADDR", "localhost", "PORTICO_ADDR"),
            ("PORTICO_PUBLIC_URL", "ftp://x", "PORTICO_PUBLIC_URL"),
            ("PORTICO_DEMO", "maybe", "PORTICO_DEMO"),
            ("PORTICO_ADRR", "127.0.0.1:1", "PORTICO_ADRR"),
        ];
        for (key, value, named) in cases {
            let message = match load(&[(key, value)]) {
                Ok(_) => panic!("{key}={value} was accepted"),
                Err(e) => e.to_string(),
            };
            assert!(message.starts_with(named), "{message}");
        }
    }

    #[test]
    fn account_settings_have_defaults_and_bad_values_are_named() -> Result<(), ConfigError> {
        let config = load(&[])?;
        assert_eq!(config.session_idle, std::time::Duration::from_secs(30 * 60));
        assert_eq!(
            config.session_absolute,
            std::time::Duration::from_secs(12 * 3600)
        );
        assert_eq!(config.sign_in_attempts_per_minute, 30);
        assert_eq!(config.smtp_url, None);
        let config = load(&[
            ("PORTICO_SESSION_IDLE_MINUTES", "15"),
            ("PORTICO_SMTP_URL", "smtp://user:secret@mail.example:2525"),
        ])?;
        assert_eq!(config.session_idle, std::time::Duration::from_secs(15 * 60));
        assert!(
            !format!("{config:?}").contains("secret"),
            "the SMTP password stays out of logs"
        );
        for (variable, value) in [
            ("PORTICO_SESSION_IDLE_MINUTES", "0"),
            ("PORTICO_SESSION_ABSOLUTE_HOURS", "twelve"),
            ("PORTICO_SIGN_IN_ATTEMPTS_PER_MINUTE", "-3"),
            ("PORTICO_SMTP_URL", "http://mail.example"),
            ("PORTICO_MAIL_FROM", "nobody"),
        ] {
            let message = match load(&[(variable, value)]) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{variable}={value} was accepted"),
            };
            assert!(message.starts_with(variable), "{message}");
        }
        Ok(())
    }
}
