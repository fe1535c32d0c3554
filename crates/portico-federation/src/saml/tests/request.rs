//! AuthnRequest, request IDs and the HTTP-Redirect binding.

use std::io::Read as _;

use super::super::xml::{NS_ASSERTION, NS_PROTOCOL, attr, first_child_named, text};
use super::super::{authn_request, is_valid_request_id, redirect_url};
use super::*;

#[test]
fn request_ids() {
    let good_hex = format!("_{}", "0123456789abcdef".repeat(3).get(..40).unwrap());
    for good in ["_a", "a-b.c_d", "é1", good_hex.as_str(), &"x".repeat(256)] {
        assert!(is_valid_request_id(good), "{good}");
    }
    for bad in [
        "",
        "1abc",
        "-a",
        ".a",
        "a:b",
        "a b",
        "a\"b",
        "<a>",
        &"x".repeat(257),
    ] {
        assert!(!is_valid_request_id(bad), "{bad}");
    }
}

/// Parses a request and returns (doc text) checks through a closure.
fn with_request<T>(
    xml: &str,
    check: impl FnOnce(&uppsala::Document<'_>, uppsala::NodeId) -> T,
) -> T {
    let doc = uppsala::parse(xml).unwrap();
    let root = doc.document_element().unwrap();
    check(&doc, root)
}

#[test]
fn authn_request_fields() {
    let sp = sp();
    let xml = authn_request(
        &sp,
        "https://idp.example.test/sso",
        REQUEST_ID,
        time::macros::datetime!(2030-06-01 12:00:05.5 +02:00),
        None,
    );
    assert!(!xml.starts_with("<?xml"));
    with_request(&xml, |doc, root| {
        assert!(
            doc.element(root)
                .unwrap()
                .matches_name_ns(NS_PROTOCOL, "AuthnRequest")
        );
        assert_eq!(attr(doc, root, "ID"), Some(REQUEST_ID));
        assert_eq!(attr(doc, root, "Version"), Some("2.0"));
        assert_eq!(
            attr(doc, root, "IssueInstant"),
            Some("2030-06-01T10:00:05Z")
        );
        assert_eq!(
            attr(doc, root, "Destination"),
            Some("https://idp.example.test/sso")
        );
        assert_eq!(
            attr(doc, root, "AssertionConsumerServiceURL"),
            Some(sp.acs_url.as_str())
        );
        assert_eq!(
            attr(doc, root, "ProtocolBinding"),
            Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
        );
        let issuer = first_child_named(doc, root, NS_ASSERTION, "Issuer").unwrap();
        assert_eq!(text(doc, issuer), sp.entity_id);
        let policy = first_child_named(doc, root, NS_PROTOCOL, "NameIDPolicy").unwrap();
        assert_eq!(
            attr(doc, policy, "Format"),
            Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
        );
        assert_eq!(attr(doc, policy, "AllowCreate"), Some("true"));
        assert!(first_child_named(doc, root, NS_ASSERTION, "Subject").is_none());
    });
}

#[test]
fn login_hint_is_escaped() {
    let hostile = "x\"/><saml:Evil/>&amp;<!-- @example.test";
    let xml = authn_request(
        &sp(),
        "https://idp.example.test/sso",
        REQUEST_ID,
        now(),
        Some(hostile),
    );
    with_request(&xml, |doc, root| {
        let subject = first_child_named(doc, root, NS_ASSERTION, "Subject").unwrap();
        let name_id = first_child_named(doc, subject, NS_ASSERTION, "NameID").unwrap();
        assert_eq!(text(doc, name_id), hostile);
        assert_eq!(
            attr(doc, name_id, "Format"),
            Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
        );
        assert!(first_child_named(doc, subject, NS_ASSERTION, "Evil").is_none());
        // Subject comes before NameIDPolicy (schema order).
        let children = super::super::xml::child_elements(doc, root);
        assert_eq!(children.len(), 3);
        assert_eq!(children[1], subject);
    });
}

/// The query parameters of a URL.
fn params(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Inflates a SAMLRequest parameter value.
fn inflate(value: &str) -> String {
    let deflated = STANDARD.decode(value).unwrap();
    let mut out = String::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn redirect_binding_round_trips() {
    let xml = authn_request(
        &sp(),
        "https://idp.example.test/sso",
        REQUEST_ID,
        now(),
        Some("ada@example.test"),
    );
    let url = redirect_url(
        "https://idp.example.test/sso",
        &xml,
        "state+with/odd=chars&x",
    )
    .unwrap();
    assert!(
        url.starts_with("https://idp.example.test/sso?SAMLRequest="),
        "{url}"
    );
    let params = params(&url);
    assert_eq!(params.len(), 2);
    assert_eq!(params[0].0, "SAMLRequest");
    assert_eq!(inflate(&params[0].1), xml);
    assert_eq!(
        params[1],
        ("RelayState".into(), "state+with/odd=chars&x".into())
    );
    // Base64's '+', '/' and '=' are percent-encoded.
    let raw_value = url
        .split("SAMLRequest=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(!raw_value.contains(['+', '/', '=']), "{raw_value}");
}

#[test]
fn redirect_binding_keeps_an_existing_query_and_skips_an_empty_relay_state() {
    let url = redirect_url("https://idp.example.test/sso?tenant=a%20b&x=1", "<x/>", "").unwrap();
    assert!(
        url.starts_with("https://idp.example.test/sso?tenant=a%20b&x=1&SAMLRequest="),
        "{url}"
    );
    let params = params(&url);
    assert_eq!(params.len(), 3);
    assert_eq!(inflate(&params[2].1), "<x/>");
    assert!(!url.contains("RelayState"));
    let url = redirect_url("http://localhost:8080/sso?", "<x/>", "r").unwrap();
    assert!(
        url.starts_with("http://localhost:8080/sso?SAMLRequest="),
        "{url}"
    );
}

#[test]
fn redirect_binding_refuses_bad_sso_urls() {
    for bad in [
        "",
        "/relative/sso",
        "idp.example.test/sso",
        "ftp://idp.example.test/sso",
        "javascript:alert(1)",
        "https://",
    ] {
        let e = redirect_url(bad, "<x/>", "").unwrap_err();
        assert_eq!(e.kind(), "config", "{bad}");
    }
}
