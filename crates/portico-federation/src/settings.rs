//! [`FederationSettings`]: timeouts, cache lifetime and extra trust for outbound calls.

use std::fmt;
use std::time::Duration;

/// Settings for outbound calls to identity providers.
#[derive(Clone, PartialEq, Eq)]
pub struct FederationSettings {
    /// Upper bound for a whole request (connect, send, read the answer).
    pub timeout: Duration,
    /// Upper bound for establishing the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// How long discovery metadata and the JWKS are cached per discovery URL.
    pub metadata_ttl: Duration,
    /// An additional trusted CA certificate (PEM, one or more certificates), for example for
    /// tests with local TLS or a partner with a private CA.
    pub extra_root_pem: Option<Vec<u8>>,
}

impl Default for FederationSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            metadata_ttl: Duration::from_secs(3600),
            extra_root_pem: None,
        }
    }
}

impl fmt::Debug for FederationSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederationSettings")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("metadata_ttl", &self.metadata_ttl)
            .field(
                "extra_root_pem",
                &self.extra_root_pem.as_ref().map(|pem| pem.len()),
            )
            .finish()
    }
}
