//! Social identity providers (Graph `identity/identityProviders`) through the real router, on
//! SQLite and PostgreSQL: add, read (the secret masked, stored only sealed), change, delete;
//! who may; bad input refused without a change; one of each type; the audit events; another
//! tenant's providers are its own.

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
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_store::Store;
use serde_json::json;
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, graph};

const IDPS: &str = "/v1.0/identity/identityProviders";

async fn identity_providers_are_configured_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let reader = app_token(&f, &["IdentityProvider.Read.All"]).await;
    let writer = app_token(&f, &["IdentityProvider.ReadWrite.All"]).await;
    let unrelated = app_token(&f, &["Directory.ReadWrite.All", "Policy.Read.All"]).await;

    // none yet; the types that can be added
    let (status, _, v) = graph(&f, "GET", IDPS, Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["value"], json!([]));
    let (status, _, v) = graph(
        &f,
        "GET",
        &format!("{IDPS}/availableProviderTypes"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["value"],
        json!(["Google", "Facebook", "MicrosoftAccount", "OpenIDConnect"])
    );
    // the same as an OData function call, the way the Graph SDKs ask
    let (status, _, v) = graph(
        &f,
        "GET",
        &format!("{IDPS}/availableProviderTypes()"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["value"][0], "Google");

    // who may
    let google = json!({
        "@odata.type": "#microsoft.graph.socialIdentityProvider",
        "displayName": "Gmail",
        "identityProviderType": "Google",
        "clientId": "1234-google.apps.example",
        "clientSecret": "GOCSPX-very-secret"
    });
    let (status, _, _) = graph(&f, "GET", IDPS, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, v) = graph(&f, "GET", IDPS, Some(&unrelated), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    for token in [&reader, &unrelated] {
        let (status, _, v) = graph(&f, "POST", IDPS, Some(token), Some(&google)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
        assert_eq!(v["error"]["code"], "Authorization_RequestDenied", "{v}");
    }

    // bad input: each refused naming what is wrong, nothing created
    let with = |k: &str, v: serde_json::Value| {
        let mut b = google.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = google.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    for (bad, names) in [
        (
            with("identityProviderType", json!("Amazon")),
            "identityProviderType",
        ),
        (without("identityProviderType"), "identityProviderType"),
        (without("clientId"), "clientId"),
        (with("clientId", json!("  ")), "clientId"),
        (without("clientSecret"), "clientSecret"),
        (with("clientSecret", json!("a\u{7}b")), "clientSecret"),
        (with("clientSecret", json!(42)), "clientSecret"),
        (with("clientSecret", json!("******")), "clientSecret"),
        (with("displayName", json!("")), "displayName"),
        (with("id", json!("Mine-OAUTH")), "id"),
        (with("shoeSize", json!(42)), "shoeSize"),
        (
            with(
                "@odata.type",
                json!("#microsoft.graph.openIdConnectIdentityProvider"),
            ),
            "@odata.type",
        ),
    ] {
        let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{bad}: {message}");
    }
    let (_, _, v) = graph(&f, "GET", IDPS, Some(&reader), None).await;
    assert_eq!(v["value"], json!([]), "bad input created nothing");

    // add: 201, Graph's fixed id, the secret masked
    let (status, headers, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&google)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["@odata.type"], "#microsoft.graph.socialIdentityProvider");
    assert_eq!(v["id"], "Google-OAUTH");
    assert_eq!(v["displayName"], "Gmail");
    assert_eq!(v["identityProviderType"], "Google");
    assert_eq!(v["clientId"], "1234-google.apps.example");
    assert_eq!(v["clientSecret"], "******");
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .ends_with("/v1.0/identity/identityProviders/Google-OAUTH")
    );
    // the secret is stored sealed, never in clear
    let stored = f
        .state
        .app
        .store
        .get_identity_provider(f.tenant.id, "Google-OAUTH")
        .await
        .unwrap();
    let sealed = stored.secret_sealed.unwrap();
    assert!(!sealed.contains("very-secret"), "{sealed}");
    assert!(!stored.settings.contains("very-secret"));

    // one of each type (400, as Graph answers duplicates)
    let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&google)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already has a Google identity provider"),
        "{v}"
    );
    let facebook = json!({"identityProviderType": "Facebook", "clientId": "fb-app", "clientSecret": "fb-secret"});
    let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&facebook)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["displayName"], "Facebook", "the type names it by default");

    // read: list by id, one by id (any case), $select
    let (_, _, v) = graph(&f, "GET", IDPS, Some(&reader), None).await;
    let ids: Vec<&str> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["Facebook-OAUTH", "Google-OAUTH"]);
    assert!(
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["clientSecret"] == "******")
    );
    let (status, _, v) = graph(
        &f,
        "GET",
        &format!("{IDPS}/google-oauth?$select=clientId"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["clientId"], "1234-google.apps.example");
    assert!(v.get("displayName").is_none(), "{v}");
    for missing in ["MicrosoftAccount-OAUTH", "Amazon-OAUTH", "nothing"] {
        let (status, _, v) =
            graph(&f, "GET", &format!("{IDPS}/{missing}"), Some(&reader), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {v}");
    }

    // change: display name, client id, secret; the type is read-only
    for (bad, names) in [
        (
            json!({"identityProviderType": "Facebook"}),
            "identityProviderType",
        ),
        (json!({"clientId": null}), "clientId"),
        (json!({"clientSecret": ""}), "clientSecret"),
        (json!({"id": "x"}), "id"),
    ] {
        let (status, _, v) = graph(
            &f,
            "PATCH",
            &format!("{IDPS}/Google-OAUTH"),
            Some(&writer),
            Some(&bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(names),
            "{bad}: {v}"
        );
    }
    let (status, _, v) = graph(
        &f,
        "PATCH",
        &format!("{IDPS}/Google-OAUTH"),
        Some(&reader),
        Some(&json!({"displayName": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, _, v) = graph(
        &f,
        "PATCH",
        &format!("{IDPS}/Google-OAUTH"),
        Some(&writer),
        Some(&json!({"displayName": "Google accounts", "clientId": "5678-google", "clientSecret": "rotated-secret"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    let (_, _, v) = graph(
        &f,
        "GET",
        &format!("{IDPS}/Google-OAUTH"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (v["displayName"].as_str(), v["clientId"].as_str()),
        (Some("Google accounts"), Some("5678-google"))
    );
    let resealed = f
        .state
        .app
        .store
        .get_identity_provider(f.tenant.id, "Google-OAUTH")
        .await
        .unwrap()
        .secret_sealed
        .unwrap();
    assert_ne!(resealed, sealed, "the new secret is stored");
    // an empty change, the same values again, or the object as read sent back (its secret
    // masked) are accepted and write nothing: no audit event, the secret kept
    let (_, _, as_read) = graph(
        &f,
        "GET",
        &format!("{IDPS}/Google-OAUTH"),
        Some(&reader),
        None,
    )
    .await;
    let mut round_trip = as_read.clone();
    for k in ["@odata.context", "id", "identityProviderType"] {
        round_trip.as_object_mut().unwrap().remove(k);
    }
    for body in [json!({}), json!({"clientId": "5678-google"}), round_trip] {
        let (status, _, v) = graph(
            &f,
            "PATCH",
            &format!("{IDPS}/Google-OAUTH"),
            Some(&writer),
            Some(&body),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}: {v}");
    }
    let kept = f
        .state
        .app
        .store
        .get_identity_provider(f.tenant.id, "Google-OAUTH")
        .await
        .unwrap()
        .secret_sealed
        .unwrap();
    assert_eq!(kept, resealed, "sending the mask back kept the secret");
    let (status, _, v) = graph(
        &f,
        "PATCH",
        &format!("{IDPS}/MicrosoftAccount-OAUTH"),
        Some(&writer),
        Some(&json!({"displayName": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");

    // audited, never with the secret
    let events = f
        .state
        .app
        .store
        .list_audit_events(f.tenant.id, 50, None)
        .await
        .unwrap();
    let activities: Vec<&str> = events
        .iter()
        .map(|e| e.activity_display_name.as_str())
        .collect();
    assert_eq!(
        activities
            .iter()
            .filter(|a| **a == "Add identity provider")
            .count(),
        2
    );
    assert_eq!(
        activities
            .iter()
            .filter(|a| **a == "Update identity provider")
            .count(),
        1
    );
    let all = format!("{events:?}");
    assert!(!all.contains("very-secret") && !all.contains("rotated-secret"));
    assert!(
        all.contains("clientSecret"),
        "the secret's change is recorded"
    );

    // another tenant's providers are its own
    let other = f
        .state
        .app
        .create_tenant(&Context::system("test"), "Fabrikam")
        .await
        .unwrap();
    let other_reader =
        support::graph::app_token_in(&f, other.id, &["IdentityProvider.Read.All"]).await;
    let (_, _, v) = graph(&f, "GET", IDPS, Some(&other_reader), None).await;
    assert_eq!(v["value"], json!([]));

    // delete
    let (status, _, v) = graph(
        &f,
        "DELETE",
        &format!("{IDPS}/Facebook-OAUTH"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, _, v) = graph(
        &f,
        "DELETE",
        &format!("{IDPS}/Facebook-OAUTH"),
        Some(&writer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    let (status, _, _) = graph(
        &f,
        "DELETE",
        &format!("{IDPS}/Facebook-OAUTH"),
        Some(&writer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, v) = graph(&f, "GET", IDPS, Some(&reader), None).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
}

/// A signed-in user with the delegated permission still needs a directory role that manages
/// identity providers, to read them too (as in Entra); the role opens both.
async fn signed_in_users_need_an_identity_provider_role(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let admin = app_token(
        &f,
        &[
            "Application.ReadWrite.All",
            "DelegatedPermissionGrant.ReadWrite.All",
        ],
    )
    .await;
    let user_token =
        support::graph::delegated_user_token(&f, &admin, "IdentityProvider.ReadWrite.All").await;

    // the permission alone: refused, reads included
    let google = json!({"identityProviderType": "Google", "clientId": "c", "clientSecret": "s"});
    for (method, path, body) in [
        ("GET", IDPS.to_owned(), None),
        ("GET", format!("{IDPS}/availableProviderTypes"), None),
        ("POST", IDPS.to_owned(), Some(&google)),
    ] {
        let (status, _, v) = graph(&f, method, &path, Some(&user_token), body).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("Authorization_RequestDenied")),
            "{method} {path}: {v}"
        );
    }
    // with the External Identity Provider Administrator role: allowed
    let user = f
        .state
        .app
        .store
        .find_user_by_upn(f.tenant.id, &f.upn)
        .await
        .unwrap();
    f.state
        .app
        .assign_role(
            &Context::system("test"),
            f.tenant.id,
            &RoleAssignment {
                id: portico_domain::RoleAssignmentId::new(),
                role: DirectoryRole::ExternalIdentityProviderAdministrator,
                principal: ObjectRef {
                    kind: ObjectKind::User,
                    id: user.id.0,
                },
                directory_scope_id: "/".into(),
                created_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await
        .unwrap();
    let (status, _, v) = graph(&f, "POST", IDPS, Some(&user_token), Some(&google)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (status, _, v) = graph(&f, "GET", IDPS, Some(&user_token), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["value"][0]["id"], "Google-OAUTH");
}

/// OIDC federations: added with their domains (Portico's extension), read with the secret
/// masked and the defaults filled in, changed, deleted; one provider per domain; never the
/// tenant's own verified domains nor Gmail's; bad input named, nothing written.
async fn oidc_federations_are_configured_through_graph(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let writer = app_token(&f, &["IdentityProvider.ReadWrite.All"]).await;
    let fabrikam = json!({
        "@odata.type": "#microsoft.graph.oidcIdentityProvider",
        "displayName": "Fabrikam",
        "issuer": "https://login.fabrikam.test",
        "clientId": "portico-client",
        "clientAuthentication": {
            "@odata.type": "#microsoft.graph.oidcClientSecretAuthentication",
            "clientSecret": "fabrikam-secret"
        },
        "inboundClaimMapping": {"sub": "oid"},
        "domains": ["Fabrikam.test", "fabrikam-partners.test"]
    });
    let with = |k: &str, v: serde_json::Value| {
        let mut b = fabrikam.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = fabrikam.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    for (bad, names) in [
        (
            with("issuer", json!("http://login.fabrikam.test")),
            "issuer",
        ),
        (without("issuer"), "issuer"),
        (without("displayName"), "displayName"),
        (without("clientAuthentication"), "clientAuthentication"),
        (
            with("clientAuthentication", json!({"clientSecret": 7})),
            "clientAuthentication",
        ),
        (
            with("clientAuthentication", json!({"clientSecret": "******"})),
            "clientSecret",
        ),
        (with("responseType", json!("id_token")), "responseType"),
        (with("scope", json!("openid \"x\"")), "scope"),
        (
            with("inboundClaimMapping", json!({"shoe": "size"})),
            "inboundClaimMapping",
        ),
        (with("domains", json!([])), "domains"),
        (with("domains", json!(["gmail.com"])), "gmail.com"),
        (with("domains", json!(["not a domain"])), "domains"),
        (
            with("domains", json!([f.tenant.initial_domain.as_str()])),
            "verified domain",
        ),
        (
            with("wellKnownEndpoint", json!("ftp://x.test/")),
            "wellKnownEndpoint",
        ),
        (
            with("identityProviderType", json!("Google")),
            "identityProviderType",
        ),
    ] {
        let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{bad}: {message}");
    }
    let (_, _, v) = graph(&f, "GET", IDPS, Some(&writer), None).await;
    assert_eq!(v["value"], json!([]), "bad input created nothing");

    let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&fabrikam)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::try_parse(&id).is_ok(), "{id}");
    assert_eq!(v["@odata.type"], "#microsoft.graph.oidcIdentityProvider");
    assert_eq!(
        v["wellKnownEndpoint"],
        "https://login.fabrikam.test/.well-known/openid-configuration"
    );
    assert_eq!(v["clientAuthentication"]["clientSecret"], "******");
    assert_eq!(v["scope"], "openid profile email");
    assert_eq!(v["responseType"], "code");
    assert_eq!(v["inboundClaimMapping"]["sub"], "oid");
    assert_eq!(v["inboundClaimMapping"]["email"], "email");
    assert_eq!(
        v["domains"],
        json!(["fabrikam-partners.test", "fabrikam.test"])
    );
    assert!(!v.to_string().contains("fabrikam-secret"));
    let stored = f
        .state
        .app
        .store
        .get_identity_provider(f.tenant.id, &id)
        .await
        .unwrap();
    assert!(!format!("{stored:?} {}", stored.settings).contains("fabrikam-secret"));

    // a domain is served by one provider; the same issuer twice is refused
    let mut second = with("domains", json!(["fabrikam.test"]));
    second["issuer"] = json!("https://other.fabrikam.test");
    let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&second)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fabrikam.test"),
        "{v}"
    );
    let same_issuer = with("domains", json!(["contoso.test"]));
    let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&same_issuer)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    // PATCH: only its own properties; the type cannot change
    let one = format!("{IDPS}/{}", id.to_uppercase());
    for (bad, names) in [
        (
            json!({"identityProviderType": "Google"}),
            "identityProviderType",
        ),
        (json!({"clientSecret": "x"}), "clientSecret"),
        (
            json!({"@odata.type": "#microsoft.graph.socialIdentityProvider", "displayName": "x"}),
            "cannot change",
        ),
        (json!({"domains": null}), "domains"),
        (json!({"domains": ["gmail.com"]}), "gmail.com"),
    ] {
        let (status, _, v) = graph(&f, "PATCH", &one, Some(&writer), Some(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(names),
            "{bad}: {v}"
        );
    }
    let (status, _, v) = graph(
        &f,
        "PATCH",
        &one,
        Some(&writer),
        Some(&json!({"domains": ["contoso.test"], "clientAuthentication": {"clientSecret": "******"}})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    let (_, _, v) = graph(&f, "GET", &one, Some(&writer), None).await;
    assert_eq!(v["domains"], json!(["contoso.test"]));
    assert_eq!(
        f.state
            .app
            .store
            .get_identity_provider(f.tenant.id, &id)
            .await
            .unwrap()
            .secret_sealed,
        stored.secret_sealed,
        "the mask keeps the secret"
    );
    // fabrikam.test is free again
    let (status, _, v) = graph(&f, "POST", IDPS, Some(&writer), Some(&second)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let events = f
        .state
        .app
        .store
        .list_audit_events(f.tenant.id, 50, None)
        .await
        .unwrap();
    let update = events
        .iter()
        .find(|e| e.activity_display_name == "Update identity provider")
        .unwrap();
    let text = serde_json::to_string(&update.target_resources).unwrap();
    assert!(
        text.contains("domains") && !text.contains("clientSecret"),
        "{text}"
    );

    let (status, _, _) = graph(&f, "DELETE", &one, Some(&writer), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, v) = graph(&f, "GET", IDPS, Some(&writer), None).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
}

portico_store::backend_tests!(
    identity_providers_are_configured_through_graph,
    signed_in_users_need_an_identity_provider_role,
    oidc_federations_are_configured_through_graph
);
