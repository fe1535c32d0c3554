//! Guests signing in through a partner's SAML 2.0 IdP: Portico is the service provider.
//!
//! [`App::saml_begin`] sends the browser to the IdP's passive sign-in URL with an unsigned
//! AuthnRequest (HTTP-Redirect binding, as Entra sends it); its `ID` is derived from the sealed
//! state's random id under the master key, so it is never stored, and `RelayState` carries the
//! sealed state. [`App::saml_acs`] takes the IdP's Response (HTTP-POST binding) at
//! `{public_url}/te/{tenant}/saml2/acs`: the state must open for this browser and is spent
//! once; the Response must be signed (response or assertion) by the configured certificate
//! (or the one metadata rollover queued), name this tenant's SP as audience, destination and
//! recipient, answer this very request (`InResponseTo`), be within its validity window (with
//! [`MAX_SKEW`] of clock skew), and carry an assertion id not seen before. Every check is
//! `portico_federation::saml`'s; refusals are logged with their reason and shown as a page the
//! guest can act on. The redemption or sign-in then goes on exactly as after an OpenID
//! Connect provider, with the identity (issuer URI, NameID).

use super::{Authenticated, FedState, FederationNext, Upstream, UpstreamKind};
use crate::identity_providers::from_stored;
use crate::signin::Browser;
use crate::{App, AppError};
use portico_domain::saml_federation::SamlFederation;
use portico_domain::signin::UpstreamAuth;
use portico_domain::signin::codes;
use portico_domain::tenant::Tenant;
use portico_federation::saml::{self, Expectations, SamlAssertion, SamlError};
use portico_store::StoreError;

/// Clock skew tolerated between Portico and the IdP.
const MAX_SKEW: time::Duration = time::Duration::minutes(3);

/// The persistent NameID format; transient ones cannot identify a guest twice.
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/// The IdP's POST to the assertion consumer service.
#[derive(Debug, Clone, Default)]
pub struct AcsParams {
    /// `SAMLResponse`.
    pub saml_response: Option<String>,
    /// `RelayState`.
    pub relay_state: Option<String>,
}

const EXPIRED: &str = "This sign-in has expired or is not valid. Open the link from your invitation, or go back to the application, and start again.";

/// `amr` values for an AuthnContextClassRef, for conditional access (MFA trust).
fn amr_of(class: Option<&str>) -> Vec<String> {
    let Some(c) = class else {
        return Vec::new();
    };
    let l = c.to_ascii_lowercase();
    if l.contains("multipleauthn") || l.contains("multifactor") || l.ends_with(":mfa") {
        vec!["mfa".into()]
    } else if l.contains("password") {
        vec!["pwd".into()]
    } else if l.contains("x509") || l.contains("smartcard") {
        vec!["sc".into()]
    } else {
        Vec::new()
    }
}

impl App {
    /// The AuthnRequest ID of a state (derived, never stored).
    fn saml_request_id(&self, state_id: &str) -> String {
        format!("_{}", self.keys.derive("saml-request", state_id))
    }

    /// The URL that sends the browser to `fed` with an AuthnRequest; `Ok(Err(page))` when the
    /// configuration cannot make one.
    pub(super) fn saml_begin(
        &self,
        tenant: &Tenant,
        fed: &SamlFederation,
        state_id: &str,
        sealed_state: &str,
        login_hint: Option<&str>,
    ) -> Result<Result<String, String>, AppError> {
        let sp = self.saml_sp(tenant.id);
        let id = self.saml_request_id(state_id);
        let xml = saml::authn_request(
            &sp,
            &fed.passive_sign_in_uri,
            &id,
            self.clock.now(),
            login_hint,
        );
        match saml::redirect_url(&fed.passive_sign_in_uri, &xml, sealed_state) {
            Ok(url) => Ok(Ok(url)),
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, provider = %fed.id, error = %e, "cannot build a SAML AuthnRequest");
                Ok(Err(format!(
                    "{} (your organization's sign-in service) is not set up correctly. Contact the person who invited you.",
                    fed.display_name
                )))
            }
        }
    }

    /// `POST /te/{tenant}/saml2/acs`: the IdP's answer. `session_token` is the browser's session
    /// cookie in that tenant, if any.
    pub async fn saml_acs(
        &self,
        tenant: &str,
        params: &AcsParams,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<FederationNext, AppError> {
        let Some((tenant, st)) = self
            .spend_fed_state(tenant, params.relay_state.as_deref(), browser)
            .await?
        else {
            if params.relay_state.is_none() {
                tracing::info!(tenant = %tenant, "SAML response without RelayState (unsolicited, IdP-initiated): refused");
            }
            return Ok(FederationNext::Error(EXPIRED.into()));
        };
        let authenticated = self
            .authenticate_saml(&tenant, &st, params.saml_response.as_deref())
            .await?;
        self.continue_federated(&tenant, st, authenticated, browser, session_token)
            .await
    }

    /// Checks the Response and reads the guest out of it.
    async fn authenticate_saml(
        &self,
        tenant: &Tenant,
        st: &FedState,
        response: Option<&str>,
    ) -> Result<Authenticated, AppError> {
        let fed = match self
            .store
            .get_identity_provider(tenant.id, &st.provider)
            .await
        {
            Ok(p) => Upstream::of(from_stored(p)?),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let Some((up, fed)) = fed.and_then(|up| match &up.kind {
            UpstreamKind::Saml(f) => {
                let f = (**f).clone();
                Some((up, f))
            }
            _ => None,
        }) else {
            return Ok(Authenticated::No {
                message: "The organization removed the identity provider you were signing in with. Contact the person who invited you.".into(),
                code: codes::UPSTREAM_FAILED,
                reason: "The identity provider was removed during the sign-in.".into(),
                cancelled: false,
            });
        };
        let refuse = |message: String, reason: String| Authenticated::No {
            message,
            code: codes::UPSTREAM_FAILED,
            reason,
            cancelled: false,
        };
        let Some(response) = response.filter(|r| !r.trim().is_empty()) else {
            return Ok(refuse(
                format!(
                    "{} sent you back without signing you in. Try again.",
                    up.display_name
                ),
                "The identity provider's answer had no SAMLResponse.".into(),
            ));
        };
        let mut certificates = Vec::new();
        for c in fed.certificates() {
            match saml::parse_certificate(c) {
                Ok(c) => certificates.push(c),
                Err(e) => {
                    tracing::error!(tenant = %tenant.id, provider = %fed.id, error = %e, "a stored SAML signing certificate is unreadable");
                }
            }
        }
        let sp = self.saml_sp(tenant.id);
        let request_id = self.saml_request_id(&st.id);
        let now = self.clock.now();
        let checked = saml::validate_response(
            response,
            &Expectations {
                certificates: &certificates,
                idp_issuer: &fed.issuer_uri,
                audience: &sp.entity_id,
                acs_url: &sp.acs_url,
                request_id: &request_id,
                now,
                max_skew: MAX_SKEW,
            },
        );
        let assertion = match checked {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, provider = %fed.id, kind = e.kind(), error = %e, "SAML response refused");
                return Ok(refuse(
                    refusal_page(&up, &e),
                    format!("SAML response refused: {e}"),
                ));
            }
        };
        if !self
            .first_use_of_assertion(tenant, &fed, &assertion)
            .await?
        {
            tracing::warn!(tenant = %tenant.id, provider = %fed.id, assertion = %assertion.assertion_id, "SAML assertion replayed: refused");
            return Ok(refuse(
                EXPIRED.into(),
                "The SAML assertion was already used (replay).".into(),
            ));
        }
        if assertion.name_id_format.as_deref() == Some(TRANSIENT) {
            tracing::warn!(tenant = %tenant.id, provider = %fed.id, "SAML response with a transient NameID: refused");
            return Ok(refuse(
                format!(
                    "{} identified you with a one-time (transient) identifier, so you could not be recognised next time. Ask your administrator to send a persistent NameID.",
                    up.display_name
                ),
                "The SAML NameID is transient; a persistent NameID is required.".into(),
            ));
        }
        let ext = super::External {
            subject: assertion.name_id.clone(),
            email: assertion.email.as_ref().map(|e| e.to_lowercase()),
            email_verified: None,
            upstream: UpstreamAuth {
                issuer: assertion.issuer.clone(),
                amr: amr_of(assertion.authn_context_class.as_deref()),
                acr: assertion.authn_context_class.clone(),
            },
        };
        Ok(Authenticated::Yes(up, ext))
    }

    /// Records the assertion id until the assertion expires; `false` when it was seen before.
    async fn first_use_of_assertion(
        &self,
        tenant: &Tenant,
        fed: &SamlFederation,
        a: &SamlAssertion,
    ) -> Result<bool, AppError> {
        let key = self.keys.hash_secret(&format!(
            "saml-assertion:{}:{}",
            fed.issuer_uri, a.assertion_id
        ));
        Ok(self
            .store
            .remember_assertion(tenant.id, &key, a.not_on_or_after + MAX_SKEW)
            .await?)
    }
}

/// What the guest reads when a Response is refused.
fn refusal_page(up: &Upstream, e: &SamlError) -> String {
    match e {
        SamlError::Status { code, .. } => format!(
            "{} did not sign you in ({code}). Try again, or contact the person who invited you.",
            up.display_name
        ),
        SamlError::Expired | SamlError::NotYetValid => format!(
            "The answer from {} is outside its validity period (check that your computer's and the sign-in service's clocks are right), so you were not signed in. Try again.",
            up.display_name
        ),
        SamlError::Unsolicited | SamlError::WrongInResponseTo => EXPIRED.into(),
        _ => format!(
            "The answer from {} could not be verified, so you were not signed in. Try again; if it keeps happening, contact the person who invited you.",
            up.display_name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::amr_of;

    #[test]
    fn authn_context_maps_to_amr() {
        assert_eq!(
            amr_of(Some("http://schemas.microsoft.com/claims/multipleauthn")),
            vec!["mfa"]
        );
        assert_eq!(
            amr_of(Some(
                "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            )),
            vec!["pwd"]
        );
        assert!(amr_of(Some("urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified")).is_empty());
        assert!(amr_of(None).is_empty());
    }
}
