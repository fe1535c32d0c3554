//! `GET /te/{tenant}/oauth2/authresp`: where a guest's identity provider sends the browser
//! back (the redirect URI registered at the provider). A thin handler over
//! `portico_app::federation`: the redemption or sign-in in progress continues on its own pages.

use super::{ClientAddr, cookies, error_page, visit};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portico_app::federation::{CallbackParams, FederationNext};
use portico_domain::TenantId;

/// `GET /te/{tenant}/oauth2/authresp?code=…&state=…` (or `error=…`).
pub async fn authresp(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let v = visit(&state, &headers, addr);
    let params = match super::single_params(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, None, &m, Some(&v)),
    };
    let get = |k: &str| params.get(k).cloned();
    let callback = CallbackParams {
        code: get("code"),
        state: get("state"),
        error: get("error"),
        error_description: get("error_description"),
    };
    let tenant_id = tenant.parse::<TenantId>().ok();
    let session =
        tenant_id.and_then(|t| cookies::read(&headers, &cookies::session_name(t, v.secure)));
    let tenant_row = match tenant_id {
        Some(id) => state.app.resolve_tenant(&id.to_string()).await.ok(),
        None => None,
    };
    match state
        .app
        .federation_callback(&tenant, &callback, &v.browser, session.as_deref())
        .await
    {
        Ok(FederationNext::Redeem(step)) => {
            super::redeem::render(&state, tenant_row.as_ref(), &v, Ok(step))
        }
        Ok(FederationNext::SignIn(step)) => {
            super::signin::render(&state, tenant_row.as_ref(), &tenant, &v, Ok(step))
        }
        Ok(FederationNext::Error(m)) => {
            error_page(StatusCode::BAD_REQUEST, tenant_row.as_ref(), &m, Some(&v))
        }
        // The redemption renderer maps every error (503 with Retry-After, or 500).
        Err(e) => super::redeem::render(&state, tenant_row.as_ref(), &v, Err(e)),
    }
}
