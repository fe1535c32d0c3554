//! [`Begin`]: the start of a sign-in at a provider.

use std::fmt;

/// The start of a sign-in at the provider. `Debug` redacts the nonce and the PKCE verifier
/// and shows the URL without its query (which carries the nonce).
#[derive(Clone, PartialEq, Eq)]
pub struct Begin {
    /// The provider's authorization URL with `response_type=code`, `client_id`,
    /// `redirect_uri`, `scope`, `state`, `nonce`, `code_challenge` (S256),
    /// `code_challenge_method`, and `login_hint` when given.
    pub url: String,
    /// The nonce sent (random, 128 bits); keep it for [`crate::Federation::finish`].
    pub nonce: String,
    /// The PKCE verifier (random, 256 bits) whose S256 challenge was sent; keep it for
    /// [`crate::Federation::finish`].
    pub pkce_verifier: String,
}

impl fmt::Debug for Begin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.url.split(['?', '#']).next().unwrap_or_default();
        f.debug_struct("Begin")
            .field("url", &format_args!("{url}?<redacted>"))
            .field("nonce", &"<redacted>")
            .field("pkce_verifier", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_nonce_verifier_and_query() {
        let begin = Begin {
            url: "https://idp.example.com/authorize?nonce=n0nce-value&state=s".into(),
            nonce: "n0nce-value".into(),
            pkce_verifier: "v3rifier-value".into(),
        };
        let shown = format!("{begin:?}");
        assert!(!shown.contains("n0nce-value"), "{shown}");
        assert!(!shown.contains("v3rifier-value"), "{shown}");
        assert!(
            shown.contains("https://idp.example.com/authorize"),
            "{shown}"
        );
    }
}
