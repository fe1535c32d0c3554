//! Redemption and guest sign-in against misuse, on SQLite and PostgreSQL: a "block future
//! invitations" flow cannot be posted to the redemption steps; passcodes go to the address a
//! guest redeemed with (or was invited at), never to a `mail` an administrator changed since;
//! a sign-in begun before a reset redemption cannot be finished after it.

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
use support::mail::{Outbox, digits};

const REDIRECT: &str = "https://myapps.contoso.example/welcome";

fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!("{}?{}", u.path(), u.query().unwrap_or(""))
}

async fn invite(f: &Fixture, token: &str, email: &str, send: bool) -> Value {
    let (status, _, v) = graph(
        f,
        "POST",
        "/v1.0/invitations",
        Some(token),
        Some(&json!({"invitedUserEmailAddress": email, "inviteRedirectUrl": REDIRECT, "sendInvitationMessage": send})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

async fn patch_mail(f: &Fixture, token: &str, id: &str, mail: &str) {
    let (status, _, v) = graph(
        f,
        "PATCH",
        &format!("/v1.0/users/{id}"),
        Some(token),
        Some(&json!({"mail": mail})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
}

/// The recipient of the one mail the outbox holds, and its 8-digit code.
async fn one_code(f: &Fixture, outbox: &mut Outbox) -> (String, String) {
    let mut mails = outbox.deliver(f).await;
    assert_eq!(mails.len(), 1, "one passcode mail");
    let m = mails.pop().unwrap();
    (
        m.header("To").unwrap().to_lowercase(),
        digits(&m.text, 8).unwrap(),
    )
}

async fn a_block_flow_never_redeems(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All", "User.Read.All"]).await;
    let mut outbox = Outbox::new();
    let inv = invite(&f, &inviter, "target@fabrikam.example", true).await;
    let mail = outbox.deliver(&f).await.pop().unwrap();
    let start = mail.text.find("http://127.0.0.1/redeem/block?").unwrap();
    let link: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    let mut b = Browser::new(&f, "192.0.2.90");
    let (status, _, page) = b.get(&path_of(&link.replace("&amp;", "&"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let flow = hidden(&page, "flow");
    let csrf = hidden(&page, "csrf_token");
    for step in ["send-code", "code", "consent", "password"] {
        let (status, _, page) = b
            .post(
                &format!("/redeem/{}/{step}", f.tenant.id),
                &[
                    ("flow", flow.as_str()),
                    ("csrf_token", csrf.as_str()),
                    ("code", "12345678"),
                    ("consent", "accept"),
                    ("password", "x"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{step}: {page}");
        assert!(page.contains("expired or is not valid"), "{step}: {page}");
    }
    assert!(outbox.deliver(&f).await.is_empty(), "no passcode was sent");
    let id = inv["invitedUser"]["id"].as_str().unwrap();
    let (_, _, u) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{id}?$select=externalUserState"),
        Some(&inviter),
        None,
    )
    .await;
    assert_eq!(u["externalUserState"], "PendingAcceptance");
}

async fn passcodes_go_to_the_address_of_the_sign_in_identity(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, &["User.Invite.All", "User.ReadWrite.All"]).await;
    let mut outbox = Outbox::new();

    // Redeemed with a passcode at first@; an administrator then changes its mail.
    let inv = invite(&f, &admin, "first@fabrikam.example", false).await;
    let id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    let mut b = Browser::new(&f, "192.0.2.91");
    let (_, _, page) = b
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    let (_, _, page) = b.submit(&page, &[]).await;
    let (_, code) = one_code(&f, &mut outbox).await;
    let (_, _, page) = b.submit(&page, &[("code", &code)]).await;
    let (status, _, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    patch_mail(&f, &admin, &id, "elsewhere@attacker.example").await;
    let mut b = Browser::new(&f, "192.0.2.92");
    let (_, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    let (_, _, page) = b
        .submit(&page, &[("username", "first@fabrikam.example")])
        .await;
    assert!(page.contains("Send code"), "{page}");
    let (_, _, _) = b.submit(&page, &[]).await;
    let (to, _) = one_code(&f, &mut outbox).await;
    assert!(to.contains("first@fabrikam.example"), "{to}");

    // Pending: the code goes to the invited address, not to a mail changed since.
    let inv = invite(&f, &admin, "second@fabrikam.example", false).await;
    let id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    patch_mail(&f, &admin, &id, "changed@attacker.example").await;
    let mut b = Browser::new(&f, "192.0.2.93");
    let (_, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    let upn = format!(
        "second_fabrikam.example#EXT#@{}",
        f.tenant.initial_domain.as_str()
    );
    let (_, _, page) = b.submit(&page, &[("username", upn.as_str())]).await;
    assert!(page.contains("Send code"), "{page}");
    let (_, _, _) = b.submit(&page, &[]).await;
    let (to, _) = one_code(&f, &mut outbox).await;
    assert!(to.contains("second@fabrikam.example"), "{to}");
}

async fn a_reset_ends_sign_ins_in_progress(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(&f, &["User.Invite.All", "User.ReadWrite.All"]).await;
    let mut outbox = Outbox::new();
    let inv = invite(&f, &admin, "guest@fabrikam.example", false).await;
    let id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    let mut b = Browser::new(&f, "192.0.2.94");
    let (_, _, page) = b
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    let (_, _, page) = b.submit(&page, &[]).await;
    let (_, code) = one_code(&f, &mut outbox).await;
    let (_, _, page) = b.submit(&page, &[("code", &code)]).await;
    let (status, _, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A sign-in reaches the code page; then the redemption is reset.
    let mut b = Browser::new(&f, "192.0.2.95");
    let (_, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    let (_, _, page) = b
        .submit(&page, &[("username", "guest@fabrikam.example")])
        .await;
    let (_, _, code_page) = b.submit(&page, &[]).await;
    let (_, code) = one_code(&f, &mut outbox).await;
    let (status, _, v) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&admin),
        Some(&json!({
            "invitedUserEmailAddress": "guest@fabrikam.example",
            "inviteRedirectUrl": REDIRECT,
            "resetRedemption": true,
            "invitedUser": {"id": id},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, _, page) = b.submit(&code_page, &[("code", &code)]).await;
    assert_ne!(step_of(&page), "consent", "{page}");
    assert!(!page.contains("Review permissions"), "{page}");
    let (_, _, u) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{id}?$select=externalUserState"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(u["externalUserState"], "PendingAcceptance");
}

portico_store::backend_tests!(
    a_block_flow_never_redeems,
    passcodes_go_to_the_address_of_the_sign_in_identity,
    a_reset_ends_sign_ins_in_progress,
);
