//! XML signature wrapping (XSW): each known way of moving signed content away from what the
//! reader consumes, built from real signed responses, is refused with a specific kind.

use super::*;

/// The signed assertion element of `xml` (from `<saml:Assertion` to `</saml:Assertion>`).
fn assertion_of(xml: &str) -> &str {
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    &xml[start..end]
}

/// An unsigned assertion for another user, with its own ID.
fn evil_assertion() -> String {
    let mut evil = spec();
    evil.sign = Sign::None;
    evil.name_id = "admin".into();
    evil.email = Some("admin@example.test".into());
    evil.assertion_id = "_evil-assertion".into();
    let xml = TestIdp::new(IDP).response_xml(&evil);
    assertion_of(&xml).to_owned()
}

#[test]
fn xsw_a_signed_assertion_moved_into_extensions_with_an_evil_one_in_its_place() {
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    let signed = assertion_of(&xml).to_owned();
    let wrapped = xml.replace(
        &signed,
        &format!(
            "<samlp:Extensions>{signed}</samlp:Extensions>{}",
            evil_assertion()
        ),
    );
    let e = expect_kind(validate_xml(&wrapped), "malformed");
    assert!(e.to_string().contains("more than one Assertion"), "{e}");

    // The same, hidden in a ds:Object of the Response signature.
    let mut spec = self::spec();
    spec.sign = Sign::Both;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    let signed = assertion_of(&xml).to_owned();
    let without = xml.replace(&signed, &evil_assertion());
    let wrapped = without.replacen(
        "</ds:Signature>",
        &format!("<ds:Object>{signed}</ds:Object></ds:Signature>"),
        1,
    );
    expect_kind(validate_xml(&wrapped), "malformed");
}

#[test]
fn xsw_b_evil_assertion_before_the_signed_one() {
    for sign in [Sign::Assertion, Sign::Both, Sign::Response] {
        let mut spec = spec();
        spec.sign = sign;
        let xml = TestIdp::new(IDP).response_xml(&spec);
        let signed = assertion_of(&xml).to_owned();
        let wrapped = xml.replace(&signed, &format!("{}{signed}", evil_assertion()));
        expect_kind(validate_xml(&wrapped), "malformed");
        let after = xml.replace(&signed, &format!("{signed}{}", evil_assertion()));
        expect_kind(validate_xml(&after), "malformed");
    }
}

#[test]
fn xsw_evil_assertion_wrapping_the_signed_one() {
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    let signed = assertion_of(&xml).to_owned();
    let evil = evil_assertion().replace(
        "</saml:Assertion>",
        &format!("<saml:Advice>{signed}</saml:Advice></saml:Assertion>"),
    );
    expect_kind(validate_xml(&xml.replace(&signed, &evil)), "malformed");
}

#[test]
fn xsw_c_signed_response_wrapped_inside_a_new_unsigned_root() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.sign = Sign::Response;
    let signed = idp.response_xml(&spec);
    let new_root = |inner: &str, tail: &str| {
        format!(
            "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
ID=\"_evil-response\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{}\" InResponseTo=\"{REQUEST_ID}\">\
<saml:Issuer>{IDP}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
<samlp:Extensions>{inner}</samlp:Extensions>{tail}</samlp:Response>",
            super::super::xml::format_instant(now()),
            sp().acs_url,
        )
    };
    // The whole signed response (with its assertion) inside, plus an evil assertion.
    expect_kind(
        validate_xml(&new_root(&signed, &evil_assertion())),
        "malformed",
    );

    // A signed response without an assertion (e.g. a failure) wrapped, plus an evil
    // assertion: exactly one assertion, but the only signature covers the inner response.
    let mut failure = spec;
    failure.status = Some(("Responder".into(), None));
    failure.response_id = "_signed-failure".into();
    let signed_failure = idp.response_xml(&failure);
    let e = expect_kind(
        validate_xml(&new_root(&signed_failure, &evil_assertion())),
        "bad_signature",
    );
    assert!(
        e.to_string()
            .contains("neither the Response nor the Assertion"),
        "{e}"
    );

    // The inner response's signature moved up under the new root, still pointing at the inner
    // response: enveloped in the root, but not referencing it.
    let sig_start = signed_failure.find("<ds:Signature").unwrap();
    let sig_end = signed_failure.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = &signed_failure[sig_start..sig_end];
    let inner_without_sig = format!(
        "{}{}",
        &signed_failure[..sig_start],
        &signed_failure[sig_end..]
    );
    let moved = new_root(&inner_without_sig, &evil_assertion()).replacen(
        "<samlp:Status>",
        &format!("{signature}<samlp:Status>"),
        1,
    );
    expect_kind(validate_xml(&moved), "bad_signature");
}

#[test]
fn xsw_d_duplicate_ids_are_refused() {
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    // Another element carrying the signed assertion's ID.
    let dup = xml.replacen(
        "<samlp:Status>",
        &format!(
            "<samlp:Extensions ID=\"{}\"/><samlp:Status>",
            spec.assertion_id
        ),
        1,
    );
    let e = expect_kind(validate_xml(&dup), "malformed");
    assert!(e.to_string().contains("more than once"), "{e}");

    // The evil assertion takes the signed one's ID; the signed one is hidden.
    let signed = assertion_of(&xml).to_owned();
    let evil = evil_assertion().replace("_evil-assertion", &spec.assertion_id);
    let wrapped = xml.replace(
        &signed,
        &format!("{evil}<samlp:Extensions>{signed}</samlp:Extensions>"),
    );
    expect_kind(validate_xml(&wrapped), "malformed");

    // The response ID reused on another element (with a different attribute name).
    let dup = xml.replacen(
        "<samlp:Status>",
        &format!(
            "<samlp:Extensions Id=\"{}\"/><samlp:Status>",
            spec.response_id
        ),
        1,
    );
    expect_kind(validate_xml(&dup), "malformed");

    // A namespace-qualified ID attribute.
    let qualified = xml.replacen(
        "<samlp:Status>",
        "<samlp:Extensions xmlns:x=\"urn:x\" x:ID=\"_other\"/><samlp:Status>",
        1,
    );
    expect_kind(validate_xml(&qualified), "malformed");
}

#[test]
fn xsw_e_whole_document_reference_is_refused() {
    let idp = TestIdp::new(IDP);
    let mut unsigned = spec();
    unsigned.sign = Sign::None;
    let xml = idp.response_xml(&unsigned);
    let template = idp.signature_template("", ENVELOPED_EXC);
    let at = xml.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let signed = idp.sign_xml(&format!("{}{}{}", &xml[..at], template, &xml[at..]));
    assert!(signed.contains("URI=\"\""));
    let e = expect_kind(validate_xml(&signed), "bad_signature");
    assert!(e.to_string().contains("same-document"), "{e}");

    // xpointer form of a same-document reference is refused too.
    let template = idp.signature_template(
        &format!("#xpointer(id('{}'))", unsigned.response_id),
        ENVELOPED_EXC,
    );
    let signed = idp.sign_xml(&format!("{}{}{}", &xml[..at], template, &xml[at..]));
    expect_kind(validate_xml(&signed), "bad_signature");
}

#[test]
fn xsw_e_xpath_transform_is_refused() {
    const XPATH: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";
    let idp = TestIdp::new(IDP);
    let mut unsigned = spec();
    unsigned.sign = Sign::None;
    let xml = idp.response_xml(&unsigned);
    let template = idp
        .signature_template(&format!("#{}", unsigned.response_id), &[algorithm::ENVELOPED_SIGNATURE, XPATH])
        .replacen(
            &format!("<ds:Transform Algorithm=\"{XPATH}\"/>"),
            &format!("<ds:Transform Algorithm=\"{XPATH}\"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"),
            1,
        );
    assert!(template.contains("<ds:XPath>"));
    let at = xml.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let templated = format!("{}{}{}", &xml[..at], template, &xml[at..]);
    // Signed by bergshamra when it can; valid or not, the transform itself is refused.
    let signed = idp.try_sign_xml(&templated).unwrap_or(templated);
    let e = expect_kind(validate_xml(&signed), "bad_signature");
    assert!(e.to_string().contains("is not allowed"), "{e}");

    // An XSLT transform.
    let template = idp.signature_template(
        &format!("#{}", unsigned.response_id),
        &[
            algorithm::ENVELOPED_SIGNATURE,
            "http://www.w3.org/TR/1999/REC-xslt-19991116",
        ],
    );
    let templated = format!("{}{}{}", &xml[..at], template, &xml[at..]);
    let e = expect_kind(validate_xml(&templated), "bad_signature");
    assert!(e.to_string().contains("is not allowed"), "{e}");

    // Canonicalization twice, or before the enveloped-signature transform (valid XML-DSig,
    // but not the shape that is digested on the parsed document itself).
    for transforms in [
        [
            algorithm::ENVELOPED_SIGNATURE,
            algorithm::EXC_C14N,
            algorithm::EXC_C14N,
        ]
        .as_slice(),
        [algorithm::EXC_C14N, algorithm::ENVELOPED_SIGNATURE].as_slice(),
        [
            algorithm::ENVELOPED_SIGNATURE,
            algorithm::ENVELOPED_SIGNATURE,
        ]
        .as_slice(),
    ] {
        let template = idp.signature_template(&format!("#{}", unsigned.response_id), transforms);
        let templated = format!("{}{}{}", &xml[..at], template, &xml[at..]);
        let signed = idp.try_sign_xml(&templated).unwrap_or(templated);
        let e = expect_kind(validate_xml(&signed), "bad_signature");
        assert!(e.to_string().contains("at most once"), "{e}");
    }
    // Inclusive canonicalization in the usual order is fine.
    let template = idp.signature_template(
        &format!("#{}", unsigned.response_id),
        &[algorithm::ENVELOPED_SIGNATURE, algorithm::C14N],
    );
    let signed = idp.sign_xml(&format!("{}{}{}", &xml[..at], template, &xml[at..]));
    assert!(validate_xml(&signed).is_ok());
}

#[test]
fn detached_assertion_signature_is_refused() {
    // A valid signature over the assertion, but placed beside it rather than inside.
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    let sig_start = xml.find("<ds:Signature").unwrap();
    let sig_end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = xml[sig_start..sig_end].to_owned();
    let without = format!("{}{}", &xml[..sig_start], &xml[sig_end..]);
    let detached = without.replacen("<samlp:Status>", &format!("{signature}<samlp:Status>"), 1);
    expect_kind(validate_xml(&detached), "bad_signature");
}

#[test]
fn a_signature_over_some_other_element_is_refused() {
    // The IdP's key signs an Extensions element; the assertion itself is unsigned.
    let idp = TestIdp::new(IDP);
    let mut unsigned = spec();
    unsigned.sign = Sign::None;
    let xml = idp.response_xml(&unsigned);
    let template = idp.signature_template("#_ext", ENVELOPED_EXC);
    let with_ext = xml.replacen(
        "<samlp:Status>",
        &format!("<samlp:Extensions ID=\"_ext\">{template}</samlp:Extensions><samlp:Status>"),
        1,
    );
    let signed = idp.sign_xml(&with_ext);
    let e = expect_kind(validate_xml(&signed), "bad_signature");
    assert!(e.to_string().contains("neither"), "{e}");
}

#[test]
fn an_invalid_assertion_signature_inside_a_valid_response_signature_is_refused() {
    let other = TestIdp::with_other_key(IDP);
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let assertion_signed_by_other = other.response_xml(&spec);
    let signed = sign_response(
        &TestIdp::new(IDP),
        &assertion_signed_by_other,
        &spec.response_id,
    );
    expect_kind(validate_xml(&signed), "bad_signature");
}

#[test]
fn two_signatures_in_one_element_are_refused() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.sign = Sign::Response;
    let xml = idp.response_xml(&spec);
    let sig_start = xml.find("<ds:Signature").unwrap();
    let sig_end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = xml[sig_start..sig_end].to_owned();
    let doubled = xml.replacen(&signature, &format!("{signature}{signature}"), 1);
    expect_kind(validate_xml(&doubled), "bad_signature");
}

#[test]
fn assertion_nested_below_the_root_is_refused() {
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    let signed = assertion_of(&xml).to_owned();
    let nested = xml.replace(
        &signed,
        &format!("<samlp:Extensions>{signed}</samlp:Extensions>"),
    );
    let e = expect_kind(validate_xml(&nested), "malformed");
    assert!(e.to_string().contains("direct child"), "{e}");
}

#[test]
fn root_must_be_a_protocol_response() {
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    // The signed assertion alone, as the root.
    expect_kind(validate_xml(assertion_of(&xml)), "malformed");
    // A Response in the wrong namespace.
    let wrong_ns = xml.replace(
        "urn:oasis:names:tc:SAML:2.0:protocol",
        "urn:example:protocol",
    );
    expect_kind(validate_xml(&wrong_ns), "malformed");
}

#[test]
fn ambiguous_attributes_are_refused() {
    let mut spec = spec();
    spec.sign = Sign::Assertion;
    let xml = TestIdp::new(IDP).response_xml(&spec);
    let ambiguous = xml.replacen(
        "<ds:Reference URI=",
        "<ds:Reference xmlns:x=\"urn:x\" x:URI=\"#_evil\" URI=",
        1,
    );
    expect_kind(validate_xml(&ambiguous), "malformed");
}
