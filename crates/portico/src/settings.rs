//! One typed `Settings`, layered: defaults <- TOML file (`--config`) <- `PORTICO_*`
//! environment <- command-line flags; then validated into `Validated`, with one specific
//! message per bad value. Secrets are redacted whenever settings are shown.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use portico_crypto::password::PasswordParams;
use portico_store::DatabaseTarget;
use serde::{Deserialize, Serialize, Serializer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A secret string: never printed, never logged.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

/// A database URL: shown with its password replaced.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    /// The URL with any password replaced by `[redacted]`.
    #[must_use]
    pub fn redacted(&self) -> String {
        let Ok(mut u) = url::Url::parse(&self.0) else {
            return "[unparseable URL redacted]".to_owned();
        };
        if u.password().is_some() {
            let _ = u.set_password(Some("[redacted]"));
        }
        if u.query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("password"))
        {
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("password") {
                        "[redacted]".to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
        u.to_string()
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

/// argon2id settings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordHashing {
    /// Memory per hash, KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Hashes computed at once at most (0 = number of CPUs).
    pub max_concurrent: usize,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        let p = PasswordParams::default();
        Self {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
            max_concurrent: 0,
        }
    }
}

/// Every setting, as written in the TOML file (keys) and environment (`PORTICO_<KEY>`,
/// `__` for nesting, e.g. `PORTICO_PASSWORD_HASHING__MEMORY_KIB`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address and port to listen on (`0` picks a free port).
    pub listen: String,
    /// Externally visible base URL (issuers and links); defaults to the listen address.
    pub public_url: Option<String>,
    /// Folder for the SQLite database and local files.
    pub data_dir: PathBuf,
    /// `postgres://...`: use PostgreSQL instead of SQLite.
    pub database_url: Option<DatabaseUrl>,
    /// Most database connections per process.
    pub database_max_connections: u32,
    /// PEM certificate chain: serve HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// `pretty` or `json`.
    pub log_format: String,
    /// Log filter, e.g. `info` or `portico=debug,info`.
    pub log_level: String,
    /// Name of the tenant created on first start.
    pub tenant_name: String,
    /// Suffix of initial domains.
    pub tenant_domain_suffix: String,
    /// Password of the first administrator (automation); generated and shown once when unset.
    pub bootstrap_admin_password: Option<Secret>,
    /// Base64 of 32 bytes that seal signing keys at rest; when unset, `<data_dir>/master.key`
    /// is used (created on first start). Replicas must share it.
    pub master_key: Option<Secret>,
    /// argon2id settings.
    pub password_hashing: PasswordHashing,
    /// Longest a request may take, seconds.
    pub request_timeout_seconds: u64,
    /// How long shutdown waits for in-flight requests, seconds.
    pub shutdown_timeout_seconds: u64,
    /// Algorithm of new token signing keys: RS256 (Entra's, the default) or ES256. Existing
    /// keys keep theirs until `portico keys rotate`.
    pub signing_algorithm: String,
    /// Reverse proxies in front of Portico that append to `X-Forwarded-For` (0: none, the
    /// socket address is the client's). Sign-in throttling counts by the client address.
    pub trusted_proxy_hops: u8,
    /// SMTP server for invitation and passcode mails; when unset, mails are written to
    /// `<data_dir>/outbox/` as `.eml` files and redeem links are logged (development).
    pub smtp_host: Option<String>,
    /// SMTP port (default: 587 for starttls, 465 for tls, 25 for plain).
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` (implicit TLS) or `plain` (no encryption: for a relay on
    /// loopback or an internal relay without login; a login over plain is refused unless the
    /// host is loopback).
    pub smtp_security: String,
    /// SMTP user name, when the server wants authentication.
    pub smtp_username: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<Secret>,
    /// Seconds an SMTP conversation may take.
    pub smtp_timeout_seconds: u64,
    /// The address mails come from (default `invites@<tenant_domain_suffix>`).
    pub mail_from: Option<String>,
    /// The issuer of the Google identity provider preset (point it at a local OIDC provider
    /// for tests).
    pub google_issuer: String,
    /// Seconds a call to a guest's identity provider (discovery, keys, token) may take.
    pub federation_timeout_seconds: u64,
    /// A PEM file of extra CA certificates trusted for calls to identity providers (a test
    /// CA); Mozilla's roots are always trusted.
    pub federation_ca_file: Option<PathBuf>,
    /// Accept SAML federations whose passive sign-in URL is outside the federated domains
    /// without their DNS TXT `DirectFedAuthUrl` record (offline and development setups).
    pub federation_skip_dns_authorization: bool,
    /// Hours between refreshes of SAML federations' metadata (certificate rollover); 0 turns
    /// the refresh off.
    pub saml_metadata_refresh_hours: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            data_dir: PathBuf::from("portico-data"),
            database_url: None,
            database_max_connections: 10,
            tls_cert: None,
            tls_key: None,
            log_format: "pretty".into(),
            log_level: "info".into(),
            tenant_name: "Default Directory".into(),
            tenant_domain_suffix: "onportico.test".into(),
            bootstrap_admin_password: None,
            master_key: None,
            password_hashing: PasswordHashing::default(),
            request_timeout_seconds: 30,
            shutdown_timeout_seconds: 20,
            trusted_proxy_hops: 0,
            signing_algorithm: "RS256".into(),
            smtp_host: None,
            smtp_port: None,
            smtp_security: "starttls".into(),
            smtp_username: None,
            smtp_password: None,
            smtp_timeout_seconds: 30,
            mail_from: None,
            google_issuer: "https://accounts.google.com".into(),
            federation_timeout_seconds: 10,
            federation_ca_file: None,
            federation_skip_dns_authorization: false,
            saml_metadata_refresh_hours: 24,
        }
    }
}

/// Values given on the command line (highest precedence); `None` means "not given".
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
}

/// Environment variables with the `PORTICO_` prefix that are not settings.
const NOT_SETTINGS: &[&str] = &["test_postgres_url", "e2e", "update_docs"];

/// Loads the layered settings. Errors are complete sentences, one per problem.
pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<Settings, Vec<String>> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(path) = config_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![format!(
                "cannot read config file {}: {e}; check the path given to --config",
                path.display()
            )]
        })?;
        figment = figment.merge(Toml::string(&text));
    }
    figment = figment
        .merge(Env::prefixed("PORTICO_").split("__").filter(|k| {
            !NOT_SETTINGS
                .iter()
                .any(|n| k.as_str().eq_ignore_ascii_case(n))
        }))
        .merge(Serialized::defaults(overrides));
    figment.extract::<Settings>().map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                let source = match config_file {
                    Some(p) if e.metadata.as_ref().is_some_and(|m| m.name.contains("TOML")) => {
                        format!(" (in {})", p.display())
                    }
                    _ => String::new(),
                };
                let key = if e.path.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", e.path.join("."))
                };
                format!("{key}{}{source}", one_line(&e.kind.to_string()))
            })
            .collect()
    })
}

/// Folds a multi-line parser message (with its source excerpt and caret) into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.contains(" | "))
        .collect::<Vec<_>>()
        .join(": ")
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Settings after validation: typed, consistent, ready to use.
#[derive(Debug, Clone)]
pub struct Validated {
    pub listen: SocketAddr,
    pub public_url: Option<url::Url>,
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    pub database_max_connections: u32,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub tenant_name: String,
    pub tenant_domain_suffix: String,
    pub bootstrap_admin_password: Option<Secret>,
    pub master_key: Option<Secret>,
    pub password_params: PasswordParams,
    pub max_concurrent_hashes: usize,
    pub request_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub trusted_proxy_hops: u8,
    pub signing_algorithm: portico_crypto::jws::Algorithm,
    /// SMTP, when configured (otherwise mails go to `<data_dir>/outbox/`).
    pub smtp: Option<portico_mail::SmtpSettings>,
    /// The address mails come from.
    pub mail_from: String,
    /// The Google preset's issuer.
    pub google_issuer: String,
    /// Outbound calls to identity providers.
    pub federation: portico_federation::FederationSettings,
    /// See [`Settings::federation_skip_dns_authorization`].
    pub federation_skip_dns_authorization: bool,
    /// Between refreshes of SAML metadata (`None`: never).
    pub saml_metadata_refresh: Option<Duration>,
}

impl Settings {
    /// Checks every value; returns all problems at once.
    pub fn validate(&self) -> Result<Validated, Vec<String>> {
        let mut errors = Vec::new();
        let listen = match self.listen.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                errors.push(format!(
                    "listen: '{}' is not an address and port such as 127.0.0.1:8080 or [::1]:8443",
                    self.listen
                ));
                None
            }
        };
        let public_url = match &self.public_url {
            None => None,
            Some(u) => {
                match url::Url::parse(u) {
                    Ok(p)
                        if matches!(p.scheme(), "http" | "https")
                            && p.host().is_some()
                            && p.query().is_none()
                            && p.fragment().is_none() =>
                    {
                        Some(p)
                    }
                    Ok(_) => {
                        errors.push(format!("public_url: '{u}' must be an absolute http(s) URL without query or fragment, such as https://login.example.com"));
                        None
                    }
                    Err(e) => {
                        errors.push(format!("public_url: '{u}' is not a URL ({e}); use e.g. https://login.example.com"));
                        None
                    }
                }
            }
        };
        if self.data_dir.as_os_str().is_empty() {
            errors.push("data_dir: may not be empty".into());
        }
        let database = match &self.database_url {
            None => Some(DatabaseTarget::Sqlite {
                path: self.data_dir.join("portico.db"),
            }),
            Some(url) => match url::Url::parse(&url.0) {
                Ok(u)
                    if matches!(u.scheme(), "postgres" | "postgresql")
                        && u.host_str().is_some_and(|h| !h.is_empty()) =>
                {
                    Some(DatabaseTarget::Postgres {
                        url: url.0.clone(),
                        schema: None,
                    })
                }
                Ok(u) if matches!(u.scheme(), "sqlite") => {
                    errors.push("database_url: SQLite is used by default; give --data-dir instead of a sqlite:// URL".into());
                    None
                }
                Ok(_) => {
                    errors.push(format!("database_url: '{}' is not a PostgreSQL URL; use postgres://user:password@host:5432/database", url.redacted()));
                    None
                }
                Err(e) => {
                    errors.push(format!("database_url: not a valid URL ({e}); use postgres://user:password@host:5432/database"));
                    None
                }
            },
        };
        if !(1..=1000).contains(&self.database_max_connections) {
            errors.push(format!(
                "database_max_connections: must be between 1 and 1000, got {}",
                self.database_max_connections
            ));
        }
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(c), Some(k)) => {
                for (name, p) in [("tls_cert", c), ("tls_key", k)] {
                    if let Err(e) = std::fs::metadata(p) {
                        errors.push(format!("{name}: cannot read {}: {e}", p.display()));
                    }
                }
                Some((c.clone(), k.clone()))
            }
            (None, None) => None,
            (Some(_), None) => {
                errors.push(
                    "tls_key: required when tls_cert is set (give both --tls-cert and --tls-key)"
                        .into(),
                );
                None
            }
            (None, Some(_)) => {
                errors.push(
                    "tls_cert: required when tls_key is set (give both --tls-cert and --tls-key)"
                        .into(),
                );
                None
            }
        };
        let log_format = match self.log_format.as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                errors.push(format!("log_format: '{other}' is not one of pretty, json"));
                LogFormat::Pretty
            }
        };
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log_level) {
            errors.push(format!("log_level: '{}' is not a valid filter ({e}); use e.g. info, debug or portico=debug,info", self.log_level));
        }
        if let Err(e) = portico_domain::validate::display_name("tenant_name", &self.tenant_name) {
            errors.push(format!("tenant_name: {}", e.message));
        }
        if let Err(e) = portico_domain::validate::DomainName::parse(
            "tenant_domain_suffix",
            &self.tenant_domain_suffix,
        ) {
            errors.push(format!("tenant_domain_suffix: {}", e.message));
        }
        if let Some(p) = &self.bootstrap_admin_password
            && let Err(e) = portico_domain::validate::password_strength(&p.0)
        {
            errors.push(format!("bootstrap_admin_password: {}", e.message));
        }
        if let Some(k) = &self.master_key
            && let Err(e) = portico_crypto::master::MasterKey::from_base64(&k.0)
        {
            errors.push(format!("master_key: {e}"));
        }
        let h = &self.password_hashing;
        let password_params = PasswordParams {
            memory_kib: h.memory_kib,
            iterations: h.iterations,
            parallelism: h.parallelism,
        };
        if let Err(e) = password_params.validate() {
            errors.push(format!("password_hashing: {e}"));
        }
        if h.max_concurrent > 1024 {
            errors.push(format!(
                "password_hashing.max_concurrent: must be at most 1024, got {}",
                h.max_concurrent
            ));
        }
        if !(1..=3600).contains(&self.request_timeout_seconds) {
            errors.push(format!(
                "request_timeout_seconds: must be between 1 and 3600, got {}",
                self.request_timeout_seconds
            ));
        }
        let signing_algorithm = portico_crypto::jws::Algorithm::parse(&self.signing_algorithm);
        if signing_algorithm.is_none() {
            errors.push(format!(
                "signing_algorithm: must be RS256 or ES256, got '{}'",
                self.signing_algorithm
            ));
        }
        if self.trusted_proxy_hops > 5 {
            errors.push(format!(
                "trusted_proxy_hops: must be between 0 and 5, got {}",
                self.trusted_proxy_hops
            ));
        }
        if self.shutdown_timeout_seconds > 3600 {
            errors.push(format!(
                "shutdown_timeout_seconds: must be at most 3600, got {}",
                self.shutdown_timeout_seconds
            ));
        }
        let mail_from = self.mail_from.clone().unwrap_or_else(|| {
            format!("invites@{}", self.tenant_domain_suffix.to_ascii_lowercase())
        });
        if portico_domain::validate::email("mail_from", &mail_from).is_err() {
            errors.push(format!(
                "mail_from: '{mail_from}' is not an email address such as invites@example.com"
            ));
        }
        let smtp = self.smtp(&mail_from, &mut errors);
        let federation = self.federation(&mut errors);
        if let Err(e) =
            portico_domain::validate::absolute_url("google_issuer", &self.google_issuer, true)
        {
            errors.push(format!("google_issuer: {}", e.message));
        }
        match (listen, database) {
            (Some(listen), Some(database)) if errors.is_empty() => Ok(Validated {
                listen,
                public_url,
                data_dir: self.data_dir.clone(),
                database,
                database_max_connections: self.database_max_connections,
                tls,
                log_format,
                log_level: self.log_level.clone(),
                tenant_name: self.tenant_name.clone(),
                tenant_domain_suffix: self.tenant_domain_suffix.to_ascii_lowercase(),
                bootstrap_admin_password: self.bootstrap_admin_password.clone(),
                master_key: self.master_key.clone(),
                password_params,
                max_concurrent_hashes: if h.max_concurrent == 0 {
                    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
                } else {
                    h.max_concurrent
                },
                request_timeout: Duration::from_secs(self.request_timeout_seconds),
                shutdown_timeout: Duration::from_secs(self.shutdown_timeout_seconds),
                trusted_proxy_hops: self.trusted_proxy_hops,
                signing_algorithm: signing_algorithm
                    .unwrap_or(portico_crypto::jws::Algorithm::Rs256),
                smtp,
                mail_from,
                google_issuer: self.google_issuer.trim().to_owned(),
                federation,
                federation_skip_dns_authorization: self.federation_skip_dns_authorization,
                saml_metadata_refresh: (self.saml_metadata_refresh_hours > 0)
                    .then(|| Duration::from_secs(self.saml_metadata_refresh_hours * 3600)),
            }),
            _ => Err(errors),
        }
    }

    /// Outbound calls to identity providers: bounded time, optional extra CA.
    fn federation(&self, errors: &mut Vec<String>) -> portico_federation::FederationSettings {
        if self.saml_metadata_refresh_hours > 24 * 30 {
            errors.push(format!(
                "saml_metadata_refresh_hours: must be between 0 (off) and 720, got {}",
                self.saml_metadata_refresh_hours
            ));
        }
        if !(1..=60).contains(&self.federation_timeout_seconds) {
            errors.push(format!(
                "federation_timeout_seconds: must be between 1 and 60, got {}",
                self.federation_timeout_seconds
            ));
        }
        let extra_root_pem = self.federation_ca_file.as_ref().and_then(|p| {
            std::fs::read(p)
                .map_err(|e| {
                    errors.push(format!(
                        "federation_ca_file: cannot read {}: {e}",
                        p.display()
                    ));
                })
                .ok()
        });
        let timeout = Duration::from_secs(self.federation_timeout_seconds.clamp(1, 60));
        portico_federation::FederationSettings {
            timeout,
            connect_timeout: timeout.min(Duration::from_secs(5)),
            extra_root_pem,
            ..portico_federation::FederationSettings::default()
        }
    }

    /// The SMTP settings, when a host is given.
    fn smtp(&self, from: &str, errors: &mut Vec<String>) -> Option<portico_mail::SmtpSettings> {
        let host = self.smtp_host.as_deref()?.trim();
        if host.is_empty() || host.len() > 253 || host.contains(char::is_whitespace) {
            errors.push(format!("smtp_host: '{host}' is not a host name or address"));
            return None;
        }
        let (security, default_port) = match self.smtp_security.as_str() {
            "starttls" => (portico_mail::Security::StartTls, 587),
            "tls" => (portico_mail::Security::Tls, 465),
            "plain" => (portico_mail::Security::Plain, 25),
            other => {
                errors.push(format!(
                    "smtp_security: '{other}' is not one of starttls, tls, plain"
                ));
                return None;
            }
        };
        if self.smtp_password.is_some() != self.smtp_username.is_some() {
            errors.push("smtp_username and smtp_password: give both or neither".into());
            return None;
        }
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if security == portico_mail::Security::Plain && self.smtp_username.is_some() && !loopback {
            errors.push(format!(
                "smtp_security: 'plain' would send the SMTP password to {host} unencrypted; use starttls or tls (plain with a login is allowed only on loopback)"
            ));
            return None;
        }
        if !(1..=45).contains(&self.smtp_timeout_seconds) {
            errors.push(format!(
                "smtp_timeout_seconds: must be between 1 and 45 (a whole send is cut off after 45 s), got {}",
                self.smtp_timeout_seconds
            ));
            return None;
        }
        Some(portico_mail::SmtpSettings {
            host: host.to_owned(),
            port: self.smtp_port.unwrap_or(default_port),
            security,
            username: self.smtp_username.clone(),
            password: self.smtp_password.as_ref().map(|p| p.0.clone()),
            timeout: Duration::from_secs(self.smtp_timeout_seconds),
            from: from.to_owned(),
        })
    }

    /// The effective settings as TOML, secrets redacted.
    #[must_use]
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render settings: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let v = Settings::default().validate().unwrap();
        assert_eq!(v.listen.to_string(), "127.0.0.1:8080");
        assert!(
            matches!(v.database, DatabaseTarget::Sqlite { ref path } if path.ends_with("portico-data/portico.db"))
        );
    }

    #[test]
    fn every_bad_value_is_named() {
        let bad = Settings {
            listen: "localhost".into(),
            public_url: Some("ftp://x".into()),
            database_url: Some(DatabaseUrl("mysql://u:p@h/db".into())),
            database_max_connections: 0,
            tls_cert: Some("/nonexistent/cert.pem".into()),
            log_format: "xml".into(),
            tenant_name: " ".into(),
            tenant_domain_suffix: "not a domain".into(),
            bootstrap_admin_password: Some(Secret("weak".into())),
            password_hashing: PasswordHashing {
                memory_kib: 1,
                ..PasswordHashing::default()
            },
            request_timeout_seconds: 0,
            ..Settings::default()
        };
        let errors = bad.validate().unwrap_err();
        for key in [
            "listen",
            "public_url",
            "database_url",
            "database_max_connections",
            "tls_key",
            "log_format",
            "tenant_name",
            "tenant_domain_suffix",
            "bootstrap_admin_password",
            "password_hashing",
            "request_timeout_seconds",
        ] {
            assert!(
                errors.iter().any(|e| e.starts_with(key)),
                "no error for {key}: {errors:?}"
            );
        }
        assert!(
            !errors.iter().any(|e| e.contains(":p@")),
            "passwords never appear in errors"
        );
    }

    #[test]
    fn smtp_settings_are_checked() {
        let with = |host: &str, security: &str, login: bool| Settings {
            smtp_host: Some(host.into()),
            smtp_security: security.into(),
            smtp_username: login.then(|| "mailer".into()),
            smtp_password: login.then(|| Secret("s3cret".into())),
            ..Settings::default()
        };
        let v = with("smtp.example.com", "starttls", true)
            .validate()
            .unwrap();
        let smtp = v.smtp.unwrap();
        assert_eq!(
            (smtp.port, smtp.security),
            (587, portico_mail::Security::StartTls)
        );
        assert_eq!(v.mail_from, "invites@onportico.test");
        assert_eq!(
            with("smtp.example.com", "tls", false)
                .validate()
                .unwrap()
                .smtp
                .unwrap()
                .port,
            465
        );
        assert!(
            with("smtp.example.com", "plain", false).validate().is_ok(),
            "an internal relay without login"
        );
        assert!(
            with("127.0.0.1", "plain", true).validate().is_ok(),
            "loopback"
        );
        assert!(with("localhost", "plain", true).validate().is_ok());
        let errors = with("smtp.example.com", "plain", true)
            .validate()
            .unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("smtp_security") && e.contains("unencrypted")),
            "{errors:?}"
        );
        assert!(
            !errors.iter().any(|e| e.contains("s3cret")),
            "the password never appears"
        );
        let errors = with("smtp.example.com", "ssl", false)
            .validate()
            .unwrap_err();
        assert!(errors.iter().any(|e| e.starts_with("smtp_security")));
        let errors = Settings {
            smtp_username: Some("only-user".into()),
            ..with("smtp.example.com", "tls", false)
        }
        .validate()
        .unwrap_err();
        assert!(errors.iter().any(|e| e.contains("give both")));
        let errors = Settings {
            mail_from: Some("not an address".into()),
            ..Settings::default()
        }
        .validate()
        .unwrap_err();
        assert!(errors.iter().any(|e| e.starts_with("mail_from")));
        assert!(
            Settings::default().validate().unwrap().smtp.is_none(),
            "no SMTP by default"
        );
    }

    #[test]
    fn secrets_are_redacted_when_shown() {
        let s = Settings {
            database_url: Some(DatabaseUrl("postgres://app:hunter2@db:5432/portico".into())),
            bootstrap_admin_password: Some(Secret("Sup3r-secret!".into())),
            ..Settings::default()
        };
        let shown = s.to_redacted_toml();
        assert!(
            !shown.contains("hunter2") && !shown.contains("Sup3r-secret"),
            "{shown}"
        );
        assert!(
            shown.contains("postgres://app:%5Bredacted%5D@db:5432/portico")
                || shown.contains("[redacted]"),
            "{shown}"
        );
        let q = DatabaseUrl("postgres://app@db/portico?sslmode=require&password=qsecret".into());
        assert!(
            !q.redacted().contains("qsecret") && q.redacted().contains("sslmode=require"),
            "{}",
            q.redacted()
        );
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("Sup3r-secret"));
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portico.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\ntenant_name = \"From File\"\n[password_hashing]\niterations = 3\n").unwrap();
        let overrides = Overrides {
            tenant_name: Some("From Flag".into()),
            ..Overrides::default()
        };
        let s = load(Some(&file), &overrides).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9000");
        assert_eq!(s.tenant_name, "From Flag");
        assert_eq!(s.password_hashing.iterations, 3);
        std::fs::write(&file, "lissten = \"x\"\n").unwrap();
        let errors = load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(errors[0].contains("lissten"), "{errors:?}");
        let errors = load(
            Some(&dir.path().join("missing.toml")),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(errors[0].contains("cannot read config file"), "{errors:?}");
    }
}
