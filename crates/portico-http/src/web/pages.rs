//! HTML pages (askama templates in `templates/`): sign-in steps, messages, the form_post
//! response and the logout confirmation. Every page is sent with `no-store`, a strict
//! Content-Security-Policy, `frame-ancestors 'none'` and no referrer.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::signin::{ConsentItem, Page, Screen};

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage<'a> {
    tenant_name: &'a str,
    title: &'a str,
    step: &'a str,
    action: &'a str,
    flow: &'a str,
    csrf: &'a str,
    username: Option<&'a str>,
    hint: &'a str,
    error: Option<&'a str>,
    client_name: &'a str,
    client_app_id: &'a str,
    items: &'a [ConsentItem],
    for_organization: bool,
    action_base: &'a str,
    org_name: &'a str,
    org_domain: &'a str,
    privacy_url: Option<&'a str>,
    home_org: &'a str,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    tenant_name: &'a str,
    title: &'a str,
    detail: &'a str,
    is_error: bool,
    correlation: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    params: &'a [(String, String)],
    nonce: &'a str,
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    tenant_name: &'a str,
    action: &'a str,
    csrf: &'a str,
    params: &'a [(String, String)],
}

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'";

/// Wraps rendered HTML with the page headers.
fn html(status: StatusCode, body: Result<String, askama::Error>, csp: &str) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "An internal server error occurred.",
            )
                .into_response();
        }
    };
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Any rendered page, with the page headers and the default policy.
pub(crate) fn html_page(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    html(status, body, CSP)
}

/// A sign-in step.
pub fn screen(screen: &Screen, action_base: &str, csrf: &str) -> Response {
    let (step, title, username, hint, error) = match &screen.page {
        Page::Username { hint, error } => (
            "username",
            "Sign in",
            None,
            hint.as_deref().unwrap_or(""),
            error.as_deref(),
        ),
        Page::Password { username, error } => (
            "password",
            "Enter password",
            Some(username.as_str()),
            "",
            error.as_deref(),
        ),
        Page::ChangePassword { username, error } => (
            "change-password",
            "Update your password",
            Some(username.as_str()),
            "",
            error.as_deref(),
        ),
        Page::Consent { username, .. } => (
            "consent",
            "Permissions requested",
            Some(username.as_str()),
            "",
            None,
        ),
        Page::GuestCode {
            username,
            sent,
            error,
        } => (
            if *sent { "code" } else { "send-code" },
            if *sent {
                "Enter code"
            } else {
                "Verify your email"
            },
            Some(username.as_str()),
            "",
            error.as_deref(),
        ),
        Page::HomePassword {
            username, error, ..
        } => (
            "home-password",
            "Enter password",
            Some(username.as_str()),
            "",
            error.as_deref(),
        ),
        Page::Redeem { username, .. } => (
            "redeem",
            "Review permissions",
            Some(username.as_str()),
            "",
            None,
        ),
    };
    let (org_name, org_domain, privacy_url, home_org) = match &screen.page {
        Page::Redeem {
            org_name,
            org_domain,
            privacy_url,
            ..
        } => (
            org_name.as_str(),
            org_domain.as_str(),
            privacy_url.as_deref(),
            "",
        ),
        Page::HomePassword { home_org, .. } => ("", "", None, home_org.as_str()),
        _ => ("", "", None, ""),
    };
    let (client_name, client_app_id, items, for_organization) = match &screen.page {
        Page::Consent {
            client_name,
            client_app_id,
            items,
            for_organization,
            ..
        } => (
            client_name.as_str(),
            client_app_id.as_str(),
            items.as_slice(),
            *for_organization,
        ),
        _ => ("", "", &[][..], false),
    };
    let action = format!("{action_base}/{step}");
    let page = SigninPage {
        tenant_name: &screen.tenant_name,
        title,
        step,
        action: &action,
        flow: &screen.flow,
        csrf,
        username,
        hint,
        error,
        client_name,
        client_app_id,
        items,
        for_organization,
        action_base,
        org_name,
        org_domain,
        privacy_url,
        home_org,
    };
    html(StatusCode::OK, page.render(), CSP)
}

/// A message page (errors: 4xx with the text; notices: 200).
pub fn message(
    status: StatusCode,
    tenant_name: &str,
    title: &str,
    detail: &str,
    correlation: Option<&str>,
) -> Response {
    let page = MessagePage {
        tenant_name,
        title,
        detail,
        is_error: status.is_client_error() || status.is_server_error(),
        correlation,
    };
    html(status, page.render(), CSP)
}

/// The `form_post` response: an auto-submitting form (with a button when script is off).
pub fn form_post(action: &str, params: &[(String, String)]) -> Response {
    let nonce = portico_crypto::secret::random_token(16);
    let page = FormPostPage {
        action,
        params,
        nonce: &nonce,
    };
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; frame-ancestors 'none'; base-uri 'none'"
    );
    html(StatusCode::OK, page.render(), &csp)
}

/// The logout confirmation.
pub fn logout_confirm(
    tenant_name: &str,
    action: &str,
    csrf: &str,
    params: &[(String, String)],
) -> Response {
    let page = LogoutPage {
        tenant_name,
        action,
        csrf,
        params,
    };
    html(StatusCode::OK, page.render(), CSP)
}
