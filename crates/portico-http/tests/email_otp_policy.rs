//! The email one-time passcode policy for guests (Graph
//! `policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email`) through
//! the real router, on SQLite and PostgreSQL: its defaults, who may read and change it, bad
//! values refused without a change, the audit event, and its effect — with passcodes off a
//! pending guest cannot redeem (a page says why), a guest who redeemed with a passcode cannot
//! sign in, and a page shown before the switch cannot send a code; turning passcodes back on
//! restores both.

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
use portico_app::Context;
use portico_store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, graph};
use support::mail::{Outbox, digits};

const EMAIL: &str =
    "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email";
const REDIRECT: &str = "https://myapps.contoso.example/welcome";

fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!("{}?{}", u.path(), u.query().unwrap_or(""))
}

async fn invite(f: &Fixture, token: &str, email: &str) -> String {
    let (status, _, v) = graph(
        f,
        "POST",
        "/v1.0/invitations",
        Some(token),
        Some(&json!({"invitedUserEmailAddress": email, "inviteRedirectUrl": REDIRECT})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["inviteRedeemUrl"].as_str().unwrap().to_owned()
}

async fn set(f: &Fixture, token: &str, value: &str) {
    let (status, _, v) = graph(
        f,
        "PATCH",
        EMAIL,
        Some(token),
        Some(&json!({
            "@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration",
            "allowExternalIdToUseEmailOtp": value
        })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
}

async fn guests_otp(f: &Fixture, token: &str) -> Value {
    let (status, _, v) = graph(f, "GET", EMAIL, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["allowExternalIdToUseEmailOtp"].clone()
}

/// The username page of a sign-in to the fixture's app, then the guest's address.
async fn sign_in_as(f: &Fixture, ip: &str, email: &str) -> (Browser, String) {
    let mut b = Browser::new(f, ip);
    let (_, _, page) = b.get(&authorize_uri(f, &f.native_id, NATIVE_CB, "")).await;
    let (_, _, page) = b.submit(&page, &[("username", email)]).await;
    (b, page)
}

async fn the_policy_is_read_and_changed_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let reader = app_token(&f, &["Policy.Read.All"]).await;
    let writer = app_token(&f, &["Policy.ReadWrite.AuthenticationMethod"]).await;
    let unrelated = app_token(&f, &["Directory.ReadWrite.All"]).await;

    // Defaults, as Graph shows them.
    let (status, _, v) = graph(&f, "GET", EMAIL, Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["@odata.type"],
        "#microsoft.graph.emailAuthenticationMethodConfiguration"
    );
    assert_eq!(v["id"], "Email");
    assert_eq!(v["state"], "enabled");
    assert_eq!(v["allowExternalIdToUseEmailOtp"], "default");
    assert_eq!(v["includeTargets"][0]["id"], "all_users");
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("authenticationMethodConfigurations/$entity")
    );
    let (status, _, v) = graph(
        &f,
        "GET",
        &format!("{EMAIL}?$select=allowExternalIdToUseEmailOtp"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v.get("state").is_none(), "{v}");
    let (status, _, v) = graph(
        &f,
        "GET",
        &format!("{EMAIL}?$select=shoeSize"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    // Who may: no token, other permissions, read-only permissions are refused.
    let (status, _, _) = graph(&f, "GET", EMAIL, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, v) = graph(&f, "GET", EMAIL, Some(&unrelated), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let body = json!({"allowExternalIdToUseEmailOtp": "disabled"});
    for token in [&reader, &unrelated] {
        let (status, _, v) = graph(&f, "PATCH", EMAIL, Some(token), Some(&body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
        assert_eq!(v["error"]["code"], "Authorization_RequestDenied", "{v}");
    }

    // Bad input: each refused with a message naming what is wrong; nothing changes.
    for (bad, names) in [
        (
            json!({"allowExternalIdToUseEmailOtp": "off"}),
            "allowExternalIdToUseEmailOtp",
        ),
        (
            json!({"allowExternalIdToUseEmailOtp": "Disabled"}),
            "allowExternalIdToUseEmailOtp",
        ),
        (
            json!({"allowExternalIdToUseEmailOtp": "unknownFutureValue"}),
            "allowExternalIdToUseEmailOtp",
        ),
        (
            json!({"allowExternalIdToUseEmailOtp": null}),
            "allowExternalIdToUseEmailOtp",
        ),
        (
            json!({"allowExternalIdToUseEmailOtp": false}),
            "allowExternalIdToUseEmailOtp",
        ),
        (
            json!({"state": "disabled", "allowExternalIdToUseEmailOtp": "nope"}),
            "allowExternalIdToUseEmailOtp",
        ),
        (json!({"state": "default"}), "state"),
        (json!({"id": "Sms"}), "id"),
        (json!({"excludeTargets": []}), "excludeTargets"),
        (json!({"shoeSize": 42}), "shoeSize"),
        (
            json!({"@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration"}),
            "@odata.type",
        ),
        (json!(["disabled"]), ""),
    ] {
        let (status, _, v) = graph(&f, "PATCH", EMAIL, Some(&writer), Some(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{bad}: {message}");
    }
    let (_, _, v) = graph(&f, "GET", EMAIL, Some(&reader), None).await;
    assert_eq!(
        (
            v["state"].as_str(),
            v["allowExternalIdToUseEmailOtp"].as_str()
        ),
        (Some("enabled"), Some("default")),
        "bad input changed nothing"
    );

    // A change: stored, shown, audited with old and new values; properties not sent keep theirs.
    set(&f, &writer, "disabled").await;
    let (_, _, v) = graph(&f, "GET", EMAIL, Some(&writer), None).await;
    assert_eq!(v["allowExternalIdToUseEmailOtp"], "disabled");
    assert_eq!(v["state"], "enabled");
    let events = f
        .state
        .app
        .store
        .list_audit_events(f.tenant.id, 20, None)
        .await
        .unwrap();
    let e = events
        .iter()
        .find(|e| e.activity_display_name == "Authentication Methods Policy Update")
        .expect("audited");
    let audit = serde_json::to_string(&e.target_resources).unwrap();
    assert!(
        audit.contains("allowExternalIdToUseEmailOtp")
            && audit.contains("\\\"default\\\"")
            && audit.contains("\\\"disabled\\\""),
        "{audit}"
    );

    // Another tenant's policy is its own.
    let other = f
        .state
        .app
        .create_tenant(&Context::system("test"), "Fabrikam")
        .await
        .unwrap();
    let other_reader = support::graph::app_token_in(&f, other.id, &["Policy.Read.All"]).await;
    assert_eq!(guests_otp(&f, &other_reader).await, "default");
}

async fn guests_cannot_use_passcodes_while_they_are_off(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All"]).await;
    let writer = app_token(&f, &["Policy.ReadWrite.AuthenticationMethod"]).await;
    let mut outbox = Outbox::new();

    // One guest redeems with a passcode while passcodes are on; a second stays pending; a
    // third has the "send code" page open when passcodes are turned off.
    let redeemed = invite(&f, &inviter, "first@fabrikam.example").await;
    let pending = invite(&f, &inviter, "second@fabrikam.example").await;
    let open = invite(&f, &inviter, "third@fabrikam.example").await;
    let mut b = Browser::new(&f, "192.0.2.60");
    let (_, _, page) = b.get(&path_of(&redeemed)).await;
    let (_, _, page) = b.submit(&page, &[]).await;
    let code = digits(&outbox.deliver(&f).await.pop().unwrap().text, 8).unwrap();
    let (_, _, page) = b.submit(&page, &[("code", &code)]).await;
    let (status, _, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut third = Browser::new(&f, "192.0.2.61");
    let (_, _, open_page) = third.get(&path_of(&open)).await;
    assert!(open_page.contains("Send code"), "{open_page}");
    let (mut guest, guest_page) = sign_in_as(&f, "192.0.2.62", "first@fabrikam.example").await;
    assert!(guest_page.contains("Send code"), "{guest_page}");

    set(&f, &writer, "disabled").await;

    // The pending guest: a page that says nothing applies and what to do; no mail.
    let (status, _, page) = Browser::new(&f, "192.0.2.63").get(&path_of(&pending)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("no way for you to sign in"), "{page}");
    assert!(
        page.contains("Contact the person who invited you"),
        "{page}"
    );
    // The page opened before: sending a code is refused, no mail.
    let (status, _, page) = third.submit(&open_page, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("no way for you to sign in"), "{page}");
    // The redeemed guest cannot sign in (until its redemption is reset), nor finish a
    // sign-in begun before the switch.
    let (_, page) = sign_in_as(&f, "192.0.2.64", "first@fabrikam.example").await;
    assert!(!page.contains("Send code"), "{page}");
    assert!(page.contains("no way to sign in here"), "{page}");
    let (_, _, page) = guest.submit(&guest_page, &[]).await;
    assert!(page.contains("one-time passcodes"), "{page}");
    // A pending guest signing in just in time gets the same answer.
    let (_, page) = sign_in_as(&f, "192.0.2.66", "second@fabrikam.example").await;
    assert!(page.contains("no way to sign in here"), "{page}");
    assert!(outbox.deliver(&f).await.is_empty(), "no passcode was sent");

    // On again ("enabled"): the pending guest redeems, the redeemed guest signs in.
    set(&f, &writer, "enabled").await;
    let mut b = Browser::new(&f, "192.0.2.67");
    let (status, _, page) = b.get(&path_of(&pending)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, _, page) = b.submit(&page, &[]).await;
    assert!(page.contains("Enter code"), "{page}");
    assert_eq!(outbox.deliver(&f).await.len(), 1);
    let (_, page) = sign_in_as(&f, "192.0.2.68", "first@fabrikam.example").await;
    assert!(page.contains("Send code"), "{page}");
}

portico_store::backend_tests!(
    the_policy_is_read_and_changed_through_graph,
    guests_cannot_use_passcodes_while_they_are_off,
);
