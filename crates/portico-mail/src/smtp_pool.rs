//! SMTP connections Portico opens and reuses itself (lettre speaks the protocol on them).
//!
//! lettre's own pool opens its sockets without `TCP_NODELAY`, and lettre writes a message's
//! body and its final `<CRLF>.<CRLF>` in two writes: with Nagle's algorithm the small second
//! write waits for the server's (delayed) acknowledgement of the first, about 40 ms a message
//! on Linux. Here plain and STARTTLS connections are opened on a socket with `TCP_NODELAY`
//! and handed to lettre; implicit TLS (port 465) still connects through lettre, which wraps
//! its own socket.
//!
//! At most [`MAX_CONNECTIONS`] conversations run at once; an idle connection is kept for
//! [`IDLE_TIMEOUT`] and checked with `NOOP` before each reuse (a server may close a connection
//! after a message or when idle); a connection that failed in any way is closed, never reused.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{Error, response::Response};
use tokio::sync::Semaphore;

/// SMTP conversations at once.
pub const MAX_CONNECTIONS: usize = 8;
/// How long an unused connection is kept open.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How a new connection is protected.
#[derive(Clone)]
pub(crate) enum Protection {
    /// None (loopback or a trusted relay).
    Plain,
    /// `STARTTLS` after the greeting, required.
    StartTls(TlsParameters),
    /// TLS from the first byte.
    Implicit(TlsParameters),
}

/// Why a connection could not be had or a message not sent.
#[derive(Debug)]
pub(crate) enum PoolError {
    /// An SMTP, TLS or network error from lettre.
    Smtp(Error),
    /// A network error before lettre had the socket.
    Io(std::io::Error),
    /// The server did not answer in time.
    Timeout(&'static str),
}

impl std::fmt::Display for PoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoolError::Smtp(e) => write!(f, "{e}"),
            PoolError::Io(e) => write!(f, "connection error: {e}"),
            PoolError::Timeout(what) => {
                write!(f, "the SMTP server did not answer in time ({what})")
            }
        }
    }
}

/// A pool of connections to one server.
pub(crate) struct Pool {
    host: String,
    port: u16,
    protection: Protection,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    slots: Semaphore,
    idle: Mutex<Vec<(Instant, AsyncSmtpConnection)>>,
}

impl Pool {
    pub(crate) fn new(
        host: String,
        port: u16,
        protection: Protection,
        credentials: Option<Credentials>,
        timeout: Duration,
    ) -> Self {
        Self {
            host,
            port,
            protection,
            credentials,
            timeout,
            hello: ClientId::default(),
            slots: Semaphore::new(MAX_CONNECTIONS),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one message (`MAIL`, `RCPT` for each recipient, `DATA`) on a pooled or new
    /// connection; the connection goes back to the pool only after a clean transaction.
    pub(crate) async fn send(
        &self,
        envelope: &lettre::address::Envelope,
        body: &[u8],
    ) -> Result<Response, PoolError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| PoolError::Timeout("the pool is closed"))?;
        let mut conn = match self.take_idle().await {
            Some(c) => c,
            None => self.connect().await?,
        };
        // MAIL, each RCPT, DATA and the message itself: one command timeout each.
        let commands = u32::try_from(envelope.to().len())
            .unwrap_or(u32::MAX)
            .saturating_add(3);
        let limit = self.timeout.saturating_mul(commands);
        match tokio::time::timeout(limit, conn.send(envelope, body)).await {
            Ok(Ok(response)) => {
                self.put_idle(conn);
                Ok(response)
            }
            // lettre has closed the connection already (it does on every error).
            Ok(Err(e)) => Err(PoolError::Smtp(e)),
            Err(_) => Err(PoolError::Timeout("sending the message")),
        }
    }

    /// A pooled connection that still works, if any (expired ones are dropped).
    async fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (_, mut conn) = {
                let mut idle = self.idle.lock().ok()?;
                let (expired, fresh): (Vec<_>, Vec<_>) = idle
                    .drain(..)
                    .partition(|(at, _)| at.elapsed() >= IDLE_TIMEOUT);
                *idle = fresh;
                if !expired.is_empty() {
                    // Say goodbye (QUIT) rather than just drop the sockets, off the send path.
                    let limit = self.timeout;
                    tokio::spawn(async move {
                        for (_, mut c) in expired {
                            let _ = tokio::time::timeout(limit, c.abort()).await;
                        }
                    });
                }
                idle.pop()?
            };
            if conn.has_broken() {
                continue;
            }
            let alive = tokio::time::timeout(self.timeout, conn.test_connected()).await;
            if matches!(alive, Ok(true)) {
                return Some(conn);
            }
        }
    }

    fn put_idle(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push((Instant::now(), conn));
        }
    }

    /// Opens, protects and logs in a new connection, each step within the timeout.
    async fn connect(&self) -> Result<AsyncSmtpConnection, PoolError> {
        let t = self.timeout;
        let mut conn = match &self.protection {
            Protection::Implicit(tls) => tokio::time::timeout(
                t,
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(t),
                    &self.hello,
                    Some(tls.clone()),
                    None,
                ),
            )
            .await
            .map_err(|_| PoolError::Timeout("connecting"))?
            .map_err(PoolError::Smtp)?,
            Protection::Plain | Protection::StartTls(_) => {
                let socket = self.tcp().await?;
                tokio::time::timeout(
                    t,
                    AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello),
                )
                .await
                .map_err(|_| PoolError::Timeout("the greeting"))?
                .map_err(PoolError::Smtp)?
            }
        };
        if let Protection::StartTls(tls) = &self.protection {
            // lettre refuses when the server does not offer STARTTLS (nothing is sent then).
            tokio::time::timeout(t, conn.starttls(tls.clone(), &self.hello))
                .await
                .map_err(|_| PoolError::Timeout("STARTTLS"))?
                .map_err(PoolError::Smtp)?;
        }
        if let Some(credentials) = &self.credentials {
            tokio::time::timeout(t, conn.auth(DEFAULT_MECHANISMS, credentials))
                .await
                .map_err(|_| PoolError::Timeout("the login"))?
                .map_err(PoolError::Smtp)?;
        }
        Ok(conn)
    }

    /// A TCP connection with `TCP_NODELAY` to the first address of the host that answers.
    async fn tcp(&self) -> Result<tokio::net::TcpStream, PoolError> {
        let addrs = tokio::time::timeout(
            self.timeout,
            tokio::net::lookup_host((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| PoolError::Timeout("resolving the host"))?
        .map_err(PoolError::Io)?;
        let mut last = None;
        for addr in addrs {
            match tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    s.set_nodelay(true).map_err(PoolError::Io)?;
                    return Ok(s);
                }
                Ok(Err(e)) => last = Some(PoolError::Io(e)),
                Err(_) => last = Some(PoolError::Timeout("connecting")),
            }
        }
        Err(last.unwrap_or_else(|| {
            PoolError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} resolves to no address", self.host),
            ))
        }))
    }
}

#[cfg(test)]
#[path = "smtp_pool_tests.rs"]
mod tests;
