//! The sign-in in progress, sealed between pages: bound to the tenant (sealing context), to
//! the browser (a value derived from its CSRF cookie) and to a deadline.

use super::request::AuthorizeRequest;
use super::{Browser, FLOW_LIFETIME};
use crate::{App, AppError};
use portico_domain::{TenantId, UserId};
use serde::{Deserialize, Serialize};

/// The state carried from page to page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Flow {
    /// Random id: each stage that authenticates (password, password change) can use a
    /// flow once, so a form resubmitted later (the Back button on a shared computer) fails.
    pub(crate) id: String,
    /// The validated authorization request.
    pub(crate) req: AuthorizeRequest,
    /// Binding to the browser.
    pub(crate) bind: String,
    /// Unix deadline.
    pub(crate) exp: i64,
    /// The user, once identified.
    pub(crate) user: Option<UserId>,
    /// What they typed.
    pub(crate) username: Option<String>,
    /// When their current password was verified, while a forced change is pending.
    pub(crate) pwd_verified_at: Option<i64>,
    /// How a guest proves who they are, once known.
    #[serde(default)]
    pub(crate) guest: Option<super::guest::GuestMethod>,
    /// When the guest's invitation state last changed as the method was chosen (Unix time in
    /// microseconds):
    /// a reset redemption since then ends the flow.
    #[serde(default)]
    pub(crate) guest_since: Option<i64>,
    /// The passcode mailed to a guest.
    #[serde(default)]
    pub(crate) otp: Option<uuid::Uuid>,
    /// What a pending guest proved, while they review the inviting organization's request.
    #[serde(default)]
    pub(crate) proven: Option<crate::redeem::Proven>,
}

fn context(tenant: TenantId) -> String {
    format!("signin-flow:{tenant}")
}

impl App {
    pub(crate) fn new_flow(&self, req: AuthorizeRequest, browser: &Browser) -> Flow {
        Flow {
            id: portico_crypto::secret::random_token(16),
            req,
            bind: self.keys.derive("browser", &browser.csrf_cookie),
            exp: (self.clock.now() + FLOW_LIFETIME).unix_timestamp(),
            user: None,
            username: None,
            pwd_verified_at: None,
            guest: None,
            guest_since: None,
            otp: None,
            proven: None,
        }
    }

    pub(crate) fn seal_flow(&self, tenant: TenantId, flow: &Flow) -> Result<String, AppError> {
        let json = serde_json::to_vec(flow).map_err(|e| AppError::Internal(e.to_string()))?;
        self.keys.seal(&json, &context(tenant))
    }

    /// Opens a flow posted back by a form. `Err` carries the page text to show: the state is
    /// forged, from another browser or tenant, or expired.
    pub(crate) fn open_flow(
        &self,
        tenant: TenantId,
        sealed: &str,
        browser: &Browser,
    ) -> Result<Flow, String> {
        let restart = "Your sign-in session has expired or is not valid. Go back to the application and sign in again.";
        if sealed.len() > 16 * 1024 {
            return Err(restart.into());
        }
        let raw = self
            .keys
            .open(sealed, &context(tenant))
            .ok_or_else(|| restart.to_owned())?;
        let flow: Flow = serde_json::from_slice(&raw).map_err(|_| restart.to_owned())?;
        let bind = self.keys.derive("browser", &browser.csrf_cookie);
        if !portico_crypto::secret::constant_time_eq(flow.bind.as_bytes(), bind.as_bytes()) {
            return Err("This sign-in was started in another browser window or the browser's cookies were cleared. Go back to the application and sign in again.".into());
        }
        if flow.exp <= self.clock.now().unix_timestamp() {
            return Err(restart.into());
        }
        Ok(flow)
    }

    /// Marks a flow's `stage` as used; false when it was used before.
    pub(crate) async fn consume_flow(
        &self,
        tenant: TenantId,
        flow: &Flow,
        stage: &str,
    ) -> Result<bool, AppError> {
        let key = self
            .keys
            .hash_secret(&format!("signin-flow:{stage}:{}", flow.id));
        let until = time::OffsetDateTime::from_unix_timestamp(flow.exp)
            .unwrap_or_else(|_| self.clock.now() + FLOW_LIFETIME);
        Ok(self.store.remember_assertion(tenant, &key, until).await?)
    }

    /// The CSRF token for forms shown to the browser holding `csrf_cookie`.
    #[must_use]
    pub fn csrf_token(&self, csrf_cookie: &str) -> String {
        self.keys.derive("csrf", csrf_cookie)
    }

    /// Whether a form's CSRF token belongs to the browser's cookie (constant time).
    #[must_use]
    pub fn csrf_valid(&self, csrf_cookie: &str, presented: &str) -> bool {
        !csrf_cookie.is_empty()
            && portico_crypto::secret::constant_time_eq(
                self.csrf_token(csrf_cookie).as_bytes(),
                presented.as_bytes(),
            )
    }
}
