//! Portico's HTTP edge — the only crate that knows axum. It builds the router, adds request
//! ids, tracing, metrics, panic and timeout protection, serves health, readiness and metrics,
//! and renders errors in the format each surface expects (Graph JSON, OAuth JSON, HTML).
//! Handlers are thin: extract, call one use case, map to the wire type.

pub mod bearer;
pub mod error;
pub mod graph;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod oidc;
pub mod web;

use axum::Router;
use axum::routing::get;
use portico_app::App;
use std::sync::Arc;
use std::time::Duration;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Reverse proxies that append to `X-Forwarded-For` (0: trust the socket address).
    pub trusted_proxy_hops: u8,
}

/// Edge settings.
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    /// Longest time a request may take before it is answered with 503.
    pub request_timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Builds the whole router.
pub fn router(state: AppState, settings: HttpSettings) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(oidc::discovery::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(oidc::discovery::keys))
        .route(
            "/{tenant}/oauth2/v2.0/token",
            axum::routing::post(oidc::token::token)
                .layer(axum::extract::DefaultBodyLimit::max(oidc::token::MAX_BODY)),
        )
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(web::signin::authorize_get).post(web::signin::authorize_post),
        )
        .route(
            "/{tenant}/login/{step}",
            axum::routing::post(web::signin::login_step),
        )
        .route(
            "/{tenant}/oauth2/v2.0/logout",
            get(web::logout::logout_get).post(web::logout::logout_post),
        )
        .route(
            "/te/{tenant}/oauth2/authresp",
            get(web::federation::authresp),
        )
        .route(
            "/te/{tenant}/saml2/acs",
            axum::routing::post(web::federation::saml_acs).layer(
                axum::extract::DefaultBodyLimit::max(web::federation::MAX_ACS_BODY),
            ),
        )
        .route(
            "/te/{tenant}/saml2/metadata",
            get(web::federation::saml_metadata),
        )
        .route("/portal/{tenant}", get(web::portal::portal_slash))
        .route("/myapps/{tenant}", get(web::portal::myapps_slash))
        .route("/portal/{tenant}/", get(web::portal::overview))
        .route(
            "/portal/{tenant}/invite",
            get(web::portal::invite_form).post(web::portal::invite_post),
        )
        .route("/myapps/{tenant}/", get(web::portal::my_apps))
        .route(
            "/portal/{tenant}/bulk-invite",
            get(web::portal_bulk::form)
                .post(web::portal_bulk::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    web::portal_bulk::MAX_UPLOAD + 64 * 1024,
                )),
        )
        .route(
            "/portal/{tenant}/groups",
            get(web::portal_groups::list).post(web::portal_groups::create),
        )
        .route(
            "/myapps/{tenant}/groups/{id}",
            get(web::portal_groups::show).post(web::portal_groups::act),
        )
        .route(
            "/portal/{tenant}/apps",
            get(web::portal_apps::list).post(web::portal_apps::register),
        )
        .route(
            "/portal/{tenant}/apps/{id}",
            get(web::portal_apps::show).post(web::portal_apps::act),
        )
        .route("/portal/{tenant}/audit", get(web::portal_logs::audit))
        .route(
            "/portal/{tenant}/audit/{id}",
            get(web::portal_logs::audit_event),
        )
        .route("/portal/{tenant}/sign-ins", get(web::portal_logs::sign_ins))
        .route(
            "/portal/{tenant}/external-identities",
            get(web::portal_logs::external).post(web::portal_logs::external_post),
        )
        .route(
            "/portal/{tenant}/branding",
            get(web::portal_settings::branding).post(web::portal_settings::branding_post),
        )
        .route(
            "/portal/{tenant}/users/deleted",
            get(web::portal_settings::deleted).post(web::portal_settings::restore),
        )
        .route("/portal/{tenant}/users", get(web::portal_users::list))
        .route(
            "/portal/{tenant}/users/{id}",
            get(web::portal_users::show).post(web::portal_users::act),
        )
        .route("/redeem", get(web::redeem::redeem_get))
        .route("/redeem/block", get(web::redeem::block_get))
        .route(
            "/redeem/{tenant}/{step}",
            axum::routing::post(web::redeem::redeem_post),
        )
        .merge(graph_routes())
        .route(
            "/oidc/userinfo",
            get(oidc::userinfo::userinfo).post(oidc::userinfo::userinfo),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state.clone());
    middleware::wrap(routes, state, settings)
}

/// The Graph API routes (`/v1.0`), built from the operation catalog.
fn graph_routes() -> Router<AppState> {
    graph::catalog::routes()
}
