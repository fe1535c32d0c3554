//! SAML 2.0 direct federation through the real router, on SQLite and PostgreSQL: the Graph
//! configuration (`directory/federationConfigurations`) with its bad inputs, the SP metadata,
//! and guests redeeming and signing in through a partner IdP. The IdP is
//! `portico_federation::saml::testing::TestIdp`, which signs real responses with a real key
//! (XML-DSig by bergshamra); each refused answer (unsigned, another key, wrong audience,
//! expired, another request, replayed, transient NameID, another account, a failure status,
//! nothing sent) leaves the guest pending with nothing recorded. Certificate rollover from
//! metadata is driven against a metadata document served on a loopback port. A real IdP
//! (pysaml2) in a real browser is in `e2e/saml_federation_test.py`.

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
use base64::Engine as _;
use portico_federation::saml::SpConfig;
use portico_federation::saml::testing::{ResponseSpec, Sign, TestIdp};
use portico_store::Store;
use serde_json::{Value, json};
use std::io::Read as _;
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, graph};

const REDIRECT: &str = "https://myapps.contoso.example/welcome";
const ISSUER: &str = "https://idp.fabrikam.test/metadata";
const SSO: &str = "https://idp.fabrikam.test/sso/redirect";
const DOMAIN: &str = "fabrikam.test";
const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const FED_PATH: &str = "/v1.0/directory/federationConfigurations";
const CAST: &str = "microsoft.graph.samlOrWsFedExternalDomainFederation";

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

async fn admin(f: &Fixture) -> String {
    app_token(
        f,
        &[
            "User.Invite.All",
            "User.ReadWrite.All",
            "IdentityProvider.ReadWrite.All",
        ],
    )
    .await
}

fn body(idp: &TestIdp, domains: &[&str]) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.samlOrWsFedExternalDomainFederation",
        "displayName": "Fabrikam SAML",
        "issuerUri": ISSUER,
        "passiveSignInUri": SSO,
        "signingCertificate": idp.certificate_base64(),
        "preferredAuthenticationProtocol": "saml",
        "domains": domains.iter().map(|d| json!({"id": d})).collect::<Vec<_>>(),
    })
}

async fn add_federation(f: &Fixture, token: &str, idp: &TestIdp) -> String {
    let (status, _, v) = graph(
        f,
        "POST",
        &format!("{FED_PATH}/{CAST}"),
        Some(token),
        Some(&body(idp, &[DOMAIN])),
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

/// The AuthnRequest a redirect to the IdP carries: its XML, and the RelayState.
fn authn_request(to: &str) -> (String, String) {
    assert!(to.starts_with(SSO), "{to}");
    let u = url::Url::parse(to).unwrap();
    let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(q.get("SAMLRequest").expect("SAMLRequest"))
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(raw.as_slice())
        .read_to_string(&mut xml)
        .unwrap();
    (xml, q.get("RelayState").expect("RelayState").clone())
}

fn attr(xml: &str, name: &str) -> String {
    let marker = format!(" {name}=\"");
    let start = xml
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} in {xml}"))
        + marker.len();
    xml[start..start + xml[start..].find('"').unwrap()].to_owned()
}

/// Starts a redemption: follows the invitation link to the IdP; returns the request id and
/// RelayState.
async fn start(b: &mut Browser, inv: &Value) -> (String, String) {
    let (status, headers, page) = b
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (xml, relay) = authn_request(&location(&headers));
    (attr(&xml, "ID"), relay)
}

fn sp(f: &Fixture) -> SpConfig {
    f.state.app.saml_sp(f.tenant.id)
}

fn acs(f: &Fixture) -> String {
    format!("/te/{}/saml2/acs", f.tenant.id)
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Posts a response as the IdP's page does (no Portico cookies: cross-site), follows Portico's
/// same-site bounce, and returns what the browser sees after it.
async fn post_response(
    b: &mut Browser,
    f: &Fixture,
    response: &str,
    relay: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut cross_site = Browser::new(f, "203.0.113.7");
    let (status, _, page) = cross_site
        .post(
            &acs(f),
            &[("SAMLResponse", response), ("RelayState", relay)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("name=\"bounced\""), "the bounce page: {page}");
    b.post(
        &acs(f),
        &[
            ("SAMLResponse", response),
            ("RelayState", relay),
            ("bounced", "1"),
        ],
    )
    .await
}

async fn configured_through_graph_with_bad_input_refused(store: Arc<dyn Store>) {
    let mut state = support::state(store);
    let mut txt = std::collections::HashMap::new();
    for d in ["partner.example", "fabrikam.example"] {
        txt.insert(
            d.to_owned(),
            vec!["v=spf1 -all".to_owned(), format!("DirectFedAuthUrl={SSO}")],
        );
    }
    state.app.dns = Arc::new(portico_app::dns::StaticResolver(txt));
    let f = fixture_with(state).await;
    let token = admin(&f).await;
    let idp = TestIdp::new(ISSUER);
    let create = format!("{FED_PATH}/{CAST}");

    // bad input: each refused with the property named, nothing created
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut b = body(&idp, &[DOMAIN]);
    b["preferredAuthenticationProtocol"] = json!("wsFed");
    cases.push((b, "WS-Federation"));
    let mut b = body(&idp, &[DOMAIN]);
    b["signingCertificate"] = json!("bm90IGEgY2VydGlmaWNhdGU=");
    cases.push((b, "signingCertificate"));
    let mut b = body(&idp, &[DOMAIN]);
    b["passiveSignInUri"] = json!("http://idp.fabrikam.test/sso");
    cases.push((b, "https"));
    let mut b = body(&idp, &[DOMAIN]);
    b["issuerUri"] = json!("not a uri");
    cases.push((b, "issuerUri"));
    let mut b = body(&idp, &[DOMAIN]);
    b.as_object_mut().unwrap().remove("domains");
    cases.push((b, "domains"));
    let mut b = body(&idp, &["gmail.com"]);
    b["displayName"] = json!("x");
    cases.push((b, "Google"));
    // the sign-in URL's host is outside the domain and the domain has no TXT record
    cases.push((body(&idp, &["other.example"]), "DirectFedAuthUrl"));
    let mut b = body(&idp, &[DOMAIN]);
    b["unknownProperty"] = json!(1);
    cases.push((b, "unknownProperty"));
    for (b, needle) in cases {
        let (status, _, v) = graph(&f, "POST", &create, Some(&token), Some(&b)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{needle}: {v}");
        assert!(v.to_string().contains(needle), "{needle}: {v}");
    }
    let (_, _, v) = graph(
        &f,
        "GET",
        &format!("{FED_PATH}/graph.samlOrWsFedExternalDomainFederation"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(v["value"], json!([]), "nothing created: {v}");

    // without the permission: refused
    let weak = app_token(&f, &["User.Read.All"]).await;
    let (status, _, _) = graph(
        &f,
        "POST",
        &create,
        Some(&weak),
        Some(&body(&idp, &[DOMAIN])),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // created; the domain authorized by DNS works too (the SDKs' POST to the collection)
    let id = add_federation(&f, &token, &idp).await;
    let mut b = body(&idp, &["partner.example"]);
    b["issuerUri"] = json!("urn:partner:idp");
    let (status, _, v) = graph(&f, "POST", FED_PATH, Some(&token), Some(&b)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let second = v["id"].as_str().unwrap().to_owned();

    // conflicts: a served domain, the same issuer
    let (status, _, v) = graph(
        &f,
        "POST",
        &create,
        Some(&token),
        Some(&body(&idp, &[DOMAIN])),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "Graph answers 400 for a served domain: {v}"
    );
    assert!(v.to_string().contains("already served"), "{v}");
    let mut b = body(&idp, &["sub.fabrikam.test"]);
    b["displayName"] = json!("again");
    let (status, _, v) = graph(&f, "POST", &create, Some(&token), Some(&b)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "same issuer: {v}");

    // reads: by id (both paths), by domain filter, not among identityProviders
    for path in [
        format!("{FED_PATH}/{id}"),
        format!("{FED_PATH}/graph.samlOrWsFedExternalDomainFederation/{id}"),
    ] {
        let (status, _, v) = graph(&f, "GET", &path, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["issuerUri"], ISSUER);
        assert_eq!(v["preferredAuthenticationProtocol"], "saml");
        assert_eq!(v["signingCertificate"], idp.certificate_base64().as_str());
        assert_eq!(v["domains"][0]["id"], DOMAIN);
    }
    let (status, _, v) = graph(
        &f,
        "GET",
        &format!("{FED_PATH}/graph.samlOrWsFedExternalDomainFederation?$filter=domains/any(x:%20x/id%20eq%20'fabrikam.test')"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["value"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["value"][0]["id"], id.as_str());
    let (status, _, v) = graph(
        &f,
        "GET",
        &format!(
            "{FED_PATH}/graph.samlOrWsFedExternalDomainFederation?$filter=displayName%20eq%20'x'"
        ),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (_, _, v) = graph(
        &f,
        "GET",
        "/v1.0/identity/identityProviders",
        Some(&token),
        None,
    )
    .await;
    assert!(!v.to_string().contains(ISSUER), "{v}");

    // domains: add (one whose DNS does not authorize the sign-in URL is refused), list, remove;
    // the last cannot go
    let domains = format!("{FED_PATH}/{id}/{CAST}/domains");
    let (status, _, v) = graph(
        &f,
        "POST",
        &domains,
        Some(&token),
        Some(&json!({"id": "nodns.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("DirectFedAuthUrl"), "{v}");
    let (status, _, v) = graph(
        &f,
        "POST",
        &domains,
        Some(&token),
        Some(&json!({"id": "Fabrikam.Example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["id"], "fabrikam.example");
    let (_, _, v) = graph(&f, "GET", &domains, Some(&token), None).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 2, "{v}");
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("{domains}/fabrikam.example"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, v) = graph(
        &f,
        "DELETE",
        &format!("{domains}/{DOMAIN}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    // PATCH: a new certificate (the other key's), wsFed refused, a bad certificate refused
    let other = TestIdp::with_other_key(ISSUER);
    let (status, _, v) = graph(
        &f,
        "PATCH",
        &format!("{FED_PATH}/{id}/{CAST}"),
        Some(&token),
        Some(&json!({"signingCertificate": other.certificate_base64()})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    for bad in [
        json!({"preferredAuthenticationProtocol": "wsFed"}),
        json!({"signingCertificate": "garbage"}),
        json!({"passiveSignInUri": "https://elsewhere.example/sso"}),
    ] {
        let (status, _, v) = graph(
            &f,
            "PATCH",
            &format!("{FED_PATH}/{id}"),
            Some(&token),
            Some(&bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (_, _, v) = graph(&f, "GET", &format!("{FED_PATH}/{id}"), Some(&token), None).await;
    assert_eq!(v["signingCertificate"], other.certificate_base64().as_str());

    // the SP metadata names this tenant's entity id and ACS
    let (status, headers, xml) = Browser::new(&f, "203.0.113.5")
        .get(&format!("/te/{}/saml2/metadata", f.tenant.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/samlmetadata+xml")
    );
    let sp = sp(&f);
    assert!(
        xml.contains(&sp.entity_id) && xml.contains(&sp.acs_url),
        "{xml}"
    );
    let (status, _, _) = Browser::new(&f, "203.0.113.5")
        .get("/te/not-a-tenant/saml2/metadata")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // audit: the changes are recorded
    let (_, _, v) = graph(
        &f,
        "GET",
        "/v1.0/auditLogs/directoryAudits",
        Some(&app_token(&f, &["AuditLog.Read.All"]).await),
        None,
    )
    .await;
    let text = v.to_string();
    assert!(text.contains("Add external domain federation"), "{text}");
    assert!(text.contains("Update external domain federation"), "{text}");

    // delete
    for fid in [&id, &second] {
        let (status, _, _) = graph(
            &f,
            "DELETE",
            &format!("{FED_PATH}/{fid}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, _, _) = graph(&f, "GET", &format!("{FED_PATH}/{id}"), Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn redeemed_through_a_saml_idp_then_signs_in(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin_token = admin(&f).await;
    let idp = TestIdp::new(ISSUER);
    let fed = add_federation(&f, &admin_token, &idp).await;
    let inv = invite(&f, &admin_token, "alice@fabrikam.test").await;
    let guest_id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    let sp = sp(&f);

    // the link sends the browser to the IdP with an unsigned AuthnRequest for this tenant's SP
    let mut b = Browser::new(&f, "203.0.113.7");
    let (status, headers, _) = b
        .get(&path_of(inv["inviteRedeemUrl"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (xml, relay) = authn_request(&location(&headers));
    assert_eq!(attr(&xml, "Destination"), SSO);
    assert_eq!(attr(&xml, "AssertionConsumerServiceURL"), sp.acs_url);
    assert!(
        xml.contains(&format!(">{}</", sp.entity_id)),
        "Issuer: {xml}"
    );
    assert!(!xml.contains("Signature"), "unsigned: {xml}");
    assert!(xml.contains(PERSISTENT), "NameIDPolicy persistent: {xml}");
    assert!(xml.contains("alice@fabrikam.test"), "login hint: {xml}");
    let request_id = attr(&xml, "ID");

    // the IdP answers; Portico bounces the cross-site POST, then shows the review page
    let spec = ResponseSpec::new(
        &sp,
        &request_id,
        "alice-persistent-1",
        "alice@fabrikam.test",
        now(),
    );
    let response = idp.response(&spec);
    let (status, _, page) = post_response(&mut b, &f, &response, &relay).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Review permissions"), "{page}");

    // the same answer again is refused
    let (status, _, page2) = b
        .post(
            &acs(&f),
            &[
                ("SAMLResponse", &response),
                ("RelayState", &relay),
                ("bounced", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page2}");
    assert!(page2.contains("expired or is not valid"), "{page2}");

    let (status, headers, _) = b.submit(&page, &[("consent", "accept")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), REDIRECT);
    let g = guest(&f, &admin_token, &guest_id).await;
    assert_eq!(g["externalUserState"], "Accepted");
    let identity = g["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["signInType"] == "federated")
        .unwrap()
        .clone();
    assert_eq!(identity["issuer"], ISSUER);
    assert_eq!(identity["issuerAssignedId"], "alice-persistent-1");

    // later: a sign-in to an app goes through the IdP and ends with amr fed
    let session = format!("portico_session_{}", f.tenant.id.0.simple());
    assert!(b.jar.remove(&session).is_some());
    let (_, _, page) = b.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    let (status, headers, page) = b
        .submit(&page, &[("username", "alice@fabrikam.test")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (xml, relay) = authn_request(&location(&headers));
    let spec = ResponseSpec::new(
        &sp,
        &attr(&xml, "ID"),
        "alice-persistent-1",
        "alice@fabrikam.test",
        now(),
    );
    let (mut status, mut headers, mut page) =
        post_response(&mut b, &f, &idp.response(&spec), &relay).await;
    if status == StatusCode::OK && step_of(&page) == "consent" {
        (status, headers, page) = b.submit(&page, &[("consent", "accept")]).await;
    }
    assert_eq!(status, StatusCode::FOUND, "{page}");
    let code = redirect_params(&headers)
        .get("code")
        .expect("a code")
        .clone();
    let (status, tokens) = token(
        &f,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &f.web_id),
            ("client_secret", &f.web_secret),
            ("code", &code),
            ("redirect_uri", WEB_CB),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["fed"]));
    assert_eq!(id_token["oid"], guest_id.as_str());

    // the same person with another NameID is not this guest (binding on issuer + NameID)
    b.jar.remove(&session);
    let (_, _, page) = b.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    let (_, headers, _) = b
        .submit(&page, &[("username", "alice@fabrikam.test")])
        .await;
    let (xml, relay) = authn_request(&location(&headers));
    let spec = ResponseSpec::new(
        &sp,
        &attr(&xml, "ID"),
        "someone-else",
        "alice@fabrikam.test",
        now(),
    );
    let (status, _, page) = post_response(&mut b, &f, &idp.response(&spec), &relay).await;
    assert_ne!(status, StatusCode::FOUND, "{page}");

    // the federation is deleted: the guest is told to have the invitation reset
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("{FED_PATH}/{fed}"),
        Some(&admin_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut fresh = Browser::new(&f, "203.0.113.8");
    let (_, _, page) = fresh.get(&authorize_uri(&f, &f.web_id, WEB_CB, "")).await;
    let (status, _, page) = fresh
        .submit(&page, &[("username", "alice@fabrikam.test")])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("removed the identity provider"), "{page}");
}

async fn refuses_bad_responses_changing_nothing(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let token = admin(&f).await;
    let idp = TestIdp::new(ISSUER);
    add_federation(&f, &token, &idp).await;
    let inv = invite(&f, &token, "carol@fabrikam.test").await;
    let guest_id = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    let sp = sp(&f);
    let base = |id: &str| ResponseSpec::new(&sp, id, "carol-1", "carol@fabrikam.test", now());

    type Mutate = fn(ResponseSpec) -> ResponseSpec;
    let cases: Vec<(&str, Mutate, &str)> = vec![
        (
            "unsigned",
            |s| ResponseSpec {
                sign: Sign::None,
                ..s
            },
            "could not be verified",
        ),
        (
            "wrong audience",
            |s| ResponseSpec {
                audience: "https://other.example/".into(),
                ..s
            },
            "could not be verified",
        ),
        (
            "wrong recipient",
            |s| ResponseSpec {
                recipient: "https://other.example/acs".into(),
                ..s
            },
            "could not be verified",
        ),
        (
            "wrong destination",
            |s| ResponseSpec {
                destination: Some("https://other.example/acs".into()),
                ..s
            },
            "could not be verified",
        ),
        (
            "expired",
            |s| ResponseSpec {
                issue_instant: s.issue_instant - time::Duration::hours(2),
                not_before: s.not_before - time::Duration::hours(2),
                not_on_or_after: s.issue_instant - time::Duration::hours(1),
                ..s
            },
            "validity period",
        ),
        (
            "another request",
            |s| ResponseSpec {
                in_response_to: Some("_another".into()),
                ..s
            },
            "expired or is not valid",
        ),
        (
            "unsolicited",
            |s| ResponseSpec {
                in_response_to: None,
                ..s
            },
            "expired or is not valid",
        ),
        (
            "transient NameID",
            |s| ResponseSpec {
                name_id_format: TRANSIENT.into(),
                ..s
            },
            "transient",
        ),
        (
            "another account",
            |s| ResponseSpec {
                email: Some("mallory@fabrikam.test".into()),
                ..s
            },
            "mallory@fabrikam.test",
        ),
        (
            "failure status",
            |s| ResponseSpec {
                status: Some((
                    "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
                    Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed".into()),
                )),
                ..s
            },
            "did not sign you in",
        ),
    ];
    for (name, mutate, needle) in cases {
        let mut b = Browser::new(&f, "203.0.113.20");
        let (id, relay) = start(&mut b, &inv).await;
        let response = idp.response(&mutate(base(&id)));
        let (status, _, page) = post_response(&mut b, &f, &response, &relay).await;
        assert!(
            status.is_client_error() || status == StatusCode::OK,
            "{name}: {status}"
        );
        assert!(!page.contains("Review permissions"), "{name}: {page}");
        assert!(
            page.contains(needle),
            "{name}: expected '{needle}' in {page}"
        );
    }
    // signed by another key
    let mut b = Browser::new(&f, "203.0.113.21");
    let (id, relay) = start(&mut b, &inv).await;
    let forged = TestIdp::with_other_key(ISSUER).response(&base(&id));
    let (_, _, page) = post_response(&mut b, &f, &forged, &relay).await;
    assert!(page.contains("could not be verified"), "{page}");
    // no SAMLResponse, garbage, a forged RelayState
    let mut b = Browser::new(&f, "203.0.113.22");
    let (_, relay) = start(&mut b, &inv).await;
    let (_, _, page) = b
        .post(&acs(&f), &[("RelayState", &relay), ("bounced", "1")])
        .await;
    assert!(page.contains("without signing you in"), "{page}");
    let (_, relay) = start(&mut b, &inv).await;
    let (_, _, page) = b
        .post(
            &acs(&f),
            &[
                ("SAMLResponse", "%%%not base64"),
                ("RelayState", &relay),
                ("bounced", "1"),
            ],
        )
        .await;
    assert!(page.contains("could not be verified"), "{page}");
    let (status, _, page) = b
        .post(
            &acs(&f),
            &[
                ("SAMLResponse", "x"),
                ("RelayState", "forged"),
                ("bounced", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    let (status, _, _) = b
        .post(
            &acs(&f),
            &[("SAMLResponse", "x"), ("Other", "y"), ("bounced", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // an assertion replayed under a new request (same assertion id) is refused
    let mut b = Browser::new(&f, "203.0.113.23");
    let (id, relay) = start(&mut b, &inv).await;
    let first = ResponseSpec {
        email: Some("mallory@fabrikam.test".into()),
        ..base(&id)
    };
    let assertion_id = first.assertion_id.clone();
    let _ = post_response(&mut b, &f, &idp.response(&first), &relay).await;
    let (id, relay) = start(&mut b, &inv).await;
    let again = ResponseSpec {
        assertion_id,
        ..base(&id)
    };
    let (_, _, page) = post_response(&mut b, &f, &idp.response(&again), &relay).await;
    assert!(
        page.contains("expired or is not valid"),
        "replayed assertion: {page}"
    );

    // nothing changed for carol
    let g = guest(&f, &token, &guest_id).await;
    assert_eq!(g["externalUserState"], "PendingAcceptance");
    assert!(!g["identities"].to_string().contains("federated"), "{g}");
}

/// A certificate (DER base64) valid from now for `days` days.
fn certificate(days: i64) -> String {
    let mut params = rcgen::CertificateParams::new(vec!["idp.fabrikam.test".into()]).unwrap();
    params.not_before = now() - time::Duration::days(30);
    params.not_after = now() + time::Duration::days(days);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    base64::engine::general_purpose::STANDARD.encode(cert.der())
}

fn metadata_with(certs: &[&str]) -> String {
    let keys: String = certs
        .iter()
        .map(|c| format!("<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"))
        .collect();
    format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{ISSUER}\"><md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{keys}<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{SSO}\"/></md:IDPSSODescriptor></md:EntityDescriptor>"
    )
}

async fn rolls_certificates_over_from_metadata(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let token = admin(&f).await;
    let served = Arc::new(std::sync::Mutex::new(String::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let doc = served.clone();
    let md_app = axum::Router::new().route(
        "/md",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { doc.lock().unwrap().clone() }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, md_app).await.unwrap() });

    let soon = certificate(10);
    let later = certificate(400);
    let even_later = certificate(800);
    let mut b = json!({
        "displayName": "Fabrikam SAML",
        "issuerUri": ISSUER,
        "passiveSignInUri": SSO,
        "signingCertificate": soon,
        "metadataExchangeUri": format!("http://{addr}/md"),
        "domains": [{"id": DOMAIN}],
    });
    let (status, _, v) = graph(
        &f,
        "POST",
        &format!("{FED_PATH}/{CAST}"),
        Some(&token),
        Some(&b),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let current = |v: &Value| v["signingCertificate"].as_str().unwrap().to_owned();

    // the current certificate expires within 30 days: the newer one in the metadata replaces it
    *served.lock().unwrap() = metadata_with(&[&soon, &later]);
    assert_eq!(f.state.app.refresh_saml_metadata().await.unwrap(), 1);
    let (_, _, v) = graph(&f, "GET", &format!("{FED_PATH}/{id}"), Some(&token), None).await;
    assert_eq!(current(&v), later);
    // nothing new: nothing changes
    assert_eq!(f.state.app.refresh_saml_metadata().await.unwrap(), 0);
    // a next certificate announced early is trusted beside the current one, not instead
    *served.lock().unwrap() = metadata_with(&[&later, &even_later]);
    assert_eq!(f.state.app.refresh_saml_metadata().await.unwrap(), 1);
    let (_, _, v) = graph(&f, "GET", &format!("{FED_PATH}/{id}"), Some(&token), None).await;
    assert_eq!(current(&v), later);
    // malformed metadata, or another entity's: nothing changes
    for bad in [
        "<not-xml",
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://evil.example\"/>",
    ] {
        *served.lock().unwrap() = bad.to_owned();
        assert_eq!(f.state.app.refresh_saml_metadata().await.unwrap(), 0);
    }
    let (_, _, v) = graph(&f, "GET", &format!("{FED_PATH}/{id}"), Some(&token), None).await;
    assert_eq!(current(&v), later);
    // an expired certificate is refused at configuration
    b["signingCertificate"] = json!(certificate(-2));
    b["domains"] = json!([{"id": "expired.fabrikam.test"}]);
    b["issuerUri"] = json!("urn:expired");
    let (status, _, v) = graph(
        &f,
        "POST",
        &format!("{FED_PATH}/{CAST}"),
        Some(&token),
        Some(&b),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("expired"), "{v}");
}

portico_store::backend_tests!(
    configured_through_graph_with_bad_input_refused,
    redeemed_through_a_saml_idp_then_signs_in,
    refuses_bad_responses_changing_nothing,
    rolls_certificates_over_from_metadata
);
