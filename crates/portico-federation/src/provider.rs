//! [`OidcProvider`]: one OpenID Connect provider as a tenant configured it.

use std::fmt;

use openidconnect::{ClientId, IssuerUrl, RedirectUrl};
use url::Url;

use crate::error::FederationError;
use crate::url_check::check_url;

/// The scope every authentication request carries, first.
pub(crate) const OPENID_SCOPE: &str = "openid";

/// One OpenID Connect provider as configured by a tenant. `Debug` redacts the client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// The expected `iss`, compared as an exact string as OpenID Connect requires.
    pub issuer: String,
    /// Where the discovery document lives; when `None`, the issuer (trailing `/` trimmed)
    /// followed by `/.well-known/openid-configuration`.
    pub discovery_url: Option<String>,
    /// The client id Portico is registered under at the provider.
    pub client_id: String,
    /// The client secret for the token endpoint (`client_secret_basic` or `_post`).
    pub client_secret: String,
    /// Scopes to request; `openid` is always sent, once, first; duplicates are dropped.
    pub scopes: Vec<String>,
    /// Portico's callback URL registered at the provider.
    pub redirect_uri: String,
}

impl OidcProvider {
    /// The discovery URL in effect: the configured one, or the issuer's well-known URL.
    pub fn effective_discovery_url(&self) -> String {
        match &self.discovery_url {
            Some(url) => url.trim().to_owned(),
            None => format!(
                "{}/.well-known/openid-configuration",
                self.issuer.trim().trim_end_matches('/')
            ),
        }
    }

    /// The scopes sent: `openid` first, then the configured ones in order, without blanks or
    /// duplicates.
    pub fn effective_scopes(&self) -> Vec<String> {
        let mut scopes = vec![OPENID_SCOPE.to_owned()];
        for scope in self.scopes.iter().flat_map(|s| s.split_whitespace()) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        scopes
    }

    /// Checks the configuration without any network call and returns its typed parts.
    pub(crate) fn checked(&self) -> Result<CheckedProvider, FederationError> {
        if self.client_id.is_empty() {
            return Err(FederationError::Config("the client id is empty".into()));
        }
        check_url(&self.issuer)
            .map_err(|e| FederationError::Config(format!("the issuer is unusable: {e}")))?;
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|e| FederationError::Config(format!("the issuer is not a URL ({e})")))?;
        let discovery_url = check_url(&self.effective_discovery_url())
            .map_err(|e| FederationError::Config(format!("the discovery URL is unusable: {e}")))?;
        let redirect_uri = RedirectUrl::new(self.redirect_uri.clone())
            .map_err(|e| FederationError::Config(format!("the redirect URI is not a URL ({e})")))?;
        Ok(CheckedProvider {
            issuer,
            discovery_url,
            client_id: ClientId::new(self.client_id.clone()),
            redirect_uri,
        })
    }
}

/// The typed, checked parts of an [`OidcProvider`].
pub(crate) struct CheckedProvider {
    pub(crate) issuer: IssuerUrl,
    pub(crate) discovery_url: Url,
    pub(crate) client_id: ClientId,
    pub(crate) redirect_uri: RedirectUrl,
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.issuer)
            .field("discovery_url", &self.discovery_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> OidcProvider {
        OidcProvider {
            issuer: "https://idp.example.com/tenant/".into(),
            discovery_url: None,
            client_id: "portico".into(),
            client_secret: "s3cr3t-value".into(),
            scopes: vec![
                "email".into(),
                "openid".into(),
                "profile email".into(),
                " ".into(),
            ],
            redirect_uri: "https://portico.example.com/federation/callback".into(),
        }
    }

    #[test]
    fn discovery_url_defaults_to_the_issuers_well_known_url() {
        let mut p = provider();
        assert_eq!(
            p.effective_discovery_url(),
            "https://idp.example.com/tenant/.well-known/openid-configuration"
        );
        p.discovery_url = Some("https://other.example.com/conf".into());
        assert_eq!(
            p.effective_discovery_url(),
            "https://other.example.com/conf"
        );
    }

    #[test]
    fn scopes_start_with_openid_once_and_drop_duplicates() {
        assert_eq!(
            provider().effective_scopes(),
            vec!["openid", "email", "profile"]
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let shown = format!("{:?}", provider());
        assert!(!shown.contains("s3cr3t-value"));
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn checked_refuses_bad_configuration() {
        let mut p = provider();
        p.issuer = "http://idp.example.com".into();
        assert!(matches!(p.checked(), Err(FederationError::Config(_))));
        let mut p = provider();
        p.client_id.clear();
        assert!(matches!(p.checked(), Err(FederationError::Config(_))));
        let mut p = provider();
        p.redirect_uri = "not a url".into();
        assert!(matches!(p.checked(), Err(FederationError::Config(_))));
        assert!(provider().checked().is_ok());
    }
}
