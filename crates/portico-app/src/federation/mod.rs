//! Guests signing in with their own identity provider: an OpenID Connect federation serving
//! their email domain, or the Google preset for Gmail addresses. Home realm discovery
//! ([`crate::redeem::realm`]) picks the provider; [`App::federate`] sends the browser there
//! (authorization code flow with PKCE, `state` and `nonce`), and [`App::federation_callback`]
//! takes the answer at `{public_url}/te/{tenant}/oauth2/authresp`, checks it with
//! `portico_federation`, and continues the redemption or sign-in that was in progress.
//!
//! The sign-in in progress travels sealed in `state` (bound to the tenant and the browser, 15
//! minutes, usable once), so any replica takes the answer. The `nonce` and PKCE verifier are
//! derived from the state's random id under the master key, never sent anywhere else.

mod claims;
mod saml;

pub use claims::External;
pub use saml::AcsParams;

use crate::identity_providers::{from_stored, seal_context};
use crate::redeem::realm::MAIL_ISSUER;
use crate::signin::{Browser, FLOW_LIFETIME};
use crate::{App, AppError};
use portico_domain::TenantId;
use portico_domain::identity_provider::{
    GOOGLE_DOMAINS, GOOGLE_IDENTITY_ISSUER, IdentityProvider, SocialIdentityProvider,
    SocialProviderType,
};
use portico_domain::oidc_provider::OidcIdentityProvider;
use portico_domain::saml_federation::SamlFederation;
use portico_domain::signin::codes;
use portico_domain::tenant::Tenant;
use portico_domain::user::ObjectIdentity;
use portico_domain::validate::DomainName;
use portico_store::StoreError;
use serde::{Deserialize, Serialize};

/// A provider guests authenticate at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Its id in the tenant.
    pub id: String,
    /// Its name, for pages.
    pub display_name: String,
    /// What it is.
    pub kind: UpstreamKind,
}

/// The kinds of upstream provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamKind {
    /// The Google preset (Gmail addresses).
    Google(SocialIdentityProvider),
    /// A partner's OpenID Connect provider.
    Oidc(Box<OidcIdentityProvider>),
    /// A partner's SAML 2.0 identity provider.
    Saml(Box<SamlFederation>),
}

impl Upstream {
    fn of(p: IdentityProvider) -> Option<Self> {
        match p {
            IdentityProvider::Social(s) if s.provider_type == SocialProviderType::Google => {
                Some(Self {
                    id: s.id.clone(),
                    display_name: s.display_name.clone(),
                    kind: UpstreamKind::Google(s),
                })
            }
            IdentityProvider::Oidc(o) => Some(Self {
                id: o.id.clone(),
                display_name: o.display_name.clone(),
                kind: UpstreamKind::Oidc(Box::new(o)),
            }),
            IdentityProvider::Saml(s) => Some(Self {
                id: s.id.clone(),
                display_name: s.display_name.clone(),
                kind: UpstreamKind::Saml(Box::new(s)),
            }),
            IdentityProvider::Social(_) => None,
        }
    }

    /// The `issuer` of the identities its guests get: `google.com` for Google (as in Entra),
    /// the provider's issuer for OIDC federations.
    #[must_use]
    pub fn identity_issuer(&self) -> &str {
        match &self.kind {
            UpstreamKind::Google(_) => GOOGLE_IDENTITY_ISSUER,
            UpstreamKind::Oidc(o) => &o.issuer,
            UpstreamKind::Saml(s) => &s.issuer_uri,
        }
    }

    /// Whether the provider vouches for addresses at `domain`.
    #[must_use]
    pub fn serves(&self, domain: &str) -> bool {
        match &self.kind {
            UpstreamKind::Google(_) => GOOGLE_DOMAINS.contains(&domain),
            UpstreamKind::Oidc(o) => o.domains.iter().any(|d| d.as_str() == domain),
            UpstreamKind::Saml(s) => s.domains.iter().any(|d| d.as_str() == domain),
        }
    }
}

/// Whether an identity's issuer names an identity provider (not a passcode, not a tenant on
/// this instance, whose issuers are bare domain names of this instance): Google, an OIDC
/// issuer URL, or a SAML entity id (a URL or a URN).
#[must_use]
pub fn is_federated_issuer(issuer: &str) -> bool {
    issuer != MAIL_ISSUER && (issuer == GOOGLE_IDENTITY_ISSUER || issuer.contains(':'))
}

/// What continues once the provider answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Continuation {
    /// A redemption from the invitation link.
    Redeem(Box<crate::redeem::flow::RedeemFlow>),
    /// A sign-in to an app (a redeemed guest, or a pending one redeeming just in time).
    SignIn(Box<crate::signin::flow::Flow>),
}

/// The state sent to the provider and back, sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FedState {
    /// Random: the nonce and PKCE verifier derive from it; spent once.
    pub(crate) id: String,
    /// Binding to the browser.
    pub(crate) bind: String,
    /// Unix deadline.
    pub(crate) exp: i64,
    /// The provider's id in the tenant.
    pub(crate) provider: String,
    /// What continues.
    pub(crate) cont: Continuation,
}

/// The provider's answer, as the callback received it.
#[derive(Debug, Clone, Default)]
pub struct CallbackParams {
    /// `code`.
    pub code: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `error`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

/// What the browser sees after the callback.
#[derive(Debug)]
pub enum FederationNext {
    /// The redemption goes on.
    Redeem(crate::redeem::RedeemStep),
    /// The sign-in goes on.
    SignIn(crate::signin::Step),
    /// Nothing can go on (expired, forged, used): a page saying so.
    Error(String),
}

const EXPIRED: &str = "This sign-in has expired or is not valid. Open the link from your invitation, or go back to the application, and start again.";

fn state_context(tenant: TenantId) -> String {
    format!("federation-state:{tenant}")
}

/// How the upstream part ended, for the continuation (one per callback: size does not matter).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Authenticated {
    /// Who the provider says the guest is.
    Yes(Upstream, External),
    /// A page to show (the provider refused, failed or could not be checked), with the
    /// sign-in log code and reason.
    No {
        /// The page text.
        message: String,
        /// The sign-in log code.
        code: i64,
        /// The sign-in log reason.
        reason: String,
        /// Whether the person cancelled at the provider (`access_denied`).
        cancelled: bool,
    },
}

impl App {
    /// The provider serving `email`'s domain in `tenant`: Google for Gmail addresses when the
    /// tenant configured it, else the OIDC federation naming the domain.
    pub(crate) async fn upstream_for_email(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> Result<Option<Upstream>, AppError> {
        let Some((_, domain)) = email.rsplit_once('@') else {
            return Ok(None);
        };
        let Ok(domain) = DomainName::parse("email", domain) else {
            return Ok(None);
        };
        if GOOGLE_DOMAINS.contains(&domain.as_str()) {
            return self.google_upstream(tenant).await;
        }
        match self
            .store
            .identity_provider_for_domain(tenant, domain.as_str())
            .await?
        {
            Some(p) => Ok(Upstream::of(from_stored(p)?)),
            None => Ok(None),
        }
    }

    /// The tenant's Google preset, if configured.
    async fn google_upstream(&self, tenant: TenantId) -> Result<Option<Upstream>, AppError> {
        match self
            .store
            .get_identity_provider(tenant, &SocialProviderType::Google.graph_id())
            .await
        {
            Ok(p) => Ok(Upstream::of(from_stored(p)?)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The provider a redeemed guest's identity names, if the tenant still has it.
    pub(crate) async fn upstream_for_identity(
        &self,
        tenant: TenantId,
        identity: &ObjectIdentity,
    ) -> Result<Option<Upstream>, AppError> {
        if identity.issuer == GOOGLE_IDENTITY_ISSUER {
            return self.google_upstream(tenant).await;
        }
        for p in self.store.list_identity_providers(tenant).await? {
            if let Some(up) = Upstream::of(from_stored(p)?)
                && matches!(up.kind, UpstreamKind::Oidc(_) | UpstreamKind::Saml(_))
                && up.identity_issuer() == identity.issuer
            {
                return Ok(Some(up));
            }
        }
        Ok(None)
    }

    /// Where providers send guests back for `tenant` (register it at the provider).
    #[must_use]
    pub fn federation_redirect_uri(&self, tenant: TenantId) -> String {
        format!(
            "{}/te/{tenant}/oauth2/authresp",
            self.config.public_url.trim_end_matches('/')
        )
    }

    fn relying_party(
        &self,
        tenant: TenantId,
        up: &Upstream,
    ) -> Result<portico_federation::OidcProvider, AppError> {
        let (sealed, client_id) = match &up.kind {
            UpstreamKind::Google(g) => (&g.secret_sealed, &g.client_id),
            UpstreamKind::Oidc(o) => (&o.secret_sealed, &o.client_id),
            UpstreamKind::Saml(_) => {
                return Err(AppError::Internal(
                    "a SAML federation has no OpenID Connect client".into(),
                ));
            }
        };
        let secret = self
            .keys
            .open(sealed, &seal_context(tenant, &up.id))
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "the client secret of identity provider {} cannot be opened with this master key",
                    up.id
                ))
            })?;
        let (issuer, discovery_url, scopes) = match &up.kind {
            UpstreamKind::Google(_) => (
                self.config.google_issuer.clone(),
                None,
                vec![
                    "openid".to_owned(),
                    "email".to_owned(),
                    "profile".to_owned(),
                ],
            ),
            UpstreamKind::Oidc(o) => (
                o.issuer.clone(),
                Some(o.well_known_endpoint.clone()),
                o.scope.split_whitespace().map(str::to_owned).collect(),
            ),
            UpstreamKind::Saml(_) => unreachable_saml()?,
        };
        Ok(portico_federation::OidcProvider {
            issuer,
            discovery_url,
            client_id: client_id.clone(),
            client_secret: secret,
            scopes,
            redirect_uri: self.federation_redirect_uri(tenant),
        })
    }

    /// Sends the browser to `up` to authenticate, continuing `cont` when it comes back.
    /// `Ok(Err(page))` when the provider cannot be used right now.
    pub(crate) async fn federate(
        &self,
        tenant: &Tenant,
        up: &Upstream,
        cont: Continuation,
        login_hint: Option<&str>,
        browser: &Browser,
    ) -> Result<Result<String, String>, AppError> {
        let state = FedState {
            id: portico_crypto::secret::random_token(16),
            bind: self.keys.derive("browser", &browser.csrf_cookie),
            exp: (self.clock.now() + FLOW_LIFETIME).unix_timestamp(),
            provider: up.id.clone(),
            cont,
        };
        let json = serde_json::to_vec(&state).map_err(|e| AppError::Internal(e.to_string()))?;
        let sealed = self.keys.seal(&json, &state_context(tenant.id))?;
        if let UpstreamKind::Saml(fed) = &up.kind {
            return self.saml_begin(tenant, fed, &state.id, &sealed, login_hint);
        }
        let rp = self.relying_party(tenant.id, up)?;
        let (nonce, verifier) = self.nonce_and_verifier(&state.id);
        match self
            .federation
            .begin_with(&rp, &sealed, &nonce, &verifier, login_hint)
            .await
        {
            Ok(url) => Ok(Ok(url)),
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, provider = %up.id, error = %e, "cannot start a sign-in at the identity provider");
                Ok(Err(unavailable(up, &e)))
            }
        }
    }

    /// The nonce and PKCE verifier of a state (derived from its random id, never stored).
    fn nonce_and_verifier(&self, state_id: &str) -> (String, String) {
        (
            self.keys.derive("federation-nonce", state_id),
            self.keys.derive("federation-pkce", state_id),
        )
    }

    fn open_fed_state(
        &self,
        tenant: TenantId,
        sealed: &str,
        browser: &Browser,
    ) -> Option<FedState> {
        if sealed.len() > 16 * 1024 {
            return None;
        }
        let raw = self.keys.open(sealed, &state_context(tenant))?;
        let st: FedState = serde_json::from_slice(&raw).ok()?;
        let bind = self.keys.derive("browser", &browser.csrf_cookie);
        (portico_crypto::secret::constant_time_eq(st.bind.as_bytes(), bind.as_bytes())
            && st.exp > self.clock.now().unix_timestamp())
        .then_some(st)
    }

    /// `GET /te/{tenant}/oauth2/authresp`: the provider's answer. `session_token` is the
    /// browser's session cookie in that tenant, if any.
    pub async fn federation_callback(
        &self,
        tenant: &str,
        params: &CallbackParams,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<FederationNext, AppError> {
        let Some((tenant, st)) = self
            .spend_fed_state(tenant, params.state.as_deref(), browser)
            .await?
        else {
            return Ok(FederationNext::Error(EXPIRED.into()));
        };
        let authenticated = self.authenticate_upstream(&tenant, &st, params).await?;
        self.continue_federated(&tenant, st, authenticated, browser, session_token)
            .await
    }

    /// Opens the sealed state the provider sent back (bound to this browser and tenant,
    /// unexpired) and spends it (usable once). `None`: there is nothing to continue.
    async fn spend_fed_state(
        &self,
        tenant: &str,
        sealed: Option<&str>,
        browser: &Browser,
    ) -> Result<Option<(Tenant, FedState)>, AppError> {
        let Ok(tenant_id) = tenant.parse::<TenantId>() else {
            return Ok(None);
        };
        let tenant = match self.store.get_tenant(tenant_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(st) = sealed.and_then(|s| self.open_fed_state(tenant.id, s, browser)) else {
            tracing::info!(tenant = %tenant.id, "identity provider answer with a missing, forged, expired or other browser's state");
            return Ok(None);
        };
        let key = self
            .keys
            .hash_secret(&format!("federation-state:{}", st.id));
        let until = time::OffsetDateTime::from_unix_timestamp(st.exp)
            .unwrap_or_else(|_| self.clock.now() + FLOW_LIFETIME);
        if !self
            .store
            .remember_assertion(tenant.id, &key, until)
            .await?
        {
            tracing::info!(tenant = %tenant.id, "identity provider answer replayed");
            return Ok(None);
        }
        Ok(Some((tenant, st)))
    }

    /// Goes on with the redemption or sign-in the state carried.
    async fn continue_federated(
        &self,
        tenant: &Tenant,
        st: FedState,
        authenticated: Authenticated,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<FederationNext, AppError> {
        Ok(match st.cont {
            Continuation::Redeem(flow) => FederationNext::Redeem(
                self.redeem_federated(tenant, *flow, &st.provider, authenticated, browser)
                    .await?,
            ),
            Continuation::SignIn(flow) => FederationNext::SignIn(
                self.signin_federated(
                    tenant,
                    *flow,
                    &st.provider,
                    authenticated,
                    browser,
                    session_token,
                )
                .await?,
            ),
        })
    }

    /// Redeems the code at the provider and checks its answer.
    async fn authenticate_upstream(
        &self,
        tenant: &Tenant,
        st: &FedState,
        params: &CallbackParams,
    ) -> Result<Authenticated, AppError> {
        let up = match self
            .store
            .get_identity_provider(tenant.id, &st.provider)
            .await
        {
            Ok(p) => Upstream::of(from_stored(p)?),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let Some(up) = up else {
            return Ok(Authenticated::No {
                message: "The organization removed the identity provider you were signing in with. Contact the person who invited you.".into(),
                code: codes::UPSTREAM_FAILED,
                reason: "The identity provider was removed during the sign-in.".into(),
                cancelled: false,
            });
        };
        if let Some(error) = &params.error {
            let error: String = error.chars().take(64).collect();
            let description: String = params
                .error_description
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            tracing::info!(tenant = %tenant.id, provider = %up.id, error = %error, description = %description, "identity provider answered with an error");
            let cancelled = error == "access_denied";
            return Ok(Authenticated::No {
                message: if cancelled {
                    format!(
                        "{} did not sign you in (you cancelled, or it refused). Try again, or contact the person who invited you.",
                        up.display_name
                    )
                } else {
                    format!(
                        "{} could not sign you in ({error}). Try again later, or contact the person who invited you.",
                        up.display_name
                    )
                },
                code: codes::UPSTREAM_FAILED,
                reason: format!("The identity provider answered {error}: {description}"),
                cancelled,
            });
        }
        let Some(code) = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 4096)
        else {
            return Ok(Authenticated::No {
                message: format!(
                    "{} sent you back without signing you in. Try again.",
                    up.display_name
                ),
                code: codes::UPSTREAM_FAILED,
                reason: "The identity provider's answer had no code.".into(),
                cancelled: false,
            });
        };
        let rp = self.relying_party(tenant.id, &up)?;
        let (nonce, verifier) = self.nonce_and_verifier(&st.id);
        let claims = match self.federation.finish(&rp, code, &verifier, &nonce).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, provider = %up.id, error = %e, "identity provider sign-in refused");
                return Ok(Authenticated::No {
                    message: unavailable(&up, &e),
                    code: codes::UPSTREAM_FAILED,
                    reason: e.to_string(),
                    cancelled: false,
                });
            }
        };
        match claims::external(&up, &claims) {
            Ok(ext) => Ok(Authenticated::Yes(up, ext)),
            Err(why) => {
                tracing::warn!(tenant = %tenant.id, provider = %up.id, reason = %why, "identity provider's token lacks what Portico needs");
                Ok(Authenticated::No {
                    message: format!(
                        "{} did not tell us {why}. Contact the person who invited you.",
                        up.display_name
                    ),
                    code: codes::UPSTREAM_FAILED,
                    reason: format!("The identity provider's token has no {why}."),
                    cancelled: false,
                })
            }
        }
    }
}

fn unreachable_saml<T>() -> Result<T, AppError> {
    Err(AppError::Internal(
        "a SAML federation has no OpenID Connect client".into(),
    ))
}

/// The page for a provider that failed.
fn unavailable(up: &Upstream, e: &portico_federation::FederationError) -> String {
    use portico_federation::FederationError as E;
    match e {
        E::Unreachable(_) => format!(
            "{} (your organization's sign-in service) is not answering right now. Try again in a few minutes.",
            up.display_name
        ),
        _ => format!(
            "The answer from {} could not be verified, so you were not signed in. Try again; if it keeps happening, contact the person who invited you.",
            up.display_name
        ),
    }
}
