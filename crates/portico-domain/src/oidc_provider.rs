//! OpenID Connect federations a tenant configures for partner organizations, named as Graph
//! names them (`oidcIdentityProvider` in `identity/identityProviders`), plus Portico's
//! `domains`: the email domains whose guests sign in through the provider (home realm
//! discovery). The client secret is sealed by the use case; reads answer `******`.

use crate::ValidationError;
use crate::identity_provider::{credential, is_masked};
use crate::validate::DomainName;
use time::OffsetDateTime;

/// The scope asked for when none is configured.
pub const DEFAULT_SCOPE: &str = "openid profile email";
/// The most email domains one provider serves.
pub const MAX_DOMAINS: usize = 100;
/// The longest scope string accepted.
const MAX_SCOPE: usize = 1024;
/// The longest claim name accepted in a mapping.
const MAX_CLAIM_NAME: usize = 128;

/// Which claim of the provider's `id_token` carries each property (`inboundClaimMapping`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ClaimMapping {
    /// The stable subject (`sub`).
    pub sub: String,
    /// The email address (`email`).
    pub email: String,
    /// Whether the provider verified the address (`email_verified`).
    pub email_verified: String,
    /// The full name (`name`).
    pub name: String,
    /// The given name (`given_name`).
    pub given_name: String,
    /// The family name (`family_name`).
    pub family_name: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            sub: "sub".into(),
            email: "email".into(),
            email_verified: "email_verified".into(),
            name: "name".into(),
            given_name: "given_name".into(),
            family_name: "family_name".into(),
        }
    }
}

impl ClaimMapping {
    /// The mapping's keys as Graph names them, in order.
    pub const KEYS: [&'static str; 6] = [
        "sub",
        "email",
        "email_verified",
        "name",
        "given_name",
        "family_name",
    ];

    /// The claim mapped for `key` (one of [`Self::KEYS`]).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        Some(match key {
            "sub" => &self.sub,
            "email" => &self.email,
            "email_verified" => &self.email_verified,
            "name" => &self.name,
            "given_name" => &self.given_name,
            "family_name" => &self.family_name,
            _ => return None,
        })
    }

    /// This mapping with `changes` applied (`None` restores the default), each checked.
    pub fn with(mut self, changes: &[(String, Option<String>)]) -> Result<Self, ValidationError> {
        let defaults = Self::default();
        for (key, value) in changes {
            let value = match value {
                Some(v) => claim_name(v)?,
                None => defaults.get(key).unwrap_or_default().to_owned(),
            };
            let slot = match key.as_str() {
                "sub" => &mut self.sub,
                "email" => &mut self.email,
                "email_verified" => &mut self.email_verified,
                "name" => &mut self.name,
                "given_name" => &mut self.given_name,
                "family_name" => &mut self.family_name,
                other => {
                    let shown: String = other.chars().take(64).collect();
                    return Err(ValidationError::new(
                        "inboundClaimMapping",
                        format!(
                            "'{shown}' cannot be mapped; the mappable properties are {}",
                            Self::KEYS.join(", ")
                        ),
                    ));
                }
            };
            *slot = value;
        }
        Ok(self)
    }
}

fn claim_name(v: &str) -> Result<String, ValidationError> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > MAX_CLAIM_NAME || t.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "inboundClaimMapping",
            format!(
                "a claim name must be 1 to {MAX_CLAIM_NAME} characters without control characters"
            ),
        ));
    }
    Ok(t.to_owned())
}

/// A configured OIDC federation (`Debug` leaves out even the sealed secret).
#[derive(Clone, PartialEq, Eq)]
pub struct OidcIdentityProvider {
    /// Its id (a GUID, as Entra gives).
    pub id: String,
    /// The name shown on sign-in pages.
    pub display_name: String,
    /// The provider's issuer: `iss` of its tokens, and the `issuer` of guests' identities.
    pub issuer: String,
    /// Its discovery document.
    pub well_known_endpoint: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret, sealed under the master key.
    pub secret_sealed: String,
    /// The scope asked for (always with `openid`).
    pub scope: String,
    /// Which claims carry the user's properties.
    pub claim_mapping: ClaimMapping,
    /// The email domains it serves, canonical.
    pub domains: Vec<DomainName>,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for OidcIdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcIdentityProvider")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("secret_sealed", &"[redacted]")
            .field("domains", &self.domains)
            .finish_non_exhaustive()
    }
}

/// A request to add an OIDC federation. `Debug` never shows the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewOidcProvider {
    /// `displayName` (required).
    pub display_name: String,
    /// `issuer` (required).
    pub issuer: String,
    /// `wellKnownEndpoint`; the issuer's `/.well-known/openid-configuration` when absent.
    pub well_known_endpoint: Option<String>,
    /// `clientId`.
    pub client_id: String,
    /// `clientAuthentication.clientSecret`, in clear.
    pub client_secret: String,
    /// `scope`; [`DEFAULT_SCOPE`] when absent.
    pub scope: Option<String>,
    /// `responseType`; only `code`.
    pub response_type: Option<String>,
    /// `inboundClaimMapping` entries (`None` keeps the default claim).
    pub claim_mapping: Vec<(String, Option<String>)>,
    /// `domains`.
    pub domains: Vec<String>,
}

impl std::fmt::Debug for NewOidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOidcProvider")
            .field("display_name", &self.display_name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("domains", &self.domains)
            .finish_non_exhaustive()
    }
}

/// A validated [`NewOidcProvider`]. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidOidcProvider {
    /// The display name.
    pub display_name: String,
    /// The issuer.
    pub issuer: String,
    /// The discovery document.
    pub well_known_endpoint: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, in clear.
    pub client_secret: String,
    /// The scope.
    pub scope: String,
    /// The claim mapping.
    pub claim_mapping: ClaimMapping,
    /// The domains served.
    pub domains: Vec<DomainName>,
}

impl std::fmt::Debug for ValidOidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidOidcProvider")
            .field("display_name", &self.display_name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("domains", &self.domains)
            .finish_non_exhaustive()
    }
}

/// The discovery document of an issuer.
#[must_use]
pub fn default_well_known(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

fn issuer(v: &str) -> Result<String, ValidationError> {
    let u = crate::validate::absolute_url("issuer", v, true)?;
    if u.query().is_some() {
        return Err(ValidationError::new(
            "issuer",
            "an issuer may not have a query (?...)",
        ));
    }
    // Compared exactly with `iss` later: keep what was typed, trimmed.
    Ok(v.trim().to_owned())
}

fn well_known(v: &str) -> Result<String, ValidationError> {
    Ok(crate::validate::absolute_url("wellKnownEndpoint", v, true)?.to_string())
}

fn scope(v: &str) -> Result<String, ValidationError> {
    let tokens: Vec<&str> = v.split_whitespace().collect();
    let ok = |t: &str| {
        t.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    };
    if v.len() > MAX_SCOPE || tokens.iter().any(|t| !ok(t)) {
        return Err(ValidationError::new(
            "scope",
            format!(
                "scope values are separated by spaces, use printable ASCII without quotes or backslashes, and total at most {MAX_SCOPE} characters"
            ),
        ));
    }
    let mut out = vec!["openid"];
    for t in tokens {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out.join(" "))
}

fn response_type(v: Option<&str>) -> Result<(), ValidationError> {
    match v.map(str::trim) {
        None | Some("code") => Ok(()),
        Some(other) => {
            let shown: String = other.chars().take(32).collect();
            Err(ValidationError::new(
                "responseType",
                format!(
                    "'{shown}' is not supported: Portico uses the authorization code flow (responseType 'code')"
                ),
            ))
        }
    }
}

/// Checks and canonicalizes the domains served (at least one, at most [`MAX_DOMAINS`],
/// duplicates dropped, sorted as the store lists them).
pub fn domains(v: &[String]) -> Result<Vec<DomainName>, ValidationError> {
    if v.is_empty() {
        return Err(ValidationError::new(
            "domains",
            "name at least one email domain whose guests sign in through this provider",
        ));
    }
    if v.len() > MAX_DOMAINS {
        return Err(ValidationError::new(
            "domains",
            format!("at most {MAX_DOMAINS} domains per provider"),
        ));
    }
    let mut out: Vec<DomainName> = Vec::with_capacity(v.len());
    for d in v {
        let d = DomainName::parse("domains", d)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out.sort();
    Ok(out)
}

impl NewOidcProvider {
    /// Checks every field, naming the first bad one.
    pub fn validated(self) -> Result<ValidOidcProvider, ValidationError> {
        if is_masked(&self.client_secret) {
            return Err(ValidationError::new(
                "clientSecret",
                "this is the masked value reads return, not a secret: send the client secret itself",
            ));
        }
        response_type(self.response_type.as_deref())?;
        let issuer = issuer(&self.issuer)?;
        let well_known_endpoint = match self.well_known_endpoint.as_deref() {
            Some(w) => well_known(w)?,
            None => default_well_known(&issuer),
        };
        Ok(ValidOidcProvider {
            display_name: crate::validate::display_name("displayName", &self.display_name)?,
            well_known_endpoint,
            issuer,
            client_id: credential("clientId", &self.client_id)?,
            client_secret: credential("clientSecret", &self.client_secret)?,
            scope: scope(self.scope.as_deref().unwrap_or(DEFAULT_SCOPE))?,
            claim_mapping: ClaimMapping::default().with(&self.claim_mapping)?,
            domains: domains(&self.domains)?,
        })
    }
}

/// A change to an OIDC federation: absent fields keep their values. `Debug` never shows the
/// secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OidcProviderPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New issuer.
    pub issuer: Option<String>,
    /// New discovery document.
    pub well_known_endpoint: Option<String>,
    /// New client id.
    pub client_id: Option<String>,
    /// New client secret (the mask keeps the stored one).
    pub client_secret: Option<String>,
    /// New scope.
    pub scope: Option<String>,
    /// `responseType` sent back (only `code`).
    pub response_type: Option<String>,
    /// Claim mapping changes.
    pub claim_mapping: Vec<(String, Option<String>)>,
    /// New domains (replacing all).
    pub domains: Option<Vec<String>>,
}

impl std::fmt::Debug for OidcProviderPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProviderPatch")
            .field("display_name", &self.display_name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("domains", &self.domains)
            .finish_non_exhaustive()
    }
}

impl OidcProviderPatch {
    /// Applies the patch to `current`, checking every present field. Returns the new provider
    /// (secret still sealed: a new clear secret is returned beside it) and the names of the
    /// properties that changed.
    pub fn apply(
        self,
        current: &OidcIdentityProvider,
    ) -> Result<(OidcIdentityProvider, Option<String>, Vec<&'static str>), ValidationError> {
        response_type(self.response_type.as_deref())?;
        let mut next = current.clone();
        let mut changed = Vec::new();
        if let Some(n) = self.display_name {
            let n = crate::validate::display_name("displayName", &n)?;
            if n != next.display_name {
                next.display_name = n;
                changed.push("displayName");
            }
        }
        if let Some(i) = self.issuer {
            let i = issuer(&i)?;
            if i != next.issuer {
                // The discovery document follows the issuer unless given too.
                if next.well_known_endpoint == default_well_known(&next.issuer)
                    && self.well_known_endpoint.is_none()
                {
                    next.well_known_endpoint = default_well_known(&i);
                    changed.push("wellKnownEndpoint");
                }
                next.issuer = i;
                changed.push("issuer");
            }
        }
        if let Some(w) = self.well_known_endpoint {
            let w = well_known(&w)?;
            if w != next.well_known_endpoint {
                next.well_known_endpoint = w;
                changed.push("wellKnownEndpoint");
            }
        }
        if let Some(c) = self.client_id {
            let c = credential("clientId", &c)?;
            if c != next.client_id {
                next.client_id = c;
                changed.push("clientId");
            }
        }
        let secret = match self.client_secret.filter(|s| !is_masked(s)) {
            Some(s) => {
                changed.push("clientSecret");
                Some(credential("clientSecret", &s)?)
            }
            None => None,
        };
        if let Some(s) = self.scope {
            let s = scope(&s)?;
            if s != next.scope {
                next.scope = s;
                changed.push("scope");
            }
        }
        let mapping = next.claim_mapping.clone().with(&self.claim_mapping)?;
        if mapping != next.claim_mapping {
            next.claim_mapping = mapping;
            changed.push("inboundClaimMapping");
        }
        if let Some(d) = self.domains {
            let d = domains(&d)?;
            if d != next.domains {
                next.domains = d;
                changed.push("domains");
            }
        }
        Ok((next, secret, changed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewOidcProvider {
        NewOidcProvider {
            display_name: "Fabrikam".into(),
            issuer: "https://idp.fabrikam.test".into(),
            client_id: "portico".into(),
            client_secret: "s3cret".into(),
            domains: vec!["Fabrikam.TEST".into(), "fabrikam.test".into()],
            ..NewOidcProvider::default()
        }
    }

    #[test]
    fn defaults_and_canonical_values() {
        let v = new().validated().unwrap();
        assert_eq!(
            v.well_known_endpoint,
            "https://idp.fabrikam.test/.well-known/openid-configuration"
        );
        assert_eq!(v.scope, "openid profile email");
        assert_eq!(v.claim_mapping, ClaimMapping::default());
        assert_eq!(v.domains.len(), 1, "duplicates dropped");
        assert_eq!(v.domains[0].as_str(), "fabrikam.test");
        let mut n = new();
        n.scope = Some("email  profile email".into());
        n.claim_mapping = vec![("sub".into(), Some("oid".into()))];
        let v = n.validated().unwrap();
        assert_eq!(v.scope, "openid email profile");
        assert_eq!(v.claim_mapping.sub, "oid");
    }

    #[test]
    fn bad_fields_are_named() {
        type Change = fn(&mut NewOidcProvider);
        let cases: Vec<(Change, &str)> = vec![
            (|n| n.issuer = "http://idp.fabrikam.test".into(), "issuer"),
            (|n| n.issuer = "not a url".into(), "issuer"),
            (|n| n.issuer = "https://idp.test/?x=1".into(), "issuer"),
            (
                |n| n.well_known_endpoint = Some("ftp://x.test/".into()),
                "wellKnownEndpoint",
            ),
            (|n| n.client_secret = "******".into(), "clientSecret"),
            (|n| n.client_id = " ".into(), "clientId"),
            (|n| n.scope = Some("openid \"x\"".into()), "scope"),
            (
                |n| n.response_type = Some("id_token".into()),
                "responseType",
            ),
            (
                |n| n.claim_mapping = vec![("phone".into(), Some("p".into()))],
                "inboundClaimMapping",
            ),
            (
                |n| n.claim_mapping = vec![("sub".into(), Some(String::new()))],
                "inboundClaimMapping",
            ),
            (|n| n.domains = vec![], "domains"),
            (|n| n.domains = vec!["127.0.0.1".into()], "domains"),
            (
                |n| n.domains = (0..=MAX_DOMAINS).map(|i| format!("d{i}.test")).collect(),
                "domains",
            ),
            (|n| n.display_name = String::new(), "displayName"),
        ];
        for (change, field) in cases {
            let mut n = new();
            change(&mut n);
            assert_eq!(n.validated().unwrap_err().field, field);
        }
        let mut n = new();
        n.issuer = "http://127.0.0.1:3000".into();
        assert!(n.validated().is_ok(), "http on loopback is for tests");
    }

    #[test]
    fn patches_report_what_changed() {
        let v = new().validated().unwrap();
        let t = time::OffsetDateTime::UNIX_EPOCH;
        let current = OidcIdentityProvider {
            id: "x".into(),
            display_name: v.display_name,
            issuer: v.issuer,
            well_known_endpoint: v.well_known_endpoint,
            client_id: v.client_id,
            secret_sealed: "sealed".into(),
            scope: v.scope,
            claim_mapping: v.claim_mapping,
            domains: v.domains,
            created_at: t,
            updated_at: t,
        };
        let (next, secret, changed) = OidcProviderPatch {
            display_name: Some("Fabrikam".into()),
            client_secret: Some("******".into()),
            ..OidcProviderPatch::default()
        }
        .apply(&current)
        .unwrap();
        assert!(changed.is_empty() && secret.is_none() && next == current);
        let (next, secret, changed) = OidcProviderPatch {
            issuer: Some("https://login.fabrikam.test".into()),
            client_secret: Some("new".into()),
            domains: Some(vec!["fabrikam.test".into(), "contoso.test".into()]),
            ..OidcProviderPatch::default()
        }
        .apply(&current)
        .unwrap();
        assert_eq!(secret.as_deref(), Some("new"));
        assert_eq!(
            changed,
            ["wellKnownEndpoint", "issuer", "clientSecret", "domains"]
        );
        assert_eq!(
            next.well_known_endpoint,
            "https://login.fabrikam.test/.well-known/openid-configuration"
        );
        let shown = format!("{next:?} {:?}", new());
        assert!(
            !shown.contains("s3cret") && !shown.contains("\"sealed\""),
            "{shown}"
        );
    }
}
