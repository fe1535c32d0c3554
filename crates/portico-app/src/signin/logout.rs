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
        let hinted = match p
            .id_token_hint
            .as_deref()
            .filter(|h| !h.is_empty() && h.len() <= 16 * 1024)
        {
            Some(h) => self.verify_own_jwt(h).await,
            None => None,
        };
        let hint_tenant_ok = hinted.as_ref().is_some_and(|c| {
            c.get("tid").and_then(Value::as_str) == Some(tenant.id.to_string().as_str())
        });
        let client: Option<AppId> = hinted
            .as_ref()
            .filter(|_| hint_tenant_ok)
            .and_then(|c| {
                c.get("aud")
                    .and_then(Value::as_str)
                    .and_then(|a| a.parse().ok())
            })
            .or_else(|| p.client_id.as_deref().and_then(|c| c.trim().parse().ok()));
        if !hint_tenant_ok && !confirmed {
            return Ok(LogoutStep::Confirm);
        }
        let ended = self.end_session(tenant.id, session_token).await?;
        let mut redirect = None;
        if let (Some(uri), Some(client)) = (p.post_logout_redirect_uri.as_deref(), client)
            && let Ok(app) = self
                .store
                .find_application_by_app_id(tenant.id, client)
                .await
        {
            let r = &app.redirect_uris;
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
