//! Invitation redemption through the real router, on SQLite and PostgreSQL: the invitation
//! mail carries the redeem link; the link leads to an email passcode (or, for a member of
//! another tenant on this instance, that tenant's password), the review-permissions page and
//! the redirect; the guest is then Accepted with a sticky sign-in identity, signs in later
//! with a passcode, and gets tokens with `idp` and `acct`. Forged, used and replaced links,
//! wrong and spent passcodes, too many sends and forms without CSRF tokens change nothing.

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
        Some(&json!({
            "invitedUserEmailAddress": email,
            "inviteRedirectUrl": REDIRECT,
            "sendInvitationMessage": send,
            "invitedUserMessageInfo": {"customizedMessageBody": "Welcome <b>aboard</b>!"}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

async fn user(f: &Fixture, token: &str, id: &str) -> Value {
    let (status, _, v) = graph(
        f,
        "GET",
        &format!("/v1.0/users/{id}?$select=id,userType,externalUserState,externalUserStateChangeDateTime,identities"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// "Send a new code" on a redemption code page.
async fn resend(b: &mut Browser, page: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let action = attr_after(page, "<form method=\"post\" action=\"").unwrap();
    let action = action.replace("/code", "/send-code");
    b.post(
        &action,
        &[
            ("flow", &hidden(page, "flow")),
            ("csrf_token", &hidden(page, "csrf_token")),
        ],
    )
    .await
}

async fn otp_guest_redeems_and_signs_in_again(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All", "User.ReadWrite.All"]).await;
    let mut outbox = Outbox::new();
    let inv = invite(&f, &inviter, "Guest.One@Fabrikam.example", true).await;
    let redeem_url = inv["inviteRedeemUrl"].as_str().unwrap().to_owned();
    let guest_id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();

    // The invitation mail: to the guest, from the organization, with the link and the
    // message as plain text.
    let mails = outbox.deliver(&f).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(
        m.header("To")
            .unwrap()
            .to_lowercase()
            .contains("guest.one@fabrikam.example"),
        "{}",
        m.headers
    );
    assert!(
        m.header("From").unwrap().contains("Contoso"),
        "{}",
        m.headers
    );
    assert!(m.text.contains(&redeem_url), "{}", m.text);
    assert!(
        m.text.contains("Welcome <b>aboard</b>!")
            || m.text.contains("Welcome &lt;b&gt;aboard&lt;/b&gt;!")
    );
    assert!(outbox.deliver(&f).await.is_empty(), "sent once");

    // Forged and malformed links change nothing.
    let mut b = Browser::new(&f, "192.0.2.30");
    let forged = redeem_url.replace("ticket=", "ticket=x");
    for bad in [
        forged.as_str(),
        "http://127.0.0.1/redeem",
        "http://127.0.0.1/redeem?tenant=nope&user=x&ticket=y",
    ] {
        let (status, _, page) = b.get(&path_of(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(page.contains("not valid"), "{page}");
    }

    // The link: send a code, a wrong code, the right code, review, accept.
    let (status, _, page) = b.get(&path_of(&redeem_url)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Send code"), "{page}");
    let (status, _, page) = b.submit(&page, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Enter code"), "{page}");
    let mails = outbox.deliver(&f).await;
    assert_eq!(mails.len(), 1);
    let code = digits(&mails[0].text, 8).expect("an 8-digit code");
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let (_, _, page) = b.submit(&page, &[("code", wrong)]).await;
    assert!(page.contains("Check the code and try again"), "{page}");
    assert!(page.contains("4 tries left"), "{page}");
    // a form without its CSRF token is refused
    let action = attr_after(&page, "<form method=\"post\" action=\"").unwrap();
    let (status, _, _) = b
        .post(
            &action,
            &[("flow", &hidden(&page, "flow")), ("code", &code)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, page) = b.submit(&page, &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Review permissions"), "{page}");
    assert!(page.contains("Contoso") && page.contains(f.tenant.initial_domain.as_str()));
    assert!(page.contains("has not provided a link to its privacy statement"));
    let (status, headers, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], REDIRECT);

    let u = user(&f, &inviter, &guest_id).await;
    assert_eq!(u["externalUserState"], "Accepted");
    assert!(u["externalUserStateChangeDateTime"].is_string());
    let ids = u["identities"].as_array().unwrap();
    assert!(
        ids.iter().any(|i| i["signInType"] == "federated"
            && i["issuer"] == "mail"
            && i["issuerAssignedId"] == "guest.one@fabrikam.example"),
        "{u}"
    );

    let events = f
        .state
        .app
        .store
        .list_audit_events(f.tenant.id, 50, None)
        .await
        .unwrap();
    for activity in [
        "Add user",
        "Invite external user",
        "Redeem external user invite",
        "Update user",
    ] {
        assert!(
            events.iter().any(|e| e.activity_display_name == activity),
            "audit has {activity}"
        );
    }

    // The link is single use.
    let (status, _, page) = b.get(&path_of(&redeem_url)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("already accepted"), "{page}");

    // Later sign-ins use a passcode again; tokens name the identity provider.
    let mut b2 = Browser::new(&f, "192.0.2.31");
    let (_, _, page) = b2
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, ""))
        .await;
    let (_, _, page) = b2
        .submit(&page, &[("username", "guest.one@fabrikam.example")])
        .await;
    assert!(page.contains("Send code"), "{page}");
    let (_, _, page) = b2.submit(&page, &[]).await;
    let code = digits(&outbox.deliver(&f).await[0].text, 8).unwrap();
    let (_, _, page) = b2.submit(&page, &[("code", &code)]).await;
    assert_eq!(step_of(&page), "consent", "{page}");
    let (status, headers, _) = b2.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::FOUND);
    let p = redirect_params(&headers);
    let (status, t) = redeem_native(&f, &p["code"]).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["idp"], "mail");
    assert_eq!(id["acct"], 1);
    assert_eq!(id["amr"], json!(["otp"]));
    let at = claims(t["access_token"].as_str().unwrap());
    assert_eq!(
        (at["idp"].clone(), at["acct"].clone()),
        (json!("mail"), json!(1))
    );
    assert_eq!(
        at["tid"],
        f.tenant.id.to_string(),
        "tokens come from the resource tenant"
    );

    // A login_hint naming the guest goes straight to the passcode page.
    let (status, _, page) = Browser::new(&f, "192.0.2.32")
        .get(&authorize_uri(
            &f,
            &f.native_id,
            NATIVE_CB,
            "&login_hint=guest.one%40fabrikam.example",
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Send code"), "{page}");

    // The code is spent: using it again in another flow fails.
    let (_, _, page) = b2
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "&prompt=login"))
        .await;
    let (_, _, page) = b2
        .submit(&page, &[("username", "guest.one@fabrikam.example")])
        .await;
    let (_, _, page) = b2.submit(&page, &[]).await;
    let fresh = digits(&outbox.deliver(&f).await[0].text, 8).unwrap();
    let (_, _, page2) = b2.submit(&page, &[("code", &code)]).await;
    if code != fresh {
        assert!(
            page2.contains("didn") || page2.contains("expired"),
            "{page2}"
        );
    }
    // five wrong tries spend a code
    let mut page = page;
    for _ in 0..5 {
        (_, _, page) = b2.submit(&page, &[("code", wrong)]).await;
    }
    assert!(page.contains("expired or can"), "{page}");
    let (_, _, page) = b2.submit(&page, &[("code", &fresh)]).await;
    assert!(
        page.contains("expired or can"),
        "the right code no longer works: {page}"
    );
    // members never get a passcode page
    assert_eq!(user(&f, &inviter, &f.upn).await["userType"], "Member");
}

async fn replaced_links_and_send_throttling(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All", "User.ReadWrite.All"]).await;
    let mut outbox = Outbox::new();
    let first = invite(&f, &inviter, "guest.two@fabrikam.example", false).await;
    let second = invite(&f, &inviter, "guest.two@fabrikam.example", false).await;
    assert!(
        outbox.deliver(&f).await.is_empty(),
        "sendInvitationMessage=false sends nothing"
    );
    let mut b = Browser::new(&f, "192.0.2.40");
    let (status, _, page) = b
        .get(&path_of(first["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("no longer valid"), "{page}");
    let (status, _, mut page) = b
        .get(&path_of(second["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Codes to one address are throttled: five in the window, then a clear refusal.
    for i in 0..5 {
        let (status, _, next) = if i == 0 {
            b.submit(&page, &[]).await
        } else {
            resend(&mut b, &page).await
        };
        assert_eq!(status, StatusCode::OK, "send {i}: {next}");
        assert!(next.contains("Enter code"), "{next}");
        page = next;
    }
    assert_eq!(outbox.deliver(&f).await.len(), 5);
    let (_, _, page) = resend(&mut b, &page).await;
    assert!(page.contains("Too many codes"), "{page}");
    assert!(outbox.deliver(&f).await.is_empty(), "no sixth mail");
    // only the newest code works
    let u = user(&f, &inviter, second["invitedUser"]["id"].as_str().unwrap()).await;
    assert_eq!(u["externalUserState"], "PendingAcceptance");
}

async fn member_of_another_tenant_redeems_at_home(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let app = &f.state.app;
    let ctx = portico_app::Context::system("test");
    let home = app.create_tenant(&ctx, "Fabrikam").await.unwrap();
    let bob = format!("bob@{}", home.initial_domain.as_str());
    app.create_user(
        &ctx,
        home.id,
        portico_domain::user::NewUser {
            display_name: "Bob Home".into(),
            user_principal_name: bob.clone(),
            ..Default::default()
        },
        Some(PASSWORD),
        false,
    )
    .await
    .unwrap();
    let inviter = app_token(&f, &["User.Invite.All", "User.ReadWrite.All"]).await;
    let inv = invite(&f, &inviter, &bob, false).await;
    let mut b = Browser::new(&f, "192.0.2.50");
    let (status, _, page) = b
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Fabrikam") && page.contains("name=\"password\""),
        "{page}"
    );
    let (_, _, again) = b.submit(&page, &[("password", "wrong-Password-1")]).await;
    assert!(again.contains("incorrect"), "{again}");
    let (_, _, page) = b.submit(&again, &[("password", PASSWORD)]).await;
    assert!(page.contains("Review permissions"), "{page}");
    assert!(
        b.jar
            .keys()
            .any(|k| k.contains(&home.id.0.simple().to_string())),
        "signed in at home too: {:?}",
        b.jar.keys().collect::<Vec<_>>()
    );
    let (status, _, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let u = user(&f, &inviter, inv["invitedUser"]["id"].as_str().unwrap()).await;
    assert_eq!(u["externalUserState"], "Accepted");
    assert!(
        u["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["issuer"] == home.initial_domain.as_str()),
        "{u}"
    );

    // Later: the guest signs in at the resource tenant with the home password.
    let mut b2 = Browser::new(&f, "192.0.2.51");
    let (_, _, page) = b2
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, ""))
        .await;
    let (_, _, page) = b2.submit(&page, &[("username", &bob)]).await;
    assert!(page.contains("Fabrikam"), "{page}");
    let (_, _, page) = b2.submit(&page, &[("password", PASSWORD)]).await;
    let (status, headers, _) = b2.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::FOUND);
    let (_, t) = redeem_native(&f, &redirect_params(&headers)["code"]).await;
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["idp"], format!("http://127.0.0.1/{}/v2.0", home.id));
    assert_eq!(id["acct"], 1);
    assert_eq!(id["tid"], f.tenant.id.to_string());
}

async fn pending_guest_redeems_just_in_time(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All", "User.ReadWrite.All"]).await;
    let mut outbox = Outbox::new();
    let inv = invite(&f, &inviter, "jit@fabrikam.example", false).await;
    let mut b = Browser::new(&f, "192.0.2.60");
    let (_, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    let (_, _, page) = b
        .submit(&page, &[("username", "jit@fabrikam.example")])
        .await;
    let (_, _, page) = b.submit(&page, &[]).await;
    let code = digits(&outbox.deliver(&f).await[0].text, 8).unwrap();
    let (_, _, page) = b.submit(&page, &[("code", &code)]).await;
    assert!(page.contains("Review permissions"), "{page}");
    // Cancel changes nothing and answers the app with access_denied.
    let (status, headers, _) = b.submit(&page, &[("consent", "deny")]).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(redirect_params(&headers)["error"], "access_denied");
    let id = inv["invitedUser"]["id"].as_str().unwrap();
    assert_eq!(
        user(&f, &inviter, id).await["externalUserState"],
        "PendingAcceptance"
    );
    // Again, accepting.
    let (_, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    let (_, _, page) = b
        .submit(&page, &[("username", "jit@fabrikam.example")])
        .await;
    let (_, _, page) = b.submit(&page, &[]).await;
    let code = digits(&outbox.deliver(&f).await[0].text, 8).unwrap();
    let (_, _, page) = b.submit(&page, &[("code", &code)]).await;
    let (_, _, page) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(
        step_of(&page),
        "consent",
        "then the app's own consent: {page}"
    );
    let (status, _, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        user(&f, &inviter, id).await["externalUserState"],
        "Accepted"
    );
    // the email link is closed by the just-in-time redemption
    let (status, _, page) = Browser::new(&f, "192.0.2.61")
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("already accepted"), "{page}");
}

/// Opens a redeem link in a new browser and redeems it with the mailed passcode.
async fn redeem_with_otp(f: &Fixture, outbox: &mut Outbox, url: &str, ip: &str) -> Browser {
    let mut b = Browser::new(f, ip);
    let (status, _, page) = b.get(&path_of(url)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, _, page) = b.submit(&page, &[]).await;
    let code = digits(&outbox.deliver(f).await.pop().unwrap().text, 8).unwrap();
    let (_, _, page) = b.submit(&page, &[("code", &code)]).await;
    let (status, _, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    b
}

async fn reset_redemption_keeps_the_object_and_clears_the_sign_in(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All"]).await;
    let admin = app_token(
        &f,
        &[
            "User.Invite.All",
            "User.ReadWrite.All",
            "Group.ReadWrite.All",
        ],
    )
    .await;
    let mut outbox = Outbox::new();
    let inv = invite(&f, &inviter, "old@fabrikam.example", false).await;
    let id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    let (status, _, group) = graph(
        &f,
        "POST",
        "/v1.0/groups",
        Some(&admin),
        Some(&json!({"displayName": "Partners", "mailEnabled": false, "mailNickname": "partners", "securityEnabled": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let gid = group["id"].as_str().unwrap();
    let (status, _, _) = graph(
        &f,
        "POST",
        &format!("/v1.0/groups/{gid}/members/$ref"),
        Some(&admin),
        Some(&json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut b = redeem_with_otp(
        &f,
        &mut outbox,
        inv["inviteRedeemUrl"].as_str().unwrap(),
        "192.0.2.70",
    )
    .await;
    let before = user(&f, &admin, &id).await;
    assert_eq!(before["externalUserState"], "Accepted");

    let reset = |email: &str| {
        json!({
            "invitedUserEmailAddress": email,
            "inviteRedirectUrl": REDIRECT,
            "resetRedemption": true,
            "invitedUser": {"id": id},
        })
    };
    // bad input changes nothing
    let (status, _, e) = graph(&f, "POST", "/v1.0/invitations", Some(&admin), Some(&json!({"invitedUserEmailAddress": "new@fabrikam.example", "inviteRedirectUrl": REDIRECT, "resetRedemption": true}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&inviter),
        Some(&reset("old@fabrikam.example")),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a guest inviter can't reset: {e}"
    );
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&admin),
        Some(&reset("new@fabrikam.example")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        e["error"]["message"],
        portico_app::invitation_reset::EMAIL_NOT_ON_USER
    );
    assert_eq!(user(&f, &admin, &id).await["externalUserState"], "Accepted");

    // the new address goes on the user, then the reset
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/users/{id}"),
        Some(&admin),
        Some(&json!({"otherMails": ["new@fabrikam.example"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _, r) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&admin),
        Some(&reset("new@fabrikam.example")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["resetRedemption"], true);
    assert_eq!(r["invitedUser"]["id"], id.as_str());
    assert_eq!(r["status"], "PendingAcceptance");
    let after = user(&f, &admin, &id).await;
    assert_eq!(after["externalUserState"], "PendingAcceptance");
    assert!(
        !after["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["signInType"] == "federated"),
        "the sign-in identity is cleared: {after}"
    );
    let (_, _, full) = graph(&f, "GET", &format!("/v1.0/users/{id}"), Some(&admin), None).await;
    assert_eq!(full["userPrincipalName"], before_upn(&inv, &f));
    let (_, _, groups) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{id}/memberOf"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        groups["value"].as_array().unwrap().len(),
        1,
        "groups kept: {groups}"
    );
    // the old session no longer signs in silently
    let (status, headers, _) = b
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "&prompt=none"))
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(redirect_params(&headers)["error"], "login_required");
    // the new link redeems with the new address
    redeem_with_otp(
        &f,
        &mut outbox,
        r["inviteRedeemUrl"].as_str().unwrap(),
        "192.0.2.71",
    )
    .await;
    let done = user(&f, &admin, &id).await;
    assert_eq!(done["externalUserState"], "Accepted");
    assert!(
        done["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["issuer"] == "mail" && i["issuerAssignedId"] == "new@fabrikam.example"),
        "{done}"
    );
}

async fn recipients_block_future_invitations(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let inviter = app_token(&f, &["User.Invite.All"]).await;
    let mut outbox = Outbox::new();
    invite(&f, &inviter, "noisy@fabrikam.example", true).await;
    let mail = outbox.deliver(&f).await.pop().unwrap();
    let start = mail
        .text
        .find("http://127.0.0.1/redeem/block?")
        .expect("a block link");
    let link: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    let link = link.replace("&amp;", "&");
    let mut b = Browser::new(&f, "192.0.2.80");
    // a forged link is refused
    let (status, _, page) = b.get(&path_of(&link.replace("sig=", "sig=x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    let (status, _, page) = b.get(&path_of(&link)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("stop receiving invitations"), "{page}");
    let (_, _, page) = b.submit(&page, &[]).await;
    let code = digits(&outbox.deliver(&f).await.pop().unwrap().text, 8).unwrap();
    let (_, _, page) = b.submit(&page, &[("code", "12")]).await;
    assert!(page.contains("Check the code"), "{page}");
    let (status, _, page) = b.submit(&page, &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("will not send invitation emails"), "{page}");
    // a later invitation creates no mail, and the audit log says why
    let again = invite(&f, &inviter, "noisy@fabrikam.example", true).await;
    assert!(again["inviteRedeemUrl"].is_string());
    assert!(
        outbox.deliver(&f).await.is_empty(),
        "no mail to a blocked address"
    );
    let events = f
        .state
        .app
        .store
        .list_audit_events(f.tenant.id, 50, None)
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.activity_display_name == "Email not sent, user unsubscribed")
    );
    assert!(
        events
            .iter()
            .any(|e| e.activity_display_name == "Block future invitations")
    );
    // others still get theirs
    invite(&f, &inviter, "quiet@fabrikam.example", true).await;
    assert_eq!(outbox.deliver(&f).await.len(), 1);
}

fn before_upn(inv: &Value, f: &Fixture) -> String {
    let email = inv["invitedUserEmailAddress"].as_str().unwrap();
    format!(
        "{}#EXT#@{}",
        email.replace('@', "_"),
        f.tenant.initial_domain.as_str()
    )
}

portico_store::backend_tests!(
    recipients_block_future_invitations,
    reset_redemption_keeps_the_object_and_clears_the_sign_in,
    otp_guest_redeems_and_signs_in_again,
    replaced_links_and_send_throttling,
    member_of_another_tenant_redeems_at_home,
    pending_guest_redeems_just_in_time
);
