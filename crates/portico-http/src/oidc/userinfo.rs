//! `GET|POST /oidc/userinfo` (where Entra serves it, on Graph's host): the signed-in user's
//! claims for an access token issued for Graph (or Portico) with the `openid` scope.

use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The userinfo endpoint.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = crate::bearer::bearer_token(&headers);
    let Some(token) = bearer else {
        let mut res = (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_request", "error_description": "Send the access token as 'Authorization: Bearer <token>'."})),
        )
            .into_response();
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"portico\""),
        );
        return res;
    };
    match state.app.userinfo(token).await {
        Ok(claims) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::Json(claims),
        )
            .into_response(),
        Err(why) => {
            let challenge = format!(
                "Bearer realm=\"portico\", error=\"invalid_token\", error_description=\"{}\"",
                why.replace('"', "'")
            );
            let mut res = (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "invalid_token", "error_description": why})),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            res
        }
    }
}
