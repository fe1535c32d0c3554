//! Applications, service principals, client secrets, app role assignments and delegated
//! permission grants through the real Graph routes, on SQLite and PostgreSQL — each change
//! checked where it matters (a secret added by Graph signs in at the token endpoint, a role
//! assigned by Graph shows up in the next token), and each bad input refused with Graph's
//! error and no change.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value,
    clippy::too_many_lines
)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use portico_store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, app_token_in, graph, graph_raw};

const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
const USER_READ_ALL_ROLE: &str = "df021288-bdef-4463-88db-98f22de89214";

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

/// A client credentials request for Graph: (status, body).
async fn client_credentials(f: &Fixture, client: &str, secret: &str) -> (StatusCode, Value) {
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", secret),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .finish();
    let req = Request::post(format!("/{}/oauth2/v2.0/token", f.tenant.id))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, _, body) = support::call(&f.router, req).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn count_apps(f: &Fixture, token: &str) -> u64 {
    let (status, _, v) = graph_raw(
        f,
        "GET",
        "/v1.0/applications/$count",
        Some(token),
        None,
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap()
}

fn role(id: &str, value: &str, enabled: bool, member: &str) -> Value {
    json!({
        "id": id,
        "allowedMemberTypes": [member],
        "description": format!("{value} role"),
        "displayName": value,
        "isEnabled": enabled,
        "value": value,
    })
}

async fn applications_and_secrets_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, &["Application.ReadWrite.All"]).await;
    let reader = app_token(&f, &["Application.Read.All"]).await;
    let before = count_apps(&f, &reader).await;

    // bad bodies: each refused, nothing created
    let bad_bodies = [
        json!({"displayName": "x", "color": "red"}),
        json!({"displayName": "x", "appId": "0c7e9f2a-3a5b-4f0e-9e1c-2b8f5d6a7c81"}),
        json!({"signInAudience": "AzureADMyOrg"}),
        json!({"displayName": "x", "web": {"redirectUris": ["http://evil.example/cb"]}}),
        json!({"displayName": "x", "web": {"implicitGrantSettings": {"enableIdTokenIssuance": true}}}),
        json!({"displayName": "x", "signInAudience": "PersonalMicrosoftAccount"}),
        json!({"displayName": "x", "appRoles": [{"id": "nope"}]}),
        json!({"displayName": 5}),
    ];
    for b in &bad_bodies {
        let (status, _, e) = graph(&f, "POST", "/v1.0/applications", Some(&admin), Some(b)).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{b}: {e}"
        );
    }
    let (status, _, e) = graph_raw(
        &f,
        "POST",
        "/v1.0/applications",
        Some(&admin),
        Some("{not json".into()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(count_apps(&f, &reader).await, before);
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/applications",
        Some(&reader),
        Some(&json!({"displayName": "Nope"})),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied")
    );

    // create: 201 with Location, appId, platforms, roles and scopes as sent
    let body = json!({
        "displayName": "Payroll API",
        "signInAudience": "AzureADMyOrg",
        "web": {"redirectUris": ["https://payroll.example/signin-oidc"]},
        "spa": {"redirectUris": ["http://localhost:5173/"]},
        "identifierUris": ["api://payroll.example"],
        "appRoles": [
            role("1b4f816e-5eaf-48b9-8613-7923830595ad", "Payroll.Read", true, "User"),
            role("2c5f816e-5eaf-48b9-8613-7923830595ad", "Payroll.Sync", true, "Application"),
        ],
        "api": {"oauth2PermissionScopes": [{
            "id": "3d6f816e-5eaf-48b9-8613-7923830595ad",
            "adminConsentDescription": "Read payroll",
            "adminConsentDisplayName": "Read payroll",
            "isEnabled": true,
            "type": "User",
            "value": "payroll.read",
        }]},
        "requiredResourceAccess": [{"resourceAppId": GRAPH, "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]}],
    });
    let (status, headers, app) =
        graph(&f, "POST", "/v1.0/applications", Some(&admin), Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let app_id = app["appId"].as_str().unwrap().to_owned();
    assert!(headers[header::LOCATION].to_str().unwrap().ends_with(&id));
    assert_eq!(
        app["web"]["redirectUris"][0],
        "https://payroll.example/signin-oidc"
    );
    assert_eq!(app["appRoles"].as_array().unwrap().len(), 2);
    assert_eq!(
        app["api"]["oauth2PermissionScopes"][0]["value"],
        "payroll.read"
    );
    assert_eq!(app["passwordCredentials"], json!([]));
    assert_eq!(count_apps(&f, &reader).await, before + 1);

    // read: by id, by appId (alternate key), filtered, selected
    let (status, _, got) = graph(
        &f,
        "GET",
        &format!("/v1.0/applications/{id}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, got["appId"].as_str()),
        (StatusCode::OK, Some(app_id.as_str()))
    );
    let (status, _, got) = graph(
        &f,
        "GET",
        &format!("/v1.0/applications(appId='{app_id}')"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, got["id"].as_str()),
        (StatusCode::OK, Some(id.as_str())),
        "{got}"
    );
    let (status, _, list) = graph(
        &f,
        "GET",
        &format!("/v1.0/applications?$filter=appId%20eq%20'{app_id}'&$select=displayName,appId"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    assert_eq!(list["value"][0]["displayName"], "Payroll API");
    assert!(list["value"][0].get("web").is_none(), "{list}");
    let (status, _, list) = graph(
        &f,
        "GET",
        "/v1.0/applications?$filter=startswith(displayName,'payroll')",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, list["value"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
    let (status, _, e) = graph(
        &f,
        "GET",
        "/v1.0/applications?$filter=notes%20eq%20'x'",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, _, e) = graph(
        &f,
        "GET",
        "/v1.0/applications/not-a-guid",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::NOT_FOUND, "Request_ResourceNotFound")
    );

    // update: rename; an enabled role cannot be removed, a disabled one can
    let path = format!("/v1.0/applications/{id}");
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"displayName": "Payroll"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let keep = role(
        "1b4f816e-5eaf-48b9-8613-7923830595ad",
        "Payroll.Read",
        true,
        "User",
    );
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"appRoles": [keep]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CannotDeleteOrUpdateEnabledEntitlement")
    );
    let (status, _, e) = graph(&f, "PATCH", &path, Some(&admin), Some(&json!({"id": id}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (_, _, got) = graph(&f, "GET", &path, Some(&reader), None).await;
    assert_eq!(got["displayName"], "Payroll");
    assert_eq!(
        got["appRoles"].as_array().unwrap().len(),
        2,
        "nothing changed"
    );

    // addPassword: the secret is shown once and signs in; removePassword stops it
    let sp_body = json!({"appId": app_id});
    let (status, _, sp) = graph(
        &f,
        "POST",
        "/v1.0/servicePrincipals",
        Some(&admin),
        Some(&sp_body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sp}");
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/servicePrincipals",
        Some(&admin),
        Some(&sp_body),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a second service principal: {e}"
    );
    let (status, headers, cred) = graph(
        &f,
        "POST",
        &format!("{path}/addPassword"),
        Some(&admin),
        Some(&json!({"passwordCredential": {"displayName": "ci"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cred}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let secret = cred["secretText"].as_str().unwrap().to_owned();
    assert_eq!(cred["hint"].as_str().unwrap(), &secret[..3]);
    let key_id = cred["keyId"].as_str().unwrap().to_owned();
    let (status, t) = client_credentials(&f, &app_id, &secret).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let (_, _, got) = graph(&f, "GET", &path, Some(&reader), None).await;
    assert_eq!(got["passwordCredentials"][0]["keyId"], key_id.as_str());
    assert_eq!(got["passwordCredentials"][0]["secretText"], Value::Null);
    for bad in [
        json!({"passwordCredential": {"endDateTime": "2001-01-01T00:00:00Z"}}),
        json!({"passwordCredential": {"endDateTime": "soon"}}),
        json!({"passwordCredential": {"secretText": "mine"}}),
    ] {
        let (status, _, e) = graph(
            &f,
            "POST",
            &format!("{path}/addPassword"),
            Some(&admin),
            Some(&bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("{path}/removePassword"),
        Some(&admin),
        Some(&json!({"keyId": "00000000-0000-0000-0000-000000000009"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("{path}/removePassword"),
        Some(&admin),
        Some(&json!({"keyId": key_id})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, t) = client_credentials(&f, &app_id, &secret).await;
    assert_eq!(
        (status, t["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client")),
        "{t}"
    );

    // delete: the application and its service principal go
    let sp_id = sp["id"].as_str().unwrap().to_owned();
    let (status, _, _) = graph(&f, "DELETE", &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = graph(&f, "GET", &path, Some(&reader), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("/v1.0/servicePrincipals/{sp_id}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(count_apps(&f, &reader).await, before);

    // another tenant's caller finds none of it
    let other = f
        .state
        .app
        .create_tenant(&portico_app::Context::system("test"), "Fabrikam")
        .await
        .unwrap();
    let stranger = app_token_in(&f, other.id, &["Application.ReadWrite.All"]).await;
    let (_, _, mine) = graph(
        &f,
        "POST",
        "/v1.0/applications",
        Some(&admin),
        Some(&json!({"displayName": "Mine"})),
    )
    .await;
    let mine = mine["id"].as_str().unwrap().to_owned();
    for method in ["GET", "PATCH", "DELETE"] {
        let (status, _, e) = graph(
            &f,
            method,
            &format!("/v1.0/applications/{mine}"),
            Some(&stranger),
            Some(&json!({"displayName": "Theirs"})),
        )
        .await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
            "{method}"
        );
    }
}

async fn role_assignments_and_grants_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(
        &f,
        &[
            "Application.ReadWrite.All",
            "AppRoleAssignment.ReadWrite.All",
            "DelegatedPermissionGrant.ReadWrite.All",
            "User.Read.All",
        ],
    )
    .await;
    let apps_only = app_token(&f, &["Application.ReadWrite.All"]).await;

    // Graph's own service principal is listed with its app roles
    let (status, _, list) = graph(
        &f,
        "GET",
        &format!("/v1.0/servicePrincipals?$filter=appId%20eq%20'{GRAPH}'"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let graph_sp = list["value"][0].clone();
    let graph_sp_id = graph_sp["id"].as_str().unwrap().to_owned();
    assert!(
        graph_sp["appRoles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["value"] == "User.Read.All" && r["id"] == USER_READ_ALL_ROLE),
        "{graph_sp}"
    );
    let (status, _, by_key) = graph(
        &f,
        "GET",
        &format!("/v1.0/servicePrincipals(appId='{GRAPH}')"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (status, by_key["id"].as_str()),
        (StatusCode::OK, Some(graph_sp_id.as_str()))
    );

    // a new daemon: app, service principal, secret — no roles yet
    let (_, _, app) = graph(
        &f,
        "POST",
        "/v1.0/applications",
        Some(&admin),
        Some(&json!({"displayName": "Nightly sync", "appRoles": [role("4e7f816e-5eaf-48b9-8613-7923830595ad", "Sync.Run", true, "User")]})),
    )
    .await;
    let app_id = app["appId"].as_str().unwrap().to_owned();
    let (status, _, sp) = graph(
        &f,
        "POST",
        "/v1.0/servicePrincipals",
        Some(&admin),
        Some(&json!({"appId": app_id})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sp}");
    let sp_id = sp["id"].as_str().unwrap().to_owned();
    let (_, _, cred) = graph(
        &f,
        "POST",
        &format!(
            "/v1.0/applications/{}/addPassword",
            app["id"].as_str().unwrap()
        ),
        Some(&admin),
        Some(&json!({})),
    )
    .await;
    let secret = cred["secretText"].as_str().unwrap().to_owned();
    let (_, t) = client_credentials(&f, &app_id, &secret).await;
    let daemon = t["access_token"].as_str().unwrap().to_owned();
    let (status, _, _) = graph(&f, "GET", "/v1.0/users", Some(&daemon), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // grant it User.Read.All through appRoleAssignedTo on Graph's service principal
    let assign =
        json!({"principalId": sp_id, "resourceId": graph_sp_id, "appRoleId": USER_READ_ALL_ROLE});
    let to = format!("/v1.0/servicePrincipals/{graph_sp_id}/appRoleAssignedTo");
    let (status, _, e) = graph(&f, "POST", &to, Some(&apps_only), Some(&assign)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Application.ReadWrite.All may not grant Graph permissions: {e}"
    );
    let (status, _, e) = graph(&f, "POST", &to, Some(&admin), Some(&assign)).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let a_id = e["id"].as_str().unwrap().to_owned();
    assert_eq!(e["principalType"], "ServicePrincipal");
    assert_eq!(e["resourceDisplayName"], "Microsoft Graph");
    let (status, _, e) = graph(&f, "POST", &to, Some(&admin), Some(&assign)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "duplicate: {e}");
    for bad in [
        json!({"principalId": sp_id, "resourceId": graph_sp_id, "appRoleId": "00000000-0000-0000-0000-000000000042"}),
        json!({"principalId": sp_id, "resourceId": sp_id, "appRoleId": USER_READ_ALL_ROLE}),
        json!({"principalId": sp_id, "resourceId": graph_sp_id}),
        json!({"principalId": sp_id, "resourceId": graph_sp_id, "appRoleId": USER_READ_ALL_ROLE, "extra": 1}),
    ] {
        let (status, _, e) = graph(&f, "POST", &to, Some(&admin), Some(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let (status, _, e) = graph(
        &f,
        "POST",
        &to,
        Some(&admin),
        Some(&json!({"principalId": "00000000-0000-0000-0000-000000000042", "resourceId": graph_sp_id, "appRoleId": USER_READ_ALL_ROLE})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown principal: {e}");
    let (_, t) = client_credentials(&f, &app_id, &secret).await;
    let daemon = t["access_token"].as_str().unwrap().to_owned();
    let (status, _, e) = graph(&f, "GET", "/v1.0/users", Some(&daemon), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the new role is in the next token: {e}"
    );
    let (status, _, held) = graph(
        &f,
        "GET",
        &format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(held["value"].as_array().unwrap().len(), 1, "{held}");
    assert_eq!(held["value"][0]["appRoleId"], USER_READ_ALL_ROLE);

    // a user holds the daemon's own user role
    let users = graph(
        &f,
        "GET",
        "/v1.0/users?$filter=startswith(displayName,'Alice')",
        Some(&admin),
        None,
    )
    .await
    .2;
    let alice = users["value"][0]["id"].as_str().unwrap().to_owned();
    let (status, _, ua) = graph(
        &f,
        "POST",
        &format!("/v1.0/users/{alice}/appRoleAssignments"),
        Some(&admin),
        Some(&json!({"principalId": alice, "resourceId": sp_id, "appRoleId": "4e7f816e-5eaf-48b9-8613-7923830595ad"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ua}");
    assert_eq!(ua["principalType"], "User");
    assert_eq!(ua["principalDisplayName"], "Alice Example");
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("/v1.0/users/{alice}/appRoleAssignments"),
        Some(&admin),
        Some(&json!({"principalId": sp_id, "resourceId": sp_id, "appRoleId": "4e7f816e-5eaf-48b9-8613-7923830595ad"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "principal is not the path's user: {e}"
    );
    let (_, _, assigned) = graph(
        &f,
        "GET",
        &format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(assigned["value"].as_array().unwrap().len(), 1, "{assigned}");

    // remove the Graph role: the next token has none
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo/{a_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the assignment is not to this resource"
    );
    let (status, _, _) = graph(&f, "DELETE", &format!("{to}/{a_id}"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, t) = client_credentials(&f, &app_id, &secret).await;
    let daemon = t["access_token"].as_str().unwrap().to_owned();
    let (status, _, _) = graph(&f, "GET", "/v1.0/users", Some(&daemon), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // a disabled service principal gets no tokens
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/servicePrincipals/{sp_id}"),
        Some(&admin),
        Some(&json!({"accountEnabled": false})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, t) = client_credentials(&f, &app_id, &secret).await;
    assert_ne!(status, StatusCode::OK, "{t}");
    let (status, _, _) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/servicePrincipals/{graph_sp_id}"),
        Some(&admin),
        Some(&json!({"accountEnabled": false})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "Graph stays enabled");
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/servicePrincipals/{graph_sp_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "Graph's service principal stays"
    );

    // delegated permission grants
    let grant = json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_sp_id, "scope": "User.Read openid User.Read"});
    let (status, headers, g) = graph(
        &f,
        "POST",
        "/v1.0/oauth2PermissionGrants",
        Some(&apps_only),
        Some(&grant),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Application.ReadWrite.All does not grant consent: {g}"
    );
    let (status, headers2, g) = graph(
        &f,
        "POST",
        "/v1.0/oauth2PermissionGrants",
        Some(&admin),
        Some(&grant),
    )
    .await;
    let _ = headers;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert!(headers2.contains_key(header::LOCATION));
    assert_eq!(g["scope"], "User.Read openid", "normalized");
    assert_eq!(g["principalId"], Value::Null);
    let gid = g["id"].as_str().unwrap().to_owned();
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/oauth2PermissionGrants",
        Some(&admin),
        Some(&grant),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "duplicate: {e}");
    for bad in [
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": graph_sp_id, "scope": "Mail.Launch"}),
        json!({"clientId": sp_id, "consentType": "Everyone", "resourceId": graph_sp_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "Principal", "resourceId": graph_sp_id, "scope": "User.Read"}),
        json!({"clientId": sp_id, "consentType": "AllPrincipals", "principalId": alice, "resourceId": graph_sp_id, "scope": "User.Read"}),
    ] {
        let (status, _, e) = graph(
            &f,
            "POST",
            "/v1.0/oauth2PermissionGrants",
            Some(&admin),
            Some(&bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let (status, _, list) = graph(
        &f,
        "GET",
        &format!("/v1.0/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp_id}'"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let (_, _, list) = graph(
        &f,
        "GET",
        &format!("/v1.0/servicePrincipals/{sp_id}/oauth2PermissionGrants"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(list["value"][0]["id"], gid.as_str());
    let gpath = format!("/v1.0/oauth2PermissionGrants/{gid}");
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &gpath,
        Some(&admin),
        Some(&json!({"scope": "User.Read.All"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &gpath,
        Some(&admin),
        Some(&json!({"clientId": sp_id})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (_, _, got) = graph(&f, "GET", &gpath, Some(&admin), None).await;
    assert_eq!(got["scope"], "User.Read.All");
    let (status, _, _) = graph(&f, "DELETE", &gpath, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = graph(&f, "GET", &gpath, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every application route refuses no token, a forged token and a token without permission.
async fn every_app_route_refuses_unauthorized_callers(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let nothing = app_token(&f, &[]).await;
    let id = "00000000-0000-0000-0000-000000000001";
    let routes = [
        ("GET", "/v1.0/applications".to_owned()),
        ("POST", "/v1.0/applications".to_owned()),
        ("GET", "/v1.0/applications/$count".to_owned()),
        ("GET", format!("/v1.0/applications/{id}")),
        ("GET", format!("/v1.0/applications(appId='{id}')")),
        ("PATCH", format!("/v1.0/applications/{id}")),
        ("DELETE", format!("/v1.0/applications/{id}")),
        ("POST", format!("/v1.0/applications/{id}/addPassword")),
        ("POST", format!("/v1.0/applications/{id}/removePassword")),
        ("GET", "/v1.0/servicePrincipals".to_owned()),
        ("POST", "/v1.0/servicePrincipals".to_owned()),
        ("GET", "/v1.0/servicePrincipals/$count".to_owned()),
        ("GET", format!("/v1.0/servicePrincipals/{id}")),
        ("PATCH", format!("/v1.0/servicePrincipals/{id}")),
        ("DELETE", format!("/v1.0/servicePrincipals/{id}")),
        (
            "GET",
            format!("/v1.0/servicePrincipals/{id}/appRoleAssignments"),
        ),
        (
            "POST",
            format!("/v1.0/servicePrincipals/{id}/appRoleAssignments"),
        ),
        (
            "DELETE",
            format!("/v1.0/servicePrincipals/{id}/appRoleAssignments/{id}"),
        ),
        (
            "GET",
            format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo"),
        ),
        (
            "POST",
            format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo"),
        ),
        (
            "DELETE",
            format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{id}"),
        ),
        (
            "GET",
            format!("/v1.0/servicePrincipals/{id}/oauth2PermissionGrants"),
        ),
        ("GET", format!("/v1.0/users/{id}/appRoleAssignments")),
        ("POST", format!("/v1.0/users/{id}/appRoleAssignments")),
        (
            "DELETE",
            format!("/v1.0/users/{id}/appRoleAssignments/{id}"),
        ),
        ("GET", format!("/v1.0/groups/{id}/appRoleAssignments")),
        ("POST", format!("/v1.0/groups/{id}/appRoleAssignments")),
        (
            "DELETE",
            format!("/v1.0/groups/{id}/appRoleAssignments/{id}"),
        ),
        ("GET", "/v1.0/oauth2PermissionGrants".to_owned()),
        ("POST", "/v1.0/oauth2PermissionGrants".to_owned()),
        ("GET", format!("/v1.0/oauth2PermissionGrants/{id}")),
        ("PATCH", format!("/v1.0/oauth2PermissionGrants/{id}")),
        ("DELETE", format!("/v1.0/oauth2PermissionGrants/{id}")),
    ];
    let h = [("ConsistencyLevel", "eventual")];
    let body = || Some(json!({"displayName": "x"}).to_string());
    for (method, path) in &routes {
        let (status, headers, e) = graph_raw(&f, method, path, None, body(), &h).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"),
            "{method} {path}"
        );
        assert!(headers.contains_key(header::WWW_AUTHENTICATE));
        let (status, _, e) = graph_raw(
            &f,
            method,
            path,
            Some("eyJhbGciOiJub25lIn0.e30."),
            body(),
            &h,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} alg none: {e}"
        );
        let (status, _, e) = graph_raw(&f, method, path, Some(&nothing), body(), &h).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
            "{method} {path} no permission: {e}"
        );
    }
}

portico_store::backend_tests!(
    applications_and_secrets_through_graph,
    role_assignments_and_grants_through_graph,
    every_app_route_refuses_unauthorized_callers
);
