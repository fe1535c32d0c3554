//! The layers around every route: request id (`request-id`, as Graph names it, echoed with
//! `client-request-id`), a tracing span per request carrying the id, metrics, a timeout that
//! answers 503, and panic capture that answers a generic 500 instead of dropping the connection.

use crate::error::GraphError;
use crate::{AppState, HttpSettings};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

/// The request id header (Microsoft Graph's name for it).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
/// The caller's own id for the request, echoed back.
pub const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");

/// Wraps the routes in every layer. Route-level (inner, in order of execution outward):
/// panic capture, timeout, metrics — so panics and timeouts are counted under their route.
/// Outer: sensitive headers, request ids, the tracing span.
pub fn wrap(routes: Router, state: AppState, settings: HttpSettings) -> Router {
    let routes = routes
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                GraphError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "generalException",
                    "An internal server error occurred.",
                )
                .into_response()
            },
        ))
        .layer(middleware::from_fn_with_state(
            settings.request_timeout,
            limit_time,
        ))
        .layer(middleware::from_fn_with_state(state, record_metrics));
    routes.layer(
        ServiceBuilder::new()
            .layer(SetSensitiveRequestHeadersLayer::new([axum::http::header::AUTHORIZATION, axum::http::header::COOKIE]))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(middleware::from_fn(echo_client_request_id))
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.extensions().get::<RequestId>().and_then(|r| r.header_value().to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            })),
    )
}

/// Answers 503 (Graph JSON, `Retry-After`) when a request takes longer than the limit.
async fn limit_time(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
            GraphError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The request took too long to complete. Retry the request later.",
            )
            .into_response()
        }
    }
}

tokio::task_local! {
    /// The current request's id and the caller's `client-request-id`, for error bodies.
    pub static REQUEST_IDS: (String, Option<String>);
}

async fn echo_client_request_id(req: Request, next: Next) -> Response {
    let client_id = req.headers().get(&CLIENT_REQUEST_ID).cloned();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let ids = (
        request_id,
        client_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    );
    let mut res = REQUEST_IDS.scope(ids, next.run(req)).await;
    if let Some(v) = client_id {
        res.headers_mut().insert(CLIENT_REQUEST_ID, v);
    }
    res
}

async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&crate::metrics::RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&crate::metrics::RouteLabels { method, route })
        .observe(start.elapsed().as_secs_f64());
    res
}
