//! The Microsoft-Graph-compatible API under `/v1.0`. Every request is authenticated with a
//! bearer access token issued for Graph; the tenant is the token's; other tenants' objects
//! are not found. Errors are Graph-shaped.

pub mod app_grants;
pub mod applications;
pub mod audit_logs;
pub mod body;
pub mod catalog;
pub mod domains;
pub mod expand;
pub mod groups;
pub mod identity_providers;
mod identity_providers_wire;
pub mod invitations;
pub mod keyed;
pub mod odata;
pub mod openapi;
pub mod policies;
pub mod saml_federations;
mod saml_federations_wire;
pub mod users;
pub mod wire;
pub mod wire_apps;

use crate::AppState;
use crate::error::GraphError;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::{Caller, GraphFailure, GraphRefusal};

fn refusal(r: GraphRefusal) -> Response {
    match r {
        GraphRefusal::Unauthenticated(m) => {
            let mut res = GraphError::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", m).into_response();
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"portico\""));
            res
        }
        GraphRefusal::Forbidden => GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
        .into_response(),
        GraphRefusal::DelegatedOnly => GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        )
        .into_response(),
        GraphRefusal::BadRequest(m) => {
            GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", m).into_response()
        }
        GraphRefusal::NotFound(key) => GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{key}' does not exist or one of its queried reference-property objects are not present."),
        )
        .into_response(),
    }
}

fn unavailable(e: portico_app::AppError) -> Response {
    GraphError::from(e).into_response()
}

/// The response for a failed Graph operation.
pub(crate) fn fail(f: GraphFailure) -> Response {
    match f {
        GraphFailure::Refused(r) => refusal(r),
        GraphFailure::Failed(e) => unavailable(e),
    }
}

/// `@odata.nextLink`: the same request with the next page's `$skiptoken`.
pub(crate) fn next_link(base: &str, path: &str, carry: &[(String, String)], token: &str) -> String {
    // Option names keep their literal `$`, as in Graph's links; values are encoded.
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let mut parts: Vec<String> = carry
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k).replace("%24", "$"), enc(v)))
        .collect();
    parts.push(format!("$skiptoken={}", enc(token)));
    format!("{base}/v1.0/{path}?{}", parts.join("&"))
}

/// A page of a queryable collection: `@odata.context` naming the `$select`ion, the items,
/// `@odata.count` when asked, and `@odata.nextLink` repeating the query with the next
/// `$skiptoken`.
pub(crate) fn list_page(
    state: &AppState,
    collection: &str,
    opts: &odata::ListOptions,
    value: Vec<serde_json::Value>,
    count: Option<u64>,
    next: Option<String>,
) -> Response {
    let base = base(state);
    let context = match &opts.select {
        Some(s) => format!("{base}/v1.0/$metadata#{collection}({})", s.join(",")),
        None => format!("{base}/v1.0/$metadata#{collection}"),
    };
    let next = next.map(|t| next_link(base, collection, &opts.carry, &t));
    axum::Json(wire::collection(context, value, count, next)).into_response()
}

/// The options of a `/$count` request, which needs `ConsistencyLevel: eventual`.
pub(crate) fn count_options(
    resource: &portico_domain::odata::Resource,
    headers: &axum::http::HeaderMap,
    query: Option<&str>,
) -> Result<odata::ListOptions, GraphError> {
    if !odata::eventual(headers) {
        return Err(odata::count_needs_eventual());
    }
    odata::list_options(resource, query, headers)
}

/// A `/$count` answer: the number as plain text.
pub(crate) fn count_text(n: u64) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain;charset=utf-8")],
        n.to_string(),
    )
        .into_response()
}

/// A one-page collection of directory objects (members, memberships, deleted items).
pub(crate) fn objects_page(state: &AppState, value: Vec<serde_json::Value>) -> Response {
    axum::Json(wire::collection(
        format!("{}/v1.0/$metadata#directoryObjects", base(state)),
        value,
        None,
        None,
    ))
    .into_response()
}

/// 204 No Content.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// 201 Created with the entity and its `Location`.
pub(crate) fn created(location: &str, body: serde_json::Value) -> Response {
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// The authenticated caller of a Graph request.
pub struct GraphPrincipal(pub Caller);

impl FromRequestParts<AppState> for GraphPrincipal {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = crate::bearer::bearer_token(&parts.headers);
        match state.app.graph_caller(bearer).await {
            Ok(Ok(c)) => Ok(Self(c)),
            Ok(Err(r)) => Err(refusal(r)),
            Err(e) => Err(unavailable(e)),
        }
    }
}

pub(crate) fn base(state: &AppState) -> &str {
    state.app.config.public_url.trim_end_matches('/')
}

/// `GET /v1.0/organization`
pub async fn organization(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
) -> Response {
    match state.app.graph_organization(&caller).await {
        Ok(Ok((t, domains))) => {
            axum::Json(wire::organization(base(&state), &t, &domains)).into_response()
        }
        Ok(Err(r)) => refusal(r),
        Err(e) => unavailable(e),
    }
}
