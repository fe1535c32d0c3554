//! Delivery to an SMTP server with lettre's tokio transport over rustls (aws-lc-rs, Mozilla's
//! root certificates from `webpki-roots`).

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::transport::smtp::response::Severity;

use crate::message::Message;
use crate::smtp_pool::{Pool, PoolError, Protection};
use crate::transport::{SendError, build};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with `STARTTLS`, which is required (usually port 587).
    #[default]
    StartTls,
    /// TLS from the first byte ("implicit TLS", usually port 465).
    Tls,
    /// No encryption (a relay on the same host or network, a test server).
    Plain,
}

/// How to reach the SMTP server. `Debug` never shows the password.
#[derive(Clone)]
pub struct SmtpSettings {
    /// The server's host name (also the name its TLS certificate must carry).
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// The login, when the server needs one.
    pub username: Option<String>,
    /// The login's password.
    pub password: Option<String>,
    /// The limit for connecting and for each command.
    pub timeout: Duration,
    /// The sender: its address is the envelope sender (`MAIL FROM`) of every message, and the
    /// whole mailbox is the `From` of messages that leave theirs empty.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("from", &self.from)
            .finish()
    }
}

/// Sends messages to one SMTP server over a small pool of reused connections (at most 8, closed
/// after 30 s idle; a connection that broke is replaced; see [`crate::smtp_pool`]), one SMTP
/// transaction per message.
#[derive(Clone)]
pub struct SmtpSender {
    pool: Arc<Pool>,
    from: Mailbox,
    host: String,
    port: u16,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// Checks the settings and prepares the transport (no connection is made yet).
    ///
    /// # Errors
    /// A message naming the bad setting: empty host, port 0, zero timeout, an invalid sender,
    /// a username without a password (or the reverse), or TLS that cannot be set up.
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let host = settings.host.trim();
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the SMTP host must be a host name".to_owned());
        }
        if settings.port == 0 {
            return Err("the SMTP port must not be 0".to_owned());
        }
        if settings.timeout.is_zero() {
            return Err("the SMTP timeout must be longer than zero".to_owned());
        }
        let from: Mailbox = settings.from.trim().parse().map_err(|e| {
            format!(
                "the SMTP sender {:?} is not a valid mailbox: {e}",
                settings.from
            )
        })?;
        let protection = match settings.security {
            Security::Plain => Protection::Plain,
            Security::StartTls => Protection::StartTls(tls_parameters(host)?),
            Security::Tls => Protection::Implicit(tls_parameters(host)?),
        };
        let credentials = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.clone())),
            (None, None) => None,
            _ => return Err("the SMTP username and password go together".to_owned()),
        };
        Ok(Self {
            pool: Arc::new(Pool::new(
                host.to_owned(),
                settings.port,
                protection,
                credentials,
                settings.timeout,
            )),
            from,
            host: host.to_owned(),
            port: settings.port,
        })
    }

    /// Sends `msg` with the header `Message-ID: <{message_id}@portico>`.
    ///
    /// # Errors
    /// [`SendError::Transient`] for 4xx replies, login refusals, network, timeout and TLS
    /// failures; [`SendError::Permanent`] for invalid addresses and other 5xx replies.
    pub async fn send(&self, msg: &Message, message_id: &str) -> Result<(), SendError> {
        let email = build(msg, message_id, Some(&self.from), Some(&self.from.email))?;
        match self.pool.send(email.envelope(), &email.formatted()).await {
            Ok(_) => {
                tracing::debug!(message_id, host = %self.host, "mail sent");
                Ok(())
            }
            Err(e) => {
                let err = classify(&e);
                tracing::debug!(message_id, host = %self.host, error = %e, transient = err.is_transient(), "mail not sent");
                Err(err)
            }
        }
    }
}

/// TLS parameters checking the server's certificate against `host`.
fn tls_parameters(host: &str) -> Result<TlsParameters, String> {
    TlsParameters::new(host.to_owned()).map_err(|e| format!("SMTP TLS cannot be set up: {e}"))
}

/// SMTP replies about the login (530 authentication required, 534 mechanism too weak, 535
/// credentials invalid, 538 encryption required): permanent for the server, but a deployment
/// problem rather than this message's, so they are retried once an operator fixes them.
const LOGIN_REPLIES: [&str; 4] = ["530", "534", "535", "538"];

/// Transient or permanent: 4xx replies, network, timeout, TLS and configuration problems are
/// transient; 5xx replies (other than login ones) and addresses the server cannot take
/// (non-ASCII without SMTPUTF8) are permanent.
fn classify(e: &PoolError) -> SendError {
    let text = e.to_string();
    let PoolError::Smtp(e) = e else {
        return SendError::Transient(text);
    };
    if let Some(code) = e.status() {
        let permanent = code.severity == Severity::PermanentNegativeCompletion
            && !LOGIN_REPLIES.contains(&code.to_string().as_str());
        return if permanent {
            SendError::Permanent(text)
        } else {
            SendError::Transient(text)
        };
    }
    if e.is_client() && text.contains("non-ascii chars but server does not support SMTPUTF8") {
        return SendError::Permanent(text);
    }
    SendError::Transient(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mails::Rendered;

    fn settings(port: u16) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: Security::Plain,
            username: None,
            password: None,
            timeout: Duration::from_secs(2),
            from: "Portico <noreply@portico.local>".into(),
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut s = settings(25);
        s.host = "  ".into();
        assert!(SmtpSender::new(&s).unwrap_err().contains("host"));
        let mut s = settings(0);
        assert!(SmtpSender::new(&s).unwrap_err().contains("port"));
        s = settings(25);
        s.from = "nobody".into();
        assert!(SmtpSender::new(&s).unwrap_err().contains("sender"));
        s = settings(25);
        s.username = Some("user".into());
        assert!(SmtpSender::new(&s).unwrap_err().contains("password"));
        s = settings(25);
        s.timeout = Duration::ZERO;
        assert!(SmtpSender::new(&s).unwrap_err().contains("timeout"));
    }

    #[tokio::test]
    async fn good_settings_are_accepted_for_every_security() {
        for security in [Security::Plain, Security::StartTls, Security::Tls] {
            let mut s = settings(587);
            s.host = "smtp.example.com".into();
            s.security = security;
            s.username = Some("user".into());
            s.password = Some("hunter2-secret".into());
            let sender = SmtpSender::new(&s).unwrap();
            assert!(!format!("{sender:?}").contains("hunter2"));
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let mut s = settings(25);
        s.password = Some("hunter2-secret".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[tokio::test]
    async fn a_closed_port_is_transient() {
        // Bind then drop a listener: the port is (almost certainly) closed afterwards.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let sender = SmtpSender::new(&settings(port)).unwrap();
        let msg = Message::new(
            "",
            "guest@fabrikam.example",
            Rendered {
                subject: "s".into(),
                text: "t".into(),
                html: "<p>h</p>".into(),
            },
        );
        let started = std::time::Instant::now();
        let err = tokio::time::timeout(Duration::from_secs(10), sender.send(&msg, "closed-1"))
            .await
            .expect("send is bounded by the SMTP timeout")
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn an_invalid_message_id_is_permanent_before_connecting() {
        let sender = SmtpSender::new(&settings(9)).unwrap();
        let msg = Message::new(
            "",
            "guest@fabrikam.example",
            Rendered {
                subject: "s".into(),
                text: "t".into(),
                html: "h".into(),
            },
        );
        let err = sender.send(&msg, "../x").await.unwrap_err();
        assert!(!err.is_transient(), "{err}");
    }
}
