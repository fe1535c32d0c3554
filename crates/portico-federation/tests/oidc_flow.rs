//! The relying party against an in-process OpenID Connect provider over loopback HTTP:
//! the happy path, every id_token check, key rotation, metadata and token endpoint failures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod support;

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openidconnect::core::CoreJwsSigningAlgorithm;
use openidconnect::{PkceCodeChallenge, PkceCodeVerifier, PrivateSigningKey};
use portico_federation::{Begin, Federation, FederationError, IdClaims, OidcProvider};
use serde_json::{Value, json};
use support::{
    Answer, CLIENT_ID, CLIENT_SECRET, CODE, REDIRECT_URI, TestIdp, TestKey, federation,
    signing_input, unix_now,
};

/// begin(), then the provider issues whatever `make_token` signs for the nonce, then finish().
async fn sign_in(
    fed: &Federation,
    idp: &TestIdp,
    provider: &OidcProvider,
    make_token: impl FnOnce(&str) -> String,
) -> Result<IdClaims, FederationError> {
    let begin = fed.begin(provider, "state-1", None).await.unwrap();
    idp.issue(&make_token(&begin.nonce));
    fed.finish(provider, CODE, &begin.pkce_verifier, &begin.nonce)
        .await
}

fn query(begin: &Begin) -> HashMap<String, String> {
    url::Url::parse(&begin.url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn assert_invalid_id_token(result: Result<IdClaims, FederationError>, hint: &str) {
    match result {
        Err(FederationError::InvalidIdToken(reason)) => {
            assert!(
                reason.to_lowercase().contains(hint),
                "expected `{hint}` in `{reason}`"
            );
        }
        other => panic!("expected InvalidIdToken ({hint}), got {other:?}"),
    }
}

#[tokio::test]
async fn happy_path_builds_the_authorization_url_and_returns_verified_claims() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();
    let state = format!("sealed.{}-+/=~_ä", "x".repeat(3000));

    let begin = fed
        .begin(&provider, &state, Some("ada@partner.example"))
        .await
        .unwrap();
    let url = url::Url::parse(&begin.url).unwrap();
    assert_eq!(
        url.as_str().split('?').next().unwrap(),
        format!("{}/authorize", idp.issuer)
    );
    let q = query(&begin);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT_URI);
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(q["state"], state, "state must round-trip exactly");
    assert_eq!(q["nonce"], begin.nonce);
    assert_eq!(q["code_challenge_method"], "S256");
    let expected_challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
        begin.pkce_verifier.clone(),
    ));
    assert_eq!(q["code_challenge"], expected_challenge.as_str());
    assert_eq!(q["login_hint"], "ada@partner.example");
    assert!(URL_SAFE_NO_PAD.decode(&begin.nonce).unwrap().len() >= 16);
    assert!(begin.pkce_verifier.len() >= 43);

    idp.issue(&key.sign(&idp.good_claims(&begin.nonce)));
    let claims = fed
        .finish(&provider, CODE, &begin.pkce_verifier, &begin.nonce)
        .await
        .unwrap();
    assert_eq!(claims.issuer, idp.issuer);
    assert_eq!(claims.subject, "user-123");
    assert_eq!(claims.email.as_deref(), Some("ada@partner.example"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(claims.given_name.as_deref(), Some("Ada"));
    assert_eq!(claims.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(claims.amr, vec!["pwd", "mfa"]);
    assert_eq!(claims.acr.as_deref(), Some("urn:partner:mfa"));
    assert_eq!(
        claims.claims.get("department"),
        Some(&json!("Analytical Engines"))
    );
    assert_eq!(claims.claims.get("nonce"), Some(&json!(begin.nonce)));

    // The token request: the code, the verifier, the redirect URI, client_secret_basic.
    let request = idp.last_token_request();
    let form = request.form();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], CODE);
    assert_eq!(form["code_verifier"], begin.pkce_verifier);
    assert_eq!(form["redirect_uri"], REDIRECT_URI);
    assert!(!form.contains_key("client_secret"));
    let basic = request.headers["authorization"]
        .strip_prefix("Basic ")
        .unwrap();
    let pair = String::from_utf8(STANDARD.decode(basic).unwrap()).unwrap();
    let (id, secret) = pair.split_once(':').unwrap();
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned()
    };
    assert_eq!(decode(id), CLIENT_ID);
    assert_eq!(decode(secret), CLIENT_SECRET);

    // Metadata and keys were fetched once and reused.
    assert_eq!(idp.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(idp.hits("/jwks"), 1);
}

#[tokio::test]
async fn email_verified_may_be_a_string() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();
    for (sent, expected) in [(json!("true"), Some(true)), (json!("false"), Some(false))] {
        let claims = sign_in(&fed, &idp, &provider, |nonce| {
            let mut claims = idp.good_claims(nonce);
            claims["email_verified"] = sent.clone();
            key.sign(&claims)
        })
        .await
        .unwrap();
        assert_eq!(claims.email_verified, expected, "sent {sent}");
    }
}

#[tokio::test]
async fn eddsa_and_es256_tokens_are_accepted() {
    let ed = TestKey::ed25519();
    let ec = TestKey::p256();
    let idp = TestIdp::start(vec![ed.jwk(), ec.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();
    for key in [&ed, &ec] {
        let claims = sign_in(&fed, &idp, &provider, |nonce| {
            key.sign(&idp.good_claims(nonce))
        })
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", key.kid()));
        assert_eq!(claims.subject, "user-123");
    }
}

#[tokio::test]
async fn client_secret_post_is_used_when_basic_is_not_offered() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let mut doc = idp.discovery_document();
    doc["token_endpoint_auth_methods_supported"] = json!(["client_secret_post"]);
    idp.set_discovery(&doc);
    let fed = federation();
    sign_in(&fed, &idp, &idp.provider(), |nonce| {
        key.sign(&idp.good_claims(nonce))
    })
    .await
    .unwrap();
    let request = idp.last_token_request();
    assert!(!request.headers.contains_key("authorization"));
    let form = request.form();
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], CLIENT_SECRET);
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    let result = sign_in(&fed, &idp, &idp.provider(), |_| {
        key.sign(&idp.good_claims("some-other-nonce"))
    })
    .await;
    assert_invalid_id_token(result, "nonce");

    let result = sign_in(&fed, &idp, &idp.provider(), |nonce| {
        let mut claims = idp.good_claims(nonce);
        claims.as_object_mut().unwrap().remove("nonce");
        key.sign(&claims)
    })
    .await;
    assert_invalid_id_token(result, "nonce");
}

#[tokio::test]
async fn unsigned_and_hmac_tokens_are_refused() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();

    // alg: none, with and without a kid.
    for header in [
        json!({"alg": "none"}),
        json!({"alg": "none", "kid": "key-a", "typ": "JWT"}),
    ] {
        let result = sign_in(&fed, &idp, &idp.provider(), |nonce| {
            format!("{}.", signing_input(&header, &idp.good_claims(nonce)))
        })
        .await;
        assert_invalid_id_token(result, "alg none");
    }

    // HS256 keyed with the client secret: never accepted.
    let result = sign_in(&fed, &idp, &idp.provider(), |nonce| {
        let header = json!({"alg": "HS256", "typ": "JWT"});
        let input = signing_input(&header, &idp.good_claims(nonce));
        let mac = openidconnect::core::CoreHmacKey::new(CLIENT_SECRET.as_bytes())
            .sign(&CoreJwsSigningAlgorithm::HmacSha256, input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac))
    })
    .await;
    assert_invalid_id_token(result, "hs256");

    // A valid signature over different claims (tampered payload).
    let result = sign_in(&fed, &idp, &idp.provider(), |nonce| {
        let signed = key.sign(&idp.good_claims(nonce));
        let mut claims = idp.good_claims(nonce);
        claims["sub"] = json!("admin");
        let parts: Vec<&str> = signed.split('.').collect();
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        format!("{}.{payload}.{}", parts[0], parts[2])
    })
    .await;
    assert_invalid_id_token(result, "signature");
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();

    let with = |changes: Value| {
        let key = &key;
        let idp = &idp;
        move |nonce: &str| {
            let mut claims = idp.good_claims(nonce);
            claims
                .as_object_mut()
                .unwrap()
                .extend(changes.as_object().unwrap().clone());
            key.sign(&claims)
        }
    };

    let result = sign_in(&fed, &idp, &provider, with(json!({"aud": "someone-else"}))).await;
    assert_invalid_id_token(result, "audience");

    // Several audiences need azp = this client.
    let result = sign_in(
        &fed,
        &idp,
        &provider,
        with(json!({"aud": [CLIENT_ID, "other-app"]})),
    )
    .await;
    assert_invalid_id_token(result, "azp");
    let result = sign_in(
        &fed,
        &idp,
        &provider,
        with(json!({"aud": [CLIENT_ID, "other-app"], "azp": "other-app"})),
    )
    .await;
    assert_invalid_id_token(result, "azp");
    let claims = sign_in(
        &fed,
        &idp,
        &provider,
        with(json!({"aud": [CLIENT_ID, "other-app"], "azp": CLIENT_ID})),
    )
    .await
    .unwrap();
    assert_eq!(claims.subject, "user-123");
}

#[tokio::test]
async fn a_wrong_issuer_in_the_id_token_is_refused() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    for iss in [
        "https://evil.example".to_owned(),
        format!("{}/", idp.issuer),
        idp.issuer.to_uppercase(),
    ] {
        let result = sign_in(&fed, &idp, &idp.provider(), |nonce| {
            let mut claims = idp.good_claims(nonce);
            claims["iss"] = json!(iss);
            key.sign(&claims)
        })
        .await;
        assert_invalid_id_token(result, "issuer");
    }
}

#[tokio::test]
async fn expired_and_future_tokens_are_refused() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    let now = unix_now();

    let result = sign_in(&fed, &idp, &idp.provider(), |nonce| {
        let mut claims = idp.good_claims(nonce);
        claims["exp"] = json!(now - 60);
        claims["iat"] = json!(now - 600);
        key.sign(&claims)
    })
    .await;
    assert_invalid_id_token(result, "expired");

    let result = sign_in(&fed, &idp, &idp.provider(), |nonce| {
        let mut claims = idp.good_claims(nonce);
        claims["iat"] = json!(now + 3600);
        claims["exp"] = json!(now + 7200);
        key.sign(&claims)
    })
    .await;
    assert_invalid_id_token(result, "future");

    // Within the 5 minutes of allowed skew.
    sign_in(&fed, &idp, &idp.provider(), |nonce| {
        let mut claims = idp.good_claims(nonce);
        claims["iat"] = json!(now + 60);
        key.sign(&claims)
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_rotated_key_is_found_after_one_jwks_refresh() {
    let a = TestKey::rsa_a();
    let b = TestKey::rsa_b();
    let idp = TestIdp::start(vec![a.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();

    // Key A is cached by begin(); the provider then rotates to B.
    let begin = fed.begin(&provider, "s", None).await.unwrap();
    assert_eq!(idp.hits("/jwks"), 1);
    idp.set_jwks(vec![a.jwk(), b.jwk()]);
    idp.issue(&b.sign(&idp.good_claims(&begin.nonce)));
    let claims = fed
        .finish(&provider, CODE, &begin.pkce_verifier, &begin.nonce)
        .await
        .unwrap();
    assert_eq!(claims.subject, "user-123");
    assert_eq!(idp.hits("/jwks"), 2, "the JWKS was refetched once");

    // B is now cached: no further fetch.
    sign_in(&fed, &idp, &provider, |nonce| {
        b.sign(&idp.good_claims(nonce))
    })
    .await
    .unwrap();
    assert_eq!(idp.hits("/jwks"), 2);
}

#[tokio::test]
async fn an_unknown_key_fails_after_one_rate_limited_refresh() {
    let a = TestKey::rsa_a();
    let idp = TestIdp::start(vec![a.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();

    let result = sign_in(&fed, &idp, &provider, |nonce| {
        a.sign_with_kid(&idp.good_claims(nonce), "no-such-kid")
    })
    .await;
    assert_invalid_id_token(result, "no key");
    assert_eq!(idp.hits("/jwks"), 2, "cached fetch plus one forced refresh");

    // Within 10 s the forced refresh is not repeated.
    let result = sign_in(&fed, &idp, &provider, |nonce| {
        a.sign_with_kid(&idp.good_claims(nonce), "no-such-kid")
    })
    .await;
    assert_invalid_id_token(result, "no key");
    assert_eq!(idp.hits("/jwks"), 2);
}

#[tokio::test]
async fn a_discovery_issuer_mismatch_is_bad_metadata() {
    let idp = TestIdp::start(vec![TestKey::rsa_a().jwk()]).await;
    let mut doc = idp.discovery_document();
    doc["issuer"] = json!("https://someone-else.example");
    idp.set_discovery(&doc);
    let err = federation()
        .begin(&idp.provider(), "s", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FederationError::BadMetadata(ref m) if m.contains("issuer")),
        "{err}"
    );
}

#[tokio::test]
async fn unusable_metadata_is_bad_metadata() {
    let idp = TestIdp::start(vec![TestKey::rsa_a().jwk()]).await;
    let provider = idp.provider();
    let bad_answers = [
        Answer::json(404, &json!({"error": "nope"})),
        Answer {
            status: 200,
            content_type: "text/html",
            body: b"<html>hello</html>".to_vec(),
            headers: Vec::new(),
        },
        Answer {
            status: 302,
            content_type: "text/plain",
            body: Vec::new(),
            headers: vec![("Location".into(), format!("{}/jwks", idp.issuer))],
        },
        Answer::json(200, &{
            let mut doc = idp.discovery_document();
            doc.as_object_mut().unwrap().remove("token_endpoint");
            doc
        }),
    ];
    for answer in bad_answers {
        idp.set_discovery_answer(answer);
        let err = federation().begin(&provider, "s", None).await.unwrap_err();
        assert!(matches!(err, FederationError::BadMetadata(_)), "{err}");
    }

    idp.set_discovery(&idp.discovery_document());
    // A JWKS without usable keys, and one larger than the 1 MiB cap.
    idp.set_jwks(vec![json!({"kty": "oct", "k": "c2VjcmV0"})]);
    let err = federation().begin(&provider, "s", None).await.unwrap_err();
    assert!(
        matches!(err, FederationError::BadMetadata(ref m) if m.contains("no usable")),
        "{err}"
    );
    idp.set_jwks_answer(Answer {
        status: 200,
        content_type: "application/json",
        body: vec![b' '; portico_federation::MAX_BODY_BYTES + 1],
        headers: Vec::new(),
    });
    let err = federation().begin(&provider, "s", None).await.unwrap_err();
    assert!(
        matches!(err, FederationError::BadMetadata(ref m) if m.contains("larger")),
        "{err}"
    );

    // A 5xx is the provider being down, not bad metadata.
    idp.set_discovery_answer(Answer::json(503, &json!({})));
    let err = federation().begin(&provider, "s", None).await.unwrap_err();
    assert!(matches!(err, FederationError::Unreachable(_)), "{err}");
}

#[tokio::test]
async fn token_endpoint_refusals_and_failures_are_classified() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();
    let begin = fed.begin(&provider, "s", None).await.unwrap();
    let finish = || fed.finish(&provider, CODE, &begin.pkce_verifier, &begin.nonce);

    idp.set_token_answer(Answer::json(
        400,
        &json!({"error": "invalid_grant", "error_description": "The code has expired"}),
    ));
    match finish().await {
        Err(FederationError::TokenRefused { error, description }) => {
            assert_eq!(error, "invalid_grant");
            assert_eq!(description.as_deref(), Some("The code has expired"));
        }
        other => panic!("expected TokenRefused, got {other:?}"),
    }

    idp.set_token_answer(Answer::json(
        400,
        &json!({"error": "invalid_grant", "error_description": "x".repeat(5000)}),
    ));
    match finish().await {
        Err(FederationError::TokenRefused { description, .. }) => {
            assert!(description.unwrap().chars().count() <= 301);
        }
        other => panic!("expected TokenRefused, got {other:?}"),
    }

    idp.set_token_answer(Answer {
        status: 401,
        content_type: "text/plain",
        body: Vec::new(),
        headers: Vec::new(),
    });
    assert!(matches!(
        finish().await,
        Err(FederationError::TokenRefused { ref error, .. }) if error == "http_401"
    ));

    idp.set_token_answer(Answer::json(502, &json!({})));
    assert!(matches!(
        finish().await,
        Err(FederationError::Unreachable(_))
    ));

    idp.set_token_answer(Answer::json(
        200,
        &json!({"access_token": "at", "token_type": "Bearer"}),
    ));
    assert_invalid_id_token(finish().await, "no id_token");

    idp.issue("not-a-jwt");
    assert_invalid_id_token(finish().await, "malformed");

    idp.set_token_answer(Answer::json(200, &json!({"token_type": "Bearer"})));
    assert!(matches!(
        finish().await,
        Err(FederationError::BadMetadata(_))
    ));
}

#[tokio::test]
async fn errors_never_show_secrets_codes_or_tokens() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let fed = federation();
    let provider = idp.provider();
    let begin = fed.begin(&provider, "s", None).await.unwrap();
    let token = key.sign(&idp.good_claims("wrong"));
    let mut messages = Vec::new();
    idp.issue(&token);
    messages.push(
        fed.finish(&provider, CODE, &begin.pkce_verifier, &begin.nonce)
            .await
            .unwrap_err(),
    );
    idp.set_token_answer(Answer::json(
        400,
        &json!({"error": "invalid_grant", "error_description": format!("code {CODE} is spent")}),
    ));
    messages.push(
        fed.finish(&provider, CODE, &begin.pkce_verifier, &begin.nonce)
            .await
            .unwrap_err(),
    );
    for err in messages {
        for shown in [err.to_string(), format!("{err:?}")] {
            for secret in [
                CLIENT_SECRET,
                CODE,
                &begin.pkce_verifier,
                &begin.nonce,
                &token,
            ] {
                assert!(!shown.contains(secret), "`{shown}` leaks a secret");
            }
        }
    }
}

#[tokio::test]
async fn a_configured_discovery_url_is_used() {
    let key = TestKey::rsa_a();
    let idp = TestIdp::start(vec![key.jwk()]).await;
    let mut provider = idp.provider();
    provider.issuer = format!("{}/", idp.issuer);
    provider.discovery_url = Some(format!("{}/.well-known/openid-configuration", idp.issuer));
    // The discovery document's issuer differs from the configured one by the trailing '/':
    // exact comparison refuses it.
    let err = federation().begin(&provider, "s", None).await.unwrap_err();
    assert!(matches!(err, FederationError::BadMetadata(_)), "{err}");
    provider.issuer = idp.issuer.clone();
    federation().begin(&provider, "s", None).await.unwrap();
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let fed = federation();
    let provider = OidcProvider {
        issuer: "https://idp.example.com".into(),
        discovery_url: None,
        client_id: "c".into(),
        client_secret: "s".into(),
        scopes: Vec::new(),
        redirect_uri: REDIRECT_URI.into(),
    };
    assert_send(&fed.begin(&provider, "s", None));
    assert_send(&fed.finish(&provider, "c", "v", "n"));
}
