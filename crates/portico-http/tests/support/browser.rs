//! A cookie-keeping in-process browser and a tenant fixture (a member, a web app and a native
//! app) for tests that sign people in through the real router.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::{call, state};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_app::Context;
use portico_domain::application::{NewApplication, RedirectUris};
use portico_domain::tenant::Tenant;
use portico_domain::user::NewUser;
use portico_http::{AppState, HttpSettings, router};
use portico_store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

pub(crate) const PASSWORD: &str = "Corr3ct-Horse-Battery";
pub(crate) const WEB_CB: &str = "https://web.example.test/cb";
pub(crate) const NATIVE_CB: &str = "http://localhost:5000/cb";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(portico_crypto::digest::sha256(verifier.as_bytes()))
}

pub(crate) struct Fixture {
    pub(crate) state: AppState,
    pub(crate) router: axum::Router,
    pub(crate) tenant: Tenant,
    pub(crate) upn: String,
    pub(crate) web_id: String,
    pub(crate) web_secret: String,
    pub(crate) native_id: String,
}

pub(crate) async fn fixture(store: Arc<dyn Store>) -> Fixture {
    fixture_with(state(store)).await
}

pub(crate) async fn fixture_with(state: AppState) -> Fixture {
    let app = &state.app;
    app.ensure_signing_key().await.unwrap();
    let ctx = Context::system("test");
    let tenant = app.create_tenant(&ctx, "Contoso").await.unwrap();
    let upn = format!("alice@{}", tenant.initial_domain.as_str());
    let new = NewUser {
        display_name: "Alice Example".into(),
        user_principal_name: upn.clone(),
        mail: Some("alice@contoso.example".into()),
        ..NewUser::default()
    };
    app.create_user(&ctx, tenant.id, new, Some(PASSWORD), false)
        .await
        .unwrap();
    let register = |name: &str, uris: RedirectUris| NewApplication {
        display_name: name.into(),
        redirect_uris: uris,
        ..NewApplication::default()
    };
    let (web, _) = app
        .register_application(
            &ctx,
            tenant.id,
            register(
                "Web",
                RedirectUris {
                    web: vec![WEB_CB.into()],
                    ..RedirectUris::default()
                },
            ),
        )
        .await
        .unwrap();
    let (_, web_secret) = app
        .add_client_secret(&ctx, tenant.id, web.app_id, None, 30)
        .await
        .unwrap();
    let (native, _) = app
        .register_application(
            &ctx,
            tenant.id,
            register(
                "Native",
                RedirectUris {
                    public_client: vec![NATIVE_CB.into()],
                    ..RedirectUris::default()
                },
            ),
        )
        .await
        .unwrap();
    let router = router(state.clone(), HttpSettings::default());
    Fixture {
        state,
        router,
        tenant,
        upn,
        web_id: web.app_id.to_string(),
        web_secret,
        native_id: native.app_id.to_string(),
    }
}

/// A cookie-keeping browser at one address.
pub(crate) struct Browser {
    pub(crate) router: axum::Router,
    pub(crate) jar: HashMap<String, String>,
    pub(crate) addr: SocketAddr,
}

impl Browser {
    pub(crate) fn new(f: &Fixture, ip: &str) -> Self {
        Self {
            router: f.router.clone(),
            jar: HashMap::new(),
            addr: format!("{ip}:40000").parse().unwrap(),
        }
    }

    pub(crate) async fn send(&mut self, mut req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        if !self.jar.is_empty() {
            let cookie = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.addr));
        let (status, headers, body) = call(&self.router, req).await;
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.into(), v.into());
            }
        }
        (status, headers, body)
    }

    pub(crate) async fn get(&mut self, uri: &str) -> (StatusCode, HeaderMap, String) {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub(crate) async fn post(
        &mut self,
        uri: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Submits the page's form with its hidden fields plus `fields`.
    pub(crate) async fn submit(
        &mut self,
        page: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let action = attr_after(page, "<form method=\"post\" action=\"").unwrap();
        let mut form = vec![
            ("flow", hidden(page, "flow")),
            ("csrf_token", hidden(page, "csrf_token")),
        ];
        form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post(&action, &pairs).await
    }
}

pub(crate) fn attr_after(page: &str, marker: &str) -> Option<String> {
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(
        page[start..start + end]
            .replace("&#x2f;", "/")
            .replace("&#47;", "/")
            .replace("&amp;", "&"),
    )
}

pub(crate) fn hidden(page: &str, name: &str) -> String {
    attr_after(page, &format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no hidden {name} in {page}"))
}

pub(crate) fn step_of(page: &str) -> &'static str {
    for (marker, step) in [
        ("name=\"username\"", "username"),
        ("name=\"password\"", "password"),
        ("name=\"new_password\"", "change-password"),
        ("name=\"consent\"", "consent"),
    ] {
        if page.contains(marker) {
            return step;
        }
    }
    "none"
}

pub(crate) fn redirect_params(headers: &HeaderMap) -> HashMap<String, String> {
    let loc = headers
        .get(header::LOCATION)
        .expect("a redirect")
        .to_str()
        .unwrap();
    let url = url::Url::parse(loc).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) fn authorize_uri(f: &Fixture, client: &str, redirect: &str, extra: &str) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client)
        .append_pair("redirect_uri", redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email offline_access User.Read")
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1")
        .append_pair("code_challenge", &challenge(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/{}/oauth2/v2.0/authorize?{q}{extra}", f.tenant.id)
}

/// Signs in through every page (username, password, consent when shown); returns the
/// redirect's parameters.
pub(crate) async fn sign_in(
    b: &mut Browser,
    f: &Fixture,
    client: &str,
    redirect: &str,
) -> HashMap<String, String> {
    let (mut status, mut headers, mut page) = b.get(&authorize_uri(f, client, redirect, "")).await;
    for _ in 0..5 {
        if status == StatusCode::FOUND {
            return redirect_params(&headers);
        }
        assert_eq!(status, StatusCode::OK, "{page}");
        (status, headers, page) = match step_of(&page) {
            "username" => b.submit(&page, &[("username", &f.upn)]).await,
            "password" => b.submit(&page, &[("password", PASSWORD)]).await,
            "consent" => b.submit(&page, &[("consent", "accept")]).await,
            other => panic!("unexpected page {other}: {page}"),
        };
    }
    panic!("sign-in did not finish")
}

pub(crate) async fn token(f: &Fixture, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let req = Request::post(format!("/{}/oauth2/v2.0/token", f.tenant.id))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = call(&f.router, req).await;
    (status, serde_json::from_str(&body).unwrap())
}

pub(crate) fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub(crate) async fn redeem_native(f: &Fixture, code: &str) -> (StatusCode, Value) {
    token(
        f,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &f.native_id),
            ("code", code),
            ("redirect_uri", NATIVE_CB),
            ("code_verifier", VERIFIER),
            ("client_info", "1"),
        ],
    )
    .await
}
