//! Transport behaviour: a provider that is down, one that never answers, and HTTPS with an
//! extra trusted CA (and without it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_federation::{Federation, FederationError, FederationSettings};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use support::{TestIdp, TestKey, federation};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

fn provider_at(issuer: &str) -> portico_federation::OidcProvider {
    portico_federation::OidcProvider {
        issuer: issuer.to_owned(),
        discovery_url: None,
        client_id: support::CLIENT_ID.into(),
        client_secret: support::CLIENT_SECRET.into(),
        scopes: Vec::new(),
        redirect_uri: support::REDIRECT_URI.into(),
    }
}

#[tokio::test]
async fn a_provider_that_is_down_is_unreachable_fast() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let started = Instant::now();
    let err = federation()
        .begin(&provider_at(&format!("http://{addr}")), "s", None)
        .await
        .unwrap_err();
    assert!(matches!(err, FederationError::Unreachable(_)), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let shown = err.to_string();
    assert!(
        shown.contains("refused") || shown.contains("connect"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept connections and hold them open without ever answering.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let fed = Federation::new(FederationSettings {
        timeout: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(1),
        ..FederationSettings::default()
    })
    .unwrap();
    let started = Instant::now();
    let err = fed
        .begin(&provider_at(&format!("http://{addr}")), "s", None)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    holder.abort();
    assert!(matches!(err, FederationError::Unreachable(_)), "{err}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn test_pki() -> (String, TlsAcceptor) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
    .unwrap();
    (ca_cert.pem(), TlsAcceptor::from(Arc::new(config)))
}

#[tokio::test]
async fn https_works_with_an_extra_trusted_ca_and_fails_without_it() {
    let (ca_pem, acceptor) = test_pki();
    let key = TestKey::rsa_a();
    let idp = TestIdp::start_tls(vec![key.jwk()], acceptor).await;
    assert!(idp.issuer.starts_with("https://"));
    let provider = idp.provider();

    let trusting = Federation::new(FederationSettings {
        extra_root_pem: Some(ca_pem.into_bytes()),
        ..FederationSettings::default()
    })
    .unwrap();
    let begin = trusting.begin(&provider, "s", None).await.unwrap();
    idp.issue(&key.sign(&idp.good_claims(&begin.nonce)));
    let claims = trusting
        .finish(&provider, support::CODE, &begin.pkce_verifier, &begin.nonce)
        .await
        .unwrap();
    assert_eq!(claims.subject, "user-123");

    // Mozilla's roots alone do not trust the test CA.
    let err = federation().begin(&provider, "s", None).await.unwrap_err();
    assert!(matches!(err, FederationError::Unreachable(_)), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}
