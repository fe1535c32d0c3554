//! Shared helpers of the HTTP integration tests: an `AppState` on a test store, and calling
//! the router in process.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod browser;
pub(crate) mod graph;
pub(crate) mod mail;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use portico_app::passwords::PasswordService;
use portico_app::{App, AppConfig};
use portico_http::AppState;
use portico_store::Store;
use std::sync::Arc;
use tower::ServiceExt;

pub(crate) fn state(store: Arc<dyn Store>) -> AppState {
    let app = App {
        store: store.clone(),
        clock: Arc::new(portico_app::clock::SystemClock),
        passwords: PasswordService::new(
            portico_crypto::password::PasswordParams {
                memory_kib: 8192,
                iterations: 1,
                parallelism: 1,
            },
            1,
        ),
        dns: Arc::new(portico_app::dns::StaticResolver::default()),
        federation: Arc::new(
            portico_federation::Federation::new(portico_federation::FederationSettings::default())
                .unwrap(),
        ),
        caches: Default::default(),
        mail_queued: Default::default(),
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::generate().unwrap().0,
        )),
        config: AppConfig {
            tenant_domain_suffix: "onportico.test".into(),
            public_url: "http://127.0.0.1".into(),
            mail_from: "invites@onportico.test".into(),
            log_redeem_links: false,
            google_issuer: "https://accounts.google.com".into(),
            federation_skip_dns_authorization: false,
        },
    };
    AppState {
        app,
        metrics: Arc::new(portico_http::metrics::Metrics::new(
            "test",
            store.backend().as_str(),
        )),
        trusted_proxy_hops: 0,
    }
}

pub(crate) async fn call(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

pub(crate) fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}
