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

/// The Graph API routes (`/v1.0`).
fn graph_routes() -> Router<AppState> {
    use axum::routing::{delete, post};
    use graph::{groups, users};
    Router::new()
        .route("/v1.0/me", get(users::me))
        .route("/v1.0/users", get(users::list).post(users::create))
        .route("/v1.0/users/$count", get(users::count))
        .route(
            "/v1.0/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route("/v1.0/users/{id}/{link}", get(users::member_of))
        .route("/v1.0/users/{id}/sponsors/$ref", post(users::add_sponsor))
        .route(
            "/v1.0/users/{id}/sponsors/{sponsor}/$ref",
            delete(users::remove_sponsor),
        )
        .route(
            "/v1.0/directory/deletedItems/microsoft.graph.user",
            get(users::deleted_list),
        )
        // the Python Graph SDK spells the type cast without the namespace prefix
        .route(
            "/v1.0/directory/deletedItems/graph.user",
            get(users::deleted_list),
        )
        .route(
            "/v1.0/directory/deletedItems/{id}",
            get(users::deleted_get).delete(users::deleted_purge),
        )
        .route(
            "/v1.0/directory/deletedItems/{id}/restore",
            post(users::deleted_restore),
        )
        .route("/v1.0/groups", get(groups::list).post(groups::create))
        .route("/v1.0/groups/$count", get(groups::count))
        .route(
            "/v1.0/groups/{id}",
            get(groups::get)
                .patch(groups::update)
                .delete(groups::delete),
        )
        .route("/v1.0/groups/{id}/{link}", get(groups::links))
        .route("/v1.0/groups/{id}/{link}/$ref", post(groups::add_ref))
        .route(
            "/v1.0/groups/{id}/{link}/{object}/$ref",
            delete(groups::remove_ref),
        )
        .route("/v1.0/directoryObjects/{id}", get(groups::directory_object))
        .route("/v1.0/directoryObjects/getByIds", post(groups::get_by_ids))
        .route("/v1.0/organization", get(graph::organization))
        .merge(graph_app_routes())
        .merge(graph::domains::routes())
}

fn graph_app_routes() -> Router<AppState> {
    use axum::routing::{delete, post};
    use graph::{app_grants as g, applications as a, keyed};
    Router::new()
        .route("/v1.0/applications", get(a::list).post(a::create))
        .route("/v1.0/applications/$count", get(a::count))
        .route(
            "/v1.0/applications/{id}",
            get(a::get).patch(a::update).delete(a::delete),
        )
        .route("/v1.0/applications/{id}/addPassword", post(a::add_password))
        .route(
            "/v1.0/applications/{id}/removePassword",
            post(a::remove_password),
        )
        .route(
            "/v1.0/servicePrincipals",
            get(a::sp_list).post(a::sp_create),
        )
        .route("/v1.0/servicePrincipals/$count", get(a::sp_count))
        .route(
            "/v1.0/servicePrincipals/{id}",
            get(a::sp_get).patch(a::sp_update).delete(a::sp_delete),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignments",
            get(g::sp_held).post(g::sp_held_add),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignments/{assignment}",
            delete(g::sp_held_remove),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
            get(g::sp_assigned_to).post(g::sp_assigned_to_add),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment}",
            delete(g::sp_assigned_to_remove),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/oauth2PermissionGrants",
            get(g::sp_grants),
        )
        .route(
            "/v1.0/users/{id}/appRoleAssignments",
            get(g::user_held).post(g::user_held_add),
        )
        .route(
            "/v1.0/users/{id}/appRoleAssignments/{assignment}",
            delete(g::user_held_remove),
        )
        .route(
            "/v1.0/groups/{id}/appRoleAssignments",
            get(g::group_held).post(g::group_held_add),
        )
        .route(
            "/v1.0/groups/{id}/appRoleAssignments/{assignment}",
            delete(g::group_held_remove),
        )
        .route(
            "/v1.0/oauth2PermissionGrants",
            get(g::grants_list).post(g::grant_create),
        )
        .route(
            "/v1.0/oauth2PermissionGrants/{id}",
            get(g::grant_get)
                .patch(g::grant_update)
                .delete(g::grant_delete),
        )
        .route(
            "/v1.0/{keyed}",
            get(keyed::get).patch(keyed::update).delete(keyed::delete),
        )
}
