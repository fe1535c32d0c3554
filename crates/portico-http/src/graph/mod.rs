//! The Microsoft-Graph-compatible API under `/v1.0`. Every request is authenticated with a
//! bearer access token issued for Graph; the tenant is the token's; other tenants' objects
//! are not found. Errors are Graph-shaped.

pub mod wire;

use crate::AppState;
use crate::error::GraphError;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::{Caller, GraphRefusal};

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

fn base(state: &AppState) -> &str {
    state.app.config.public_url.trim_end_matches('/')
}

/// `GET /v1.0/me`
pub async fn me(State(state): State<AppState>, GraphPrincipal(caller): GraphPrincipal) -> Response {
    match state.app.graph_me(&caller) {
        Ok(u) => axum::Json(wire::user(base(&state), &u, true)).into_response(),
        Err(r) => refusal(r),
    }
}

/// `GET /v1.0/users/{id | userPrincipalName}`
pub async fn get_user(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
) -> Response {
    match state.app.graph_get_user(&caller, &key).await {
        Ok(Ok(u)) => axum::Json(wire::user(base(&state), &u, true)).into_response(),
        Ok(Err(r)) => refusal(r),
        Err(e) => unavailable(e),
    }
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
