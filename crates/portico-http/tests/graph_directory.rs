//! Graph directory management through the real router, on SQLite and PostgreSQL: users
//! (create, read, filter, page, update, delete, restore, purge), groups (CRUD, members and
//! owners by `$ref`), memberships and directory objects — and every bad input refused with
//! Graph's error, changing nothing.

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

use axum::http::{StatusCode, header};
use portico_store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, app_token_in, graph, graph_raw};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

fn new_user(domain: &str, alias: &str, name: &str) -> Value {
    json!({
        "accountEnabled": true,
        "displayName": name,
        "mailNickname": alias,
        "userPrincipalName": format!("{alias}@{domain}"),
        "passwordProfile": {"password": "Str0ng-Passw0rd!", "forceChangePasswordNextSignIn": false},
    })
}

async fn users_are_managed_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, &["User.ReadWrite.All"]).await;
    let reader = app_token(&f, &["User.Read.All"]).await;
    let domain = f.tenant.initial_domain.as_str().to_owned();

    // create: 201, Location, the entity
    let (status, headers, ann) = graph(
        &f,
        "POST",
        "/v1.0/users",
        Some(&admin),
        Some(&new_user(&domain, "ann", "E2E Ann")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ann}");
    let ann_id = ann["id"].as_str().unwrap().to_owned();
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with(&ann_id)
    );
    assert_eq!(ann["displayName"], "E2E Ann");
    assert!(
        ann["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#users/$entity")
    );
    for (alias, name) in [("bo", "E2E Bo"), ("cy", "E2E Cy"), ("di", "Di Other")] {
        let (status, _, v) = graph(
            &f,
            "POST",
            "/v1.0/users",
            Some(&admin),
            Some(&new_user(&domain, alias, name)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    // the new user signs in with the password it was given
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/ann@{domain}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // bad inputs: each refused, nothing created
    let mut missing = new_user(&domain, "x1", "X");
    missing.as_object_mut().unwrap().remove("mailNickname");
    let mut readonly = new_user(&domain, "x2", "X");
    readonly["id"] = json!("00000000-0000-0000-0000-000000000001");
    let mut unknown = new_user(&domain, "x3", "X");
    unknown["shoeSize"] = json!(44);
    let mut wrong_type = new_user(&domain, "x4", "X");
    wrong_type["accountEnabled"] = json!("yes");
    let mut bad_domain = new_user("elsewhere.example", "x5", "X");
    bad_domain["mailNickname"] = json!("x5");
    let mut weak = new_user(&domain, "x6", "X");
    weak["passwordProfile"]["password"] = json!("short");
    for (why, body, expected) in [
        ("missing required", missing, "Request_BadRequest"),
        ("read-only id", readonly, "Request_BadRequest"),
        ("unknown property", unknown, "Request_BadRequest"),
        ("wrong type", wrong_type, "Request_BadRequest"),
        ("unverified domain", bad_domain, "Request_BadRequest"),
        ("weak password", weak, "Request_BadRequest"),
        (
            "duplicate UPN",
            new_user(&domain, "ANN", "Ann again"),
            "Request_BadRequest",
        ),
    ] {
        let (status, _, e) = graph(&f, "POST", "/v1.0/users", Some(&admin), Some(&body)).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, expected),
            "{why}: {e}"
        );
    }
    let (status, _, e) = graph_raw(
        &f,
        "POST",
        "/v1.0/users",
        Some(&admin),
        Some("{not json".into()),
        &[],
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "{e}"
    );
    let huge = format!("{{\"displayName\":\"{}\"}}", "a".repeat(1_100_000));
    let (status, _, _) = graph_raw(&f, "POST", "/v1.0/users", Some(&admin), Some(huge), &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/users",
        Some(&reader),
        Some(&new_user(&domain, "x7", "X")),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied")
    );
    let (status, _, e) = graph(&f, "DELETE", "/v1.0/users", Some(&admin), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{e}");
    let h = [("ConsistencyLevel", "eventual")];
    let (_, _, n) = graph_raw(&f, "GET", "/v1.0/users/$count", Some(&reader), None, &h).await;
    assert_eq!(n, json!(5), "alice + 4 created, none of the refused");

    // filter + order + paging through nextLink
    let mut seen = Vec::new();
    let mut next = Some("/v1.0/users?$filter=startswith(displayName,'e2e')&$orderby=displayName%20desc&$top=2&$select=displayName".to_owned());
    while let Some(url) = next.take() {
        let path = url.trim_start_matches("http://127.0.0.1");
        let (status, _, page) = graph(&f, "GET", path, Some(&reader), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for u in page["value"].as_array().unwrap() {
            seen.push(u["displayName"].as_str().unwrap().to_owned());
        }
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ["E2E Cy", "E2E Bo", "E2E Ann"]);
    // a skip token is bound to its query
    let (_, _, page) = graph(&f, "GET", "/v1.0/users?$top=1", Some(&reader), None).await;
    let link = page["@odata.nextLink"].as_str().unwrap();
    let token = link.split("$skiptoken=").nth(1).unwrap();
    let (status, _, e) = graph(
        &f,
        "GET",
        &format!("/v1.0/users?$top=1&$filter=userType%20eq%20'Member'&$skiptoken={token}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest")
    );
    let (_, _, page) = graph_raw(
        &f,
        "GET",
        "/v1.0/users?$search=%22displayName:e2e%22&$count=true",
        Some(&reader),
        None,
        &h,
    )
    .await;
    assert_eq!(page["@odata.count"], json!(3), "{page}");
    let (status, _, e) = graph(
        &f,
        "GET",
        "/v1.0/users?$search=%22displayName:e2e%22",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "$search needs eventual"
    );

    // update → 204, visible; block sign-in; user type conversion
    let patch = json!({"displayName": "E2E Ann Lee", "jobTitle": "Buyer", "accountEnabled": false, "userType": "Guest", "otherMails": ["ann@home.example"]});
    let (status, _, body) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/users/{ann_id}"),
        Some(&admin),
        Some(&patch),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, _, got) = graph(
        &f,
        "GET",
        &format!(
            "/v1.0/users/{ann_id}?$select=displayName,jobTitle,accountEnabled,userType,otherMails"
        ),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(got["displayName"], "E2E Ann Lee");
    assert_eq!(got["jobTitle"], "Buyer");
    assert_eq!(got["accountEnabled"], false);
    assert_eq!(got["userType"], "Guest");
    let (_, _, found) = graph(
        &f,
        "GET",
        "/v1.0/users?$filter=otherMails/any(m:m%20eq%20'ANN@home.example')",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(found["value"][0]["id"], json!(ann_id));
    for (why, body) in [
        (
            "read-only",
            json!({"createdDateTime": "2020-01-01T00:00:00Z"}),
        ),
        ("null display name", json!({"displayName": null})),
        ("bad mail", json!({"mail": "nope"})),
        ("bad user type", json!({"userType": "Boss"})),
    ] {
        let (status, _, e) = graph(
            &f,
            "PATCH",
            &format!("/v1.0/users/{ann_id}"),
            Some(&admin),
            Some(&body),
        )
        .await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{why}: {e}"
        );
    }
    let (status, _, e) = graph(
        &f,
        "PATCH",
        "/v1.0/users/00000000-0000-0000-0000-000000000001",
        Some(&admin),
        Some(&json!({"jobTitle": "x"})),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::NOT_FOUND, "Request_ResourceNotFound")
    );

    // delete → deleted items → restore → delete → purge
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/users/{ann_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{ann_id}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, deleted) = graph(
        &f,
        "GET",
        "/v1.0/directory/deletedItems/microsoft.graph.user",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(deleted["value"][0]["id"], json!(ann_id), "{deleted}");
    assert_eq!(deleted["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert!(deleted["value"][0]["deletedDateTime"].is_string());
    let (status, _, _) = graph(
        &f,
        "POST",
        &format!("/v1.0/directory/deletedItems/{ann_id}/restore"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, restored) = graph(
        &f,
        "POST",
        &format!("/v1.0/directory/deletedItems/{ann_id}/restore"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["id"], json!(ann_id));
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{ann_id}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    graph(
        &f,
        "DELETE",
        &format!("/v1.0/users/{ann_id}"),
        Some(&admin),
        None,
    )
    .await;
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/directory/deletedItems/{ann_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("/v1.0/directory/deletedItems/{ann_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // an app with User.ReadWrite.All may not touch a Global Administrator
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/users/{}", f.upn),
        Some(&admin),
        Some(&json!({"jobTitle": "x"})),
    )
    .await;
    let alice_is_admin = f
        .state
        .app
        .roles_of(
            f.tenant.id,
            f.state
                .app
                .store
                .find_user_by_upn(f.tenant.id, &f.upn)
                .await
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    if alice_is_admin.is_empty() {
        assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    } else {
        assert_eq!(
            (status, code(&e)),
            (StatusCode::FORBIDDEN, "Authorization_RequestDenied")
        );
    }
}

async fn groups_and_memberships_are_managed_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, &["User.ReadWrite.All", "Group.ReadWrite.All"]).await;
    let members_only = app_token(&f, &["GroupMember.ReadWrite.All"]).await;
    let reader = app_token(&f, &["GroupMember.Read.All", "User.Read.All"]).await;
    let domain = f.tenant.initial_domain.as_str().to_owned();
    let (_, _, bo) = graph(
        &f,
        "POST",
        "/v1.0/users",
        Some(&admin),
        Some(&new_user(&domain, "bo", "Bo")),
    )
    .await;
    let bo_id = bo["id"].as_str().unwrap().to_owned();

    let body = json!({"displayName": "E2E Finance", "mailEnabled": false, "mailNickname": "finance", "securityEnabled": true, "description": "money"});
    let (status, headers, g) = graph(&f, "POST", "/v1.0/groups", Some(&admin), Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    assert!(headers[header::LOCATION].to_str().unwrap().ends_with(&gid));
    assert_eq!(g["securityEnabled"], true);
    let (status, _, e) = graph(&f, "POST", "/v1.0/groups", Some(&members_only), Some(&body)).await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied")
    );
    let m365 = json!({"displayName": "Team", "mailEnabled": true, "mailNickname": "team", "securityEnabled": false, "groupTypes": ["Unified"]});
    let (status, _, e) = graph(&f, "POST", "/v1.0/groups", Some(&admin), Some(&m365)).await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest")
    );
    let (_, _, inner) = graph(&f, "POST", "/v1.0/groups", Some(&admin), Some(&json!({"displayName": "E2E Inner", "mailEnabled": false, "mailNickname": "inner", "securityEnabled": true}))).await;
    let inner_id = inner["id"].as_str().unwrap().to_owned();

    // members by $ref (any host in @odata.id), twice is refused, nesting is transitive
    let reference = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("/v1.0/groups/{inner_id}/members/$ref"),
        Some(&members_only),
        Some(&reference(&bo_id)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("/v1.0/groups/{inner_id}/members/$ref"),
        Some(&members_only),
        Some(&reference(&bo_id)),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already exist")
    );
    let (status, _, _) = graph(
        &f,
        "POST",
        &format!("/v1.0/groups/{gid}/members/$ref"),
        Some(&admin),
        Some(&json!({"@odata.id": format!("http://127.0.0.1/v1.0/groups/{inner_id}")})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("/v1.0/groups/{inner_id}/members/$ref"),
        Some(&admin),
        Some(&reference(&gid)),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "a cycle: {e}"
    );
    let (_, _, members) = graph(
        &f,
        "GET",
        &format!("/v1.0/groups/{gid}/members"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(members["value"].as_array().unwrap().len(), 1);
    assert_eq!(members["value"][0]["@odata.type"], "#microsoft.graph.group");
    let (_, _, all) = graph(
        &f,
        "GET",
        &format!("/v1.0/groups/{gid}/transitiveMembers"),
        Some(&reader),
        None,
    )
    .await;
    let types: Vec<&str> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["@odata.type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"#microsoft.graph.user") && types.contains(&"#microsoft.graph.group"),
        "{all}"
    );
    let (_, _, of) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{bo_id}/transitiveMemberOf"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(of["value"].as_array().unwrap().len(), 2, "{of}");
    let (_, _, of) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{bo_id}/memberOf"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(of["value"][0]["id"], json!(inner_id));

    // owners
    let (status, _, _) = graph(
        &f,
        "POST",
        &format!("/v1.0/groups/{gid}/owners/$ref"),
        Some(&admin),
        Some(&reference(&bo_id)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, owners) = graph(
        &f,
        "GET",
        &format!("/v1.0/groups/{gid}/owners"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(owners["value"][0]["id"], json!(bo_id));
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/groups/{gid}/owners/{bo_id}/$ref"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // bad references
    let other = f
        .state
        .app
        .create_tenant(&portico_app::Context::system("test"), "Fabrikam")
        .await
        .unwrap();
    let other_admin =
        app_token_in(&f, other.id, &["User.ReadWrite.All", "Group.ReadWrite.All"]).await;
    let (_, _, stranger) = graph(
        &f,
        "POST",
        "/v1.0/users",
        Some(&other_admin),
        Some(&new_user(other.initial_domain.as_str(), "zed", "Zed")),
    )
    .await;
    let stranger_id = stranger["id"].as_str().unwrap();
    for (why, body, status_code) in [
        (
            "another tenant's user",
            reference(stranger_id),
            StatusCode::NOT_FOUND,
        ),
        (
            "unknown id",
            reference("00000000-0000-0000-0000-000000000009"),
            StatusCode::NOT_FOUND,
        ),
        (
            "not a URL of an object",
            json!({"@odata.id": "https://graph.microsoft.com/v1.0/me"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "extra property",
            json!({"@odata.id": format!("https://x/v1.0/directoryObjects/{bo_id}"), "x": 1}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, _, e) = graph(
            &f,
            "POST",
            &format!("/v1.0/groups/{gid}/members/$ref"),
            Some(&admin),
            Some(&body),
        )
        .await;
        assert_eq!(status, status_code, "{why}: {e}");
    }
    // the other tenant sees none of this tenant's objects
    for path in [
        format!("/v1.0/groups/{gid}"),
        format!("/v1.0/groups/{gid}/members"),
        format!("/v1.0/users/{bo_id}"),
        format!("/v1.0/directoryObjects/{bo_id}"),
    ] {
        let (status, _, e) = graph(&f, "GET", &path, Some(&other_admin), None).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
            "{path}"
        );
    }
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/groups/{gid}"),
        Some(&other_admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // update, filter, directory objects, delete
    let (status, _, _) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/groups/{gid}"),
        Some(&admin),
        Some(&json!({"description": null, "displayName": "E2E Finance EU"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, found) = graph(
        &f,
        "GET",
        "/v1.0/groups?$filter=startswith(displayName,'e2e%20fin')%20and%20description%20eq%20null",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(found["value"][0]["id"], json!(gid), "{found}");
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/groups/{gid}"),
        Some(&admin),
        Some(&json!({"securityEnabled": false})),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest")
    );
    let (_, _, obj) = graph(
        &f,
        "GET",
        &format!("/v1.0/directoryObjects/{gid}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(obj["@odata.type"], "#microsoft.graph.group");
    let (_, _, objs) = graph(
        &f,
        "POST",
        "/v1.0/directoryObjects/getByIds",
        Some(&reader),
        Some(&json!({"ids": [bo_id, gid, stranger_id], "types": ["user"]})),
    )
    .await;
    assert_eq!(objs["value"].as_array().unwrap().len(), 1, "{objs}");
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/groups/{inner_id}/members/{bo_id}/$ref"),
        Some(&members_only),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/groups/{inner_id}/members/{bo_id}/$ref"),
        Some(&members_only),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a member any more");
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/groups/{gid}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("/v1.0/groups/{gid}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every Graph route refuses no token, a token of no permission and a forged token, with
/// Graph's codes.
async fn every_route_refuses_unauthorized_callers(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let nothing = app_token(&f, &[]).await;
    let id = "00000000-0000-0000-0000-000000000001";
    let routes = [
        ("GET", "/v1.0/users".to_owned()),
        ("POST", "/v1.0/users".to_owned()),
        ("GET", "/v1.0/users/$count".to_owned()),
        ("GET", format!("/v1.0/users/{id}")),
        ("PATCH", format!("/v1.0/users/{id}")),
        ("DELETE", format!("/v1.0/users/{id}")),
        ("GET", format!("/v1.0/users/{id}/memberOf")),
        (
            "GET",
            "/v1.0/directory/deletedItems/microsoft.graph.user".to_owned(),
        ),
        ("GET", format!("/v1.0/directory/deletedItems/{id}")),
        ("POST", format!("/v1.0/directory/deletedItems/{id}/restore")),
        ("DELETE", format!("/v1.0/directory/deletedItems/{id}")),
        ("GET", "/v1.0/groups".to_owned()),
        ("POST", "/v1.0/groups".to_owned()),
        ("GET", "/v1.0/groups/$count".to_owned()),
        ("GET", format!("/v1.0/groups/{id}")),
        ("PATCH", format!("/v1.0/groups/{id}")),
        ("DELETE", format!("/v1.0/groups/{id}")),
        ("GET", format!("/v1.0/groups/{id}/members")),
        ("POST", format!("/v1.0/groups/{id}/members/$ref")),
        ("DELETE", format!("/v1.0/groups/{id}/members/{id}/$ref")),
        ("GET", format!("/v1.0/directoryObjects/{id}")),
        ("POST", "/v1.0/directoryObjects/getByIds".to_owned()),
        ("GET", "/v1.0/organization".to_owned()),
    ];
    let h = [("ConsistencyLevel", "eventual")];
    let body = || Some(json!({"ids": [], "@odata.id": "x"}).to_string());
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
            (status, code(&e)),
            (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"),
            "{method} {path} alg none"
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
    users_are_managed_through_graph,
    groups_and_memberships_are_managed_through_graph,
    every_route_refuses_unauthorized_callers
);
