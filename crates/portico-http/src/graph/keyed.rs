//! Graph's alternate-key segments: `/v1.0/applications(appId='…')` and
//! `/v1.0/servicePrincipals(appId='…')`, dispatched to the ordinary handlers.

use super::body::GraphBody;
use super::{GraphPrincipal, applications};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

/// Which collection and key a segment names.
fn split(segment: &str) -> Option<(&str, String)> {
    let (collection, rest) = segment.split_once('(')?;
    let inner = rest.strip_suffix(')')?;
    let value = inner.strip_prefix("appId=")?;
    let quoted = value.strip_prefix('\'')?.strip_suffix('\'')?;
    Some((collection, format!("appId='{quoted}'")))
}

/// The caller, or why the request is refused; unknown segments are not found whoever asks.
type Caller = Result<GraphPrincipal, Response>;

async fn unknown(uri: Uri, headers: HeaderMap) -> Response {
    crate::error::not_found(uri, headers).await
}

/// `GET /v1.0/{collection}(appId='…')`
pub async fn get(
    state: State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Path(segment): Path<String>,
    query: RawQuery,
) -> Response {
    let (collection, key) = match split(&segment) {
        Some(k @ ("applications" | "servicePrincipals", _)) => k,
        _ => return unknown(uri, headers).await,
    };
    let caller = match caller {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    if collection == "applications" {
        applications::get(state, caller, Path(key), query).await
    } else {
        applications::sp_get(state, caller, Path(key), query).await
    }
}

/// `PATCH /v1.0/{collection}(appId='…')`
pub async fn update(
    state: State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Path(segment): Path<String>,
    query: RawQuery,
    body: GraphBody,
) -> Response {
    let (collection, key) = match split(&segment) {
        Some(k @ ("applications" | "servicePrincipals", _)) => k,
        _ => return unknown(uri, headers).await,
    };
    let caller = match caller {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    if collection == "applications" {
        applications::update(state, caller, Path(key), query, body).await
    } else {
        applications::sp_update(state, caller, Path(key), query, body).await
    }
}

/// `DELETE /v1.0/{collection}(appId='…')`
pub async fn delete(
    state: State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Path(segment): Path<String>,
    query: RawQuery,
) -> Response {
    let (collection, key) = match split(&segment) {
        Some(k @ ("applications" | "servicePrincipals", _)) => k,
        _ => return unknown(uri, headers).await,
    };
    let caller = match caller {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    if collection == "applications" {
        applications::delete(state, caller, Path(key), query).await
    } else {
        applications::sp_delete(state, caller, Path(key), query).await
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
