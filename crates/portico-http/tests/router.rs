//! The real router, in process, on SQLite and PostgreSQL: health, readiness (including a
//! database outage), metrics, request ids and error bodies.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use portico_app::passwords::PasswordService;
use portico_app::{App, AppConfig};
use portico_http::{AppState, HttpSettings, router};
use portico_store::Store;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

fn state(store: Arc<dyn Store>) -> AppState {
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
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::generate().unwrap().0,
        )),
        config: AppConfig {
            tenant_domain_suffix: "onportico.test".into(),
            public_url: "http://127.0.0.1".into(),
        },
    };
    AppState {
        app,
        metrics: Arc::new(portico_http::metrics::Metrics::new(
            "test",
            store.backend().as_str(),
        )),
    }
}

async fn call(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

async fn health_and_readiness(store: Arc<dyn Store>) {
    let app = router(state(store.clone()), HttpSettings::default());
    let (status, headers, body) = call(&app, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers.get("request-id").is_some(),
        "every response carries a request id"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status"],
        "ok"
    );
    let (status, _, body) = call(&app, get("/readyz")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ready");
    assert_eq!(v["database"], store.backend().as_str());

    // The database goes away: readiness says so, liveness does not.
    store.close().await;
    let (status, _, body) = call(&app, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["reason"],
        "database unreachable"
    );
    assert_eq!(call(&app, get("/healthz")).await.0, StatusCode::OK);
}

async fn metrics_count_requests_by_route_not_by_path(store: Arc<dyn Store>) {
    let app = router(state(store), HttpSettings::default());
    for _ in 0..3 {
        call(&app, get("/healthz")).await;
    }
    call(&app, get("/users/123456")).await;
    let (status, headers, body) = call(&app, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(
        body.contains(
            r#"portico_http_requests_total{method="GET",route="/healthz",status="200"} 3"#
        ),
        "{body}"
    );
    assert!(body.contains(r#"route="unmatched",status="404""#), "{body}");
    assert!(!body.contains("123456"), "raw paths never become labels");
    assert!(body.contains("portico_http_request_duration_seconds_bucket"));
    assert!(body.contains("portico_db_pool_max_connections"));
    assert!(body.contains(r#"portico_build_info{version="test""#));
}

async fn errors_are_graph_shaped_and_carry_ids(store: Arc<dyn Store>) {
    let app = router(state(store), HttpSettings::default());
    let req = Request::get("/v1.0/nothing")
        .header("client-request-id", "my-id-1")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["client-request-id"], "my-id-1");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("v1.0/nothing")
    );
    assert_eq!(v["error"]["innerError"]["client-request-id"], "my-id-1");
    assert_eq!(
        v["error"]["innerError"]["request-id"],
        headers["request-id"].to_str().unwrap()
    );
    assert!(v["error"]["innerError"]["date"].is_string());

    let browser = Request::get("/%3Cscript%3E")
        .header("accept", "text/html")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = call(&app, browser).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        body.contains("Page not found") && !body.contains("<script>"),
        "{body}"
    );

    let given = Request::get("/healthz")
        .header("request-id", "caller-chosen")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        call(&app, given).await.1["request-id"],
        "caller-chosen",
        "a caller's request id is kept"
    );
}

async fn panics_and_timeouts_answer_graph_errors_and_are_counted(store: Arc<dyn Store>) {
    let st = state(store);
    let routes = axum::Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                if true {
                    panic!("handler bug")
                }
                "unreachable"
            }),
        )
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "late"
            }),
        );
    let settings = HttpSettings {
        request_timeout: std::time::Duration::from_millis(100),
    };
    let app = portico_http::middleware::wrap(routes, st.clone(), settings);
    let (status, _, body) = call(&app, get("/boom")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "generalException");
    assert!(
        !body.contains("handler bug"),
        "panic messages stay in the log"
    );
    let (status, headers, body) = call(&app, get("/slow")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "5");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["code"],
        "serviceNotAvailable"
    );
    let metrics = st.metrics.render().unwrap();
    assert!(
        metrics.contains(r#"route="/boom",status="500""#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="/slow",status="503""#),
        "{metrics}"
    );
}

async fn discovery_and_keys_per_tenant(store: Arc<dyn Store>) {
    let st = state(store);
    st.app
        .bootstrap("Contoso", Some("Automation-Passw0rd"))
        .await
        .unwrap();
    st.app.ensure_signing_key().await.unwrap();
    let tenant = st.app.list_tenants().await.unwrap().remove(0);
    let app = router(st.clone(), HttpSettings::default());
    for segment in [
        tenant.id.to_string(),
        "contoso.onportico.test".to_owned(),
        "CONTOSO.onportico.test".to_owned(),
    ] {
        let (status, headers, body) = call(
            &app,
            get(&format!("/{segment}/v2.0/.well-known/openid-configuration")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{segment}: {body}");
        assert_eq!(headers["cache-control"], "public, max-age=3600");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            doc["issuer"],
            format!("http://127.0.0.1/{}/v2.0", tenant.id),
            "the issuer always names the tenant id"
        );
        assert_eq!(
            doc["jwks_uri"],
            format!("http://127.0.0.1/{}/discovery/v2.0/keys", tenant.id)
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256"])
        );
    }
    let (_, _, body) = call(&app, get("/common/v2.0/.well-known/openid-configuration")).await;
    let common: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(common["issuer"], "http://127.0.0.1/{tenantid}/v2.0");
    assert_eq!(
        common["jwks_uri"],
        "http://127.0.0.1/common/discovery/v2.0/keys"
    );

    let (status, _, body) = call(&app, get(&format!("/{}/discovery/v2.0/keys", tenant.id))).await;
    assert_eq!(status, StatusCode::OK);
    let jwks: Value = serde_json::from_str(&body).unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["use"].as_str(),
            key["alg"].as_str()
        ),
        (Some("RSA"), Some("sig"), Some("RS256"))
    );
    assert!(
        key.get("d").is_none() && key.get("p").is_none(),
        "no private parts are published"
    );
    let token = st
        .app
        .signing_key()
        .await
        .unwrap()
        .sign_jwt(&serde_json::json!({"aud": "x"}))
        .unwrap();
    assert!(
        portico_crypto::jws::verify_rs256(&token, key).is_ok(),
        "the published key verifies what Portico signs"
    );

    for bad in [
        "nope.example",
        "00000000-0000-0000-0000-000000000000",
        "%00",
    ] {
        let (status, headers, body) = call(&app, get(&format!("/{bad}/discovery/v2.0/keys"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(headers["cache-control"], "no-store");
        let err: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(err["error"], "invalid_tenant");
        assert!(
            err["error_description"]
                .as_str()
                .unwrap()
                .contains("not found")
        );
    }
}

portico_store::backend_tests!(
    discovery_and_keys_per_tenant,
    panics_and_timeouts_answer_graph_errors_and_are_counted,
    health_and_readiness,
    metrics_count_requests_by_route_not_by_path,
    errors_are_graph_shaped_and_carry_ids
);
