//! The edge error type. One `AppError` becomes, depending on the surface, a Microsoft Graph
//! error (`{"error":{"code","message","innerError":{...}}}`), an OAuth 2.0 error
//! (`{"error","error_description"}`) or an HTML page a person can read. 5xx bodies are
//! generic; the detail goes to the log with the request id.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use portico_app::AppError;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

/// The status and Graph error code for a use-case error.
#[must_use]
pub fn classify(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::Validation(_) => (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
        AppError::Conflict { .. } => (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
        AppError::Precondition(_) => (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "serviceNotAvailable"),
        AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "generalException"),
    }
}

/// The message shown to the caller: specific for 4xx, generic for 5xx.
#[must_use]
pub fn public_message(e: &AppError) -> String {
    match e {
        AppError::NotFound(what) => format!(
            "Resource '{what}' does not exist or one of its queried reference-property objects are not present."
        ),
        AppError::Unavailable(_) => {
            "The service is temporarily unavailable. Retry the request later.".into()
        }
        AppError::Internal(_) => "An internal server error occurred.".into(),
        other => other.to_string(),
    }
}

/// A Microsoft Graph error response.
#[derive(Debug)]
pub struct GraphError {
    /// HTTP status.
    pub status: StatusCode,
    /// Graph error code, e.g. `Request_ResourceNotFound`.
    pub code: &'static str,
    /// Message.
    pub message: String,
}

impl GraphError {
    /// A Graph error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<AppError> for GraphError {
    fn from(e: AppError) -> Self {
        let (status, code) = classify(&e);
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        Self {
            status,
            code,
            message: public_message(&e),
        }
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let (request_id, client_request_id) = crate::middleware::REQUEST_IDS
            .try_with(Clone::clone)
            .unwrap_or_default();
        let mut inner = serde_json::Map::new();
        inner.insert("date".into(), json!(now_rfc3339()));
        inner.insert("request-id".into(), json!(request_id));
        if let Some(c) = client_request_id {
            inner.insert("client-request-id".into(), json!(c));
        }
        let body =
            json!({ "error": { "code": self.code, "message": self.message, "innerError": inner } });
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

impl From<GraphError> for Response {
    fn from(e: GraphError) -> Self {
        e.into_response()
    }
}

/// An OAuth 2.0 error response (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthError {
    /// HTTP status (400 or 401 by the RFC; 5xx for outages).
    pub status: StatusCode,
    /// `invalid_request`, `invalid_client`, `invalid_grant`, ...
    pub error: &'static str,
    /// Human-readable detail.
    pub description: String,
}

impl From<AppError> for OAuthError {
    fn from(e: AppError) -> Self {
        let (status, _) = classify(&e);
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        let error = match &e {
            AppError::Unavailable(_) => "temporarily_unavailable",
            AppError::Internal(_) => "server_error",
            AppError::Forbidden(_) => "unauthorized_client",
            _ => "invalid_request",
        };
        Self {
            status,
            error,
            description: public_message(&e),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description, "timestamp": now_rfc3339() });
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

/// An error page for people.
#[derive(Debug)]
pub struct HtmlError {
    /// HTTP status.
    pub status: StatusCode,
    /// Heading.
    pub title: String,
    /// What happened and what to do.
    pub detail: String,
}

/// Escapes text for HTML.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title></head><body><main><h1>{t}</h1><p>{d}</p></main></body></html>",
            t = escape_html(&self.title),
            d = escape_html(&self.detail)
        );
        (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response()
    }
}

/// The fallback for unknown paths: Graph JSON under `/v1.0`, an HTML page for browsers
/// elsewhere, JSON otherwise.
pub async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> Response {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        format!(
            "The method {method} is not supported on '{}'.",
            uri.path().chars().take(200).collect::<String>()
        ),
    )
    .into_response()
}

/// The fallback for unknown paths: a Graph error under `/v1.0`, a page for browsers.
pub async fn not_found(uri: Uri, headers: axum::http::HeaderMap) -> Response {
    let path = uri.path();
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !path.starts_with("/v1.0") && wants_html {
        return HtmlError {
            status: StatusCode::NOT_FOUND,
            title: "Page not found".into(),
            detail: format!("There is no page at {path}. Check the address and try again."),
        }
        .into_response();
    }
    GraphError::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!(
            "Resource not found for the segment '{}'.",
            path.trim_start_matches('/')
        ),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_hide_details() {
        let e = AppError::Internal("SELECT secret FROM x failed".into());
        assert_eq!(classify(&e).0, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!public_message(&e).contains("secret"));
        let e = AppError::Unavailable("connection refused 10.0.0.1".into());
        assert!(!public_message(&e).contains("10.0.0.1"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<script>\"&'"),
            "&lt;script&gt;&quot;&amp;&#39;"
        );
    }
}
