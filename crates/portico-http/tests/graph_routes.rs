//! Every operation of the Graph catalog (the table the router is built from), on SQLite and
//! PostgreSQL: no token, a forged token and an expired token get 401
//! `InvalidAuthenticationToken`; a token without permissions gets 403
//! `Authorization_RequestDenied`; and a token of another tenant holding every permission
//! finds none of this tenant's objects (404) and changes nothing.

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

use axum::http::StatusCode;
use portico_http::graph::catalog::{OPERATIONS, Verb};
use portico_store::Store;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, app_token_in, graph, graph_raw};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

/// Every Graph application permission the policy table names.
const ALL: &[&str] = &[
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Domain.ReadWrite.All",
    "Organization.ReadWrite.All",
    "AuditLog.Read.All",
    "Policy.ReadWrite.AuthenticationMethod",
    "IdentityProvider.ReadWrite.All",
];

/// The path with each parameter replaced by a real object of the fixture's tenant.
fn fill(path: &str, ids: &HashMap<&str, String>) -> String {
    let resource = path.split('/').nth(2).unwrap_or_default();
    let mut out = String::new();
    for seg in path.split('/').skip(1) {
        out.push('/');
        let value = match seg {
            "{id}" => ids[resource].clone(),
            "{link}" if resource == "users" => "memberOf".into(),
            "{link}" => "members".into(),
            "{keyed}" => format!("applications(appId='{}')", ids["appId"]),
            "{object}" | "{sponsor}" => ids["users"].clone(),
            "{assignment}" => ids["assignment"].clone(),
            s => s.to_owned(),
        };
        out.push_str(&value);
    }
    out
}

async fn every_operation_refuses_whoever_may_not_call_it(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, ALL).await;
    let nothing = app_token(&f, &[]).await;
    let other = f
        .state
        .app
        .create_tenant(&portico_app::Context::system("test"), "Fabrikam")
        .await
        .unwrap();
    let stranger = app_token_in(&f, other.id, ALL).await;

    // one object of each kind in this tenant
    let users = graph(&f, "GET", "/v1.0/users", Some(&admin), None).await.2;
    let user = users["value"][0]["id"].as_str().unwrap().to_owned();
    let (_, _, g) = graph(
        &f,
        "POST",
        "/v1.0/groups",
        Some(&admin),
        Some(&json!({"displayName": "G", "mailNickname": "g", "mailEnabled": false, "securityEnabled": true})),
    )
    .await;
    let (_, _, a) = graph(
        &f,
        "POST",
        "/v1.0/applications",
        Some(&admin),
        Some(&json!({"displayName": "A"})),
    )
    .await;
    let (_, _, sp) = graph(
        &f,
        "POST",
        "/v1.0/servicePrincipals",
        Some(&admin),
        Some(&json!({"appId": a["appId"]})),
    )
    .await;
    let graph_sp = graph(
        &f,
        "GET",
        "/v1.0/servicePrincipals?$filter=displayName%20eq%20'Microsoft%20Graph'",
        Some(&admin),
        None,
    )
    .await
    .2["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, grant) = graph(
        &f,
        "POST",
        "/v1.0/oauth2PermissionGrants",
        Some(&admin),
        Some(&json!({"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graph_sp, "scope": "User.Read"})),
    )
    .await;
    let (_, _, assignment) = graph(
        &f,
        "POST",
        &format!("/v1.0/servicePrincipals/{graph_sp}/appRoleAssignedTo"),
        Some(&admin),
        Some(&json!({"principalId": sp["id"], "resourceId": graph_sp, "appRoleId": "df021288-bdef-4463-88db-98f22de89214"})),
    )
    .await;
    let (status, _, idp) = graph(
        &f,
        "POST",
        "/v1.0/identity/identityProviders",
        Some(&admin),
        Some(&json!({"identityProviderType": "Google", "clientId": "c", "clientSecret": "s"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{idp}");
    let domain = f.tenant.initial_domain.as_str().to_owned();
    let mut ids: HashMap<&str, String> = HashMap::new();
    ids.insert("identity", idp["id"].as_str().unwrap().to_owned());
    ids.insert("users", user.clone());
    ids.insert("groups", g["id"].as_str().unwrap().to_owned());
    ids.insert("applications", a["id"].as_str().unwrap().to_owned());
    ids.insert("appId", a["appId"].as_str().unwrap().to_owned());
    ids.insert("servicePrincipals", sp["id"].as_str().unwrap().to_owned());
    ids.insert(
        "oauth2PermissionGrants",
        grant["id"].as_str().unwrap().to_owned(),
    );
    ids.insert("assignment", assignment["id"].as_str().unwrap().to_owned());
    ids.insert("directoryObjects", user.clone());
    ids.insert("directory", user.clone());
    ids.insert("domains", domain);
    ids.insert("organization", f.tenant.id.to_string());
    let events = f
        .state
        .app
        .store
        .list_audit_events(f.tenant.id, 1, None)
        .await
        .unwrap();
    ids.insert("auditLogs", events[0].id.to_string());

    // an hour and a bit later, the admin's token has expired
    let mut later_state = f.state.clone();
    later_state.app.clock = Arc::new(portico_app::clock::ManualClock::new(
        time::OffsetDateTime::now_utc() + time::Duration::minutes(75),
    ));
    let later = Fixture {
        router: portico_http::router(later_state.clone(), portico_http::HttpSettings::default()),
        state: later_state,
        tenant: f.tenant.clone(),
        upn: f.upn.clone(),
        web_id: f.web_id.clone(),
        web_secret: f.web_secret.clone(),
        native_id: f.native_id.clone(),
    };

    let h = [("ConsistencyLevel", "eventual")];
    let body = || Some(json!({"displayName": "x"}).to_string());
    for op in OPERATIONS {
        let method = op.verb.as_str().to_uppercase();
        let path = fill(op.path, &ids);
        let what = format!("{method} {path}");
        for (token, why) in [
            (None, "no token"),
            (Some("eyJhbGciOiJub25lIn0.e30."), "alg none"),
        ] {
            let (status, _, e) = graph_raw(&f, &method, &path, token, body(), &h).await;
            assert_eq!(
                (status, code(&e)),
                (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"),
                "{what}: {why}"
            );
        }
        let (status, _, e) = graph_raw(&later, &method, &path, Some(&admin), body(), &h).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"),
            "{what}: expired token"
        );
        if op.path != "/v1.0/me" {
            let (status, _, e) = graph_raw(&f, &method, &path, Some(&nothing), body(), &h).await;
            assert_eq!(
                (status, code(&e)),
                (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
                "{what}: no permission"
            );
        }
        // another tenant's all-powerful token finds nothing of ours
        if op.path.contains('{') && matches!(op.verb, Verb::Get | Verb::Delete) {
            let (status, _, e) = graph_raw(&f, &method, &path, Some(&stranger), None, &h).await;
            assert_eq!(
                (status, code(&e)),
                (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
                "{what}: another tenant's token"
            );
        }
    }
    // and nothing was changed by any of it
    for (path, key) in [
        (format!("/v1.0/users/{user}"), "id"),
        (format!("/v1.0/groups/{}", ids["groups"]), "id"),
        (format!("/v1.0/applications/{}", ids["applications"]), "id"),
        (
            format!("/v1.0/servicePrincipals/{}", ids["servicePrincipals"]),
            "id",
        ),
        (
            format!(
                "/v1.0/oauth2PermissionGrants/{}",
                ids["oauth2PermissionGrants"]
            ),
            "id",
        ),
        (
            format!("/v1.0/identity/identityProviders/{}", ids["identity"]),
            "clientId",
        ),
    ] {
        let (status, _, v) = graph(&f, "GET", &path, Some(&admin), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        assert!(v[key].is_string());
    }
    let (_, _, held) = graph(
        &f,
        "GET",
        &format!(
            "/v1.0/servicePrincipals/{}/appRoleAssignments",
            ids["servicePrincipals"]
        ),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(held["value"].as_array().unwrap().len(), 1, "{held}");
}

portico_store::backend_tests!(every_operation_refuses_whoever_may_not_call_it);
