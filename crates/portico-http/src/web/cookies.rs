//! The cookies sign-in uses: a CSRF cookie (random, binds forms and sign-ins in progress to
//! the browser) and one session cookie per tenant. All are HttpOnly, SameSite=Lax, path `/`,
//! and Secure when Portico's public URL is https.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use portico_domain::TenantId;
use time::OffsetDateTime;

/// The CSRF cookie. Over https it carries the `__Host-` prefix, so no other host (a
/// sibling subdomain) can set it for Portico's origin.
#[must_use]
pub fn csrf_name(secure: bool) -> &'static str {
    if secure {
        "__Host-portico_csrf"
    } else {
        "portico_csrf"
    }
}

/// The session cookie of a tenant (`__Host-` prefixed over https).
#[must_use]
pub fn session_name(tenant: TenantId, secure: bool) -> String {
    let prefix = if secure { "__Host-" } else { "" };
    format!("{prefix}portico_session_{}", tenant.0.simple())
}

/// Every tenant session cookie the request carries, by tenant.
#[must_use]
pub fn sessions(headers: &HeaderMap, secure: bool) -> Vec<(TenantId, String)> {
    let prefix = if secure {
        "__Host-portico_session_"
    } else {
        "portico_session_"
    };
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter_map(|c| {
            let id = c.name().strip_prefix(prefix)?;
            let tenant = uuid::Uuid::try_parse(id).ok()?;
            (!c.value().is_empty() && c.value().len() <= 256)
                .then(|| (TenantId(tenant), c.value().to_owned()))
        })
        .take(16)
        .collect()
}

/// The value of cookie `name`, if the request carries it (the first one, if several).
#[must_use]
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

fn header_value(c: &Cookie<'_>) -> Option<HeaderValue> {
    HeaderValue::from_str(&c.to_string()).ok()
}

/// `Set-Cookie` for a cookie that lasts until `expires` (or the browser session).
#[must_use]
pub fn set(
    name: &str,
    value: &str,
    expires: Option<OffsetDateTime>,
    secure: bool,
) -> Option<HeaderValue> {
    let mut c = Cookie::build((name.to_owned(), value.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .build();
    if let Some(e) = expires {
        c.set_expires(e);
    }
    header_value(&c)
}

/// `Set-Cookie` that deletes a cookie.
#[must_use]
pub fn clear(name: &str, secure: bool) -> Option<HeaderValue> {
    let c = Cookie::build((name.to_owned(), String::new()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .expires(OffsetDateTime::UNIX_EPOCH)
        .build();
    header_value(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_locked_down() {
        let v = set("a", "b", None, true).unwrap();
        let s = v.to_str().unwrap();
        for part in ["a=b", "HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
        assert!(
            !set("a", "b", None, false)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        assert!(
            clear("a", false)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn reading_picks_the_named_cookie() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("x=1; portico_csrf=abc"),
        );
        assert_eq!(read(&h, csrf_name(false)).as_deref(), Some("abc"));
        assert_eq!(csrf_name(true), "__Host-portico_csrf");
        assert_eq!(read(&h, "missing"), None);
        h.insert(header::COOKIE, HeaderValue::from_static("garbage;;=;"));
        assert_eq!(read(&h, csrf_name(false)), None);
    }
}
