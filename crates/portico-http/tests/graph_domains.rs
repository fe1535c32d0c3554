//! Graph domains and organization writes through the real router, on SQLite and PostgreSQL:
//! domains (list, read, add, verify by DNS TXT record, make default, delete, the verification
//! record), `PATCH /organization/{id}` and its branding — other tenants' domains and
//! organizations never found, every bad input refused with Graph's error, changing nothing.

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
use portico_app::Context;
use portico_app::dns::StaticResolver;
use portico_http::{HttpSettings, router};
use portico_store::Store;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, app_token_in, graph, graph_raw};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

/// The fixture's app (same store, keys and tenant) behind a new router whose DNS resolver
/// answers `txt` (name, TXT value) — as if the records had been published.
fn with_dns(f: &Fixture, txt: &[(&str, &str)]) -> Fixture {
    let mut records: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in txt {
        records
            .entry((*name).to_owned())
            .or_default()
            .push((*value).to_owned());
    }
    let mut state = f.state.clone();
    state.app.dns = Arc::new(StaticResolver(records));
    let router = router(state.clone(), HttpSettings::default());
    Fixture {
        state,
        router,
        tenant: f.tenant.clone(),
        upn: f.upn.clone(),
        web_id: f.web_id.clone(),
        web_secret: f.web_secret.clone(),
        native_id: f.native_id.clone(),
    }
}

async fn domain_names(f: &Fixture, token: &str) -> Vec<String> {
    let (status, _, list) = graph(f, "GET", "/v1.0/domains", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn get_domain(f: &Fixture, token: &str, name: &str) -> Value {
    let (status, _, d) = graph(
        f,
        "GET",
        &format!("/v1.0/domains/{name}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    d
}

async fn domains_are_managed_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let reader = app_token(&f, &["Domain.Read.All"]).await;
    let admin = app_token(&f, &["Domain.ReadWrite.All"]).await;
    let initial = f.tenant.initial_domain.as_str().to_owned();
    let other = f
        .state
        .app
        .create_tenant(&Context::system("test"), "Fabrikam")
        .await
        .unwrap();
    let other_admin = app_token_in(&f, other.id, &["Domain.ReadWrite.All"]).await;

    // list: the initial domain, verified and default
    let (status, _, list) = graph(&f, "GET", "/v1.0/domains", Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        list["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#domains")
    );
    let value = list["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{list}");
    let d = &value[0];
    assert_eq!(d["id"], initial.as_str());
    assert_eq!(d["authenticationType"], "Managed");
    assert_eq!(d["isInitial"], true);
    assert_eq!(d["isVerified"], true);
    assert_eq!(d["isDefault"], true);
    assert_eq!(d["isRoot"], true);
    assert!(d.get("verificationCode").is_none());

    // get: case-insensitive, with @odata.context; $select
    let d = get_domain(&f, &reader, &initial.to_ascii_uppercase()).await;
    assert_eq!(d["id"], initial.as_str());
    assert!(
        d["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#domains/$entity")
    );
    let (status, _, sel) = graph(
        &f,
        "GET",
        &format!("/v1.0/domains/{initial}?$select=isVerified"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sel}");
    assert_eq!(sel["isVerified"], true);
    assert_eq!(sel["id"], initial.as_str());
    assert!(sel.get("isDefault").is_none());
    for bad in [
        "$select=shoeSize",
        "$filter=isVerified%20eq%20true",
        "$top=1",
    ] {
        let (status, _, e) = graph(
            &f,
            "GET",
            &format!("/v1.0/domains?{bad}"),
            Some(&reader),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }

    // unknown, malformed and other tenants' domains are not found
    for key in [
        "nowhere.example".to_owned(),
        "localhost".to_owned(),
        "-bad-.example".to_owned(),
        other.initial_domain.as_str().to_owned(),
    ] {
        let (status, _, e) = graph(
            &f,
            "GET",
            &format!("/v1.0/domains/{key}"),
            Some(&reader),
            None,
        )
        .await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
            "{key}: {e}"
        );
    }
    for (method, path) in [
        (
            "GET",
            format!(
                "/v1.0/domains/{}/verificationDnsRecords",
                other.initial_domain
            ),
        ),
        (
            "POST",
            format!("/v1.0/domains/{}/verify", other.initial_domain),
        ),
        ("DELETE", format!("/v1.0/domains/{}", other.initial_domain)),
        ("PATCH", format!("/v1.0/domains/{}", other.initial_domain)),
    ] {
        let (status, _, e) = graph(&f, method, &path, Some(&admin), Some(&json!({}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {e}");
    }

    // a reader cannot write
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/domains",
        Some(&reader),
        Some(&json!({"id": "northwind.example"})),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
        "{e}"
    );

    // add: 201, Location, unverified
    let (status, headers, added) = graph(
        &f,
        "POST",
        "/v1.0/domains",
        Some(&admin),
        Some(&json!({"id": "Northwind.Example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("/v1.0/domains/northwind.example")
    );
    assert_eq!(added["id"], "northwind.example");
    assert_eq!(added["isVerified"], false);
    assert_eq!(added["isDefault"], false);
    assert_eq!(added["isInitial"], false);
    assert_eq!(added["isRoot"], false);
    assert_eq!(added["supportedServices"], json!([]));
    assert!(
        added["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#domains/$entity")
    );
    // another tenant may claim the same name (unverified) without touching ours
    let (status, _, theirs) = graph(
        &f,
        "POST",
        "/v1.0/domains",
        Some(&other_admin),
        Some(&json!({"id": "northwind.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");

    // bad inputs: each refused, nothing added
    for (why, body) in [
        ("duplicate", json!({"id": "NORTHWIND.example"})),
        ("not a domain name", json!({"id": "not a domain"})),
        ("one label", json!({"id": "localhost"})),
        ("missing id", json!({})),
        ("wrong type", json!({"id": 5})),
        ("read-only", json!({"id": "a.example", "isVerified": true})),
        ("read-only", json!({"id": "b.example", "isDefault": true})),
        ("unknown", json!({"id": "c.example", "shoeSize": 44})),
    ] {
        let (status, _, e) = graph(&f, "POST", "/v1.0/domains", Some(&admin), Some(&body)).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{why}: {e}"
        );
    }
    let (status, _, e) = graph_raw(
        &f,
        "POST",
        "/v1.0/domains",
        Some(&admin),
        Some("{not json".into()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let mut names = domain_names(&f, &reader).await;
    names.sort();
    let mut expected = vec![initial.clone(), "northwind.example".to_owned()];
    expected.sort();
    assert_eq!(names, expected);

    // the verification record to publish
    let (status, _, records) = graph(
        &f,
        "GET",
        "/v1.0/domains/northwind.example/verificationDnsRecords",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{records}");
    let value = records["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{records}");
    let r = &value[0];
    assert_eq!(r["@odata.type"], "#microsoft.graph.domainDnsTxtRecord");
    assert_eq!(r["recordType"], "Txt");
    assert_eq!(r["label"], "northwind.example");
    assert_eq!(r["isOptional"], false);
    assert_eq!(r["ttl"], 3600);
    let txt = r["text"].as_str().unwrap().to_owned();
    assert!(txt.starts_with("portico-verification="), "{txt}");
    let (_, _, again) = graph(
        &f,
        "GET",
        "/v1.0/domains/northwind.example/verificationDnsRecords",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(again["value"][0]["text"], txt.as_str(), "stable");
    assert_eq!(again["value"][0]["id"], r["id"], "stable");
    let (_, _, their_records) = graph(
        &f,
        "GET",
        "/v1.0/domains/northwind.example/verificationDnsRecords",
        Some(&other_admin),
        None,
    )
    .await;
    let their_txt = their_records["value"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(their_txt, txt, "each tenant has its own code");

    // verify without the record: 400 naming the record, nothing changes
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/domains/northwind.example/verify",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains(&txt),
        "{e}"
    );
    assert_eq!(
        get_domain(&f, &reader, "northwind.example").await["isVerified"],
        false
    );
    // a reader cannot verify; an unknown domain is not found
    let (status, _, _) = graph(
        &f,
        "POST",
        "/v1.0/domains/northwind.example/verify",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = graph(
        &f,
        "POST",
        "/v1.0/domains/nowhere.example/verify",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // the record published: our code verifies our domain, not theirs
    let dns = with_dns(
        &f,
        &[
            ("northwind.example", "v=spf1 -all"),
            ("northwind.example", txt.as_str()),
        ],
    );
    let (status, _, e) = graph(
        &dns,
        "POST",
        "/v1.0/domains/northwind.example/verify",
        Some(&other_admin),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "their code is not published: {e}"
    );
    let (status, _, verified) = graph(
        &dns,
        "POST",
        "/v1.0/domains/northwind.example/verify",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["id"], "northwind.example");
    assert_eq!(verified["isVerified"], true);
    assert_eq!(verified["isRoot"], true);
    assert_eq!(verified["availabilityStatus"], "AvailableImmediately");
    let (status, _, again) = graph(
        &dns,
        "POST",
        "/v1.0/domains/northwind.example/verify",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "verifying again is harmless: {again}"
    );
    assert_eq!(
        get_domain(&f, &reader, "northwind.example").await["isVerified"],
        true
    );
    // once verified here, the other tenant cannot verify it even with its own record
    let both = with_dns(
        &f,
        &[
            ("northwind.example", txt.as_str()),
            ("northwind.example", their_txt.as_str()),
        ],
    );
    let (status, _, e) = graph(
        &both,
        "POST",
        "/v1.0/domains/northwind.example/verify",
        Some(&other_admin),
        None,
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "{e}"
    );

    // make default: only a verified domain, only to true
    let (status, _, e) = graph(
        &f,
        "POST",
        "/v1.0/domains",
        Some(&admin),
        Some(&json!({"id": "pending.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    for (why, path, body) in [
        (
            "unverified",
            "/v1.0/domains/pending.example",
            json!({"isDefault": true}),
        ),
        (
            "false",
            "/v1.0/domains/northwind.example",
            json!({"isDefault": false}),
        ),
        (
            "null",
            "/v1.0/domains/northwind.example",
            json!({"isDefault": null}),
        ),
        (
            "read-only",
            "/v1.0/domains/northwind.example",
            json!({"isVerified": false}),
        ),
        (
            "federation",
            "/v1.0/domains/northwind.example",
            json!({"authenticationType": "Federated"}),
        ),
        (
            "unsupported",
            "/v1.0/domains/northwind.example",
            json!({"passwordValidityPeriodInDays": 90}),
        ),
    ] {
        let (status, _, e) = graph(&f, "PATCH", path, Some(&admin), Some(&body)).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{why}: {e}"
        );
    }
    assert_eq!(
        get_domain(&f, &reader, &initial).await["isDefault"],
        true,
        "nothing changed"
    );
    let (status, _, body) = graph(
        &f,
        "PATCH",
        "/v1.0/domains/northwind.example",
        Some(&admin),
        Some(&json!({"isDefault": true, "authenticationType": "Managed"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        get_domain(&f, &reader, "northwind.example").await["isDefault"],
        true
    );
    assert_eq!(get_domain(&f, &reader, &initial).await["isDefault"], false);

    // delete: the initial and the default domain are refused
    for name in [initial.as_str(), "northwind.example"] {
        let (status, _, e) = graph(
            &f,
            "DELETE",
            &format!("/v1.0/domains/{name}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{name}: {e}"
        );
    }
    let (status, _, _) = graph(
        &f,
        "DELETE",
        "/v1.0/domains/pending.example",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/domains/{initial}"),
        Some(&admin),
        Some(&json!({"isDefault": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // a domain users sign in with cannot be removed until they move off it
    let users_admin = app_token(&f, &["User.ReadWrite.All"]).await;
    let (status, _, user) = graph(
        &f,
        "POST",
        "/v1.0/users",
        Some(&users_admin),
        Some(&json!({
            "accountEnabled": true, "displayName": "Nia", "mailNickname": "nia",
            "userPrincipalName": "nia@northwind.example",
            "passwordProfile": {"password": "Str0ng-Passw0rd!"},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let (status, _, e) = graph(
        &f,
        "DELETE",
        "/v1.0/domains/northwind.example",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("in use"),
        "{e}"
    );
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("/v1.0/users/{}", user["id"].as_str().unwrap()),
        Some(&users_admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for name in ["northwind.example", "pending.example"] {
        let (status, _, body) = graph(
            &f,
            "DELETE",
            &format!("/v1.0/domains/{name}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{name}: {body}");
        let (status, _, _) = graph(
            &f,
            "DELETE",
            &format!("/v1.0/domains/{name}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name} deleted twice");
    }
    assert_eq!(domain_names(&f, &reader).await, vec![initial.clone()]);
    // the other tenant's claim is untouched
    let (status, _, theirs) = graph(
        &f,
        "GET",
        "/v1.0/domains/northwind.example",
        Some(&other_admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["isVerified"], false);
}

async fn organization_and_branding_are_updated_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let writer = app_token(&f, &["Organization.ReadWrite.All"]).await;
    let reader = app_token(&f, &["Organization.Read.All"]).await;
    let tid = f.tenant.id.to_string();
    let other = f
        .state
        .app
        .create_tenant(&Context::system("test"), "Fabrikam")
        .await
        .unwrap();

    // another tenant's id, an unknown id or no id at all: not found, nothing changes
    for key in [
        other.id.to_string(),
        "00000000-0000-0000-0000-000000000001".to_owned(),
        "contoso".to_owned(),
    ] {
        let (status, _, e) = graph(
            &f,
            "PATCH",
            &format!("/v1.0/organization/{key}"),
            Some(&writer),
            Some(&json!({"privacyProfile": {"statementUrl": "https://evil.example/p"}})),
        )
        .await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
            "{key}: {e}"
        );
        let (status, _, e) = graph(
            &f,
            "PATCH",
            &format!("/v1.0/organization/{key}/branding"),
            Some(&writer),
            Some(&json!({"signInPageText": "Hijacked"})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{key}: {e}");
        for path in [
            format!("/v1.0/organization/{key}"),
            format!("/v1.0/organization/{key}/branding"),
        ] {
            let (status, _, e) = graph(&f, "GET", &path, Some(&reader), None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {e}");
        }
    }
    let theirs = f.state.app.store.get_tenant(other.id).await.unwrap();
    assert_eq!(theirs.display_name, "Fabrikam");
    assert_eq!(theirs.branding.name, None);

    // a reader cannot write
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/organization/{tid}"),
        Some(&reader),
        Some(&json!({"displayName": "Nope"})),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
        "{e}"
    );

    // update: 204, then GET /organization shows it
    let (status, _, body) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/organization/{tid}"),
        Some(&writer),
        Some(&json!({
            "privacyProfile": {"statementUrl": "https://contoso.example/privacy", "contactEmail": null},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, Value::Null);
    let (status, _, org) = graph(&f, "GET", "/v1.0/organization", Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    let o = &org["value"][0];
    assert_eq!(o["id"], tid.as_str());
    assert_eq!(
        o["displayName"], "Contoso",
        "the name is not writable through Graph"
    );
    assert_eq!(
        o["privacyProfile"]["statementUrl"],
        "https://contoso.example/privacy"
    );
    let (status, _, one) = graph(
        &f,
        "GET",
        &format!("/v1.0/organization/{tid}"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["id"], tid.as_str());
    assert_eq!(one["displayName"], "Contoso");
    assert!(
        one["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#organization/$entity")
    );

    // bad inputs: each refused, nothing changes
    for (why, body) in [
        ("empty name", json!({"displayName": ""})),
        ("null name", json!({"displayName": null})),
        ("wrong type", json!({"displayName": 7})),
        (
            "bad language",
            json!({"preferredLanguage": "not a language"}),
        ),
        ("read-only", json!({"id": tid})),
        ("read-only", json!({"verifiedDomains": []})),
        (
            "unsupported",
            json!({"technicalNotificationMails": ["it@contoso.example"]}),
        ),
        (
            "contact email",
            json!({"privacyProfile": {"contactEmail": "privacy@contoso.example"}}),
        ),
        (
            "bad privacy URL",
            json!({"privacyProfile": {"statementUrl": "javascript:alert(1)"}}),
        ),
        ("privacy not an object", json!({"privacyProfile": "x"})),
        ("unknown", json!({"shoeSize": 44})),
    ] {
        let (status, _, e) = graph(
            &f,
            "PATCH",
            &format!("/v1.0/organization/{tid}"),
            Some(&writer),
            Some(&body),
        )
        .await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{why}: {e}"
        );
    }
    let (status, _, e) = graph_raw(
        &f,
        "PATCH",
        &format!("/v1.0/organization/{tid}"),
        Some(&writer),
        Some("[1]".into()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let t = f.state.app.store.get_tenant(f.tenant.id).await.unwrap();
    assert_eq!(t.display_name, "Contoso");
    assert_eq!(
        t.branding.privacy_statement_url.as_deref(),
        Some("https://contoso.example/privacy")
    );

    // only what is sent changes; privacyProfile null removes the statement
    let (status, _, body) = graph(
        &f,
        "PATCH",
        &format!("/v1.0/organization/{tid}"),
        Some(&writer),
        Some(&json!({"privacyProfile": null})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, _, org) = graph(&f, "GET", "/v1.0/organization", Some(&reader), None).await;
    assert_eq!(org["value"][0]["displayName"], "Contoso");
    assert_eq!(org["value"][0]["privacyProfile"], Value::Null);

    // branding: nothing set yet
    let branding_path = format!("/v1.0/organization/{tid}/branding");
    let (status, _, b) = graph(&f, "GET", &branding_path, Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["id"], "0");
    assert_eq!(b["backgroundColor"], Value::Null);
    assert_eq!(b["signInPageText"], Value::Null);
    assert!(
        b["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#branding")
    );
    let (status, _, e) = graph(
        &f,
        "PATCH",
        &branding_path,
        Some(&reader),
        Some(&json!({"signInPageText": "Nope"})),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
        "{e}"
    );
    let (status, _, body) = graph(
        &f,
        "PATCH",
        &branding_path,
        Some(&writer),
        Some(&json!({
            "backgroundColor": "#0f6cbd",
            "signInPageText": "Welcome to Contoso",
            "bannerLogo": "https://cdn.contoso.example/logo.png",
            "customPrivacyAndCookiesUrl": "https://contoso.example/privacy",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, _, b) = graph(&f, "GET", &branding_path, Some(&reader), None).await;
    assert_eq!(b["backgroundColor"], "#0F6CBD");
    assert_eq!(b["signInPageText"], "Welcome to Contoso");
    assert_eq!(b["bannerLogo"], "https://cdn.contoso.example/logo.png");
    assert_eq!(
        b["customPrivacyAndCookiesUrl"],
        "https://contoso.example/privacy"
    );
    let (_, _, org) = graph(&f, "GET", "/v1.0/organization", Some(&reader), None).await;
    assert_eq!(
        org["value"][0]["privacyProfile"]["statementUrl"], "https://contoso.example/privacy",
        "one privacy statement"
    );
    assert_eq!(org["value"][0]["displayName"], "Contoso");
    let (status, _, sel) = graph(
        &f,
        "GET",
        &format!("{branding_path}?$select=backgroundColor"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sel}");
    assert_eq!(sel["backgroundColor"], "#0F6CBD");
    assert!(sel.get("signInPageText").is_none());

    // bad inputs: each refused, nothing changes
    for (why, body) in [
        ("not a colour", json!({"backgroundColor": "blue"})),
        (
            "http logo",
            json!({"bannerLogo": "http://cdn.contoso.example/logo.png"}),
        ),
        ("relative logo", json!({"bannerLogo": "/logo.png"})),
        ("wrong type", json!({"signInPageText": 5})),
        ("too long", json!({"signInPageText": "x".repeat(300)})),
        (
            "unsupported",
            json!({"usernameHintText": "you@contoso.example"}),
        ),
        ("unsupported stream", json!({"backgroundImage": "AAAA"})),
        ("read-only", json!({"cdnList": []})),
        ("read-only", json!({"id": "fr-FR"})),
        ("unknown", json!({"shoeSize": 44})),
    ] {
        let (status, _, e) = graph(&f, "PATCH", &branding_path, Some(&writer), Some(&body)).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "{why}: {e}"
        );
    }
    let (_, _, b) = graph(&f, "GET", &branding_path, Some(&reader), None).await;
    assert_eq!(b["backgroundColor"], "#0F6CBD");
    assert_eq!(b["bannerLogo"], "https://cdn.contoso.example/logo.png");

    // null or "" clears one property; the others stay
    let (status, _, body) = graph(
        &f,
        "PATCH",
        &branding_path,
        Some(&writer),
        Some(&json!({"signInPageText": null, "backgroundColor": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, _, b) = graph(&f, "GET", &branding_path, Some(&reader), None).await;
    assert_eq!(b["signInPageText"], Value::Null);
    assert_eq!(b["backgroundColor"], Value::Null);
    assert_eq!(b["bannerLogo"], "https://cdn.contoso.example/logo.png");
    let t = f.state.app.store.get_tenant(f.tenant.id).await.unwrap();
    assert_eq!(t.branding.name, None);
    assert_eq!(t.display_name, "Contoso");
}

/// Every new route refuses no token (401), a forged token (401) and a token without the
/// permission (403), with Graph's codes.
async fn every_new_route_refuses_unauthorized_callers(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let users_only = app_token(&f, &["User.Read.All"]).await;
    let tid = f.tenant.id.to_string();
    let domain = f.tenant.initial_domain.as_str().to_owned();
    let routes = [
        ("GET", "/v1.0/domains".to_owned()),
        ("POST", "/v1.0/domains".to_owned()),
        ("GET", format!("/v1.0/domains/{domain}")),
        ("PATCH", format!("/v1.0/domains/{domain}")),
        ("DELETE", format!("/v1.0/domains/{domain}")),
        ("POST", format!("/v1.0/domains/{domain}/verify")),
        (
            "GET",
            format!("/v1.0/domains/{domain}/verificationDnsRecords"),
        ),
        ("GET", format!("/v1.0/organization/{tid}")),
        ("PATCH", format!("/v1.0/organization/{tid}")),
        ("GET", format!("/v1.0/organization/{tid}/branding")),
        ("PATCH", format!("/v1.0/organization/{tid}/branding")),
    ];
    let body = || Some(json!({"id": "x.example", "isDefault": true}).to_string());
    for (method, path) in &routes {
        let (status, headers, e) = graph_raw(&f, method, path, None, body(), &[]).await;
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
            &[],
        )
        .await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"),
            "{method} {path} alg none"
        );
        let (status, _, e) = graph_raw(&f, method, path, Some(&users_only), body(), &[]).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
            "{method} {path} with User.Read.All: {e}"
        );
    }
    // nothing changed
    let t = f.state.app.store.get_tenant(f.tenant.id).await.unwrap();
    assert_eq!(t.display_name, f.tenant.display_name);
    let domains = f.state.app.list_domains(f.tenant.id).await.unwrap();
    assert_eq!(domains.len(), 1);
    assert!(domains[0].is_default);
}

portico_store::backend_tests!(
    domains_are_managed_through_graph,
    organization_and_branding_are_updated_through_graph,
    every_new_route_refuses_unauthorized_callers
);
