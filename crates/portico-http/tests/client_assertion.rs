//! `private_key_jwt` client authentication at the token endpoint, on SQLite and PostgreSQL:
//! a registered certificate's key signs the assertion; everything else is `invalid_client`
//! (or `invalid_request` for malformed requests) and changes nothing.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_app::Context;
use portico_app::client_auth::JWT_BEARER;
use portico_crypto::jws::SigningKey;
use portico_domain::application::NewApplication;
use portico_http::{HttpSettings, router};
use portico_store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use support::{call, state};

fn certificate_for(key: &SigningKey) -> String {
    let der = key.to_pkcs8().unwrap();
    let pair = rcgen::KeyPair::try_from(der.as_slice()).unwrap();
    rcgen::CertificateParams::new(vec!["daemon.example.test".to_owned()])
        .unwrap()
        .self_signed(&pair)
        .unwrap()
        .pem()
}

async fn post(router: &axum::Router, tenant: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let req = Request::post(format!("/{tenant}/oauth2/v2.0/token"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = call(router, req).await;
    (status, serde_json::from_str(&body).unwrap())
}

fn unsigned(header: &Value, claims: &Value, sig: &str) -> String {
    format!(
        "{}.{}.{sig}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

async fn certificate_assertions_authenticate_clients(store: Arc<dyn Store>) {
    let st = state(store);
    let app = &st.app;
    app.ensure_signing_key().await.unwrap();
    let ctx = Context::system("test");
    let tenant = app.create_tenant(&ctx, "Contoso").await.unwrap();
    let (daemon, _) = app
        .register_application(
            &ctx,
            tenant.id,
            NewApplication {
                display_name: "Daemon".into(),
                ..NewApplication::default()
            },
        )
        .await
        .unwrap();
    let key = SigningKey::generate_rs256().unwrap();
    let pem = certificate_for(&key);
    let cred = app
        .add_client_certificate(&ctx, tenant.id, daemon.app_id, pem.as_bytes(), Some("ci"))
        .await
        .unwrap();
    assert_eq!(
        cred.custom_key_identifier.len(),
        27,
        "base64url SHA-1 thumbprint"
    );
    // The same certificate twice is a conflict; garbage is a validation error.
    assert!(
        app.add_client_certificate(&ctx, tenant.id, daemon.app_id, pem.as_bytes(), None)
            .await
            .is_err()
    );
    assert!(
        app.add_client_certificate(&ctx, tenant.id, daemon.app_id, b"not a certificate", None)
            .await
            .is_err()
    );

    let router = router(st.clone(), HttpSettings::default());
    let t = tenant.id.to_string();
    let client = daemon.app_id.to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let aud = format!("http://127.0.0.1/{t}/oauth2/v2.0/token");
    let claims = |jti: &str| json!({"iss": client, "sub": client, "aud": aud, "jti": jti, "nbf": now, "exp": now + 300});
    let scope = "https://graph.microsoft.com/.default";
    let grant = |assertion: String| {
        let router = router.clone();
        let t = t.clone();
        async move {
            post(
                &router,
                &t,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", scope),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                ],
            )
            .await
        }
    };

    // A good assertion, without client_id (the assertion names the client).
    let (status, body) = grant(key.sign_jwt(&claims("j-1")).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let at: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                body["access_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .nth(1)
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(at["azp"], client.as_str());
    assert_eq!(at["aud"], "https://graph.microsoft.com");
    assert_eq!(at["azpacr"], "2", "authenticated with a certificate");
    // NumericDate with fractions (MSAL Python's time.time()) is accepted.
    let mut fractional = claims("j-frac");
    fractional["exp"] = json!(now as f64 + 300.25);
    fractional["nbf"] = json!(now as f64 - 0.5);
    let (status, body) = grant(key.sign_jwt(&fractional).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Each assertion once.
    let (status, body) = grant(key.sign_jwt(&claims("j-1")).unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client")),
        "{body}"
    );

    let other_key = SigningKey::generate_rs256().unwrap();
    let mut wrong_aud = claims("j-2");
    wrong_aud["aud"] = json!("https://elsewhere.example/token");
    let mut expired = claims("j-3");
    expired["exp"] = json!(now - 10);
    let mut long = claims("j-4");
    long["exp"] = json!(now + 3 * 86_400);
    let mut other_iss = claims("j-5");
    other_iss["iss"] = json!(uuid::Uuid::new_v4().to_string());
    let mut no_jti = claims("j-6");
    no_jti.as_object_mut().unwrap().remove("jti");
    let mut future = claims("j-7");
    future["nbf"] = json!(now + 3600);
    let pubkey_as_hmac = unsigned(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims("j-8"),
        &URL_SAFE_NO_PAD.encode([7u8; 32]),
    );
    for (why, assertion) in [
        (
            "signed by another key",
            other_key.sign_jwt(&claims("j-9")).unwrap(),
        ),
        (
            "alg none",
            unsigned(&json!({"alg": "none"}), &claims("j-10"), ""),
        ),
        ("HMAC with the public key", pubkey_as_hmac),
        ("wrong audience", key.sign_jwt(&wrong_aud).unwrap()),
        ("expired", key.sign_jwt(&expired).unwrap()),
        ("lives too long", key.sign_jwt(&long).unwrap()),
        ("iss is not the client", key.sign_jwt(&other_iss).unwrap()),
        ("no jti", key.sign_jwt(&no_jti).unwrap()),
        ("not yet valid", key.sign_jwt(&future).unwrap()),
        ("not a JWT", "garbage".to_owned()),
        ("tampered payload", {
            let good = key.sign_jwt(&claims("j-11")).unwrap();
            let parts: Vec<&str> = good.split('.').collect();
            let mut c = claims("j-11");
            c["sub"] = json!(uuid::Uuid::new_v4().to_string());
            format!(
                "{}.{}.{}",
                parts[0],
                URL_SAFE_NO_PAD.encode(c.to_string()),
                parts[2]
            )
        }),
    ] {
        let (status, body) = grant(assertion).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "{why}: {body}"
        );
        assert!(!body["error_description"].as_str().unwrap().is_empty());
    }
    // Malformed requests.
    let good = key.sign_jwt(&claims("j-12")).unwrap();
    for (why, form) in [
        (
            "wrong assertion type",
            vec![
                ("client_assertion_type", "urn:other"),
                ("client_assertion", good.as_str()),
            ],
        ),
        (
            "assertion without type",
            vec![("client_assertion", good.as_str())],
        ),
        (
            "assertion and secret",
            vec![
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", good.as_str()),
                ("client_id", client.as_str()),
                ("client_secret", "x"),
            ],
        ),
    ] {
        let mut form = form;
        form.extend([("grant_type", "client_credentials"), ("scope", scope)]);
        let (status, body) = post(&router, &t, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request")),
            "{why}: {body}"
        );
    }
    // The assertion was not spent by the refused requests: it still works once.
    let (status, body) = grant(good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

portico_store::backend_tests!(certificate_assertions_authenticate_clients);
