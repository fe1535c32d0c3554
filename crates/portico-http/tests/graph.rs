//! The first Graph endpoints (`/v1.0/me`, `/v1.0/users/{id}`, `/v1.0/organization`) through the
//! real router, on SQLite and PostgreSQL: tokens from Portico's own token endpoint authorize
//! them, and everything else (no token, a forged or expired one, missing permissions, another
//! tenant's objects) gets Graph's error.

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
use portico_app::Context;
use portico_store::Store;
use serde_json::Value;
use std::sync::Arc;
use support::browser::*;
use support::call;
use support::graph::app_token;

async fn graph_get(f: &Fixture, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::get(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let (status, _, body) = call(&f.router, req.body(Body::empty()).unwrap()).await;
    (status, serde_json::from_str(&body).unwrap())
}

async fn graph_reads_are_authorized_by_portico_tokens(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let alice = f
        .state
        .app
        .store
        .find_user_by_upn(f.tenant.id, &f.upn)
        .await
        .unwrap();
    // A user token (User.Read, openid, profile) from the real sign-in.
    let mut b = Browser::new(&f, "192.0.2.100");
    let p = sign_in(&mut b, &f, &f.native_id, NATIVE_CB).await;
    let (_, t) = redeem_native(&f, &p["code"]).await;
    let user_token = t["access_token"].as_str().unwrap().to_owned();

    let (status, me) = graph_get(&f, "/v1.0/me", Some(&user_token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], alice.id.to_string());
    assert_eq!(me["userPrincipalName"], f.upn.as_str());
    assert_eq!(me["businessPhones"], serde_json::json!([]));
    assert!(
        me["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#users/$entity")
    );
    // A user reads themself by id or UPN, but not others without User.Read.All.
    let (status, _) = graph_get(&f, &format!("/v1.0/users/{}", alice.id), Some(&user_token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = graph_get(
        &f,
        &format!("/v1.0/users/{}", f.upn.to_uppercase()),
        Some(&user_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let admin_upn = format!("bob@{}", f.tenant.initial_domain.as_str());
    let bob = f
        .state
        .app
        .create_user(
            &Context::system("test"),
            f.tenant.id,
            portico_domain::user::NewUser {
                display_name: "Bob".into(),
                user_principal_name: admin_upn,
                ..Default::default()
            },
            None,
            false,
        )
        .await
        .unwrap();
    let (status, e) = graph_get(&f, &format!("/v1.0/users/{}", bob.id), Some(&user_token)).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("Authorization_RequestDenied"))
    );
    let (status, _) = graph_get(&f, "/v1.0/organization", Some(&user_token)).await;
    assert_eq!(status, StatusCode::OK);
    // $select on single users; other OData options are refused, not ignored.
    let (status, sel) = graph_get(
        &f,
        "/v1.0/me?$select=accountEnabled,userType",
        Some(&user_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sel}");
    assert_eq!(sel["accountEnabled"], true);
    assert_eq!(sel["userType"], "Member");
    assert!(sel.get("displayName").is_none());
    let (status, e) = graph_get(&f, "/v1.0/me?$expand=manager", Some(&user_token)).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Request_UnsupportedQuery"))
    );
    let (status, e) = graph_get(
        &f,
        &format!("/v1.0/users/{}?$select=nope", alice.id),
        Some(&user_token),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Request_BadRequest"))
    );

    // App-only: permissions come from Graph app roles.
    let none = app_token(&f, &[]).await;
    let reader = app_token(&f, &["User.Read.All"]).await;
    let (status, e) = graph_get(&f, &format!("/v1.0/users/{}", bob.id), Some(&none)).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("Authorization_RequestDenied"))
    );
    let (status, u) = graph_get(&f, &format!("/v1.0/users/{}", bob.id), Some(&reader)).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["displayName"], "Bob");
    let (status, e) = graph_get(&f, "/v1.0/me", Some(&reader)).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("BadRequest")),
        "an app has no 'me'"
    );
    let (status, e) = graph_get(&f, "/v1.0/organization", Some(&reader)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let dir = app_token(&f, &["Directory.Read.All"]).await;
    let (status, org) = graph_get(&f, "/v1.0/organization", Some(&dir)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(org["value"][0]["id"], f.tenant.id.to_string());
    assert_eq!(org["value"][0]["verifiedDomains"][0]["isInitial"], true);
    // Unknown ids are 404 for a caller who may read users; another tenant's user too.
    let (status, e) = graph_get(
        &f,
        &format!("/v1.0/users/{}", uuid::Uuid::new_v4()),
        Some(&reader),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("Request_ResourceNotFound"))
    );
    let other = fixture_with(f.state.clone()).await;
    let stranger = other
        .state
        .app
        .store
        .find_user_by_upn(other.tenant.id, &other.upn)
        .await
        .unwrap();
    let (status, _) = graph_get(&f, &format!("/v1.0/users/{}", stranger.id), Some(&reader)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "other tenants' objects do not exist here"
    );

    // Lists page with an opaque, tamper-proof token; $select picks properties.
    let (status, page) = graph_get(
        &f,
        "/v1.0/users?$top=1&$select=displayName,accountEnabled,userType",
        Some(&reader),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["value"].as_array().unwrap().len(), 1);
    let first = &page["value"][0];
    assert!(
        first.get("accountEnabled").is_some() && first.get("userPrincipalName").is_none(),
        "{first}"
    );
    assert!(
        page["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#users(displayName,accountEnabled,userType)")
    );
    let next = page["@odata.nextLink"].as_str().unwrap();
    let path = next.strip_prefix("http://127.0.0.1").unwrap().to_owned();
    let (status, page2) = graph_get(&f, &path, Some(&reader)).await;
    assert_eq!(status, StatusCode::OK, "{page2}");
    assert_ne!(page2["value"][0]["displayName"], first["displayName"]);
    let mut seen = 2;
    let mut link = page2["@odata.nextLink"].as_str().map(str::to_owned);
    while let Some(l) = link {
        let (_, p) = graph_get(
            &f,
            l.strip_prefix("http://127.0.0.1").unwrap(),
            Some(&reader),
        )
        .await;
        seen += p["value"].as_array().unwrap().len();
        link = p["@odata.nextLink"].as_str().map(str::to_owned);
    }
    let (_, all) = graph_get(&f, "/v1.0/users", Some(&reader)).await;
    assert_eq!(
        seen,
        all["value"].as_array().unwrap().len(),
        "paging sees every user once"
    );
    let tampered = path.replace("$skiptoken=v1.", "$skiptoken=v1.A");
    assert_ne!(tampered, path);
    for (why, bad, code) in [
        (
            "tampered skip token",
            tampered.as_str(),
            "Request_BadRequest",
        ),
        (
            "$top out of range",
            "/v1.0/users?$top=1000",
            "Request_BadRequest",
        ),
        ("$top zero", "/v1.0/users?$top=0", "Request_BadRequest"),
        (
            "unknown property",
            "/v1.0/users?$select=displayName,shoeSize",
            "Request_BadRequest",
        ),
        (
            "unsupported option",
            "/v1.0/users?$expand=manager",
            "Request_UnsupportedQuery",
        ),
        (
            "unsupported filter",
            "/v1.0/users?$filter=contains(displayName,'A')",
            "Request_UnsupportedQuery",
        ),
        (
            "malformed filter",
            "/v1.0/users?$filter=displayName%20eq",
            "Request_BadRequest",
        ),
    ] {
        let (status, e) = graph_get(&f, bad, Some(&reader)).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{why}: {e}"
        );
    }
    let (status, _) = graph_get(&f, "/v1.0/users", Some(&user_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "listing needs User.Read.All");
    // Counting needs ConsistencyLevel: eventual, as in Graph.
    let (status, e) = graph_get(&f, "/v1.0/users?$count=true", Some(&reader)).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Request_BadRequest"))
    );
    let req = Request::get("/v1.0/users?$count=true&$top=1")
        .header(header::AUTHORIZATION, format!("Bearer {reader}"))
        .header("ConsistencyLevel", "eventual")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = call(&f.router, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let counted: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(counted["@odata.count"].as_u64().unwrap() as usize, seen);
    let req = Request::get("/v1.0/users/$count")
        .header(header::AUTHORIZATION, format!("Bearer {reader}"))
        .header("consistencylevel", "eventual")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = call(&f.router, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(body, seen.to_string());
    // A skip token of one tenant does not page another's.
    let other_reader = app_token(&other, &["User.Read.All"]).await;
    let (status, _) = graph_get(&f, &path, Some(&other_reader)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // No token, garbage, alg none, a token for another audience, an id token.
    let none_alg = format!(
        "{}.{}.",
        base64_url(r#"{"alg":"none"}"#),
        base64_url(&format!(
            r#"{{"aud":"https://graph.microsoft.com","tid":"{}","oid":"{}","azp":"{}","roles":["User.Read.All"],"idtyp":"app","exp":9999999999}}"#,
            f.tenant.id, alice.id, f.web_id
        ))
    );
    for (why, token) in [
        ("no token", None),
        ("garbage", Some("garbage".to_owned())),
        ("alg none", Some(none_alg)),
        (
            "an id token",
            Some(t["id_token"].as_str().unwrap().to_owned()),
        ),
    ] {
        let (status, e) = graph_get(&f, "/v1.0/me", token.as_deref()).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("InvalidAuthenticationToken")),
            "{why}: {e}"
        );
    }
    // A disabled user's token stops working.
    let mut disabled = alice.clone();
    disabled.account_enabled = false;
    let audit = portico_domain::audit::AuditEvent::success(
        time::OffsetDateTime::now_utc(),
        portico_domain::audit::AuditCategory::UserManagement,
        "Update user",
        "Update",
        portico_domain::audit::Initiator::System {
            name: "test".into(),
        },
        portico_domain::CorrelationId::new(),
    );
    f.state
        .app
        .store
        .update_user(f.tenant.id, &disabled, &audit)
        .await
        .unwrap();
    let (status, _) = graph_get(&f, "/v1.0/me", Some(&user_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

fn base64_url(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

portico_store::backend_tests!(graph_reads_are_authorized_by_portico_tokens);
