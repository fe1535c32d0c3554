//! SAML 2.0 direct federations a tenant configures for partner organizations, named as Graph
//! names them (`samlOrWsFedExternalDomainFederation` under `directory/federationConfigurations`):
//! the partner IdP's issuer URI, its passive sign-in URL (where AuthnRequests go), its token
//! signing certificate, optionally its metadata URL (for certificate rollover), and the email
//! domains whose guests sign in through it. Portico speaks SAML 2.0 only: WS-Federation
//! (`preferredAuthenticationProtocol: wsFed`) is refused with a clear message.
//!
//! The certificate is checked by the use case (the X.509 parser lives with the SAML code);
//! here it is carried as Graph carries it, base64 of the DER encoding.

use crate::ValidationError;
use crate::oidc_provider::domains;
use crate::validate::DomainName;
use time::OffsetDateTime;

/// The longest issuer URI accepted.
const MAX_ISSUER: usize = 1024;
/// The longest certificate (base64) accepted.
pub const MAX_CERTIFICATE: usize = 16 * 1024;

/// The only protocol Portico federates with in this family.
pub const SAML: &str = "saml";
/// Graph's value for WS-Federation (refused).
const WS_FED: &str = "wsFed";

/// A configured SAML federation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlFederation {
    /// Its id (a GUID, as Entra gives).
    pub id: String,
    /// The name shown on sign-in pages.
    pub display_name: String,
    /// The IdP's entity id: the `Issuer` of its responses, and the `issuer` of guests'
    /// identities.
    pub issuer_uri: String,
    /// Where AuthnRequests are sent (HTTP-Redirect binding).
    pub passive_sign_in_uri: String,
    /// The token signing certificate, base64 of its DER encoding.
    pub signing_certificate: String,
    /// A certificate the IdP's metadata announced next (rollover); trusted beside the current
    /// one until it replaces it.
    pub next_signing_certificate: Option<String>,
    /// The IdP's metadata URL, refreshed for certificate rollover.
    pub metadata_exchange_uri: Option<String>,
    /// The email domains it serves, canonical.
    pub domains: Vec<DomainName>,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl SamlFederation {
    /// The certificates a response may be signed with (current first).
    #[must_use]
    pub fn certificates(&self) -> Vec<&str> {
        std::iter::once(self.signing_certificate.as_str())
            .chain(self.next_signing_certificate.as_deref())
            .collect()
    }
}

/// A request to add a SAML federation (`POST …/samlOrWsFedExternalDomainFederation`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSamlFederation {
    /// `displayName`; the issuer URI when absent.
    pub display_name: Option<String>,
    /// `issuerUri` (required).
    pub issuer_uri: String,
    /// `passiveSignInUri` (required).
    pub passive_sign_in_uri: String,
    /// `signingCertificate` (required).
    pub signing_certificate: String,
    /// `metadataExchangeUri`.
    pub metadata_exchange_uri: Option<String>,
    /// `preferredAuthenticationProtocol`: `saml` (the default).
    pub preferred_authentication_protocol: Option<String>,
    /// `domains` (their ids).
    pub domains: Vec<String>,
}

/// A validated [`NewSamlFederation`] (the certificate still unchecked: see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSamlFederation {
    /// The display name.
    pub display_name: String,
    /// The issuer URI.
    pub issuer_uri: String,
    /// The passive sign-in URL.
    pub passive_sign_in_uri: String,
    /// The certificate as given (trimmed).
    pub signing_certificate: String,
    /// The metadata URL.
    pub metadata_exchange_uri: Option<String>,
    /// The domains served.
    pub domains: Vec<DomainName>,
}

/// Checks an issuer URI: an absolute URI (a URL or a URN), compared exactly later.
pub fn issuer_uri(v: &str) -> Result<String, ValidationError> {
    let t = v.trim();
    let shown: String = t.chars().take(64).collect();
    if t.is_empty() || t.len() > MAX_ISSUER || t.chars().any(|c| c.is_control() || c == ' ') {
        return Err(ValidationError::new(
            "issuerUri",
            format!("the issuer URI must be 1 to {MAX_ISSUER} characters without spaces"),
        ));
    }
    if url::Url::parse(t).is_err() {
        return Err(ValidationError::new(
            "issuerUri",
            format!(
                "'{shown}' is not an absolute URI (the IdP's entity id, e.g. https://sts.fabrikam.com/adfs/services/trust)"
            ),
        ));
    }
    Ok(t.to_owned())
}

/// Checks the passive sign-in URL: https (http only for loopback hosts), no fragment.
pub fn passive_sign_in_uri(v: &str) -> Result<String, ValidationError> {
    Ok(crate::validate::absolute_url("passiveSignInUri", v, true)?.to_string())
}

/// Checks the metadata URL: https (http only for loopback hosts).
pub fn metadata_exchange_uri(v: &str) -> Result<String, ValidationError> {
    Ok(crate::validate::absolute_url("metadataExchangeUri", v, true)?.to_string())
}

/// Checks `preferredAuthenticationProtocol`.
pub fn protocol(v: Option<&str>) -> Result<(), ValidationError> {
    match v.map(str::trim) {
        None => Ok(()),
        Some(p) if p.eq_ignore_ascii_case(SAML) => Ok(()),
        Some(p) if p.eq_ignore_ascii_case(WS_FED) => Err(ValidationError::new(
            "preferredAuthenticationProtocol",
            "Portico federates with SAML 2.0 identity providers only: WS-Federation is not supported (set 'saml')",
        )),
        Some(other) => {
            let shown: String = other.chars().take(32).collect();
            Err(ValidationError::new(
                "preferredAuthenticationProtocol",
                format!("'{shown}' is not a protocol; use 'saml'"),
            ))
        }
    }
}

/// Checks the certificate's size and presence (its content is parsed by the use case).
pub fn certificate_text(v: &str) -> Result<String, ValidationError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(ValidationError::new(
            "signingCertificate",
            "the IdP's token signing certificate is required (base64 of the certificate, as in its metadata)",
        ));
    }
    if t.len() > MAX_CERTIFICATE {
        return Err(ValidationError::new(
            "signingCertificate",
            format!("a certificate is at most {MAX_CERTIFICATE} characters"),
        ));
    }
    Ok(t.to_owned())
}

impl NewSamlFederation {
    /// Checks every field, naming the first bad one.
    pub fn validated(self) -> Result<ValidSamlFederation, ValidationError> {
        protocol(self.preferred_authentication_protocol.as_deref())?;
        let issuer_uri = issuer_uri(&self.issuer_uri)?;
        let passive_sign_in_uri = passive_sign_in_uri(&self.passive_sign_in_uri)?;
        let signing_certificate = certificate_text(&self.signing_certificate)?;
        let metadata_exchange_uri = self
            .metadata_exchange_uri
            .as_deref()
            .map(metadata_exchange_uri)
            .transpose()?;
        let display_name = match self.display_name.as_deref() {
            Some(n) => crate::validate::display_name("displayName", n)?,
            None => issuer_uri.chars().take(256).collect(),
        };
        Ok(ValidSamlFederation {
            display_name,
            issuer_uri,
            passive_sign_in_uri,
            signing_certificate,
            metadata_exchange_uri,
            domains: domains(&self.domains)?,
        })
    }
}

/// A change (`PATCH`): each `Some` replaces; `metadata_exchange_uri: Some(None)` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamlFederationPatch {
    /// `displayName`.
    pub display_name: Option<String>,
    /// `issuerUri`.
    pub issuer_uri: Option<String>,
    /// `passiveSignInUri`.
    pub passive_sign_in_uri: Option<String>,
    /// `signingCertificate`.
    pub signing_certificate: Option<String>,
    /// `metadataExchangeUri` (`Some(None)`: null).
    pub metadata_exchange_uri: Option<Option<String>>,
    /// `preferredAuthenticationProtocol`.
    pub preferred_authentication_protocol: Option<String>,
    /// `domains` (the whole list).
    pub domains: Option<Vec<String>>,
}

impl SamlFederationPatch {
    /// `cur` with the patch applied (each value checked), and the Graph names of what changed.
    /// A new signing certificate is taken as given: the use case parses and normalizes it.
    pub fn apply(
        &self,
        cur: &SamlFederation,
    ) -> Result<(SamlFederation, Vec<&'static str>), ValidationError> {
        protocol(self.preferred_authentication_protocol.as_deref())?;
        let mut next = cur.clone();
        let mut changed = Vec::new();
        if let Some(n) = &self.display_name {
            let n = crate::validate::display_name("displayName", n)?;
            if n != cur.display_name {
                next.display_name = n;
                changed.push("displayName");
            }
        }
        if let Some(i) = &self.issuer_uri {
            let i = issuer_uri(i)?;
            if i != cur.issuer_uri {
                next.issuer_uri = i;
                changed.push("issuerUri");
            }
        }
        if let Some(u) = &self.passive_sign_in_uri {
            let u = passive_sign_in_uri(u)?;
            if u != cur.passive_sign_in_uri {
                next.passive_sign_in_uri = u;
                changed.push("passiveSignInUri");
            }
        }
        if let Some(c) = &self.signing_certificate {
            let c = certificate_text(c)?;
            if c != cur.signing_certificate {
                next.signing_certificate = c;
                changed.push("signingCertificate");
            }
        }
        if let Some(m) = &self.metadata_exchange_uri {
            let m = m.as_deref().map(metadata_exchange_uri).transpose()?;
            if m != cur.metadata_exchange_uri {
                next.metadata_exchange_uri = m;
                changed.push("metadataExchangeUri");
            }
        }
        if let Some(d) = &self.domains {
            let d = domains(d)?;
            if d != cur.domains {
                next.domains = d;
                changed.push("domains");
            }
        }
        Ok((next, changed))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn new() -> NewSamlFederation {
        NewSamlFederation {
            display_name: None,
            issuer_uri: " https://sts.fabrikam.com/adfs/services/trust ".into(),
            passive_sign_in_uri: "https://sts.fabrikam.com/adfs/ls/".into(),
            signing_certificate: "MIIB".into(),
            metadata_exchange_uri: None,
            preferred_authentication_protocol: Some("SAML".into()),
            domains: vec!["Fabrikam.com".into(), "fabrikam.com".into()],
        }
    }

    #[test]
    fn validates_and_canonicalizes() {
        let v = new().validated().unwrap();
        assert_eq!(v.issuer_uri, "https://sts.fabrikam.com/adfs/services/trust");
        assert_eq!(v.display_name, v.issuer_uri);
        assert_eq!(v.domains.len(), 1);
        assert_eq!(v.domains[0].as_str(), "fabrikam.com");
    }

    #[test]
    fn urn_issuers_are_accepted() {
        let mut n = new();
        n.issuer_uri = "urn:federation:fabrikam".into();
        assert!(n.validated().is_ok());
    }

    #[test]
    fn refuses_bad_input_naming_the_field() {
        type Mutate = fn(&mut NewSamlFederation);
        let cases: Vec<(Mutate, &str)> = vec![
            (
                |n| n.preferred_authentication_protocol = Some("wsFed".into()),
                "preferredAuthenticationProtocol",
            ),
            (
                |n| n.preferred_authentication_protocol = Some("kerberos".into()),
                "preferredAuthenticationProtocol",
            ),
            (|n| n.issuer_uri = "not a uri".into(), "issuerUri"),
            (|n| n.issuer_uri = String::new(), "issuerUri"),
            (
                |n| n.passive_sign_in_uri = "http://sts.fabrikam.com/adfs/ls/".into(),
                "passiveSignInUri",
            ),
            (
                |n| n.passive_sign_in_uri = "ftp://x/".into(),
                "passiveSignInUri",
            ),
            (
                |n| n.signing_certificate = "  ".into(),
                "signingCertificate",
            ),
            (
                |n| n.signing_certificate = "A".repeat(MAX_CERTIFICATE + 1),
                "signingCertificate",
            ),
            (
                |n| n.metadata_exchange_uri = Some("http://fabrikam.com/md".into()),
                "metadataExchangeUri",
            ),
            (|n| n.domains = vec![], "domains"),
            (|n| n.domains = vec!["not a domain".into()], "domains"),
        ];
        for (mutate, field) in cases {
            let mut n = new();
            mutate(&mut n);
            let e = n.validated().unwrap_err();
            assert_eq!(e.field, field, "{}", e.message);
        }
    }

    #[test]
    fn loopback_http_is_accepted_for_development() {
        let mut n = new();
        n.passive_sign_in_uri = "http://127.0.0.1:8092/sso".into();
        assert!(n.validated().is_ok());
    }

    #[test]
    fn patch_reports_what_changed() {
        let v = new().validated().unwrap();
        let now = OffsetDateTime::now_utc();
        let cur = SamlFederation {
            id: "x".into(),
            display_name: v.display_name,
            issuer_uri: v.issuer_uri,
            passive_sign_in_uri: v.passive_sign_in_uri,
            signing_certificate: v.signing_certificate,
            next_signing_certificate: None,
            metadata_exchange_uri: None,
            domains: v.domains,
            created_at: now,
            updated_at: now,
        };
        let p = SamlFederationPatch {
            display_name: Some(cur.display_name.clone()),
            signing_certificate: Some("MIIC".into()),
            domains: Some(vec!["fabrikam.com".into(), "contoso.com".into()]),
            ..SamlFederationPatch::default()
        };
        let (next, changed) = p.apply(&cur).unwrap();
        assert_eq!(changed, vec!["signingCertificate", "domains"]);
        assert_eq!(next.domains.len(), 2);
        let bad = SamlFederationPatch {
            preferred_authentication_protocol: Some("wsFed".into()),
            ..SamlFederationPatch::default()
        };
        assert!(bad.apply(&cur).is_err());
    }
}
