//! `GET /redeem` (the link in an invitation) and `POST /redeem/{tenant}/{step}` (its pages):
//! thin handlers over `portico_app::redeem`.

use super::{ClientAddr, MAX_FORM, Visit, cookies, error_page, visit};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::AppError;
use portico_app::redeem::{RedeemNext, RedeemPage, RedeemScreen, RedeemStep};
use portico_domain::TenantId;
use portico_domain::tenant::Tenant;

#[derive(Template)]
#[template(path = "redeem.html")]
struct RedeemHtml<'a> {
    tenant_name: &'a str,
    title: &'a str,
    step: &'a str,
    base: &'a str,
    flow: &'a str,
    csrf: &'a str,
    email: &'a str,
    home_org: &'a str,
    org_name: &'a str,
    org_domain: &'a str,
    privacy_url: Option<&'a str>,
    error: Option<&'a str>,
}

fn page(screen: &RedeemScreen, csrf: &str) -> Response {
    let base = format!("/redeem/{}", screen.tenant);
    let mut p = RedeemHtml {
        tenant_name: &screen.tenant_name,
        title: "",
        step: "",
        base: &base,
        flow: &screen.flow,
        csrf,
        email: "",
        home_org: "",
        org_name: "",
        org_domain: "",
        privacy_url: None,
        error: None,
    };
    match &screen.page {
        RedeemPage::SendCode { email } => {
            (p.title, p.step, p.email) = ("Verify your email", "send-code", email);
        }
        RedeemPage::EnterCode { email, error } => {
            (p.title, p.step, p.email, p.error) = ("Enter code", "code", email, error.as_deref());
        }
        RedeemPage::Password {
            username,
            home_org,
            error,
        } => {
            (p.title, p.step, p.email, p.home_org, p.error) =
                ("Sign in", "password", username, home_org, error.as_deref());
        }
        RedeemPage::BlockConfirm { email } => {
            (p.title, p.step, p.email) = ("Block future invitations", "block-send-code", email);
        }
        RedeemPage::BlockCode { email, error } => {
            (p.title, p.step, p.email, p.error) =
                ("Enter code", "block-code", email, error.as_deref());
        }
        RedeemPage::Consent {
            email,
            org_name,
            org_domain,
            privacy_url,
        } => {
            (
                p.title,
                p.step,
                p.email,
                p.org_name,
                p.org_domain,
                p.privacy_url,
            ) = (
                "Review permissions",
                "consent",
                email,
                org_name,
                org_domain,
                privacy_url.as_deref(),
            );
        }
    }
    super::pages::html_page(StatusCode::OK, p.render())
}

/// `GET /redeem?tenant=…&user=…&ticket=…`
pub async fn redeem_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let v = visit(&state, &headers, addr);
    let params = match super::single_params(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(m) => return invitation_error(StatusCode::BAD_REQUEST, None, &m, &v),
    };
    let get = |k: &str| params.get(k).map_or("", String::as_str);
    let sessions = cookies::sessions(&headers, v.secure);
    let step = state
        .app
        .redeem_start(
            get("tenant"),
            get("user"),
            get("ticket"),
            &v.browser,
            &sessions,
        )
        .await;
    let tenant = match get("tenant").parse::<TenantId>() {
        Ok(id) => state.app.resolve_tenant(&id.to_string()).await.ok(),
        Err(_) => None,
    };
    render(&state, tenant.as_ref(), &v, step)
}

/// `GET /redeem/block?tenant=…&invitation=…&sig=…` (the link in every invitation mail).
pub async fn block_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let v = visit(&state, &headers, addr);
    let params = match super::single_params(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(m) => return invitation_error(StatusCode::BAD_REQUEST, None, &m, &v),
    };
    let get = |k: &str| params.get(k).map_or("", String::as_str);
    let step = state
        .app
        .block_start(get("tenant"), get("invitation"), get("sig"), &v.browser)
        .await;
    let tenant = match get("tenant").parse::<TenantId>() {
        Ok(id) => state.app.resolve_tenant(&id.to_string()).await.ok(),
        Err(_) => None,
    };
    render(&state, tenant.as_ref(), &v, step)
}

/// `POST /redeem/{tenant}/{step}`
pub async fn redeem_post(
    State(state): State<AppState>,
    Path((segment, step)): Path<(String, String)>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: Bytes,
) -> Response {
    let v = visit(&state, &headers, addr);
    let Ok(id) = segment.parse::<TenantId>() else {
        return invitation_error(StatusCode::NOT_FOUND, None, "There is no such page.", &v);
    };
    let tenant = match state.app.resolve_tenant(&id.to_string()).await {
        Ok(t) => t,
        Err(AppError::NotFound(_)) => {
            return invitation_error(StatusCode::NOT_FOUND, None, "There is no such page.", &v);
        }
        Err(e) => return render(&state, None, &v, Err(e)),
    };
    if body.len() > MAX_FORM || !super::is_form(&headers) {
        return invitation_error(
            StatusCode::BAD_REQUEST,
            Some(&tenant),
            "The form could not be read. Open the link in your invitation again.",
            &v,
        );
    }
    let form = match super::single_params(&body) {
        Ok(f) => f,
        Err(m) => return invitation_error(StatusCode::BAD_REQUEST, Some(&tenant), &m, &v),
    };
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    if v.new_csrf.is_some()
        || !state
            .app
            .csrf_valid(&v.browser.csrf_cookie, field("csrf_token"))
    {
        return invitation_error(
            StatusCode::BAD_REQUEST,
            Some(&tenant),
            "Your browser's cookies are missing or this form has expired. Make sure cookies are allowed, then open the link in your invitation again.",
            &v,
        );
    }
    let app = &state.app;
    let flow = field("flow");
    let step = match step.as_str() {
        "send-code" => app.redeem_send_code(&tenant, flow, &v.browser).await,
        "block-send-code" => app.block_send_code(&tenant, flow, &v.browser).await,
        "block-code" => {
            app.block_code(&tenant, flow, field("code"), &v.browser)
                .await
        }
        "code" => {
            app.redeem_code(&tenant, flow, field("code"), &v.browser)
                .await
        }
        "password" => {
            app.redeem_password(&tenant, flow, field("password"), &v.browser)
                .await
        }
        "consent" => match field("consent") {
            "accept" => app.redeem_consent(&tenant, flow, true, &v.browser).await,
            "deny" => app.redeem_consent(&tenant, flow, false, &v.browser).await,
            _ => {
                return invitation_error(
                    StatusCode::BAD_REQUEST,
                    Some(&tenant),
                    "Choose Accept or Cancel.",
                    &v,
                );
            }
        },
        _ => {
            return invitation_error(
                StatusCode::NOT_FOUND,
                Some(&tenant),
                "There is no such page.",
                &v,
            );
        }
    };
    render(&state, Some(&tenant), &v, step)
}

fn invitation_error(
    status: StatusCode,
    tenant: Option<&Tenant>,
    detail: &str,
    v: &Visit,
) -> Response {
    let name = tenant.map_or("Portico", |t| {
        t.branding.name.as_deref().unwrap_or(&t.display_name)
    });
    let corr = v.browser.correlation_id.to_string();
    let mut res = super::pages::message(
        status,
        name,
        "We couldn't accept the invitation",
        detail,
        Some(&corr),
    );
    super::finish(&mut res, v);
    res
}

pub(super) fn render(
    state: &AppState,
    tenant: Option<&Tenant>,
    v: &Visit,
    step: Result<RedeemStep, AppError>,
) -> Response {
    let step = match step {
        Ok(s) => s,
        Err(AppError::Unavailable(e)) => {
            tracing::warn!(error = %e, "redemption step unavailable");
            let mut res = error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                tenant,
                "The service is temporarily unavailable. Try again in a few minutes.",
                Some(v),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return res;
        }
        Err(e) => {
            tracing::error!(error = %e, "redemption step failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                tenant,
                "An internal error occurred. Try again; if it keeps happening, give the person who invited you the correlation id below.",
                Some(v),
            );
        }
    };
    let mut res = match &step.next {
        RedeemNext::Show(screen) => page(screen, &state.app.csrf_token(&v.browser.csrf_cookie)),
        RedeemNext::Redirect(to) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(loc) = HeaderValue::from_str(to) {
                res.headers_mut().insert(header::LOCATION, loc);
            }
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        RedeemNext::Error(m) => {
            return invitation_error(StatusCode::BAD_REQUEST, tenant, m, v);
        }
        RedeemNext::Done(m) => {
            let name = tenant.map_or("Portico", |t| {
                t.branding.name.as_deref().unwrap_or(&t.display_name)
            });
            super::pages::message(StatusCode::OK, name, "Done", m, None)
        }
    };
    super::finish(&mut res, v);
    for s in &step.sessions {
        super::attach(
            &mut res,
            cookies::set(
                &cookies::session_name(s.tenant, v.secure),
                &s.token,
                Some(s.expires_at),
                v.secure,
            ),
        );
    }
    res
}
