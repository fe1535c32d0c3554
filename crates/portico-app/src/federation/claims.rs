//! What a provider's verified `id_token` says, through the provider's claim mapping, and the
//! binding rules: an address is trusted only from a provider serving its domain and never
//! when the provider says it is unverified; later sign-ins match the (issuer, subject) pair.

use super::{Upstream, UpstreamKind};
use portico_domain::oidc_provider::ClaimMapping;
use portico_domain::signin::UpstreamAuth;
use portico_domain::user::ObjectIdentity;
use portico_federation::IdClaims;
use serde_json::Value;

/// The guest as the provider describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// The stable subject at the provider.
    pub subject: String,
    /// The address, lower case, if the provider sent one.
    pub email: Option<String>,
    /// Whether the provider verified it (`None`: it did not say).
    pub email_verified: Option<bool>,
    /// How the provider authenticated them.
    pub upstream: UpstreamAuth,
}

/// The longest subject or address accepted.
const MAX_CLAIM: usize = 512;

fn text(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s.len() <= MAX_CLAIM && !s.chars().any(char::is_control)).then_some(s)
}

fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads the guest out of verified claims; `Err` names what is missing.
pub(crate) fn external(up: &Upstream, c: &IdClaims) -> Result<External, &'static str> {
    let standard = ClaimMapping::default();
    let mapping = match &up.kind {
        UpstreamKind::Oidc(o) => &o.claim_mapping,
        UpstreamKind::Google(_) | UpstreamKind::Saml(_) => &standard,
    };
    let subject = if mapping.sub == "sub" {
        Some(c.subject.clone())
    } else {
        text(c.claims.get(&mapping.sub))
    }
    .ok_or("who you are (a subject)")?;
    Ok(External {
        subject,
        email: text(c.claims.get(&mapping.email)).map(|e| e.to_lowercase()),
        email_verified: flag(c.claims.get(&mapping.email_verified)),
        upstream: UpstreamAuth {
            issuer: c.issuer.clone(),
            amr: c.amr.iter().take(16).cloned().collect(),
            acr: c.acr.clone(),
        },
    })
}

impl External {
    /// The identity a guest gets (and later sign-ins must present).
    #[must_use]
    pub fn identity(&self, up: &Upstream) -> ObjectIdentity {
        ObjectIdentity {
            sign_in_type: "federated".into(),
            issuer: up.identity_issuer().to_owned(),
            issuer_assigned_id: Some(self.subject.clone()),
        }
    }

    /// Whether the provider vouches for `invited` (the address an invitation went to): it
    /// sent that address, serves its domain, and did not say it is unverified. `Err` is the
    /// page text.
    pub fn vouches_for(&self, up: &Upstream, invited: &str) -> Result<(), String> {
        let invited = invited.to_lowercase();
        let Some(email) = &self.email else {
            return Err(format!(
                "{} did not tell us your email address, so we cannot match you to the invitation for {invited}. Contact the person who invited you.",
                up.display_name
            ));
        };
        if *email != invited {
            return Err(format!(
                "You signed in to {} as {email}, but the invitation is for {invited}. Sign out there, then sign in with the invited account.",
                up.display_name
            ));
        }
        let domain = invited.rsplit_once('@').map_or("", |(_, d)| d);
        if !up.serves(domain) {
            return Err(format!(
                "{} is not set up to sign in people from {domain}. Contact the person who invited you.",
                up.display_name
            ));
        }
        if self.email_verified == Some(false) {
            return Err(format!(
                "{} says your email address {email} is not verified. Verify it there, then try again.",
                up.display_name
            ));
        }
        Ok(())
    }
}
