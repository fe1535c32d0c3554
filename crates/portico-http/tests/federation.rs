//! Guests signing in with their own OpenID Connect provider, through the real router served on
//! a loopback port, on SQLite and PostgreSQL. The partner's provider is another Portico tenant
//! on the same server ("Fabrikam", a partner on another Portico): its discovery, keys and token
//! endpoint are called over real HTTP by the federation code. Covered: redemption through the
//! provider (review page, identity recorded as issuer + subject), later sign-in with single
//! sign-on at the provider, the answer replayed, forged or missing state, another account than
//! the invited one, a provider that is down, and a deleted provider. The provider-side checks
//! (signatures, `alg: none`, nonce, audience, expiry, key rotation, slow providers) are tested
//! in `portico-federation`.

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
use portico_app::Context;
use portico_domain::application::{NewApplication, RedirectUris};
use portico_domain::user::NewUser;
use portico_http::{HttpSettings, router};
use portico_store::Store;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, graph};

const REDIRECT: &str = "https://myapps.contoso.example/welcome";
const PARTNER_PASSWORD: &str = "Partner-Pa55word!long";

fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!("{}?{}", u.path(), u.query().unwrap_or(""))
}

fn location(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

struct Partner {
    tenant: portico_domain::tenant::Tenant,
    client_id: String,
    client_secret: String,
}

/// Serves the router on 127.0.0.1 (the public URL is that address) and makes the fixture.
async fn served(store: Arc<dyn Store>) -> (Fixture, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut state = support::state(store);
    state.app.config.public_url = format!("http://{addr}");
    let served = router(state.clone(), HttpSettings::default());
    tokio::spawn(async move {
        axum::serve(
            listener,
            served.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (fixture_with(state).await, addr)
}

/// The partner: a tenant with a member who has an address at partner.test, and an app
/// registered for the resource tenant's redirect URI.
async fn partner(f: &Fixture) -> Partner {
    let app = &f.state.app;
    let ctx = Context::system("test");
    let tenant = app.create_tenant(&ctx, "Fabrikam").await.unwrap();
    for (name, mail) in [("bob", "bob@partner.test"), ("eve", "eve@partner.test")] {
        app.create_user(
            &ctx,
            tenant.id,
            NewUser {
                display_name: name.into(),
                user_principal_name: format!("{name}@{}", tenant.initial_domain.as_str()),
                mail: Some(mail.into()),
                ..NewUser::default()
            },
            Some(PARTNER_PASSWORD),
            false,
        )
        .await
        .unwrap();
    }
    let (reg, _) = app
        .register_application(
            &ctx,
            tenant.id,
            NewApplication {
                display_name: "Contoso guest access".into(),
                redirect_uris: RedirectUris {
                    web: vec![app.federation_redirect_uri(f.tenant.id)],
                    ..RedirectUris::default()
                },
                ..NewApplication::default()
            },
        )
        .await
        .unwrap();
    let (_, client_secret) = app
        .add_client_secret(&ctx, tenant.id, reg.app_id, None, 30)
        .await
        .unwrap();
    Partner {
        tenant,
        client_id: reg.app_id.to_string(),
        client_secret,
    }
}

async fn add_provider(f: &Fixture, token: &str, issuer: &str, p: &Partner) -> String {
    let (status, _, v) = graph(
        f,
        "POST",
        "/v1.0/identity/identityProviders",
        Some(token),
        Some(&json!({
            "@odata.type": "#microsoft.graph.oidcIdentityProvider",
            "displayName": "Fabrikam",
            "issuer": issuer,
            "clientId": p.client_id,
            "clientAuthentication": {"clientSecret": p.client_secret},
            "domains": ["partner.test"]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn invite(f: &Fixture, token: &str, email: &str) -> Value {
    let (status, _, v) = graph(
        f,
        "POST",
        "/v1.0/invitations",
        Some(token),
        Some(&json!({"invitedUserEmailAddress": email, "inviteRedirectUrl": REDIRECT})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

/// Signs in at the partner's pages (username, password, consent) until it sends the browser
/// back to Portico's callback; returns the callback path.
async fn at_partner(b: &mut Browser, start: &str, username: &str) -> String {
    let (mut status, mut headers, mut page) = b.get(&path_of(start)).await;
    for _ in 0..6 {
        if status == StatusCode::FOUND || status == StatusCode::SEE_OTHER {
            let to = location(&headers);
            assert!(to.contains("/oauth2/authresp?"), "{to}");
            return path_of(&to);
        }
        assert_eq!(status, StatusCode::OK, "{page}");
        (status, headers, page) = match step_of(&page) {
            "username" => b.submit(&page, &[("username", username)]).await,
            "password" => b.submit(&page, &[("password", PARTNER_PASSWORD)]).await,
            "consent" => b.submit(&page, &[("consent", "accept")]).await,
            other => panic!("unexpected partner page {other}: {page}"),
        };
    }
    panic!("the partner did not send the browser back")
}

async fn guest(f: &Fixture, token: &str, id: &str) -> Value {
    let (status, _, v) = graph(
        f,
        "GET",
        &format!("/v1.0/users/{id}?$select=id,externalUserState,identities"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

async fn redeemed_through_the_partners_provider_then_signs_in_with_sso(store: Arc<dyn Store>) {
    let (f, addr) = served(store).await;
    let p = partner(&f).await;
    let admin = app_token(
        &f,
        &[
            "User.Invite.All",
            "User.ReadWrite.All",
            "IdentityProvider.ReadWrite.All",
        ],
    )
    .await;
    let issuer = format!("http://{addr}/{}/v2.0", p.tenant.id);
    let provider = add_provider(&f, &admin, &issuer, &p).await;
    let inv = invite(&f, &admin, "bob@partner.test").await;
    let guest_id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();

    // the link sends the browser to the partner's provider
    let mut b = Browser::new(&f, "203.0.113.7");
    let (status, headers, _) = b
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = location(&headers);
    assert!(
        to.starts_with(&format!(
            "http://{addr}/{}/oauth2/v2.0/authorize?",
            p.tenant.id
        )),
        "{to}"
    );
    for part in [
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "login_hint=bob%40partner.test",
    ] {
        assert!(to.contains(part), "{part} in {to}");
    }
    let callback = at_partner(
        &mut b,
        &to,
        &format!("bob@{}", p.tenant.initial_domain.as_str()),
    )
    .await;

    // back: the review page, then the app
    let (status, _, page) = b.get(&callback).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Review permissions"), "{page}");
    // the same answer again is refused and changes nothing
    let mut b2 = Browser {
        jar: b.jar.clone(),
        ..Browser::new(&f, "203.0.113.7")
    };
    let (status, _, replay) = b2.get(&callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{replay}");
    assert!(replay.contains("expired or is not valid"), "{replay}");
    let (status, headers, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), REDIRECT);
    let g = guest(&f, &admin, &guest_id).await;
    assert_eq!(g["externalUserState"], "Accepted");
    let fed = g["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["signInType"] == "federated")
        .unwrap()
        .clone();
    assert_eq!(fed["issuer"], issuer.as_str());
    let subject = fed["issuerAssignedId"].as_str().unwrap().to_owned();
    assert!(
        !subject.is_empty() && !subject.contains('@'),
        "the subject, not the address: {subject}"
    );

    // later, without a session here (it ended) but with the partner's alive: sign in to an
    // app; no partner page is shown
    let contoso_session = format!("portico_session_{}", f.tenant.id.0.simple());
    assert!(
        b.jar.remove(&contoso_session).is_some(),
        "redemption signed the guest in here"
    );
    let (status, _, page) = b.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    assert_eq!(
        (status, step_of(&page)),
        (StatusCode::OK, "username"),
        "{page}"
    );
    let (status, headers2, page) = b.submit(&page, &[("username", "bob@partner.test")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (status, headers, page) = b.get(&path_of(&location(&headers2))).await;
    assert_eq!(
        status,
        StatusCode::FOUND,
        "single sign-on at the partner: {page}"
    );
    let (mut status, mut headers, mut page) = b.get(&path_of(&location(&headers))).await;
    if status == StatusCode::OK && step_of(&page) == "consent" {
        (status, headers, page) = b.submit(&page, &[("consent", "accept")]).await;
    }
    assert_eq!(status, StatusCode::FOUND, "{page}");
    let params = redirect_params(&headers);
    let code = params.get("code").expect("a code");
    let (status, tokens) = token(
        &f,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &f.web_id),
            ("client_secret", &f.web_secret),
            ("code", code),
            ("redirect_uri", WEB_CB),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["fed"]));
    assert_eq!(id_token["oid"], guest_id.as_str());

    // the provider is deleted: the guest cannot sign in until reset, and is told so
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/identity/identityProviders/{provider}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut fresh = Browser::new(&f, "203.0.113.8");
    let (_, _, page) = fresh.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    let (status, _, page) = fresh
        .submit(&page, &[("username", "bob@partner.test")])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("removed the identity provider"), "{page}");
}

async fn refuses_other_accounts_and_unreachable_providers(store: Arc<dyn Store>) {
    let (f, addr) = served(store).await;
    let p = partner(&f).await;
    let admin = app_token(
        &f,
        &[
            "User.Invite.All",
            "User.ReadWrite.All",
            "IdentityProvider.ReadWrite.All",
        ],
    )
    .await;
    let issuer = format!("http://{addr}/{}/v2.0", p.tenant.id);
    let provider = add_provider(&f, &admin, &issuer, &p).await;

    // invited as carol (unknown at the partner), signed in there as eve: refused, still pending
    let inv = invite(&f, &admin, "carol@partner.test").await;
    let guest_id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    let mut b = Browser::new(&f, "203.0.113.9");
    let (_, headers, _) = b
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    let callback = at_partner(
        &mut b,
        &location(&headers),
        &format!("eve@{}", p.tenant.initial_domain.as_str()),
    )
    .await;
    let (status, _, page) = b.get(&callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(
        page.contains("eve@partner.test") && page.contains("carol@partner.test"),
        "{page}"
    );
    let g = guest(&f, &admin, &guest_id).await;
    assert_eq!(g["externalUserState"], "PendingAcceptance");
    assert!(
        !g["identities"].to_string().contains("federated"),
        "nothing recorded: {g}"
    );

    // a callback without state, or with a forged one, is refused
    for bad in [
        format!("/te/{}/oauth2/authresp?code=x", f.tenant.id),
        format!("/te/{}/oauth2/authresp?code=x&state=forged", f.tenant.id),
        "/te/not-a-tenant/oauth2/authresp?code=x&state=y".to_owned(),
        format!("/te/{}/oauth2/authresp?code=x&code=y&state=z", f.tenant.id),
    ] {
        let (status, _, page) = b.get(&bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {page}");
    }

    // the provider is down (nothing listens there): a page saying so, quickly
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (status, _, v) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/identity/identityProviders/{provider}"),
        Some(&admin),
        Some(&json!({"issuer": format!("http://{closed}/down/v2.0")})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    let inv = invite(&f, &admin, "bob@partner.test").await;
    let started = std::time::Instant::now();
    let (status, _, page) = Browser::new(&f, "203.0.113.10")
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("not answering"), "{page}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

portico_store::backend_tests!(
    redeemed_through_the_partners_provider_then_signs_in_with_sso,
    refuses_other_accounts_and_unreachable_providers
);
