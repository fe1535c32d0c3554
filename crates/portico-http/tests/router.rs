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
use portico_http::{HttpSettings, router};
use portico_store::Store;
use serde_json::Value;
use std::sync::Arc;

mod support;
use support::{call, get, state};

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

fn form(path: &str, body: &str, basic: Option<(&str, &str)>) -> Request<Body> {
    let mut r = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        use base64::Engine;
        r = r.header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
            ),
        );
    }
    r.body(Body::from(body.to_owned())).unwrap()
}

async fn client_credentials_tokens(store: Arc<dyn Store>) {
    use portico_domain::application::{AppRole, NewApplication};
    let st = state(store);
    let app_layer = st.app.clone();
    app_layer
        .bootstrap("Contoso", Some("Automation-Passw0rd"))
        .await
        .unwrap();
    app_layer.ensure_signing_key().await.unwrap();
    let tenant = app_layer.list_tenants().await.unwrap().remove(0);
    let op = portico_app::Context::system("test");
    let role = |value: &str, types: &[&str]| AppRole {
        id: uuid::Uuid::new_v4(),
        allowed_member_types: types.iter().map(|t| (*t).to_owned()).collect(),
        description: value.into(),
        display_name: value.into(),
        is_enabled: true,
        value: Some(value.into()),
    };
    let (api, _) = app_layer
        .register_application(
            &op,
            tenant.id,
            NewApplication {
                display_name: "Orders API".into(),
                identifier_uris: vec!["api://orders".into()],
                app_roles: vec![
                    role("Orders.Read", &["Application"]),
                    role("Orders.Write", &["Application"]),
                    role("Orders.Admin", &["User"]),
                ],
                ..NewApplication::default()
            },
        )
        .await
        .unwrap();
    let (daemon, daemon_sp) = app_layer
        .register_application(
            &op,
            tenant.id,
            NewApplication {
                display_name: "Nightly job".into(),
                ..NewApplication::default()
            },
        )
        .await
        .unwrap();
    let (_, secret) = app_layer
        .add_client_secret(&op, tenant.id, daemon.app_id, Some("ci"), 30)
        .await
        .unwrap();
    app_layer
        .grant_app_role(&op, tenant.id, daemon.app_id, api.app_id, "Orders.Read")
        .await
        .unwrap();
    assert!(
        app_layer
            .grant_app_role(&op, tenant.id, daemon.app_id, api.app_id, "Orders.Admin")
            .await
            .is_err(),
        "user-only roles cannot be granted to apps"
    );
    let router = router(st.clone(), HttpSettings::default());
    let path = format!("/{}/oauth2/v2.0/token", tenant.id);
    let id = daemon.app_id.to_string();

    // Secret in the body, resource by identifier URI.
    let body = format!(
        "grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=api%3A%2F%2Forders%2F.default"
    );
    let (status, headers, text) = call(&router, form(&path, &body, None)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers["cache-control"], "no-store");
    let res: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(res["token_type"], "Bearer");
    assert_eq!(res["expires_in"], 3599);
    let jwks = st.app.jwks().await.unwrap();
    let claims =
        portico_crypto::jws::verify_rs256(res["access_token"].as_str().unwrap(), &jwks["keys"][0])
            .unwrap();
    assert_eq!(claims["aud"], api.app_id.to_string());
    assert_eq!(
        claims["iss"],
        format!("http://127.0.0.1/{}/v2.0", tenant.id)
    );
    assert_eq!(claims["tid"], tenant.id.to_string());
    assert_eq!(claims["azp"], id);
    assert_eq!(claims["oid"], daemon_sp.id.to_string());
    assert_eq!(claims["sub"], daemon_sp.id.to_string());
    assert_eq!(claims["roles"], serde_json::json!(["Orders.Read"]));
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3599
    );

    // HTTP Basic, resource by appId, tenant by domain.
    let basic_body = format!(
        "grant_type=client_credentials&scope={}%2F.default",
        api.app_id
    );
    let (status, _, text) = call(
        &router,
        form(
            "/contoso.onportico.test/oauth2/v2.0/token",
            &basic_body,
            Some((&id, &secret)),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");

    // Failures: each gets its OAuth error and issues nothing.
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            form(&path, &body.replace(&secret, "wrong-secret"), None),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            form(&path, &basic_body, Some((&id, "wrong-secret"))),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            form(
                &path,
                &body.replace(&id, &uuid::Uuid::new_v4().to_string()),
                None,
            ),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            form(&path, &body.replace(&id, "not-a-guid"), None),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            form(
                &path,
                &format!(
                    "grant_type=client_credentials&client_id={id}&scope=api%3A%2F%2Forders%2F.default"
                ),
                None,
            ),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            form(
                &path,
                &format!("{basic_body}&client_secret={secret}"),
                Some((&id, &secret)),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            form(&path, &format!("{body}&scope=x"), None),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            form(
                &path,
                &body.replace("grant_type=client_credentials", "grant_type=password"),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            form(
                &path,
                &body.replace("grant_type=client_credentials&", ""),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            form(
                &path,
                &body.replace("api%3A%2F%2Forders%2F.default", "api%3A%2F%2Forders%2Fread"),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            form(
                &path,
                &body.replace("api%3A%2F%2Forders", "api%3A%2F%2Fnothing"),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            form(
                &path,
                &body.replace("&scope=api%3A%2F%2Forders%2F.default", ""),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            form("/common/oauth2/v2.0/token", &body, None),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            form("/nowhere.example/oauth2/v2.0/token", &body, None),
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
        ),
        (
            Request::post(&path)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            form(
                &path,
                &format!("{body}&client_id={}", "x".repeat(5000)),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (i, (req, status, error)) in cases.into_iter().enumerate() {
        let (got, headers, text) = call(&router, req).await;
        assert_eq!(got, status, "case {i}: {text}");
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("case {i}: not JSON ({e}): {text}"));
        assert_eq!(v["error"], error, "case {i}: {text}");
        assert!(
            !v["error_description"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "case {i}"
        );
        assert_eq!(headers["cache-control"], "no-store", "case {i}");
        assert!(
            !text.contains(&secret),
            "case {i}: the secret is never echoed"
        );
    }
    let (_, headers, _) = call(&router, form(&path, &basic_body, Some((&id, "wrong")))).await;
    assert!(
        headers.get("www-authenticate").is_some(),
        "a failed Basic authentication is challenged"
    );
    let (status, _, text) = call(
        &router,
        form(
            &path,
            &format!("{basic_body}&client_secret="),
            Some((&id, &secret)),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an empty parameter counts as omitted (RFC 6749 3.2): {text}"
    );
    let raw = Request::post(&path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            axum::http::HeaderValue::from_bytes(b"Basic \xff\xfe").unwrap(),
        )
        .body(Body::from(basic_body.clone()))
        .unwrap();
    let (status, headers, _) = call(&router, raw).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers.get("www-authenticate").is_some(),
        "even a garbled Basic header is challenged"
    );

    // A second secret works; an expired one does not; a disabled service principal gets no token.
    let (_, second) = app_layer
        .add_client_secret(&op, tenant.id, daemon.app_id, None, 1)
        .await
        .unwrap();
    let (status, _, _) = call(&router, form(&path, &body.replace(&secret, &second), None)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = call(
        &router,
        form(
            &path,
            &body
                .replace(&secret, &second)
                .replace("api%3A%2F%2Forders", "api%3A%2F%2FORDERS"),
            None,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "identifier URIs match exactly"
    );
}

portico_store::backend_tests!(
    client_credentials_tokens,
    discovery_and_keys_per_tenant,
    panics_and_timeouts_answer_graph_errors_and_are_counted,
    health_and_readiness,
    metrics_count_requests_by_route_not_by_path,
    errors_are_graph_shaped_and_carry_ids
);
