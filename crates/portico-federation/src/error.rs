//! [`FederationError`]: why talking to an identity provider failed, in messages that are safe
//! to log (they never hold a secret, an authorization code, a PKCE verifier or a token).

/// Why a federation step failed.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// The provider could not be reached or did not answer in time (connection refused, DNS,
    /// TLS, timeout, 5xx).
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    /// Its discovery document or JWKS is unusable (bad JSON, issuer mismatch with the
    /// configured issuer, no authorization/token endpoint, no usable keys, a 4xx), or its token
    /// endpoint answered outside the protocol (a redirect, an oversized or non-JSON answer).
    #[error("the identity provider's metadata is unusable: {0}")]
    BadMetadata(String),
    /// The token endpoint refused the code (its `error` and `error_description`, bounded in
    /// length).
    #[error(
        "the identity provider refused the authorization code: {error}{}",
        .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    TokenRefused {
        /// The OAuth `error` code, e.g. `invalid_grant`.
        error: String,
        /// The `error_description`, when the provider sent one.
        description: Option<String>,
    },
    /// The id_token failed validation: signature, `alg: none` or an unsupported algorithm,
    /// issuer, audience/azp, expiry/iat, nonce, a missing id_token, or a key that is unknown
    /// even after one JWKS refresh.
    #[error("the id_token is invalid: {0}")]
    InvalidIdToken(String),
    /// The provider configuration itself is unusable (a bad URL and the like).
    #[error("the identity provider configuration is unusable: {0}")]
    Config(String),
}

impl FederationError {
    /// The same error with every occurrence of the given secrets in its texts replaced, in
    /// case a provider echoes one (say the code in an `error_description`). Empty strings are
    /// ignored.
    pub(crate) fn scrubbed(self, secrets: &[&str]) -> Self {
        let scrub = |mut text: String| {
            for secret in secrets.iter().filter(|s| !s.is_empty()) {
                text = text.replace(secret, "<redacted>");
            }
            text
        };
        match self {
            Self::Unreachable(m) => Self::Unreachable(scrub(m)),
            Self::BadMetadata(m) => Self::BadMetadata(scrub(m)),
            Self::TokenRefused { error, description } => Self::TokenRefused {
                error: scrub(error),
                description: description.map(scrub),
            },
            Self::InvalidIdToken(m) => Self::InvalidIdToken(scrub(m)),
            Self::Config(m) => Self::Config(scrub(m)),
        }
    }
}

/// Longest text taken from a provider's answer into an error message.
pub(crate) const MAX_ECHO_CHARS: usize = 300;

/// `text` without control characters and cut to at most `max` characters, so that what a
/// provider sends can be put into a log line.
pub(crate) fn bounded(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().filter(|c| !c.is_control()).enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_and_strips_control_characters() {
        assert_eq!(bounded("a\nb\tc", 10), "abc");
        assert_eq!(bounded("abcdef", 3), "abc…");
        assert_eq!(bounded("äöü", 3), "äöü");
    }

    #[test]
    fn scrubbed_replaces_echoed_secrets() {
        let e = FederationError::TokenRefused {
            error: "invalid_grant".into(),
            description: Some("code abc123 was already used".into()),
        }
        .scrubbed(&["abc123", ""]);
        assert_eq!(
            e.to_string(),
            "the identity provider refused the authorization code: invalid_grant \
             (code <redacted> was already used)"
        );
    }

    #[test]
    fn token_refused_display_includes_description_when_present() {
        let e = FederationError::TokenRefused {
            error: "invalid_grant".into(),
            description: Some("code expired".into()),
        };
        assert!(e.to_string().ends_with("invalid_grant (code expired)"));
        let e = FederationError::TokenRefused {
            error: "invalid_grant".into(),
            description: None,
        };
        assert!(e.to_string().ends_with("invalid_grant"));
    }
}
