//! `users/{id}/sponsors` (list, `$ref` add and remove, at most five) and
//! `users/{id}/ownedObjects` through the real Graph routes, on SQLite and PostgreSQL.

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
use portico_store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, graph};

async fn new_user(f: &Fixture, token: &str, alias: &str) -> String {
    let domain = f.tenant.initial_domain.as_str();
    let (status, _, u) = graph(
        f,
        "POST",
        "/v1.0/users",
        Some(token),
        Some(&json!({
            "accountEnabled": true,
            "displayName": alias,
            "mailNickname": alias,
            "userPrincipalName": format!("{alias}@{domain}"),
            "passwordProfile": {"password": "Str0ng-Passw0rd!"},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    u["id"].as_str().unwrap().to_owned()
}

fn reference(id: &str) -> Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{id}")})
}

async fn sponsors_and_owned_objects(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, &["User.ReadWrite.All", "Group.ReadWrite.All"]).await;
    let reader = app_token(&f, &["User.Read.All"]).await;
    let guest = new_user(&f, &admin, "guest").await;
    let mut sponsors = Vec::new();
    for i in 0..6 {
        sponsors.push(new_user(&f, &admin, &format!("sponsor{i}")).await);
    }
    let path = format!("/v1.0/users/{guest}/sponsors");
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("{path}/$ref"),
        Some(&reader),
        Some(&reference(&sponsors[0])),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    for s in &sponsors[..5] {
        let (status, _, e) = graph(
            &f,
            "POST",
            &format!("{path}/$ref"),
            Some(&admin),
            Some(&reference(s)),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    }
    // a sixth, a duplicate, oneself, an unknown object, a malformed reference: refused
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("{path}/$ref"),
        Some(&admin),
        Some(&reference(&sponsors[5])),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 5"),
        "{e}"
    );
    for (body, want) in [
        (reference(&sponsors[0]), StatusCode::BAD_REQUEST),
        (reference(&guest), StatusCode::BAD_REQUEST),
        (
            reference("00000000-0000-0000-0000-000000000042"),
            StatusCode::NOT_FOUND,
        ),
        (json!({"@odata.id": "nonsense"}), StatusCode::BAD_REQUEST),
    ] {
        let (status, _, e) = graph(
            &f,
            "POST",
            &format!("{path}/$ref"),
            Some(&admin),
            Some(&body),
        )
        .await;
        assert_eq!(status, want, "{body}: {e}");
    }
    let (status, _, list) = graph(&f, "GET", &path, Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.contains(&sponsors[4].as_str()));
    assert_eq!(list["value"][0]["@odata.type"], "#microsoft.graph.user");
    // remove one; removing it again is not found; then the sixth fits
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("{path}/{}/$ref", sponsors[0]),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("{path}/{}/$ref", sponsors[0]),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("{path}/$ref"),
        Some(&admin),
        Some(&reference(&sponsors[5])),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    // a deleted sponsor drops out of the list
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/users/{}", sponsors[1]),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, list) = graph(&f, "GET", &path, Some(&reader), None).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 4, "{list}");

    // ownedObjects: the groups a user owns
    let owner = &sponsors[2];
    let (status, _, g) = graph(
        &f,
        "POST",
        "/v1.0/groups",
        Some(&admin),
        Some(&json!({
            "displayName": "Owned", "mailNickname": "owned", "mailEnabled": false,
            "securityEnabled": true,
            "owners@odata.bind": [format!("https://graph.microsoft.com/v1.0/users/{owner}")],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let (status, _, owned) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{owner}/ownedObjects"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{owned}");
    assert_eq!(owned["value"][0]["id"], g["id"]);
    assert_eq!(owned["value"][0]["@odata.type"], "#microsoft.graph.group");
    let (status, _, owned) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{guest}/ownedObjects"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, owned["value"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let (status, _, _) = graph(
        &f,
        "GET",
        "/v1.0/users/00000000-0000-0000-0000-000000000042/sponsors",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let nothing = app_token(&f, &[]).await;
    let (status, _, _) = graph(&f, "GET", &path, Some(&nothing), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = graph(&f, "GET", &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// `$expand` of members, owners, sponsors and memberOf on single objects and collections.
async fn relationships_expand(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, &["User.ReadWrite.All", "Group.ReadWrite.All"]).await;
    let reader = app_token(&f, &["User.Read.All", "Group.Read.All"]).await;
    let users_only = app_token(&f, &["User.Read.All"]).await;
    let owner = new_user(&f, &admin, "owner").await;
    let mut members = Vec::new();
    for i in 0..22 {
        members.push(new_user(&f, &admin, &format!("member{i:02}")).await);
    }
    let (status, _, g) = graph(
        &f,
        "POST",
        "/v1.0/groups",
        Some(&admin),
        Some(&json!({
            "displayName": "Expanded", "mailNickname": "expanded", "mailEnabled": false,
            "securityEnabled": true,
            "owners@odata.bind": [format!("https://graph.microsoft.com/v1.0/users/{owner}")],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    for m in &members {
        let (status, _, e) = graph(
            &f,
            "POST",
            &format!("/v1.0/groups/{gid}/members/$ref"),
            Some(&admin),
            Some(&reference(m)),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    }
    let (status, _, got) = graph(
        &f,
        "GET",
        &format!("/v1.0/groups/{gid}?$expand=members"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        got["members"].as_array().unwrap().len(),
        20,
        "at most 20, as in Graph"
    );
    assert_eq!(got["members"][0]["@odata.type"], "#microsoft.graph.user");
    let (status, _, got) = graph(
        &f,
        "GET",
        &format!("/v1.0/groups/{gid}?$select=displayName&$expand=owners($select=displayName)"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["displayName"], "Expanded");
    let o = &got["owners"][0];
    assert_eq!(
        (o["id"].as_str(), o["displayName"].as_str()),
        (Some(owner.as_str()), Some("owner"))
    );
    assert!(o.get("userPrincipalName").is_none(), "{o}");
    let (status, _, list) = graph(
        &f,
        "GET",
        "/v1.0/groups?$filter=displayName%20eq%20'Expanded'&$expand=owners",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["value"][0]["owners"][0]["id"], owner.as_str());
    // users: memberOf and sponsors
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("/v1.0/users/{}/sponsors/$ref", members[0]),
        Some(&admin),
        Some(&reference(&owner)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _, u) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{}?$expand=sponsors", members[0]),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["sponsors"][0]["id"], owner.as_str());
    let (status, _, u) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{}?$expand=memberOf", members[1]),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["memberOf"][0]["id"], gid.as_str());
    let (status, _, list) = graph(
        &f,
        "GET",
        "/v1.0/users?$filter=startswith(displayName,'member0')&$expand=memberOf&$top=3",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["value"].as_array().unwrap().len(), 3);
    assert!(
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["memberOf"][0]["id"] == gid.as_str())
    );
    assert!(
        list["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$expand=memberOf"),
        "{list}"
    );
    // expanding what the caller may not read is refused; bad expands are unsupported queries
    let (status, _, e) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{}?$expand=memberOf", members[1]),
        Some(&users_only),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    for bad in [
        format!("/v1.0/groups/{gid}?$expand=members,owners"),
        format!("/v1.0/groups/{gid}?$expand=manager"),
        format!("/v1.0/groups/{gid}?$expand=members($filter=x)"),
        "/v1.0/applications?$expand=owners".to_owned(),
    ] {
        let (status, _, e) = graph(&f, "GET", &bad, Some(&reader), None).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("Request_UnsupportedQuery")),
            "{bad}: {e}"
        );
    }
}

portico_store::backend_tests!(sponsors_and_owned_objects, relationships_expand);
