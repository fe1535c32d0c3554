//! What the caller checks when an admin configures a provider, and what `Debug` shows.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

use portico_federation::{Begin, Federation, FederationSettings, OidcProvider, presets};

#[test]
fn check_url_accepts_https_and_loopback_http_only() {
    for ok in [
        "https://idp.partner.example/.well-known/openid-configuration",
        "https://idp.partner.example:8443/realms/x",
        "http://127.0.0.1:8080/",
        "http://127.9.9.9/",
        "http://[::1]:3000/",
        "http://localhost:3000/callback",
    ] {
        let url = Federation::check_url(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert!(url.host_str().is_some());
    }
    for (bad, why) in [
        ("http://example.com/", "loopback"),
        ("http://192.168.1.10/", "loopback"),
        ("https://admin:pw@idp.partner.example/", "user name"),
        ("https://admin@idp.partner.example/", "user name"),
        ("https://idp.partner.example/#top", "fragment"),
        ("ftp://idp.partner.example/", "scheme"),
        ("idp.partner.example", "valid"),
    ] {
        let err = Federation::check_url(bad).unwrap_err();
        assert!(err.contains(why), "{bad}: `{err}` should mention {why}");
    }
}

#[test]
fn debug_never_shows_the_secret_the_verifier_or_the_nonce() {
    let provider = OidcProvider {
        issuer: "https://idp.partner.example".into(),
        discovery_url: None,
        client_id: "portico".into(),
        client_secret: "Sup3r-S3cret-Value".into(),
        scopes: vec!["email".into()],
        redirect_uri: "https://portico.example/cb".into(),
    };
    let shown = format!("{provider:?} {provider:#?}");
    assert!(!shown.contains("Sup3r-S3cret-Value"), "{shown}");
    assert!(shown.contains("portico"), "{shown}");

    let google = presets::google("gid", "G00gle-Secret", "https://portico.example/cb");
    assert!(!format!("{google:?}").contains("G00gle-Secret"));

    let begin = Begin {
        url: "https://idp.partner.example/authorize?nonce=N0nce-Value-123&code_challenge=c".into(),
        nonce: "N0nce-Value-123".into(),
        pkce_verifier: "Ver1fier-Value-456".into(),
    };
    let shown = format!("{begin:?} {begin:#?}");
    for secret in ["N0nce-Value-123", "Ver1fier-Value-456"] {
        assert!(!shown.contains(secret), "{shown}");
    }

    let settings = FederationSettings {
        extra_root_pem: Some(b"-----BEGIN CERTIFICATE-----".to_vec()),
        ..FederationSettings::default()
    };
    assert!(!format!("{settings:?}").contains("BEGIN"));
}

#[test]
fn default_settings_match_the_documented_values() {
    let s = FederationSettings::default();
    assert_eq!(s.timeout.as_secs(), 10);
    assert_eq!(s.connect_timeout.as_secs(), 5);
    assert_eq!(s.metadata_ttl.as_secs(), 3600);
    assert!(s.extra_root_pem.is_none());
}
