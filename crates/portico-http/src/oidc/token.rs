//! `POST /{tenant}/oauth2/v2.0/token`. The body is parsed by hand so that every malformed
//! request gets an OAuth error (never a framework 4xx): wrong content type, repeated
//! parameters, two client authentication methods at once.

use super::tenant::TenantScope;
use crate::AppState;
use crate::error::OAuthError;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use portico_app::client_auth::JWT_BEARER;
use portico_app::tokens::{ClientCredentials, TokenError, TokenErrorCode};
use portico_app::user_tokens::{CodeParams, UserTokens};
use serde_json::json;
use std::collections::HashMap;

/// Largest token request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

fn oauth(code: TokenErrorCode, description: impl Into<String>) -> OAuthError {
    let status = match code {
        TokenErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        TokenErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        TokenErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    OAuthError {
        status,
        error: code.as_str(),
        description: description.into(),
    }
}

impl From<TokenError> for OAuthError {
    fn from(e: TokenError) -> Self {
        oauth(e.code, e.description)
    }
}

/// The token endpoint.
pub async fn token(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, &segment, &headers, &body).await {
        Ok(res) => res,
        Err(mut e) => {
            let basic = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.as_bytes().get(..6))
                .is_some_and(|p| p.eq_ignore_ascii_case(b"basic "));
            if e.error == "invalid_client" && basic {
                e.description
                    .push_str(" (HTTP Basic authentication failed.)");
                let mut res = e.into_response();
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"portico\""),
                );
                return res;
            }
            e.into_response()
        }
    }
}

async fn issue(
    state: &AppState,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    use TokenErrorCode as C;
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !form_type {
        return Err(oauth(
            C::InvalidRequest,
            "The request body must be application/x-www-form-urlencoded.",
        ));
    }
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if v.is_empty() && !params.contains_key(k.as_ref()) {
            // RFC 6749 §3.2: parameters sent without a value are treated as omitted.
            continue;
        }
        if params
            .insert(k.clone().into_owned(), v.into_owned())
            .is_some()
        {
            return Err(oauth(
                C::InvalidRequest,
                format!(
                    "The parameter '{}' was included more than once.",
                    k.chars().take(64).collect::<String>()
                ),
            ));
        }
    }
    let basic = basic_credentials(headers)?;
    let assertion = match (
        params.get("client_assertion_type").map(String::as_str),
        params.get("client_assertion").map(String::as_str),
    ) {
        (None, None) => None,
        (Some(JWT_BEARER), Some(a)) => Some(a),
        (Some(_), Some(_)) => {
            return Err(oauth(
                C::InvalidRequest,
                format!("The client_assertion_type must be '{JWT_BEARER}'."),
            ));
        }
        _ => {
            return Err(oauth(
                C::InvalidRequest,
                "client_assertion and client_assertion_type must be sent together.",
            ));
        }
    };
    if assertion.is_some() && (basic.is_some() || params.contains_key("client_secret")) {
        return Err(oauth(
            C::InvalidRequest,
            "Use one client authentication method: a client_assertion, HTTP Basic, or client_secret in the body.",
        ));
    }
    let (client_id, client_secret) = match (&basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(oauth(
                C::InvalidRequest,
                "Use one client authentication method: HTTP Basic or client_secret in the body, not both.",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(oauth(
                    C::InvalidRequest,
                    "client_id in the body does not match the HTTP Basic client id.",
                ));
            }
            (id.as_str(), Some(secret.as_str()))
        }
        (None, secret) => {
            let id = match params.get("client_id") {
                Some(id) => id.as_str(),
                // RFC 7523: the assertion names the client.
                None if assertion.is_some() => "",
                None => {
                    return Err(oauth(
                        C::InvalidRequest,
                        "The request body must contain the 'client_id' parameter.",
                    ));
                }
            };
            (id, secret.map(String::as_str))
        }
    };
    let scope = TenantScope::resolve(state, segment).await?;
    let mut common = false;
    let tenant = match scope {
        TenantScope::Tenant(t) => t,
        // `common` / `organizations`: a code or refresh token names its tenant.
        TenantScope::Common | TenantScope::Organizations => {
            let presented = match params.get("grant_type").map(String::as_str) {
                Some("authorization_code") => params.get("code"),
                Some("refresh_token") => params.get("refresh_token"),
                _ => None,
            };
            let routed = presented.and_then(|t| portico_app::user_tokens::token_tenant(t));
            let Some(tenant_id) = routed else {
                return Err(oauth(
                    C::InvalidRequest,
                    "Tokens need a tenant-specific endpoint: use the tenant id or domain instead of 'common' or 'organizations' (only codes and refresh tokens are accepted there).",
                ));
            };
            let routed = match state.app.resolve_tenant(&tenant_id.to_string()).await {
                Ok(t) => t,
                Err(portico_app::AppError::NotFound(_)) => {
                    return Err(oauth(
                        C::InvalidGrant,
                        "AADSTS70000: The provided code or refresh token is not valid.",
                    ));
                }
                Err(e) => return Err(OAuthError::from(e)),
            };
            common = true;
            Box::new(routed)
        }
    };
    let client = ClientCredentials {
        client_id,
        client_secret,
        client_assertion: assertion,
    };
    let get = |k: &str| params.get(k).map(String::as_str);
    let client_info = get("client_info") == Some("1");
    if common {
        state
            .app
            .require_multi_tenant_client(&tenant, &client)
            .await?;
    }
    let body = match get("grant_type") {
        Some("client_credentials") => {
            let issued = state
                .app
                .client_credentials_token(&tenant, &client, get("scope"))
                .await?;
            json!({
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "ext_expires_in": issued.expires_in,
                "access_token": issued.access_token,
            })
        }
        Some("authorization_code") => {
            let p = CodeParams {
                code: get("code"),
                redirect_uri: get("redirect_uri"),
                code_verifier: get("code_verifier"),
                client_info,
            };
            user_tokens(
                state
                    .app
                    .authorization_code_token(&tenant, &client, p)
                    .await?,
            )
        }
        Some("refresh_token") => user_tokens(
            state
                .app
                .refresh_token_grant(
                    &tenant,
                    &client,
                    get("refresh_token"),
                    get("scope"),
                    client_info,
                )
                .await?,
        ),
        Some("") | None => {
            return Err(oauth(
                C::InvalidRequest,
                "The request body must contain the 'grant_type' parameter.",
            ));
        }
        Some(other) => {
            return Err(oauth(
                C::UnsupportedGrantType,
                format!(
                    "The grant type '{}' is not supported; use authorization_code, refresh_token or client_credentials.",
                    other.chars().take(64).collect::<String>()
                ),
            ));
        }
    };
    Ok((
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        axum::Json(body),
    )
        .into_response())
}

fn user_tokens(t: UserTokens) -> serde_json::Value {
    let mut body = json!({
        "token_type": "Bearer",
        "scope": t.scope,
        "expires_in": t.expires_in,
        "ext_expires_in": t.expires_in,
        "access_token": t.access_token,
    });
    if let Some(map) = body.as_object_mut() {
        for (k, v) in [
            ("id_token", t.id_token),
            ("refresh_token", t.refresh_token),
            ("client_info", t.client_info),
        ] {
            if let Some(v) = v {
                map.insert(k.into(), serde_json::Value::from(v));
            }
        }
    }
    body
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        oauth(
            TokenErrorCode::InvalidClient,
            "The Authorization header is not valid HTTP Basic client authentication.",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("basic "))
        .and_then(|_| value.get(6..))
    else {
        return Err(oauth(
            TokenErrorCode::InvalidRequest,
            "Only HTTP Basic client authentication is accepted in the Authorization header.",
        ));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let decode = |s: &str| -> Result<String, OAuthError> { form_decode(s).ok_or_else(bad) };
    Ok(Some((decode(id)?, decode(secret)?)))
}

/// Decodes one `application/x-www-form-urlencoded` value as a whole (RFC 6749 §2.3.1):
/// `+` is a space and `%XX` a byte; `&` and `=` are ordinary characters. `None` when the
/// escapes or the resulting UTF-8 are malformed.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_credentials_decode_as_whole_values() {
        assert_eq!(
            super::form_decode("a%26b%3Dc+d").as_deref(),
            Some("a&b=c d")
        );
        assert_eq!(
            super::form_decode("abc&def=x").as_deref(),
            Some("abc&def=x"),
            "& and = are not separators here"
        );
        assert_eq!(super::form_decode("%E2%82%AC").as_deref(), Some("€"));
        assert_eq!(super::form_decode("bad%zz"), None);
        assert_eq!(super::form_decode("cut%4"), None);
        assert_eq!(super::form_decode("%ff"), None, "not UTF-8");
    }
}
