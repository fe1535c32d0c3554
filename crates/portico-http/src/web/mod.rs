//! Browser-facing pages: the sign-in steps behind `/authorize`, and logout. Forms are
//! protected by a CSRF token derived from the browser's CSRF cookie; sign-ins in progress
//! travel sealed in the form (see `portico_app::signin`).

pub mod cookies;
pub mod federation;
pub mod logout;
pub mod pages;
pub mod portal;
pub mod portal_apps;
pub mod portal_bulk;
pub mod portal_groups;
pub mod portal_logs;
pub mod portal_settings;
pub mod portal_users;
pub mod redeem;
pub mod signin;

use crate::AppState;
use crate::middleware::REQUEST_ID;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use portico_app::signin::Browser;
use portico_domain::CorrelationId;
use portico_domain::tenant::Tenant;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Largest form body a page posts.
pub const MAX_FORM: usize = 16 * 1024;

/// The client's address as the listener saw it (absent in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The browser and what the response must set for it.
pub(crate) struct Visit {
    pub(crate) browser: Browser,
    /// `Set-Cookie` for a CSRF cookie the browser did not have yet.
    pub(crate) new_csrf: Option<HeaderValue>,
    pub(crate) secure: bool,
}

pub(crate) fn secure(state: &AppState) -> bool {
    state.app.config.public_url.starts_with("https://")
}

/// Builds the browser context; a browser without a CSRF cookie is given one.
pub(crate) fn visit(state: &AppState, headers: &HeaderMap, addr: ClientAddr) -> Visit {
    let secure = secure(state);
    let (csrf_cookie, new_csrf) = match cookies::read(headers, cookies::csrf_name(secure)) {
        Some(c) => (c, None),
        None => {
            let c = portico_crypto::secret::random_token(32);
            let h = cookies::set(cookies::csrf_name(secure), &c, None, secure);
            (c, h)
        }
    };
    let correlation_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<uuid::Uuid>().ok())
        .map_or_else(CorrelationId::new, CorrelationId);
    Visit {
        browser: Browser {
            ip: client_ip(headers, addr, state.trusted_proxy_hops),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            csrf_cookie,
            correlation_id,
        },
        new_csrf,
        secure,
    }
}

/// The client's address: the socket's, or with `hops` trusted proxies in front, the entry of
/// `X-Forwarded-For` the outermost trusted proxy appended (entries further left are
/// client-supplied and not trusted).
fn client_ip(headers: &HeaderMap, addr: ClientAddr, hops: u8) -> Option<String> {
    let socket = addr.0.map(|a| a.ip().to_string());
    if hops == 0 {
        return socket;
    }
    let chain: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    chain
        .len()
        .checked_sub(usize::from(hops))
        .and_then(|i| chain.get(i))
        .and_then(|s| s.parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_string())
        .or(socket)
}

/// Parses a query string or form body into single-valued parameters. Repeated parameters
/// and bodies that are not forms are refused with the message to show.
pub(crate) fn single_params(raw: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw) {
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(format!(
                "The parameter '{}' was included more than once.",
                k.chars().take(64).collect::<String>()
            ));
        }
    }
    Ok(out)
}

/// Whether a request body is a URL-encoded form.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// An error page for a tenant (or for an unknown one).
pub(crate) fn error_page(
    status: StatusCode,
    tenant: Option<&Tenant>,
    detail: &str,
    visit: Option<&Visit>,
) -> Response {
    let name = tenant.map_or("Portico", |t| {
        t.branding.name.as_deref().unwrap_or(&t.display_name)
    });
    let corr = visit.map(|v| v.browser.correlation_id.to_string());
    let mut res = pages::message(
        status,
        name,
        "Sorry, but we're having trouble signing you in.",
        detail,
        corr.as_deref(),
    );
    if let Some(v) = visit {
        finish(&mut res, v);
    }
    res
}

/// Adds what every page response for this visit carries: a new CSRF cookie, and HSTS over
/// https.
pub(crate) fn finish(res: &mut Response, v: &Visit) {
    attach(res, v.new_csrf.clone());
    if v.secure {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

pub(crate) fn attach(res: &mut Response, cookie: Option<HeaderValue>) {
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
}

/// Resolves the `{tenant}` segment of a page; `common` and `organizations` are not yet
/// served for browser sign-in.
pub(crate) async fn page_tenant(
    state: &AppState,
    segment: &str,
) -> Result<Tenant, (StatusCode, String)> {
    match page_scope(state, segment).await? {
        Some(t) => Ok(t),
        None => Err((StatusCode::BAD_REQUEST, "Signing out through 'common' or 'organizations' is not supported: use the tenant id or one of its domains in the address.".into())),
    }
}

/// Resolves the `{tenant}` segment of a page: a tenant, or `None` for `common` and
/// `organizations` (the tenant is then found from the username).
pub(crate) async fn page_scope(
    state: &AppState,
    segment: &str,
) -> Result<Option<Tenant>, (StatusCode, String)> {
    match crate::oidc::tenant::TenantScope::resolve(state, segment).await {
        Ok(crate::oidc::tenant::TenantScope::Tenant(t)) => Ok(Some(*t)),
        Ok(_) => Ok(None),
        Err(e) if e.error == "invalid_tenant" => Err((StatusCode::BAD_REQUEST, e.description)),
        Err(e) => Err((
            e.status,
            "The service is temporarily unavailable. Try again in a few minutes.".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_trusted_only_as_far_as_the_proxies() {
        let addr = ClientAddr(Some("10.0.0.1:5000".parse().unwrap()));
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7"),
        );
        assert_eq!(
            client_ip(&h, addr, 0).as_deref(),
            Some("10.0.0.1"),
            "no proxies: the socket"
        );
        assert_eq!(
            client_ip(&h, addr, 1).as_deref(),
            Some("203.0.113.7"),
            "what our proxy saw"
        );
        assert_eq!(client_ip(&h, addr, 2).as_deref(), Some("6.6.6.6"));
        assert_eq!(
            client_ip(&h, addr, 3).as_deref(),
            Some("10.0.0.1"),
            "too short a chain"
        );
        h.insert("x-forwarded-for", HeaderValue::from_static("not-an-ip"));
        assert_eq!(client_ip(&h, addr, 1).as_deref(), Some("10.0.0.1"));
        assert_eq!(client_ip(&HeaderMap::new(), ClientAddr(None), 1), None);
    }
}
