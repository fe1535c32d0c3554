//! RP-initiated logout: ends the browser's session (and the refresh tokens it started) and
//! returns to the client only at a URI the client registered.

use crate::{App, AppError};
use portico_domain::AppId;
use portico_domain::tenant::Tenant;
use serde_json::Value;

/// `/logout` parameters.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LogoutParams {
    /// `id_token_hint`: an ID token this deployment issued (expired ones too).
    pub id_token_hint: Option<String>,
    /// `post_logout_redirect_uri`.
    pub post_logout_redirect_uri: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `state`, echoed.
    pub state: Option<String>,
}

/// What logout does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutStep {
    /// No proof the request came from the signed-in user's app: ask them first.
    Confirm,
    /// Signed out; go here (already carrying `state`), or show the signed-out page.
    Done {
        /// Registered post-logout URI.
        redirect: Option<String>,
        /// Whether a session was ended.
        ended: bool,
    },
}

impl App {
    /// Logs the browser out. `confirmed` is true for the confirmation form's POST (checked
    /// for CSRF by the edge).
    pub async fn logout(
        &self,
        tenant: &Tenant,
        p: &LogoutParams,
        session_token: Option<&str>,
        confirmed: bool,
    ) -> Result<LogoutStep, AppError> {
        let session = self.session_from_cookie(tenant.id, session_token).await?;
        let hinted = match p
            .id_token_hint
            .as_deref()
            .filter(|h| !h.is_empty() && h.len() <= 16 * 1024)
        {
            Some(h) => self.verify_own_jwt(h).await,
            None => None,
        };
        let claim = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).map(str::to_owned);
        // Only an ID token this tenant issued (access tokens carry `idtyp`) for the user of
        // this browser's session, and for the client the request names, if it names one,
        // signs out without asking.
        let hint_client: Option<AppId> = hinted.as_ref().and_then(|c| {
            let tenant_ok = claim(c, "tid").as_deref() == Some(tenant.id.to_string().as_str());
            let id_token =
                c.get("idtyp").is_none() && c.get("scp").is_none() && c.get("roles").is_none();
            let user_ok = session
                .as_ref()
                .is_none_or(|(_, u)| claim(c, "oid").as_deref() == Some(u.id.to_string().as_str()));
            let aud: Option<AppId> = claim(c, "aud").and_then(|a| a.parse().ok());
            let client_ok = p.client_id.as_deref().is_none_or(|id| {
                aud.is_some_and(|a| id.trim().eq_ignore_ascii_case(&a.to_string()))
            });
            (tenant_ok && id_token && user_ok && client_ok)
                .then_some(aud)
                .flatten()
        });
        let hint_ok = hint_client.is_some()
            && match hint_client {
                Some(a) => self.client_in_tenant(tenant.id, a).await?.is_some(),
                None => false,
            };
        if !hint_ok && !confirmed {
            return Ok(LogoutStep::Confirm);
        }
        let client: Option<AppId> = if hint_ok {
            hint_client
        } else {
            p.client_id.as_deref().and_then(|c| c.trim().parse().ok())
        };
        let ended = match session {
            Some((s, u)) => {
                self.store
                    .revoke_session(tenant.id, s.id, self.clock.now())
                    .await?;
                tracing::info!(tenant = %tenant.id, user = %u.id, session = %s.id, "signed out");
                true
            }
            None => false,
        };
        let mut redirect = None;
        if let (Some(uri), Some(client)) = (p.post_logout_redirect_uri.as_deref(), client)
            && let Some(found) = self.client_in_tenant(tenant.id, client).await?
        {
            let r = &found.app.redirect_uris;
            if r.web
                .iter()
                .chain(&r.spa)
                .chain(&r.public_client)
                .any(|u| u == uri)
                && let Ok(mut url) = url::Url::parse(uri)
            {
                if let Some(state) = p.state.as_deref().filter(|s| s.len() <= 2048) {
                    url.query_pairs_mut().append_pair("state", state);
                }
                redirect = Some(url.to_string());
            }
        }
        Ok(LogoutStep::Done { redirect, ended })
    }
}
