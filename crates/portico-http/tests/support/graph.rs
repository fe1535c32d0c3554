//! Graph helpers: app-only tokens with chosen Graph application permissions, from the real
//! token endpoint, and Graph calls with JSON bodies.

use super::browser::Fixture;
use super::call;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use portico_app::Context;
use portico_domain::TenantId;
use portico_domain::application::NewApplication;
use portico_domain::well_known::GRAPH_APP_ID;
use serde_json::Value;

/// A client-credentials token for a new daemon app of `tenant` holding `roles` on Graph.
pub(crate) async fn app_token_in(f: &Fixture, tenant: TenantId, roles: &[&str]) -> String {
    let ctx = Context::system("test");
    let app = &f.state.app;
    let (daemon, _) = app
        .register_application(
            &ctx,
            tenant,
            NewApplication {
                // display names hold at most 256 characters
                display_name: format!("Daemon {}", roles.join(" "))
                    .chars()
                    .take(256)
                    .collect(),
                ..NewApplication::default()
            },
        )
        .await
        .unwrap();
    let (_, secret) = app
        .add_client_secret(&ctx, tenant, daemon.app_id, None, 30)
        .await
        .unwrap();
    for r in roles {
        app.grant_app_role(&ctx, tenant, daemon.app_id, GRAPH_APP_ID, r)
            .await
            .unwrap();
    }
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "client_credentials"),
            ("client_id", daemon.app_id.to_string().as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .finish();
    let req = Request::post(format!("/{tenant}/oauth2/v2.0/token"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, _, body) = call(&f.router, req).await;
    let t: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, StatusCode::OK, "{t}");
    t["access_token"].as_str().unwrap().to_owned()
}

/// A token for a daemon of the fixture's tenant.
pub(crate) async fn app_token(f: &Fixture, roles: &[&str]) -> String {
    app_token_in(f, f.tenant.id, roles).await
}

/// Calls Graph: `method path` with an optional bearer token, JSON body and extra headers.
pub(crate) async fn graph(
    f: &Fixture,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, HeaderMap, Value) {
    graph_raw(f, method, path, bearer, body.map(Value::to_string), &[]).await
}

/// Calls Graph with a raw body and headers.
pub(crate) async fn graph_raw(
    f: &Fixture,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<String>,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let (status, headers, text) = call(&f.router, req).await;
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, json)
}

/// A delegated Graph token of the fixture's user for `scope` (space-separated Graph scopes):
/// `admin` (an app token with `Application.ReadWrite.All` and
/// `DelegatedPermissionGrant.ReadWrite.All`) grants the native app those scopes for everyone,
/// then the user signs in through the browser with code + PKCE.
pub(crate) async fn delegated_user_token(f: &Fixture, admin: &str, scope: &str) -> String {
    use super::browser::{
        Browser, NATIVE_CB, PASSWORD, VERIFIER, challenge, redeem_native, redirect_params,
    };
    let sp_of = |filter: String| async move {
        let path = format!(
            "/v1.0/servicePrincipals?$filter={}",
            filter.replace(' ', "%20").replace('\'', "%27")
        );
        let (_, _, v) = graph(f, "GET", &path, Some(admin), None).await;
        v["value"][0]["id"].as_str().unwrap().to_owned()
    };
    let native_sp = sp_of(format!("appId eq '{}'", f.native_id)).await;
    let graph_sp = sp_of("displayName eq 'Microsoft Graph'".to_owned()).await;
    let (status, _, grant) = graph(
        f,
        "POST",
        "/v1.0/oauth2PermissionGrants",
        Some(admin),
        Some(&serde_json::json!({"clientId": native_sp, "consentType": "AllPrincipals", "resourceId": graph_sp, "scope": format!("openid profile User.Read {scope}")})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &f.native_id)
        .append_pair("redirect_uri", NATIVE_CB)
        .append_pair("response_type", "code")
        .append_pair("scope", &format!("openid profile {scope}"))
        .append_pair("state", "st")
        .append_pair("code_challenge", &challenge(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let mut b = Browser::new(f, "192.0.2.7");
    let (_, _, page) = b
        .get(&format!("/{}/oauth2/v2.0/authorize?{q}", f.tenant.id))
        .await;
    let (_, _, page) = b.submit(&page, &[("username", &f.upn)]).await;
    let (status, headers, page) = b.submit(&page, &[("password", PASSWORD)]).await;
    assert_eq!(status, StatusCode::FOUND, "{page}");
    let (status, t) = redeem_native(f, &redirect_params(&headers)["code"]).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t["access_token"].as_str().unwrap().to_owned()
}
