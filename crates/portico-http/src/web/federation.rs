//! Where a guest's identity provider sends the browser back: `GET /te/{tenant}/oauth2/authresp`
//! (the redirect URI registered at an OpenID Connect provider) and `POST
//! /te/{tenant}/saml2/acs` (the assertion consumer service of a SAML IdP), plus the tenant's
//! SAML service provider metadata. Thin handlers over `portico_app::federation`: the
//! redemption or sign-in in progress continues on its own pages.

use super::{ClientAddr, cookies, error_page, visit};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_app::federation::{AcsParams, CallbackParams, FederationNext};
use portico_domain::TenantId;
use portico_domain::tenant::Tenant;

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
    let next = state
        .app
        .federation_callback(&tenant, &callback, &v.browser, session.as_deref())
        .await;
    continue_after(&state, tenant_row.as_ref(), &tenant, &v, next)
}

/// Renders what follows a provider's answer: the redemption or sign-in page, or an error.
fn continue_after(
    state: &AppState,
    tenant_row: Option<&Tenant>,
    tenant: &str,
    v: &super::Visit,
    next: Result<FederationNext, portico_app::AppError>,
) -> Response {
    match next {
        Ok(FederationNext::Redeem(step)) => super::redeem::render(state, tenant_row, v, Ok(step)),
        Ok(FederationNext::SignIn(step)) => {
            super::signin::render(state, tenant_row, tenant, v, Ok(step))
        }
        Ok(FederationNext::Error(m)) => {
            error_page(StatusCode::BAD_REQUEST, tenant_row, &m, Some(v))
        }
        // The redemption renderer maps every error (503 with Retry-After, or 500).
        Err(e) => super::redeem::render(state, tenant_row, v, Err(e)),
    }
}

/// The largest POST the assertion consumer service reads (a SAML Response, base64).
pub const MAX_ACS_BODY: usize = 1024 * 1024;

/// The SAML fields of a POST to the assertion consumer service (plus Portico's own bounce
/// marker).
const ACS_FIELDS: [&str; 3] = ["SAMLResponse", "RelayState", "bounced"];

/// `POST /te/{tenant}/saml2/acs`: a partner IdP's SAML Response (HTTP-POST binding).
///
/// The IdP's page posts cross-site, so the browser leaves out Portico's SameSite=Lax cookies:
/// the first arrival without them answers with an auto-submitting form posting the same fields
/// back here from Portico's own page (same-site, cookies included), marked `bounced`.
pub async fn saml_acs(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: axum::body::Bytes,
) -> Response {
    let v = visit(&state, &headers, addr);
    let params = match super::single_params(&body) {
        Ok(p) => p,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, None, &m, Some(&v)),
    };
    if let Some(unknown) = params.keys().find(|k| !ACS_FIELDS.contains(&k.as_str())) {
        let shown: String = unknown.chars().take(40).collect();
        return error_page(
            StatusCode::BAD_REQUEST,
            None,
            &format!("This is not a SAML response: unexpected field '{shown}'."),
            Some(&v),
        );
    }
    let get = |k: &str| params.get(k).cloned();
    if v.new_csrf.is_some() && !params.contains_key("bounced") {
        // Same fields, back to this URL from Portico's own origin.
        let mut fields: Vec<(String, String)> = ["SAMLResponse", "RelayState"]
            .iter()
            .filter_map(|k| get(k).map(|val| ((*k).to_owned(), val)))
            .collect();
        fields.push(("bounced".into(), "1".into()));
        let action = format!(
            "{}/te/{}/saml2/acs",
            state.app.config.public_url.trim_end_matches('/'),
            url::form_urlencoded::byte_serialize(tenant.as_bytes()).collect::<String>()
        );
        return super::pages::form_post(&action, &fields);
    }
    let acs = AcsParams {
        saml_response: get("SAMLResponse"),
        relay_state: get("RelayState"),
    };
    let tenant_id = tenant.parse::<TenantId>().ok();
    let session =
        tenant_id.and_then(|t| cookies::read(&headers, &cookies::session_name(t, v.secure)));
    let tenant_row = match tenant_id {
        Some(id) => state.app.resolve_tenant(&id.to_string()).await.ok(),
        None => None,
    };
    let next = state
        .app
        .saml_acs(&tenant, &acs, &v.browser, session.as_deref())
        .await;
    continue_after(&state, tenant_row.as_ref(), &tenant, &v, next)
}

/// `GET /te/{tenant}/saml2/metadata`: the tenant's SAML service provider metadata, for
/// partner IdPs to load.
pub async fn saml_metadata(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    match state.app.saml_sp_metadata(&tenant).await {
        Ok(Some(xml)) => (
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                "application/samlmetadata+xml; charset=utf-8",
            )],
            xml,
        )
            .into_response(),
        Ok(None) => error_page(
            StatusCode::NOT_FOUND,
            None,
            "There is no such organization.",
            None,
        ),
        Err(e) => super::redeem::render(&state, None, &visit(&state, &headers, addr), Err(e)),
    }
}
