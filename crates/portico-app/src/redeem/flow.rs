//! The redemption in progress, sealed between pages: bound to the inviting tenant, to the
//! browser (a value derived from its CSRF cookie) and to a deadline.

use crate::signin::{Browser, FLOW_LIFETIME};
use crate::{App, AppError};
use portico_domain::user::ObjectIdentity;
use portico_domain::{TenantId, UserId};
use serde::{Deserialize, Serialize};

/// How the guest proves who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Method {
    /// An email one-time passcode.
    Otp,
    /// The password of a member account in another tenant on this instance.
    Home {
        /// The home tenant.
        tenant: TenantId,
        /// The account there.
        user: UserId,
    },
    /// The guest's own identity provider (its id in the tenant).
    External {
        /// The provider.
        provider: String,
    },
}

/// What the guest proved, once they did (also carried by the sign-in flow for just-in-time
/// redemption).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proven {
    /// The sign-in identity the guest object gets.
    pub identity: ObjectIdentity,
    /// `amr` of the session: `otp`, `pwd` or `fed`.
    pub amr: String,
    /// How the guest's own identity provider authenticated them (federation).
    #[serde(default)]
    pub upstream: Option<portico_domain::signin::UpstreamAuth>,
}

/// The state carried from page to page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RedeemFlow {
    /// Random id: each stage that authenticates can use a flow once.
    pub(crate) id: String,
    /// Binding to the browser.
    pub(crate) bind: String,
    /// Unix deadline.
    pub(crate) exp: i64,
    /// The invitation redeemed.
    pub(crate) invitation: uuid::Uuid,
    /// The guest user.
    pub(crate) user: UserId,
    /// The invited address.
    pub(crate) email: String,
    /// How the guest authenticates.
    pub(crate) method: Method,
    /// The passcode sent, if any.
    pub(crate) otp: Option<uuid::Uuid>,
    /// Set once the guest authenticated.
    pub(crate) proven: Option<Proven>,
    /// The flow blocks future invitations instead of redeeming.
    #[serde(default)]
    pub(crate) block: bool,
}

fn context(tenant: TenantId) -> String {
    format!("redeem-flow:{tenant}")
}

/// What to tell a browser whose state cannot be used.
pub(crate) const RESTART: &str =
    "This page has expired or is not valid. Open the link in your invitation again.";

impl App {
    pub(crate) fn new_redeem_flow(
        &self,
        browser: &Browser,
        invitation: uuid::Uuid,
        user: UserId,
        email: String,
        method: Method,
    ) -> RedeemFlow {
        RedeemFlow {
            id: portico_crypto::secret::random_token(16),
            bind: self.keys.derive("browser", &browser.csrf_cookie),
            exp: (self.clock.now() + FLOW_LIFETIME).unix_timestamp(),
            invitation,
            user,
            email,
            method,
            otp: None,
            proven: None,
            block: false,
        }
    }

    pub(crate) fn seal_redeem(
        &self,
        tenant: TenantId,
        flow: &RedeemFlow,
    ) -> Result<String, AppError> {
        let json = serde_json::to_vec(flow).map_err(|e| AppError::Internal(e.to_string()))?;
        self.keys.seal(&json, &context(tenant))
    }

    /// Opens a redemption flow posted back; `None` when forged, from another browser or
    /// tenant, expired, or a "block future invitations" flow (which must never redeem).
    pub(crate) fn open_redeem(
        &self,
        tenant: TenantId,
        sealed: &str,
        browser: &Browser,
    ) -> Option<RedeemFlow> {
        self.open_sealed_flow(tenant, sealed, browser)
            .filter(|f| !f.block)
    }

    /// Opens a "block future invitations" flow posted back; `None` for anything else.
    pub(crate) fn open_block(
        &self,
        tenant: TenantId,
        sealed: &str,
        browser: &Browser,
    ) -> Option<RedeemFlow> {
        self.open_sealed_flow(tenant, sealed, browser)
            .filter(|f| f.block)
    }

    fn open_sealed_flow(
        &self,
        tenant: TenantId,
        sealed: &str,
        browser: &Browser,
    ) -> Option<RedeemFlow> {
        if sealed.len() > 16 * 1024 {
            return None;
        }
        let raw = self.keys.open(sealed, &context(tenant))?;
        let flow: RedeemFlow = serde_json::from_slice(&raw).ok()?;
        let bind = self.keys.derive("browser", &browser.csrf_cookie);
        (portico_crypto::secret::constant_time_eq(flow.bind.as_bytes(), bind.as_bytes())
            && flow.exp > self.clock.now().unix_timestamp())
        .then_some(flow)
    }

    /// Marks a flow's `stage` as used; false when it was used before.
    pub(crate) async fn consume_redeem(
        &self,
        tenant: TenantId,
        flow: &RedeemFlow,
        stage: &str,
    ) -> Result<bool, AppError> {
        let key = self
            .keys
            .hash_secret(&format!("redeem-flow:{stage}:{}", flow.id));
        let until = time::OffsetDateTime::from_unix_timestamp(flow.exp)
            .unwrap_or_else(|_| self.clock.now() + FLOW_LIFETIME);
        Ok(self.store.remember_assertion(tenant, &key, until).await?)
    }
}
