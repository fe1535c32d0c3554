//! SAML unit tests: real signatures made with bergshamra by the test IdP, no mocks. Shared
//! fixtures live here; each file covers one part of the module.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod certificates;
mod metadata;
mod request;
mod response;
mod wrapping;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use super::testing::{ResponseSpec, Sign, TestIdp};
use super::{Certificate, Expectations, SamlAssertion, SamlError, SpConfig, validate_response};
use bergshamra_core::algorithm;

/// The test IdP's entity id.
const IDP: &str = "https://idp.example.test/saml/metadata";
/// The request this sign-in started with.
const REQUEST_ID: &str = "_0123456789abcdef0123456789abcdef01234567";

/// The tenant's service provider.
fn sp() -> SpConfig {
    SpConfig {
        entity_id: "https://portico.example.test/t/contoso/saml".into(),
        acs_url: "https://portico.example.test/t/contoso/saml/acs".into(),
    }
}

/// The fixed "now" of every test.
fn now() -> OffsetDateTime {
    time::macros::datetime!(2030-06-01 12:00 UTC)
}

/// A valid response spec (signed twice).
fn spec() -> ResponseSpec {
    ResponseSpec::new(&sp(), REQUEST_ID, "user-123", "ada@example.test", now())
}

/// Validates `saml_response` against the standard expectations with `certificates`.
fn validate_with(
    saml_response: &str,
    certificates: &[Certificate],
) -> Result<SamlAssertion, SamlError> {
    let sp = sp();
    let exp = Expectations {
        certificates,
        idp_issuer: IDP,
        audience: &sp.entity_id,
        acs_url: &sp.acs_url,
        request_id: REQUEST_ID,
        now: now(),
        max_skew: time::Duration::minutes(3),
    };
    validate_response(saml_response, &exp)
}

/// Validates with the test IdP's certificate.
fn validate(saml_response: &str) -> Result<SamlAssertion, SamlError> {
    validate_with(saml_response, &[TestIdp::new(IDP).certificate()])
}

/// Validates XML (base64-encoding it first).
fn validate_xml(xml: &str) -> Result<SamlAssertion, SamlError> {
    validate(&b64(xml))
}

/// Base64 of `xml`.
fn b64(xml: &str) -> String {
    STANDARD.encode(xml)
}

/// Asserts the result is an error of `kind`, and returns it.
#[track_caller]
fn expect_kind(result: Result<SamlAssertion, SamlError>, kind: &str) -> SamlError {
    match result {
        Ok(a) => panic!("expected {kind}, got a valid assertion for {:?}", a.name_id),
        Err(e) => {
            assert_eq!(e.kind(), kind, "unexpected error: {e}");
            e
        }
    }
}

/// The standard transforms of a SAML signature.
const ENVELOPED_EXC: &[&str] = &[algorithm::ENVELOPED_SIGNATURE, algorithm::EXC_C14N];

/// Adds a Response signature template right after the Response's Issuer of `unsigned_xml`
/// (made with `Sign::None` or with only the Assertion signed) and signs it with `idp`.
fn sign_response(idp: &TestIdp, unsigned_xml: &str, response_id: &str) -> String {
    let template = idp.signature_template(&format!("#{response_id}"), ENVELOPED_EXC);
    let at = unsigned_xml.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let templated = format!("{}{}{}", &unsigned_xml[..at], template, &unsigned_xml[at..]);
    idp.sign_xml(&templated)
}

/// An unsigned response XML for `spec` with `edit` applied, then Response-signed by the test IdP.
fn edited_and_signed(spec: &ResponseSpec, edit: impl FnOnce(String) -> String) -> String {
    let idp = TestIdp::new(IDP);
    let mut unsigned = spec.clone();
    unsigned.sign = Sign::None;
    let xml = edit(idp.response_xml(&unsigned));
    b64(&sign_response(&idp, &xml, &spec.response_id))
}
