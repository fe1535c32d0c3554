//! Browser sessions: created after the password, found by the cookie's hash, ended by logout.

use super::{Browser, NewSession, SESSION_LIFETIME};
use crate::{App, AppError};
use portico_domain::signin::Session;
use portico_domain::tenant::Tenant;
use portico_domain::user::User;
use portico_domain::{SessionId, TenantId};
use portico_store::StoreError;

/// Longest session cookie value looked up.
const MAX_TOKEN: usize = 128;

impl App {
    pub(crate) async fn start_session(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
    ) -> Result<(Session, NewSession), AppError> {
        self.start_session_with(tenant, user, browser, "pwd", None)
            .await
    }

    /// Starts a session whose authentication method (`amr`) is `method` (`pwd`, `otp`, `fed`),
    /// keeping what a federated provider said about its own authentication.
    pub(crate) async fn start_session_with(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
        method: &str,
        upstream: Option<&portico_domain::signin::UpstreamAuth>,
    ) -> Result<(Session, NewSession), AppError> {
        let now = self.clock.now();
        let token = portico_crypto::secret::random_token(32);
        let session = Session {
            id: SessionId::new(),
            user_id: user.id,
            auth_time: now,
            auth_methods: vec![method.to_owned()],
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_LIFETIME,
            revoked_at: None,
            client_ip: browser.ip.clone(),
            user_agent: browser
                .user_agent
                .as_ref()
                .map(|u| u.chars().take(512).collect()),
            upstream: upstream.cloned(),
        };
        self.store
            .create_session(tenant.id, &session, &self.keys.hash_secret(&token))
            .await?;
        let cookie = NewSession {
            tenant: tenant.id,
            token,
            expires_at: session.expires_at,
        };
        Ok((session, cookie))
    }

    /// The active session a cookie names, with its user (enabled and present), if any.
    pub async fn session_from_cookie(
        &self,
        tenant: TenantId,
        token: Option<&str>,
    ) -> Result<Option<(Session, User)>, AppError> {
        let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN) else {
            return Ok(None);
        };
        let session = match self
            .store
            .find_session(tenant, &self.keys.hash_secret(token))
            .await
        {
            Ok(s) if s.is_active(self.clock.now()) => s,
            Ok(_) | Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match self.store.get_user(tenant, session.user_id).await {
            // A user who must change their password cannot ride an earlier session.
            Ok(u) if u.account_enabled && !u.force_change_password_next_sign_in => {
                Ok(Some((session, u)))
            }
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
