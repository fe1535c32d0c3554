//! Graph's alternate-key segments: `/v1.0/applications(appId='…')` and
//! `/v1.0/servicePrincipals(appId='…')`, dispatched to the ordinary handlers.

use super::body::GraphBody;
use super::{GraphPrincipal, applications};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Which collection and key a segment names.
fn split(segment: &str) -> Option<(&str, String)> {
    let (collection, rest) = segment.split_once('(')?;
    let inner = rest.strip_suffix(')')?;
    let value = inner.strip_prefix("appId=")?;
    let quoted = value.strip_prefix('\'')?.strip_suffix('\'')?;
    Some((collection, format!("appId='{quoted}'")))
}

fn unknown(segment: &str) -> Response {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        format!(
            "Resource not found for the segment '{}'.",
            segment.chars().take(100).collect::<String>()
        ),
    )
    .into_response()
}

/// `GET /v1.0/{collection}(appId='…')`
pub async fn get(
    state: State<AppState>,
    caller: GraphPrincipal,
    Path(segment): Path<String>,
    query: RawQuery,
) -> Response {
    match split(&segment) {
        Some(("applications", key)) => applications::get(state, caller, Path(key), query).await,
        Some(("servicePrincipals", key)) => {
            applications::sp_get(state, caller, Path(key), query).await
        }
        _ => unknown(&segment),
    }
}

/// `PATCH /v1.0/{collection}(appId='…')`
pub async fn update(
    state: State<AppState>,
    caller: GraphPrincipal,
    Path(segment): Path<String>,
    query: RawQuery,
    body: GraphBody,
) -> Response {
    match split(&segment) {
        Some(("applications", key)) => {
            applications::update(state, caller, Path(key), query, body).await
        }
        Some(("servicePrincipals", key)) => {
            applications::sp_update(state, caller, Path(key), query, body).await
        }
        _ => unknown(&segment),
    }
}

/// `DELETE /v1.0/{collection}(appId='…')`
pub async fn delete(
    state: State<AppState>,
    caller: GraphPrincipal,
    Path(segment): Path<String>,
    query: RawQuery,
) -> Response {
    match split(&segment) {
        Some(("applications", key)) => applications::delete(state, caller, Path(key), query).await,
        Some(("servicePrincipals", key)) => {
            applications::sp_delete(state, caller, Path(key), query).await
        }
        _ => unknown(&segment),
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn alternate_keys() {
        assert_eq!(
            split("applications(appId='0c7e9f2a-3a5b-4f0e-9e1c-2b8f5d6a7c81')"),
            Some((
                "applications",
                "appId='0c7e9f2a-3a5b-4f0e-9e1c-2b8f5d6a7c81'".into()
            ))
        );
        assert_eq!(split("applications(displayName='x')"), None);
        assert_eq!(split("applications(appId=x)"), None);
        assert_eq!(split("users"), None);
    }
}
