//! Tenants (organizations) and their domains.

use crate::validate::{self, DomainName};
use crate::{TenantId, ValidationError};
use time::OffsetDateTime;

/// Longest label used for the initial domain built from a tenant name.
const MAX_SLUG: usize = 27;

/// A tenant: one organization's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant id (GUID).
    pub id: TenantId,
    /// The organization's display name.
    pub display_name: String,
    /// The initial domain, `<slug>.<suffix>`; always verified, never removable.
    pub initial_domain: DomainName,
    /// Sign-in page and email branding.
    pub branding: Branding,
    /// Language used for pages and emails when the user has no preference (e.g. `en-US`).
    pub default_language: String,
    /// When the tenant was created.
    pub created_at: OffsetDateTime,
}

/// Company branding shown on sign-in pages and emails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    /// Name shown to people signing in; the tenant's display name when unset.
    pub name: Option<String>,
    /// Absolute https URL of the logo.
    pub logo_url: Option<String>,
    /// Accent colour `#RRGGBB`.
    pub accent_color: Option<String>,
    /// Absolute URL of the organization's privacy statement (shown on consent pages).
    pub privacy_statement_url: Option<String>,
}

impl Branding {
    /// Validates every field that is set.
    pub fn validated(self) -> Result<Self, ValidationError> {
        Ok(Self {
            name: validate::optional_text("branding.name", self.name.as_deref(), 256)?,
            logo_url: self
                .logo_url
                .map(|u| validate::absolute_url("branding.bannerLogo", &u, true).map(String::from))
                .transpose()?,
            accent_color: self
                .accent_color
                .map(|c| validate::hex_colour("branding.backgroundColor", &c))
                .transpose()?,
            privacy_statement_url: self
                .privacy_statement_url
                .map(|u| {
                    validate::absolute_url("privacyProfile.statementUrl", &u, false)
                        .map(String::from)
                })
                .transpose()?,
        })
    }
}

/// Builds the label of an initial domain from a tenant name: lower-case ASCII letters and
/// digits only, at most 27 characters, `directory` when nothing is left.
#[must_use]
pub fn initial_domain_label(tenant_name: &str) -> String {
    let slug: String = tenant_name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(MAX_SLUG)
        .collect();
    if slug.is_empty() {
        "directory".to_owned()
    } else {
        slug
    }
}

/// How a domain was proven to belong to the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationMethod {
    /// The tenant's initial domain, verified by construction.
    Initial,
    /// A DNS TXT record carrying the verification code was found.
    DnsTxt,
    /// An administrator asserted ownership (offline or development use).
    AdminOverride,
}

impl VerificationMethod {
    /// Stable storage name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::DnsTxt => "dnsTxt",
            Self::AdminOverride => "adminOverride",
        }
    }

    /// Parses the storage name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "initial" => Some(Self::Initial),
            "dnsTxt" => Some(Self::DnsTxt),
            "adminOverride" => Some(Self::AdminOverride),
            _ => None,
        }
    }
}

/// A domain name registered in a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain name (Graph's `id`).
    pub name: DomainName,
    /// Whether this is the tenant's initial domain.
    pub is_initial: bool,
    /// Whether ownership has been verified. A domain is verified in at most one tenant.
    pub is_verified: bool,
    /// Whether new users get UPNs in this domain by default.
    pub is_default: bool,
    /// The value to publish as a DNS TXT record: `portico-verification=<code>`.
    pub verification_code: String,
    /// How it was verified, once it is.
    pub verification_method: Option<VerificationMethod>,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it was verified.
    pub verified_at: Option<OffsetDateTime>,
}

impl Domain {
    /// The TXT record value that proves ownership.
    #[must_use]
    pub fn expected_txt_record(&self) -> String {
        format!("portico-verification={}", self.verification_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_domain_labels() {
        assert_eq!(
            initial_domain_label("Default Directory"),
            "defaultdirectory"
        );
        assert_eq!(initial_domain_label("Contoso, Ltd."), "contosoltd");
        assert_eq!(initial_domain_label("株式会社"), "directory");
        assert_eq!(initial_domain_label(&"a".repeat(40)).len(), 27);
    }

    #[test]
    fn branding_is_validated() {
        let ok = Branding {
            name: Some(" Contoso ".into()),
            logo_url: Some("https://cdn.contoso.com/logo.png".into()),
            accent_color: Some("#0f6cbd".into()),
            privacy_statement_url: Some("https://contoso.com/privacy".into()),
        }
        .validated()
        .unwrap();
        assert_eq!(ok.name.as_deref(), Some("Contoso"));
        assert_eq!(ok.accent_color.as_deref(), Some("#0F6CBD"));
        let bad = Branding {
            logo_url: Some("http://cdn.contoso.com/logo.png".into()),
            ..Branding::default()
        };
        assert_eq!(bad.validated().unwrap_err().field, "branding.bannerLogo");
    }
}
