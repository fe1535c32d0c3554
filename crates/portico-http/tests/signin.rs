//! Browser sign-in and the user token grants through the real router, on SQLite and
//! PostgreSQL: the code flow with PKCE, consent, SSO, refresh rotation and replay, userinfo,
//! logout, and what bad input gets (unknown clients, redirect URI mismatches, CSRF, tampered
//! state, lockout, forced password change).

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_app::Context;
use portico_domain::application::{NewApplication, RedirectUris};
use portico_domain::user::NewUser;
use portico_store::Store;
use serde_json::Value;
use std::sync::Arc;
use support::browser::*;
use support::{call, state};

async fn code_flow_with_consent_sso_refresh_userinfo_and_logout(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "192.0.2.10");
    let (status, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(step_of(&page), "username");
    let (_, _, page) = b
        .submit(&page, &[("username", &f.upn.to_uppercase())])
        .await;
    assert_eq!(step_of(&page), "password");
    let (_, _, page) = b.submit(&page, &[("password", PASSWORD)]).await;
    assert_eq!(
        step_of(&page),
        "consent",
        "first use of the app asks for consent"
    );
    assert!(page.contains("User.Read") && page.contains("offline_access"));
    let (status, headers, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::FOUND);
    let p = redirect_params(&headers);
    assert_eq!(p["state"], "st-1");
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with(NATIVE_CB)
    );

    let (status, t) = redeem_native(&f, &p["code"]).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], f.native_id.as_str());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["tid"], f.tenant.id.to_string());
    assert_eq!(id["iss"], format!("http://127.0.0.1/{}/v2.0", f.tenant.id));
    assert_eq!(id["preferred_username"], f.upn.as_str());
    assert_eq!(id["email"], "alice@contoso.example");
    assert_ne!(id["sub"], id["oid"], "sub is pairwise, not the object id");
    let at = claims(t["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], "https://graph.microsoft.com");
    assert_eq!(at["azpacr"], "0", "a public client");
    assert!(
        at["scp"]
            .as_str()
            .unwrap()
            .split(' ')
            .any(|s| s == "User.Read")
    );
    assert_ne!(
        at["sub"], id["sub"],
        "the access token's sub is pairwise to the resource"
    );
    let info: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(t["client_info"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(info["uid"], id["oid"]);
    assert_eq!(info["utid"], f.tenant.id.to_string());

    // Userinfo answers with the ID token's subject.
    let req = Request::get("/oidc/userinfo")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", t["access_token"].as_str().unwrap()),
        )
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = call(&f.router, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ui: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ui["sub"], id["sub"]);
    assert_eq!(ui["name"], "Alice Example");

    // The code is single-use: a replay fails and revokes the refresh token it issued.
    let (status, e) = redeem_native(&f, &p["code"]).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let rt = t["refresh_token"].as_str().unwrap();
    let refresh = |rt: String| {
        let f = &f;
        async move {
            token(
                f,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &f.native_id),
                    ("refresh_token", &rt),
                    ("client_info", "1"),
                ],
            )
            .await
        }
    };
    let (status, e) = refresh(rt.to_owned()).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{e}"
    );

    // SSO: the session signs in again without pages; consent is remembered.
    let (status, headers, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    assert_eq!(status, StatusCode::FOUND, "{page}");
    let (_, t) = redeem_native(&f, &redirect_params(&headers)["code"]).await;
    // Refresh tokens rotate; replaying a used one revokes the whole family.
    let rt1 = t["refresh_token"].as_str().unwrap().to_owned();
    let (status, t2) = refresh(rt1.clone()).await;
    assert_eq!(status, StatusCode::OK, "{t2}");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert!(t2.get("id_token").is_some());
    let (status, e) = refresh(rt1).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (_, e) = refresh(rt2).await;
    assert_eq!(
        e["error"], "invalid_grant",
        "the rotated token died with its family"
    );

    // Logout with id_token_hint returns to a registered URI only, and ends SSO.
    let (status, headers, _) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    assert_eq!(status, StatusCode::FOUND);
    let (_, t) = redeem_native(&f, &redirect_params(&headers)["code"]).await;
    let hint = t["id_token"].as_str().unwrap();
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", hint)
        .append_pair("post_logout_redirect_uri", "https://evil.example/")
        .finish();
    let (status, headers, body) = b
        .get(&format!("/{}/oauth2/v2.0/logout?{q}", f.tenant.id))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an unregistered URI is not followed: {body}"
    );
    assert!(headers.get(header::LOCATION).is_none());
    let (status, headers, _) = b
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "&prompt=none"))
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(redirect_params(&headers)["error"], "login_required");
    // The refresh token of the ended session is revoked too.
    let (_, e) = refresh(t["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(e["error"], "invalid_grant");

    // A registered post-logout URI is followed, with state.
    let p = sign_in(&mut b, &f, &f.native_id, NATIVE_CB).await;
    let (_, t) = redeem_native(&f, &p["code"]).await;
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", t["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", NATIVE_CB)
        .append_pair("state", "bye")
        .finish();
    let (status, headers, _) = b
        .get(&format!("/{}/oauth2/v2.0/logout?{q}", f.tenant.id))
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(redirect_params(&headers)["state"], "bye");

    // Every attempt is in the sign-in log.
    let log = f
        .state
        .app
        .store
        .list_sign_ins(f.tenant.id, None, 50)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.status.error_code == 0 && e.is_interactive)
    );
    assert!(
        log.iter()
            .any(|e| e.status.error_code == 0 && !e.is_interactive),
        "SSO is logged as non-interactive"
    );
}

async fn bad_authorization_requests_get_pages_or_errors(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "192.0.2.20");
    let base = format!("/{}/oauth2/v2.0/authorize", f.tenant.id);
    // The client or its redirect URI cannot be trusted: a page, never a redirect.
    for (q, why) in [
        (String::new(), "no client_id"),
        ("client_id=not-a-guid".into(), "bad client id"),
        (
            format!("client_id={}", uuid::Uuid::new_v4()),
            "unknown client",
        ),
        (
            format!(
                "client_id={}&redirect_uri=https://evil.example/cb&response_type=code&scope=openid",
                f.web_id
            ),
            "unregistered redirect_uri",
        ),
        (
            format!(
                "client_id={}&redirect_uri=https://web.example.test/cb/&response_type=code&scope=openid",
                f.web_id
            ),
            "near-miss redirect_uri",
        ),
        (
            format!("client_id={}&client_id={}", f.web_id, f.web_id),
            "repeated parameter",
        ),
    ] {
        let (status, headers, body) = b.get(&format!("{base}?{q}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert!(headers.get(header::LOCATION).is_none(), "{why}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(body.contains("role=\"alert\""), "{why}");
    }
    let (status, _, _) = b
        .get(&format!(
            "/no-such-tenant.example/oauth2/v2.0/authorize?client_id={}",
            f.web_id
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Trusted redirect URI: errors go back to the client with state.
    let web = |extra: &str| {
        format!(
            "{base}?client_id={}&redirect_uri={}&state=s9{extra}",
            f.web_id,
            form_urlencoded::byte_serialize(WEB_CB.as_bytes()).collect::<String>()
        )
    };
    let native = |extra: &str| {
        format!(
            "{base}?client_id={}&redirect_uri={}&state=s9{extra}",
            f.native_id,
            form_urlencoded::byte_serialize(NATIVE_CB.as_bytes()).collect::<String>()
        )
    };
    for (uri, error) in [
        (
            web("&response_type=token&scope=openid"),
            "unsupported_response_type",
        ),
        (web("&scope=openid"), "invalid_request"),
        (web("&response_type=code"), "invalid_request"),
        (
            web("&response_type=code&scope=openid&prompt=bogus"),
            "invalid_request",
        ),
        (
            web("&response_type=code&scope=openid&code_challenge=abc&code_challenge_method=plain"),
            "invalid_request",
        ),
        (
            web("&response_type=code&scope=openid&response_mode=fragment"),
            "invalid_request",
        ),
        (
            web("&response_type=code&scope=User.Read%20api://other/x"),
            "invalid_scope",
        ),
        (
            web("&response_type=code&scope=openid%20Nope.Nothing"),
            "invalid_scope",
        ),
        (
            native("&response_type=code&scope=openid"),
            "invalid_request",
        ),
    ] {
        let (status, headers, body) = b.get(&uri).await;
        assert_eq!(status, StatusCode::FOUND, "{uri}: {body}");
        let p = redirect_params(&headers);
        assert_eq!(p["error"], error, "{uri}: {p:?}");
        assert_eq!(p["state"], "s9");
        assert!(!p["error_description"].is_empty());
    }
}

async fn csrf_and_tampered_state_are_refused(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "192.0.2.30");
    let (_, _, page) = b.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    let action = format!("/{}/login/username", f.tenant.id);
    let flow = hidden(&page, "flow");
    let csrf = hidden(&page, "csrf_token");
    // No CSRF token, a wrong one, or no cookie at all.
    let (status, _, _) = b
        .post(&action, &[("flow", &flow), ("username", &f.upn)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = b
        .post(
            &action,
            &[("flow", &flow), ("csrf_token", "x"), ("username", &f.upn)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut other = Browser::new(&f, "192.0.2.31");
    let (status, _, _) = other
        .post(
            &action,
            &[("flow", &flow), ("csrf_token", &csrf), ("username", &f.upn)],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a form cannot be replayed from another browser"
    );
    // Another browser with its own valid CSRF token cannot continue this browser's flow.
    let (_, _, own) = other.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    let (status, _, body) = other
        .post(
            &action,
            &[
                ("flow", &flow),
                ("csrf_token", &hidden(&own, "csrf_token")),
                ("username", &f.upn),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("another browser"));
    // A flow altered by one character does not open.
    let mut bad = flow.clone();
    bad.pop();
    bad.push(if flow.ends_with('A') { 'B' } else { 'A' });
    let (status, _, _) = b
        .post(
            &action,
            &[("flow", &bad), ("csrf_token", &csrf), ("username", &f.upn)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A flow sealed for one tenant does not open in another.
    let ctx = Context::system("test");
    let t2 = f.state.app.create_tenant(&ctx, "Fabrikam").await.unwrap();
    let (status, _, _) = b
        .post(
            &format!("/{}/login/username", t2.id),
            &[("flow", &flow), ("csrf_token", &csrf), ("username", &f.upn)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // None of that signed anyone in or logged an attempt.
    assert!(
        f.state
            .app
            .store
            .list_sign_ins(f.tenant.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Unknown steps and non-form bodies.
    let (status, _, _) = b
        .post(
            &format!("/{}/login/nope", f.tenant.id),
            &[("flow", &flow), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Pages carry the protective headers.
    let (_, headers, _) = b.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

async fn smart_lockout_locks_one_address_not_the_user_everywhere(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut attacker = Browser::new(&f, "198.51.100.66");
    let (_, _, mut page) = attacker
        .get(&authorize_uri(
            &f,
            &f.web_id,
            WEB_CB,
            &format!("&login_hint={}", f.upn),
        ))
        .await;
    assert_eq!(
        step_of(&page),
        "password",
        "login_hint skips the username page"
    );
    for _ in 0..10 {
        let (status, _, next) = attacker
            .submit(&page, &[("password", "wrong-guess-1A!")])
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            next.contains("incorrect") || next.contains("locked"),
            "{next}"
        );
        page = next;
    }
    // Now even the right password is refused from that address.
    let (_, _, locked) = attacker.submit(&page, &[("password", PASSWORD)]).await;
    assert!(locked.contains("temporarily locked"), "{locked}");
    // The user, elsewhere, still signs in.
    let mut user = Browser::new(&f, "203.0.113.5");
    let p = sign_in(&mut user, &f, &f.web_id, WEB_CB).await;
    assert!(p.contains_key("code"), "{p:?}");
    let log = f
        .state
        .app
        .store
        .list_sign_ins(f.tenant.id, None, 50)
        .await
        .unwrap();
    // Attempts are counted before they are checked: the tenth is refused unchecked.
    assert_eq!(
        log.iter().filter(|e| e.status.error_code == 50126).count(),
        9
    );
    assert!(
        log.iter()
            .any(|e| e.status.error_code == 50053
                && e.ip_address.as_deref() == Some("198.51.100.66"))
    );
    assert!(log.iter().all(|e| e.correlation_id.to_string().len() == 36));
}

async fn forced_password_change_and_consent_outcomes(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let ctx = Context::system("test");
    let upn = format!("bob@{}", f.tenant.initial_domain.as_str());
    let new = NewUser {
        display_name: "Bob".into(),
        user_principal_name: upn.clone(),
        ..NewUser::default()
    };
    f.state
        .app
        .create_user(&ctx, f.tenant.id, new, Some("Temp-Passw0rd!"), true)
        .await
        .unwrap();
    let mut b = Browser::new(&f, "192.0.2.40");
    let (_, _, page) = b.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    let (_, _, page) = b.submit(&page, &[("username", &upn)]).await;
    let (_, _, page) = b.submit(&page, &[("password", "Temp-Passw0rd!")]).await;
    assert_eq!(step_of(&page), "change-password");
    for (new, confirm, why) in [
        ("N3w-Passw0rd!!", "different", "mismatch"),
        ("short", "short", "weak"),
        ("Temp-Passw0rd!", "Temp-Passw0rd!", "unchanged"),
    ] {
        let (_, _, again) = b
            .submit(
                &page,
                &[("new_password", new), ("confirm_password", confirm)],
            )
            .await;
        assert_eq!(step_of(&again), "change-password", "{why}");
        assert!(again.contains("role=\"alert\""), "{why}");
    }
    let (_, _, page) = b
        .submit(
            &page,
            &[
                ("new_password", "N3w-Passw0rd!!"),
                ("confirm_password", "N3w-Passw0rd!!"),
            ],
        )
        .await;
    assert_eq!(step_of(&page), "consent");
    // Declining consent goes back to the app with access_denied.
    let (status, headers, _) = b.submit(&page, &[("consent", "deny")]).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(redirect_params(&headers)["error"], "access_denied");
    let user = f
        .state
        .app
        .store
        .find_user_by_upn(f.tenant.id, &upn)
        .await
        .unwrap();
    assert!(
        !user.force_change_password_next_sign_in,
        "the change was saved"
    );
    // An admin-only Graph permission needs an administrator.
    let (_, _, page) = b
        .get(&format!(
            "{}&prompt=login",
            authorize_uri(&f, &f.web_id, WEB_CB, "").replace("User.Read", "User.Read.All")
        ))
        .await;
    let (_, _, page) = b.submit(&page, &[("username", &upn)]).await;
    let (status, _, body) = b.submit(&page, &[("password", "N3w-Passw0rd!!")]).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no consent page a user cannot accept"
    );
    assert!(body.contains("Need admin approval"), "{body}");
}

async fn password_resets_end_sessions_and_forms_cannot_be_replayed(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "192.0.2.70");
    let (_, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    let (_, _, password_page) = b.submit(&page, &[("username", &f.upn)]).await;
    let (_, _, consent) = b.submit(&password_page, &[("password", PASSWORD)]).await;
    let (status, headers, _) = b.submit(&consent, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::FOUND);
    let (_, t) = redeem_native(&f, &redirect_params(&headers)["code"]).await;
    // The same password form, posted again (Back on a shared computer), signs no one in.
    let (status, _, body) = b.submit(&password_page, &[("password", PASSWORD)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("already used"), "{body}");
    // An administrator resets the password: the session and refresh tokens end.
    let user = f
        .state
        .app
        .store
        .find_user_by_upn(f.tenant.id, &f.upn)
        .await
        .unwrap();
    f.state
        .app
        .set_password(
            &Context::system("test"),
            f.tenant.id,
            user.id,
            "An0ther-Passw0rd!",
            true,
        )
        .await
        .unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let (_, e) = token(
        &f,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &f.native_id),
            ("refresh_token", rt),
        ],
    )
    .await;
    assert_eq!(e["error"], "invalid_grant", "{e}");
    let (status, headers, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    assert_eq!(status, StatusCode::OK, "no SSO after a reset: {headers:?}");
    assert_eq!(step_of(&page), "username");
    // Someone else's ID token does not sign this browser out without asking.
    let mut other = Browser::new(&f, "192.0.2.71");
    let upn2 = format!("carol@{}", f.tenant.initial_domain.as_str());
    let new = NewUser {
        display_name: "Carol".into(),
        user_principal_name: upn2.clone(),
        ..NewUser::default()
    };
    f.state
        .app
        .create_user(
            &Context::system("test"),
            f.tenant.id,
            new,
            Some(PASSWORD),
            false,
        )
        .await
        .unwrap();
    let (_, _, page) = other
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, ""))
        .await;
    let (_, _, page) = other.submit(&page, &[("username", &upn2)]).await;
    let (_, _, page) = other.submit(&page, &[("password", PASSWORD)]).await;
    let (_, headers, _) = other.submit(&page, &[("consent", "accept")]).await;
    let (_, carol) = redeem_native(&f, &redirect_params(&headers)["code"]).await;
    let (_, _, page) = b.get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "")).await;
    let (_, _, page) = b.submit(&page, &[("username", &f.upn)]).await;
    let (_, _, page) = b.submit(&page, &[("password", "An0ther-Passw0rd!")]).await;
    assert_eq!(step_of(&page), "change-password");
    let (status, headers, _) = b
        .submit(
            &page,
            &[
                ("new_password", "Y3t-An0ther-Pass!"),
                ("confirm_password", "Y3t-An0ther-Pass!"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(redirect_params(&headers).contains_key("code"));
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", carol["id_token"].as_str().unwrap())
        .finish();
    let (status, _, body) = b
        .get(&format!("/{}/oauth2/v2.0/logout?{q}", f.tenant.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Sign out?"), "asks first: {body}");
    let (status, _, _) = b
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "&prompt=none"))
        .await;
    assert_eq!(status, StatusCode::FOUND);
    // Confirming (the form, with its CSRF token) signs out.
    let action = format!("/{}/oauth2/v2.0/logout", f.tenant.id);
    let csrf = hidden(&body, "csrf_token");
    let (status, _, _) = b.post(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, headers, _) = b
        .get(&authorize_uri(&f, &f.native_id, NATIVE_CB, "&prompt=none"))
        .await;
    assert_eq!(redirect_params(&headers)["error"], "login_required");
}

async fn token_grants_refuse_bad_input(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "192.0.2.50");
    let p = sign_in(&mut b, &f, &f.web_id, WEB_CB).await;
    let code = p["code"].clone();
    let base = |extra: Vec<(&'static str, String)>| {
        let mut v = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", f.web_id.clone()),
            ("redirect_uri", WEB_CB.to_owned()),
        ];
        v.extend(extra);
        v
    };
    let send = |v: Vec<(&'static str, String)>| {
        let f = &f;
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token(f, &pairs).await
        }
    };
    // A confidential (web) client must authenticate; nothing is spent by trying without.
    let (status, e) = send(base(vec![
        ("code", code.clone()),
        ("code_verifier", VERIFIER.into()),
    ]))
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client")),
        "{e}"
    );
    let (_, e) = send(base(vec![
        ("code", code.clone()),
        ("code_verifier", VERIFIER.into()),
        ("client_secret", "wrong".into()),
    ]))
    .await;
    assert_eq!(e["error"], "invalid_client");
    // Wrong PKCE verifier: invalid_grant, and the code is not spent by it.
    let (status, e) = send(base(vec![
        ("code", code.clone()),
        ("client_secret", f.web_secret.clone()),
        ("code_verifier", "x".repeat(43)),
    ]))
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{e}"
    );
    let good = base(vec![
        ("code", code),
        ("client_secret", f.web_secret.clone()),
        ("code_verifier", VERIFIER.into()),
    ]);
    let (status, t) = send(good.clone()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the right verifier still works: {t}"
    );
    assert_eq!(claims(t["access_token"].as_str().unwrap())["azpacr"], "1");
    let (_, e) = send(good).await;
    assert_eq!(e["error"], "invalid_grant", "now it is spent");
    // Missing verifier; mismatched redirect_uri; another client's code.
    let p = sign_in(&mut b, &f, &f.web_id, WEB_CB).await;
    let (_, e) = send(base(vec![
        ("code", p["code"].clone()),
        ("client_secret", f.web_secret.clone()),
    ]))
    .await;
    assert_eq!(e["error"], "invalid_grant");
    let p = sign_in(&mut b, &f, &f.web_id, WEB_CB).await;
    let (_, e) = send(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", f.native_id.clone()),
        ("redirect_uri", NATIVE_CB.into()),
        ("code", p["code"].clone()),
        ("code_verifier", VERIFIER.into()),
    ])
    .await;
    assert_eq!(e["error"], "invalid_grant", "{e}");
    // Garbage codes and tokens; missing parameters; unsupported grants.
    let (_, e) = send(base(vec![
        ("code", "garbage".into()),
        ("client_secret", f.web_secret.clone()),
    ]))
    .await;
    assert_eq!(e["error"], "invalid_grant");
    let (_, e) = send(base(vec![("client_secret", f.web_secret.clone())])).await;
    assert_eq!(e["error"], "invalid_request");
    let (_, e) = send(vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", f.native_id.clone()),
        ("refresh_token", "nope".into()),
    ])
    .await;
    assert_eq!(e["error"], "invalid_grant");
    let (_, e) = send(vec![
        ("grant_type", "password".into()),
        ("client_id", f.native_id.clone()),
    ])
    .await;
    assert_eq!(e["error"], "unsupported_grant_type");
    let (_, e) = send(base(vec![
        ("code", "c".repeat(5000)),
        ("client_secret", f.web_secret.clone()),
    ]))
    .await;
    assert_eq!(e["error"], "invalid_request");
}

async fn userinfo_refuses_tokens_it_should_not_accept(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let ask = |auth: Option<String>| {
        let mut req = Request::get("/oidc/userinfo");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let router = f.router.clone();
        async move { call(&router, req.body(Body::empty()).unwrap()).await }
    };
    let (status, headers, _) = ask(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    let none_alg = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(format!(r#"{{"aud":"https://graph.microsoft.com","tid":"{}","oid":"{}","azp":"{}","scp":"openid","idtyp":"user","exp":9999999999}}"#, f.tenant.id, uuid::Uuid::new_v4(), f.web_id))
    );
    for bad in [
        "Bearer garbage".to_owned(),
        format!("Bearer {none_alg}"),
        "Basic abc".into(),
    ] {
        let (status, _, body) = ask(Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}: {body}");
    }
    // An app-only token is not a user's.
    let (_, t) = token(
        &f,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &f.web_id),
            ("client_secret", &f.web_secret),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    let (status, _, body) = ask(Some(format!(
        "Bearer {}",
        t["access_token"].as_str().unwrap()
    )))
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

async fn form_post_answers_with_an_auto_submitting_form(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "192.0.2.60");
    sign_in(&mut b, &f, &f.web_id, WEB_CB).await;
    let (status, headers, body) = b
        .get(&authorize_uri(
            &f,
            &f.web_id,
            WEB_CB,
            "&response_mode=form_post",
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(&format!("action=\"{}\"", WEB_CB.replace('/', "&#x2f;")))
            || body.contains(&format!("action=\"{WEB_CB}\"")),
        "{body}"
    );
    assert!(body.contains("name=\"code\"") && body.contains("name=\"state\" value=\"st-1\""));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
}

portico_store::backend_tests!(
    code_flow_with_consent_sso_refresh_userinfo_and_logout,
    bad_authorization_requests_get_pages_or_errors,
    csrf_and_tampered_state_are_refused,
    smart_lockout_locks_one_address_not_the_user_everywhere,
    forced_password_change_and_consent_outcomes,
    password_resets_end_sessions_and_forms_cannot_be_replayed,
    token_grants_refuse_bad_input,
    userinfo_refuses_tokens_it_should_not_accept,
    form_post_answers_with_an_auto_submitting_form,
);

mod es256 {
    use super::*;

    async fn es256_keys_sign_user_and_app_tokens(store: Arc<dyn Store>) {
        let mut st = state(store);
        st.app.keys = Arc::new(
            portico_app::keys::KeyRing::new(
                portico_crypto::master::MasterKey::generate().unwrap().0,
            )
            .with_algorithm(portico_crypto::jws::Algorithm::Es256),
        );
        let f = fixture_with(st).await;
        let (_, _, body) = call(
            &f.router,
            support::get(&format!(
                "/{}/v2.0/.well-known/openid-configuration",
                f.tenant.id
            )),
        )
        .await;
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        let mut b = Browser::new(&f, "192.0.2.80");
        let p = sign_in(&mut b, &f, &f.native_id, NATIVE_CB).await;
        let (status, t) = redeem_native(&f, &p["code"]).await;
        assert_eq!(status, StatusCode::OK, "{t}");
        let (_, _, jwks) = call(
            &f.router,
            support::get(&format!("/{}/discovery/v2.0/keys", f.tenant.id)),
        )
        .await;
        let jwks: Value = serde_json::from_str(&jwks).unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "EC");
        for jwt in [
            t["id_token"].as_str().unwrap(),
            t["access_token"].as_str().unwrap(),
        ] {
            let header: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(jwt.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(header["alg"], "ES256");
            portico_crypto::jws::verify_jwt(jwt, key).unwrap();
        }
        // Userinfo verifies ES256 access tokens too.
        let req = Request::get("/oidc/userinfo")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", t["access_token"].as_str().unwrap()),
            )
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(&f.router, req).await.0, StatusCode::OK);
    }

    portico_store::backend_tests!(es256_keys_sign_user_and_app_tokens);
}

mod multi_tenant {
    use super::*;

    async fn common_endpoint_signs_users_of_other_tenants_into_multi_tenant_apps(
        store: Arc<dyn Store>,
    ) {
        let f = fixture(store).await;
        let ctx = Context::system("test");
        let app = &f.state.app;
        let vendor = app.create_tenant(&ctx, "Vendor").await.unwrap();
        let cb = "http://localhost:7000/cb";
        let uris = RedirectUris {
            public_client: vec![cb.into()],
            ..RedirectUris::default()
        };
        let (multi, _) = app
            .register_application(
                &ctx,
                vendor.id,
                NewApplication {
                    display_name: "SaaS".into(),
                    sign_in_audience: Some("AzureADMultipleOrgs".into()),
                    redirect_uris: uris.clone(),
                    ..NewApplication::default()
                },
            )
            .await
            .unwrap();
        let (single, _) = app
            .register_application(
                &ctx,
                vendor.id,
                NewApplication {
                    display_name: "Internal".into(),
                    redirect_uris: uris,
                    ..NewApplication::default()
                },
            )
            .await
            .unwrap();
        let authorize = |segment: &str, client: &str| {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", client)
                .append_pair("redirect_uri", cb)
                .append_pair("response_type", "code")
                .append_pair("scope", "openid profile offline_access User.Read")
                .append_pair("state", "mt")
                .append_pair("code_challenge", &challenge(VERIFIER))
                .append_pair("code_challenge_method", "S256")
                .finish();
            format!("/{segment}/oauth2/v2.0/authorize?{q}")
        };
        let mut b = Browser::new(&f, "192.0.2.90");
        // A single-tenant app cannot use common; another tenant's single-tenant app is unknown here.
        let (status, _, body) = b
            .get(&authorize("common", &single.app_id.to_string()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("AADSTS50194"), "{body}");
        let (status, _, body) = b
            .get(&authorize(
                &f.tenant.id.to_string(),
                &single.app_id.to_string(),
            ))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("AADSTS700016"), "{body}");
        // Alice (Contoso) signs in to Vendor's multi-tenant app through common.
        let (status, _, page) = b
            .get(&authorize("organizations", &multi.app_id.to_string()))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("action=\"/organizations/login/username\""),
            "{page}"
        );
        let (_, _, page) = b
            .submit(&page, &[("username", "nobody@unknown.example")])
            .await;
        assert_eq!(
            step_of(&page),
            "username",
            "unknown domains stay on the username page"
        );
        let (_, _, page) = b.submit(&page, &[("username", &f.upn)]).await;
        assert_eq!(step_of(&page), "password", "{page}");
        assert!(page.contains(&format!("action=\"/{}/login/password\"", f.tenant.id)));
        let (_, _, page) = b.submit(&page, &[("password", PASSWORD)]).await;
        assert_eq!(step_of(&page), "consent", "{page}");
        assert!(
            app.store
                .find_service_principal_by_app_id(f.tenant.id, multi.app_id)
                .await
                .is_err(),
            "only consent gives the app a service principal here"
        );
        let (status, headers, _) = b.submit(&page, &[("consent", "accept")]).await;
        assert_eq!(status, StatusCode::FOUND);
        let code = redirect_params(&headers)["code"].clone();
        assert!(code.starts_with(&f.tenant.id.0.simple().to_string()));
        // The app now has a service principal in Contoso.
        assert!(
            app.store
                .find_service_principal_by_app_id(f.tenant.id, multi.app_id)
                .await
                .is_ok()
        );
        let common_token = |form: Vec<(&'static str, String)>| {
            let router = f.router.clone();
            async move {
                let body = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
                    .finish();
                let req = Request::post("/common/oauth2/v2.0/token")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap();
                let (status, _, body) = call(&router, req).await;
                (status, serde_json::from_str::<Value>(&body).unwrap())
            }
        };
        let (status, t) = common_token(vec![
            ("grant_type", "authorization_code".into()),
            ("client_id", multi.app_id.to_string()),
            ("code", code),
            ("redirect_uri", cb.into()),
            ("code_verifier", VERIFIER.into()),
        ])
        .await;
        assert_eq!(status, StatusCode::OK, "{t}");
        let id = claims(t["id_token"].as_str().unwrap());
        assert_eq!(
            id["tid"],
            f.tenant.id.to_string(),
            "tokens come from the user's tenant"
        );
        assert_eq!(id["iss"], format!("http://127.0.0.1/{}/v2.0", f.tenant.id));
        let (status, t2) = common_token(vec![
            ("grant_type", "refresh_token".into()),
            ("client_id", multi.app_id.to_string()),
            (
                "refresh_token",
                t["refresh_token"].as_str().unwrap().to_owned(),
            ),
        ])
        .await;
        assert_eq!(status, StatusCode::OK, "{t2}");
        // SSO through common with Contoso's session.
        let (status, headers, _) = b.get(&authorize("common", &multi.app_id.to_string())).await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(redirect_params(&headers).contains_key("code"));
        // Client credentials and garbage need a tenant.
        let (status, e) = common_token(vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", multi.app_id.to_string()),
            ("client_secret", "x".into()),
            ("scope", "https://graph.microsoft.com/.default".into()),
        ])
        .await;
        assert_eq!(
            (status, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request"))
        );
        let (_, e) = common_token(vec![
            ("grant_type", "authorization_code".into()),
            ("client_id", multi.app_id.to_string()),
            ("code", format!("{}.x", uuid::Uuid::new_v4().simple())),
            ("redirect_uri", cb.into()),
        ])
        .await;
        assert_eq!(e["error"], "invalid_grant", "{e}");
        // A single-tenant app's refresh token is not accepted through common.
        let p = sign_in(&mut b, &f, &f.native_id, NATIVE_CB).await;
        let (_, single_tokens) = redeem_native(&f, &p["code"]).await;
        let (status, e) = common_token(vec![
            ("grant_type", "refresh_token".into()),
            ("client_id", f.native_id.clone()),
            (
                "refresh_token",
                single_tokens["refresh_token"].as_str().unwrap().to_owned(),
            ),
        ])
        .await;
        assert_eq!(
            (status, e["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "{e}"
        );
    }

    portico_store::backend_tests!(
        common_endpoint_signs_users_of_other_tenants_into_multi_tenant_apps
    );
}
