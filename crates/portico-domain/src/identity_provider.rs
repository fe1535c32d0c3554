//! Identity providers a tenant configures for its guests, named as Microsoft Graph names them
//! (`identity/identityProviders`): the social presets (`socialIdentityProvider`) Google,
//! Facebook and Microsoft account, each at most once per tenant under Graph's fixed id
//! (`Google-OAUTH`, ...), and OpenID Connect federations (`oidcIdentityProvider`, in
//! [`crate::oidc_provider`]). The client secret is never kept in clear: the use case seals it
//! under the master key, and Graph reads answer `******` for it, as Entra does.

use crate::ValidationError;
use time::OffsetDateTime;

/// What Graph returns for a client secret.
pub const MASKED_SECRET: &str = "******";

/// The longest client id or client secret accepted.
const MAX_CREDENTIAL_LEN: usize = 1024;

/// A social provider type (`identityProviderType` of a `socialIdentityProvider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocialProviderType {
    /// Google accounts: used for invitees at gmail.com and googlemail.com.
    Google,
    /// Facebook: self-service sign-up only (Facebook accounts cannot redeem invitations).
    Facebook,
    /// Microsoft personal accounts.
    MicrosoftAccount,
}

impl SocialProviderType {
    /// Every type, in the order `availableProviderTypes` lists them.
    pub const ALL: [Self; 3] = [Self::Google, Self::Facebook, Self::MicrosoftAccount];

    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Facebook => "Facebook",
            Self::MicrosoftAccount => "MicrosoftAccount",
        }
    }

    /// Graph's value, read case-insensitively.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// The provider's Graph id, fixed by its type (one per tenant).
    #[must_use]
    pub fn graph_id(self) -> String {
        format!("{}-OAUTH", self.as_str())
    }

    /// The type whose Graph id is `id` (case-insensitive).
    #[must_use]
    pub fn from_graph_id(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.graph_id().eq_ignore_ascii_case(id))
    }
}

/// A configured social identity provider (`Debug` leaves out even the sealed secret).
#[derive(Clone, PartialEq, Eq)]
pub struct SocialIdentityProvider {
    /// Graph's id (`Google-OAUTH`, ...).
    pub id: String,
    /// The name shown on sign-in pages.
    pub display_name: String,
    /// The provider.
    pub provider_type: SocialProviderType,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret, sealed under the master key.
    pub secret_sealed: String,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for SocialIdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocialIdentityProvider")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("provider_type", &self.provider_type)
            .field("client_id", &self.client_id)
            .field("secret_sealed", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// The email domains Google serves for invitations (Gmail consumer accounts), as in Entra.
pub const GOOGLE_DOMAINS: [&str; 2] = ["gmail.com", "googlemail.com"];

/// The `issuer` of the identity a guest who signed in with Google gets (as in Entra).
pub const GOOGLE_IDENTITY_ISSUER: &str = "google.com";

/// Graph's `identityProviderType`-like name of OIDC federations in `availableProviderTypes`.
pub const OPENID_CONNECT: &str = "OpenIDConnect";

/// Any configured identity provider.
// Configuration read a few at a time, never in bulk: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityProvider {
    /// A social preset.
    Social(SocialIdentityProvider),
    /// An OpenID Connect federation.
    Oidc(crate::oidc_provider::OidcIdentityProvider),
    /// A SAML 2.0 direct federation (Graph: `directory/federationConfigurations`).
    Saml(crate::saml_federation::SamlFederation),
}

impl IdentityProvider {
    /// Its id.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Self::Social(p) => &p.id,
            Self::Oidc(p) => &p.id,
            Self::Saml(p) => &p.id,
        }
    }

    /// Its display name.
    #[must_use]
    pub fn display_name(&self) -> &str {
        match self {
            Self::Social(p) => &p.display_name,
            Self::Oidc(p) => &p.display_name,
            Self::Saml(p) => &p.display_name,
        }
    }
}

/// A change to any identity provider (`PATCH identity/identityProviders/{id}`), as parsed
/// before the provider's type is known: the use case refuses properties the stored type does
/// not have (`present` names what the request sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityProviderPatch {
    /// The Graph property names the request sent.
    pub present: Vec<String>,
    /// The social part.
    pub social: SocialProviderPatch,
    /// The OIDC part.
    pub oidc: crate::oidc_provider::OidcProviderPatch,
}

/// A request to add a social provider (`POST identity/identityProviders`). `Debug` never
/// shows the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewSocialProvider {
    /// Optional display name (the provider's name when absent).
    pub display_name: Option<String>,
    /// `identityProviderType`.
    pub provider_type: String,
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret` (in clear: the use case seals it).
    pub client_secret: String,
}

impl std::fmt::Debug for NewSocialProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSocialProvider")
            .field("display_name", &self.display_name)
            .field("provider_type", &self.provider_type)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// A validated [`NewSocialProvider`]. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidSocialProvider {
    /// The display name.
    pub display_name: String,
    /// The provider.
    pub provider_type: SocialProviderType,
    /// The client id.
    pub client_id: String,
    /// The client secret, in clear.
    pub client_secret: String,
}

impl std::fmt::Debug for ValidSocialProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidSocialProvider")
            .field("display_name", &self.display_name)
            .field("provider_type", &self.provider_type)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

impl NewSocialProvider {
    /// Checks every field, naming the first bad one. The masked value reads return
    /// (`******`) is not a secret and is refused.
    pub fn validated(self) -> Result<ValidSocialProvider, ValidationError> {
        let provider_type =
            SocialProviderType::parse(self.provider_type.trim()).ok_or_else(|| {
                let shown: String = self.provider_type.chars().take(64).collect();
                ValidationError::new(
                    "identityProviderType",
                    format!(
                        "'{shown}' is not a supported identity provider type; use one of {}",
                        SocialProviderType::ALL
                            .map(SocialProviderType::as_str)
                            .join(", ")
                    ),
                )
            })?;
        if is_masked(&self.client_secret) {
            return Err(ValidationError::new(
                "clientSecret",
                "this is the masked value reads return, not a secret: send the client secret itself",
            ));
        }
        let display_name = match self.display_name.as_deref() {
            Some(n) => crate::validate::display_name("displayName", n)?,
            None => provider_type.as_str().to_owned(),
        };
        Ok(ValidSocialProvider {
            display_name,
            provider_type,
            client_id: credential("clientId", &self.client_id)?,
            client_secret: credential("clientSecret", &self.client_secret)?,
        })
    }
}

/// A change to a social provider (`PATCH identity/identityProviders/{id}`): absent fields keep
/// their values; the type cannot change. `Debug` never shows the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SocialProviderPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New client id.
    pub client_id: Option<String>,
    /// New client secret, in clear.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for SocialProviderPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocialProviderPatch")
            .field("display_name", &self.display_name)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Whether `s` is (only) the mask reads return for a secret.
pub(crate) fn is_masked(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().all(|c| c == '*')
}

impl SocialProviderPatch {
    /// Checks every present field, canonicalizing them. A `clientSecret` that is the mask reads
    /// return (`******`, as a client sends back an object it read) keeps the stored secret.
    pub fn validated(self) -> Result<Self, ValidationError> {
        let client_secret = self.client_secret.filter(|s| !is_masked(s));
        Ok(Self {
            display_name: self
                .display_name
                .map(|n| crate::validate::display_name("displayName", &n))
                .transpose()?,
            client_id: self
                .client_id
                .map(|c| credential("clientId", &c))
                .transpose()?,
            client_secret: client_secret
                .map(|c| credential("clientSecret", &c))
                .transpose()?,
        })
    }

    /// Whether the patch changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none() && self.client_id.is_none() && self.client_secret.is_none()
    }
}

/// A client id or secret: not blank, no control characters, at most 1,024 characters
/// (surrounding spaces are dropped).
pub(crate) fn credential(field: &'static str, value: &str) -> Result<String, ValidationError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "a value is required"));
    }
    if v.chars().count() > MAX_CREDENTIAL_LEN {
        return Err(ValidationError::new(
            field,
            format!("at most {MAX_CREDENTIAL_LEN} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(t: &str) -> NewSocialProvider {
        NewSocialProvider {
            display_name: None,
            provider_type: t.into(),
            client_id: " client-1 ".into(),
            client_secret: "s3cret".into(),
        }
    }

    #[test]
    fn types_ids_and_defaults() {
        let v = new("google").validated().unwrap();
        assert_eq!(v.provider_type, SocialProviderType::Google);
        assert_eq!(v.display_name, "Google");
        assert_eq!(v.client_id, "client-1");
        assert_eq!(v.provider_type.graph_id(), "Google-OAUTH");
        assert_eq!(
            SocialProviderType::from_graph_id("facebook-oauth"),
            Some(SocialProviderType::Facebook)
        );
        assert_eq!(SocialProviderType::from_graph_id("Google"), None);
        assert_eq!(
            new("MicrosoftAccount").validated().unwrap().provider_type,
            SocialProviderType::MicrosoftAccount
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let e = new("Amazon").validated().unwrap_err();
        assert_eq!(e.field, "identityProviderType");
        let mut n = new("Google");
        n.client_id = "  ".into();
        assert_eq!(n.validated().unwrap_err().field, "clientId");
        let mut n = new("Google");
        n.client_secret = "a\u{0}b".into();
        assert_eq!(n.validated().unwrap_err().field, "clientSecret");
        let mut n = new("Google");
        n.client_secret = "x".repeat(1025);
        assert_eq!(n.validated().unwrap_err().field, "clientSecret");
        let mut n = new("Google");
        n.display_name = Some(String::new());
        assert_eq!(n.validated().unwrap_err().field, "displayName");
        let p = SocialProviderPatch {
            client_id: Some(String::new()),
            ..SocialProviderPatch::default()
        };
        assert_eq!(p.validated().unwrap_err().field, "clientId");
        assert!(SocialProviderPatch::default().is_empty());
        let e = new(&"x".repeat(500)).validated().unwrap_err();
        assert!(e.message.len() < 200, "{}", e.message);
    }

    #[test]
    fn the_mask_is_not_a_secret_and_debug_hides_secrets() {
        let mut n = new("Google");
        n.client_secret = "******".into();
        assert_eq!(n.validated().unwrap_err().field, "clientSecret");
        let p = SocialProviderPatch {
            client_secret: Some("******".into()),
            ..SocialProviderPatch::default()
        }
        .validated()
        .unwrap();
        assert!(p.is_empty(), "sending the mask back keeps the secret");
        let shown = format!(
            "{:?} {:?} {:?}",
            new("Google"),
            new("Google").validated().unwrap(),
            SocialProviderPatch {
                client_secret: Some("s3cret".into()),
                ..SocialProviderPatch::default()
            }
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
