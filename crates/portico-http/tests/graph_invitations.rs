//! `POST /v1.0/invitations` through the real router, on SQLite and PostgreSQL: the guest
//! user exists at once as Entra creates it, re-inviting a pending guest replaces its redeem
//! ticket, members and the tenant's own domains are refused, and every bad input changes
//! nothing.

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
use support::graph::{app_token, graph, graph_raw};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

async fn user_count(f: &Fixture, token: &str) -> u64 {
    let (_, _, v) = graph_raw(
        f,
        "GET",
        "/v1.0/users/$count",
        Some(token),
        None,
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap()
}

async fn invitations_create_guests(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All"]).await;
    let admin = app_token(&f, &["User.ReadWrite.All", "Group.ReadWrite.All"]).await;
    let initial = f.tenant.initial_domain.as_str().to_owned();
    let before = user_count(&f, &admin).await;

    // bad input: each refused with Graph's error, nothing created
    let ok = json!({"invitedUserEmailAddress": "guest.one@fabrikam.example", "inviteRedirectUrl": "https://myapps.contoso.example/"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for (why, body) in [
        (
            "no redirect",
            json!({"invitedUserEmailAddress": "a@fabrikam.example"}),
        ),
        (
            "no address",
            json!({"inviteRedirectUrl": "https://x.example/"}),
        ),
        (
            "relative redirect",
            with("inviteRedirectUrl", json!("/home")),
        ),
        (
            "script redirect",
            with("inviteRedirectUrl", json!("javascript:alert(1)")),
        ),
        (
            "plus address",
            with("invitedUserEmailAddress", json!("a+tag@fabrikam.example")),
        ),
        (
            "not an address",
            with("invitedUserEmailAddress", json!("fabrikam.example")),
        ),
        (
            "two cc",
            with(
                "invitedUserMessageInfo",
                json!({"ccRecipients": [
            {"emailAddress": {"address": "b@fabrikam.example"}},
            {"emailAddress": {"address": "c@fabrikam.example"}}]}),
            ),
        ),
        ("reset without user", with("resetRedemption", json!(true))),
        ("bad type", with("invitedUserType", json!("Owner"))),
        ("unknown property", with("color", json!("red"))),
        ("read-only", with("status", json!("Completed"))),
        (
            "own domain",
            with("invitedUserEmailAddress", json!(format!("x@{initial}"))),
        ),
        (
            "own domain in capitals",
            with(
                "invitedUserEmailAddress",
                json!(format!("X@{}", initial.to_uppercase())),
            ),
        ),
        (
            "a member's address",
            with("invitedUserEmailAddress", json!("alice@contoso.example")),
        ),
    ] {
        let (status, _, e) =
            graph(&f, "POST", "/v1.0/invitations", Some(&inviter), Some(&body)).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{why}: {e}"
        );
    }
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&inviter),
        Some(&with("invitedUserType", json!("Member"))),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a Guest Inviter invites guests only: {e}"
    );
    assert_eq!(user_count(&f, &admin).await, before, "nothing was created");

    // invite: 201, the invitation as Graph returns it
    let (status, headers, inv) =
        graph(&f, "POST", "/v1.0/invitations", Some(&inviter), Some(&ok)).await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(inv["status"], "PendingAcceptance");
    assert_eq!(inv["invitedUserType"], "Guest");
    assert_eq!(inv["invitedUserEmailAddress"], "guest.one@fabrikam.example");
    assert_eq!(inv["sendInvitationMessage"], false);
    assert_eq!(
        inv["invitedUserMessageInfo"]["ccRecipients"][0]["emailAddress"]["address"],
        Value::Null
    );
    let url = inv["inviteRedeemUrl"].as_str().unwrap().to_owned();
    assert!(url.contains(&format!("tenant={}", f.tenant.id)), "{url}");
    assert!(
        url.contains(&format!("user={}", inv["id"].as_str().unwrap())),
        "{url}"
    );
    assert!(url.contains("ticket="), "{url}");
    let guest = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with(&guest)
    );

    // the guest exists at once, as Entra creates it
    let (status, _, u) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{guest}?$select=userPrincipalName,userType,creationType,externalUserState,mail,displayName,identities"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(
        u["userPrincipalName"],
        format!("guest.one_fabrikam.example#EXT#@{initial}")
    );
    assert_eq!(u["userType"], "Guest");
    assert_eq!(u["creationType"], "Invitation");
    assert_eq!(u["externalUserState"], "PendingAcceptance");
    assert_eq!(u["mail"], "guest.one@fabrikam.example");
    assert_eq!(u["displayName"], "guest.one@fabrikam.example");
    assert_eq!(u["identities"][0]["issuer"], initial.as_str());
    assert_eq!(user_count(&f, &admin).await, before + 1);
    // groups can be given before redemption
    let (_, _, g) = graph(
        &f,
        "POST",
        "/v1.0/groups",
        Some(&admin),
        Some(&json!({"displayName": "Partners", "mailNickname": "partners", "mailEnabled": false, "securityEnabled": true})),
    )
    .await;
    let (status, _, e) = graph(
        &f,
        "POST",
        &format!("/v1.0/groups/{}/members/$ref", g["id"].as_str().unwrap()),
        Some(&admin),
        Some(&json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{guest}")})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");

    // inviting the same address again: the same user, a new ticket; the old one is revoked
    let (status, _, again) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&inviter),
        Some(&with(
            "invitedUserEmailAddress",
            json!("Guest.One@FABRIKAM.example"),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["invitedUser"]["id"], guest.as_str());
    assert_ne!(again["inviteRedeemUrl"], url.as_str());
    assert_eq!(user_count(&f, &admin).await, before + 1);
    let stored = f
        .state
        .app
        .store
        .invitations_of(f.tenant.id, portico_domain::UserId(guest.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored[0].revoked_at.is_none() && stored[1].revoked_at.is_some());
    assert!(
        !url.contains(&stored[1].ticket_hash),
        "only a hash of the ticket is stored"
    );

    // sponsors: the named group; a service principal is refused
    let (status, _, inv2) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&inviter),
        Some(&json!({
            "invitedUserEmailAddress": "guest.two@fabrikam.example",
            "inviteRedirectUrl": "https://myapps.contoso.example/",
            "invitedUserDisplayName": "Guest Two",
            "invitedUserSponsors": [{"id": g["id"]}],
            "invitedUserMessageInfo": {"customizedMessageBody": "Welcome!", "messageLanguage": "fr-FR",
                "ccRecipients": [{"emailAddress": {"name": "Boss", "address": "boss@fabrikam.example"}}]},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{inv2}");
    assert_eq!(inv2["invitedUserDisplayName"], "Guest Two");
    assert_eq!(inv2["invitedUserMessageInfo"]["messageLanguage"], "fr-FR");
    assert_eq!(
        inv2["invitedUserMessageInfo"]["ccRecipients"][0]["emailAddress"]["address"],
        "boss@fabrikam.example"
    );
    let (_, _, sponsors) = graph(
        &f,
        "GET",
        &format!(
            "/v1.0/users/{}/sponsors",
            inv2["invitedUser"]["id"].as_str().unwrap()
        ),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(sponsors["value"][0]["id"], g["id"]);
    let nothing = app_token(&f, &[]).await;
    let (status, _, _) = graph(&f, "POST", "/v1.0/invitations", Some(&nothing), Some(&ok)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // a guest renamed away from its address keeps signing in with it: inviting the address
    // again is a lasting conflict on the identity (400, as Graph answers duplicate values),
    // not "try again"
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/users/{guest}"),
        Some(&admin),
        Some(&json!({"userPrincipalName": format!("renamed_fabrikam.example#EXT#@{initial}"), "mail": "renamed@fabrikam.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let before = user_count(&f, &admin).await;
    let (status, _, e) = graph(&f, "POST", "/v1.0/invitations", Some(&inviter), Some(&ok)).await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "{e}"
    );
    let message = e["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("identities"), "{e}");
    assert!(!message.contains("try again"), "{e}");
    assert_eq!(user_count(&f, &admin).await, before, "nothing was created");
}

portico_store::backend_tests!(invitations_create_guests);
