//! Ready-made provider configurations for well-known identity providers.

use crate::provider::OidcProvider;

/// Google's issuer (and, with the well-known suffix, its discovery document).
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Google as an OpenID Connect provider: the issuer `https://accounts.google.com`, its
/// well-known discovery document, and the scopes `openid email profile`.
///
/// Google's id_tokens carry `email`, `email_verified` (a JSON boolean), `name`, `given_name`,
/// `family_name`, and `hd` (the Workspace domain) for Workspace accounts; all of them reach the
/// caller through [`crate::IdClaims::claims`].
pub fn google(
    client_id: impl Into<String>,
    client_secret: impl Into<String>,
    redirect_uri: impl Into<String>,
) -> OidcProvider {
    OidcProvider {
        issuer: GOOGLE_ISSUER.to_owned(),
        discovery_url: None,
        client_id: client_id.into(),
        client_secret: client_secret.into(),
        scopes: vec!["email".to_owned(), "profile".to_owned()],
        redirect_uri: redirect_uri.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_preset_discovers_from_the_well_known_url() {
        let p = google("id", "secret", "https://portico.example.com/cb");
        assert_eq!(
            p.effective_discovery_url(),
            "https://accounts.google.com/.well-known/openid-configuration"
        );
        assert_eq!(p.effective_scopes(), vec!["openid", "email", "profile"]);
        assert!(p.checked().is_ok());
    }
}
