//! `GET|POST /{tenant}/oauth2/v2.0/logout`: RP-initiated logout. With a valid
//! `id_token_hint` it signs out at once; without one it asks first (a CSRF-protected form).

use super::{ClientAddr, MAX_FORM, cookies, error_page, pages, visit};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::signin::{LogoutParams, LogoutStep};
use std::collections::HashMap;

fn to_params(map: &HashMap<String, String>) -> LogoutParams {
    let get = |k: &str| map.get(k).cloned();
    LogoutParams {
        id_token_hint: get("id_token_hint"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        client_id: get("client_id"),
        state: get("state"),
    }
}

/// `GET /{tenant}/oauth2/v2.0/logout`
pub async fn logout_get(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    logout(
        &state,
        &segment,
        query.unwrap_or_default().as_bytes(),
        &headers,
        addr,
        false,
    )
    .await
}

/// `POST /{tenant}/oauth2/v2.0/logout` (the confirmation form, or a form-posting client).
pub async fn logout_post(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: Bytes,
) -> Response {
    if body.len() > MAX_FORM || !super::is_form(&headers) {
        let v = visit(&state, &headers, addr);
        return error_page(
            StatusCode::BAD_REQUEST,
            None,
            "The sign-out request must be a form.",
            Some(&v),
        );
    }
    logout(&state, &segment, &body, &headers, addr, true).await
}

async fn logout(
    state: &AppState,
    segment: &str,
    raw: &[u8],
    headers: &HeaderMap,
    addr: ClientAddr,
    posted: bool,
) -> Response {
    let v = visit(state, headers, addr);
    let tenant = match super::page_tenant(state, segment).await {
        Ok(t) => t,
        Err((status, m)) => return error_page(status, None, &m, Some(&v)),
    };
    let form = match super::single_params(raw) {
        Ok(f) => f,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, Some(&tenant), &m, Some(&v)),
    };
    let confirmed = posted
        && v.new_csrf.is_none()
        && state.app.csrf_valid(
            &v.browser.csrf_cookie,
            form.get("csrf_token").map_or("", String::as_str),
        );
    let params = to_params(&form);
    let name = cookies::session_name(tenant.id, v.secure);
    let session = cookies::read(headers, &name);
    let step = match state
        .app
        .logout(&tenant, &params, session.as_deref(), confirmed)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "logout failed");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&tenant),
                "Signing out failed. Try again in a few minutes.",
                Some(&v),
            );
        }
    };
    let tenant_name = tenant
        .branding
        .name
        .clone()
        .unwrap_or_else(|| tenant.display_name.clone());
    let mut res = match step {
        LogoutStep::Confirm => {
            let keep: Vec<(String, String)> = form
                .into_iter()
                .filter(|(k, _)| {
                    matches!(
                        k.as_str(),
                        "post_logout_redirect_uri" | "client_id" | "state"
                    )
                })
                .collect();
            let action = format!("/{segment}/oauth2/v2.0/logout");
            pages::logout_confirm(
                &tenant_name,
                &action,
                &state.app.csrf_token(&v.browser.csrf_cookie),
                &keep,
            )
        }
        LogoutStep::Done { redirect, .. } => {
            let mut res = match redirect.and_then(|r| HeaderValue::from_str(&r).ok()) {
                Some(loc) => {
                    let mut r = StatusCode::FOUND.into_response();
                    r.headers_mut().insert(header::LOCATION, loc);
                    r
                }
                None => pages::message(
                    StatusCode::OK,
                    &tenant_name,
                    "You signed out of your account",
                    "It's a good idea to close all browser windows.",
                    None,
                ),
            };
            super::attach(&mut res, cookies::clear(&name, v.secure));
            res
        }
    };
    super::finish(&mut res, &v);
    res
}
