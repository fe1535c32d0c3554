//! Response validation: valid round trips and each refusal (other than signature wrapping).

use std::time::Instant;

use super::*;

#[test]
fn signed_twice_round_trip_reads_every_field() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.display_name = Some("Ada Lovelace".into());
    let assertion = validate(&idp.response(&spec)).unwrap();
    assert_eq!(assertion.issuer, IDP);
    assert_eq!(assertion.assertion_id, spec.assertion_id);
    assert_eq!(assertion.name_id, "user-123");
    assert_eq!(
        assertion.name_id_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert_eq!(assertion.email.as_deref(), Some("ada@example.test"));
    assert_eq!(assertion.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(assertion.given_name, None);
    assert_eq!(
        assertion.attributes["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"],
        vec!["ada@example.test".to_owned()]
    );
    assert_eq!(
        assertion.authn_context_class.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
    );
    assert_eq!(assertion.authn_instant, Some(now()));
    assert_eq!(assertion.session_index, spec.session_index);
    assert_eq!(
        assertion.not_on_or_after,
        now() + time::Duration::minutes(5)
    );
}

#[test]
fn response_only_and_assertion_only_signatures_are_accepted() {
    let idp = TestIdp::new(IDP);
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let mut spec = spec();
        spec.sign = sign;
        let assertion = validate(&idp.response(&spec)).unwrap_or_else(|e| panic!("{sign:?}: {e}"));
        assert_eq!(assertion.name_id, "user-123");
    }
}

#[test]
fn destination_may_be_absent_only_when_just_the_assertion_is_signed() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.destination = None;
    spec.sign = Sign::Assertion;
    assert!(validate(&idp.response(&spec)).is_ok());
    for sign in [Sign::Response, Sign::Both] {
        spec.sign = sign;
        expect_kind(validate(&idp.response(&spec)), "wrong_destination");
    }
}

#[test]
fn rollover_accepts_a_signature_by_the_second_certificate() {
    let idp = TestIdp::new(IDP);
    let old = TestIdp::with_other_key(IDP).certificate();
    let assertion = validate_with(&idp.response(&spec()), &[old, idp.certificate()]).unwrap();
    assert_eq!(assertion.name_id, "user-123");
}

#[test]
fn no_configured_certificate_is_a_config_error() {
    let idp = TestIdp::new(IDP);
    expect_kind(validate_with(&idp.response(&spec()), &[]), "config");
}

#[test]
fn unsigned_is_refused() {
    let mut spec = spec();
    spec.sign = Sign::None;
    expect_kind(validate(&TestIdp::new(IDP).response(&spec)), "unsigned");
}

#[test]
fn signed_with_another_key_is_refused() {
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let mut spec = spec();
        spec.sign = sign;
        let forged = TestIdp::with_other_key(IDP).response(&spec);
        expect_kind(validate(&forged), "bad_signature");
    }
}

#[test]
fn a_certificate_in_keyinfo_is_never_trusted_by_itself() {
    // The other key signs and embeds its own certificate: not configured, so refused.
    let other = TestIdp::with_other_key(IDP);
    let e = expect_kind(validate(&other.response(&spec())), "bad_signature");
    assert!(e.to_string().contains("configured"), "{e}");

    // The other key signs but KeyInfo carries the configured certificate: still refused.
    let idp = TestIdp::new(IDP);
    let mut unsigned = spec();
    unsigned.sign = Sign::None;
    let xml = idp.response_xml(&unsigned);
    let template = idp.signature_template(&format!("#{}", unsigned.response_id), ENVELOPED_EXC);
    let at = xml.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let signed = other.sign_xml(&format!("{}{}{}", &xml[..at], template, &xml[at..]));
    assert!(signed.contains(&idp.certificate_base64()));
    expect_kind(validate_xml(&signed), "bad_signature");
}

#[test]
fn tampering_after_signing_is_refused() {
    let idp = TestIdp::new(IDP);
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let mut spec = spec();
        spec.sign = sign;
        let xml = idp.response_xml(&spec);
        let name_id = xml.replace(">user-123<", ">admin<");
        assert_ne!(name_id, xml);
        expect_kind(validate_xml(&name_id), "bad_signature");
        let email = xml.replace(">ada@example.test<", ">admin@example.test<");
        assert_ne!(email, xml);
        expect_kind(validate_xml(&email), "bad_signature");
    }
}

#[test]
fn a_comment_inside_a_signed_name_id_does_not_truncate_it() {
    let idp = TestIdp::new(IDP);
    let xml = idp.response_xml(&spec());
    // Comments are not signed (#id references exclude them), so this still verifies; the
    // value read must be the whole signed text, not the part before the comment.
    let commented = xml.replace(">user-123<", ">user<!-- injected -->-123<");
    let assertion = validate_xml(&commented).unwrap();
    assert_eq!(assertion.name_id, "user-123");
}

#[test]
fn wrong_issuer_is_refused() {
    let evil = TestIdp::new("https://evil.example.test/");
    let e = expect_kind(validate(&evil.response(&spec())), "wrong_issuer");
    match e {
        SamlError::WrongIssuer { expected, got } => {
            assert_eq!(expected, IDP);
            assert_eq!(got, "https://evil.example.test/");
        }
        other => panic!("{other}"),
    }
    // Only the Response's Issuer differs.
    let result = edited_and_signed(&spec(), |xml| {
        xml.replacen(
            &format!("<saml:Issuer>{IDP}</saml:Issuer>"),
            "<saml:Issuer>https://evil.example.test/</saml:Issuer>",
            1,
        )
    });
    expect_kind(validate(&result), "wrong_issuer");
    // The Assertion has no Issuer.
    let result = edited_and_signed(&spec(), |xml| {
        let issuer = format!("<saml:Issuer>{IDP}</saml:Issuer>");
        let at = xml.rfind(&issuer).unwrap();
        format!("{}{}", &xml[..at], &xml[at + issuer.len()..])
    });
    expect_kind(validate(&result), "wrong_issuer");
}

#[test]
fn wrong_audience_is_refused() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.audience = "https://other-sp.example.test/".into();
    expect_kind(validate(&idp.response(&spec)), "wrong_audience");

    // A second AudienceRestriction without us: every restriction must contain us.
    let result = edited_and_signed(&self::spec(), |xml| {
        xml.replace(
            "</saml:AudienceRestriction>",
            "</saml:AudienceRestriction><saml:AudienceRestriction><saml:Audience>https://other-sp.example.test/</saml:Audience></saml:AudienceRestriction>",
        )
    });
    expect_kind(validate(&result), "wrong_audience");

    // A second Audience inside our restriction is fine (any of them may be us).
    let result = edited_and_signed(&self::spec(), |xml| {
        xml.replace(
            "</saml:AudienceRestriction>",
            "<saml:Audience>https://other-sp.example.test/</saml:Audience></saml:AudienceRestriction>",
        )
    });
    assert!(validate(&result).is_ok());

    // No Conditions at all.
    let result = edited_and_signed(&self::spec(), |xml| {
        let start = xml.find("<saml:Conditions").unwrap();
        let end = xml.find("</saml:Conditions>").unwrap() + "</saml:Conditions>".len();
        format!("{}{}", &xml[..start], &xml[end..])
    });
    expect_kind(validate(&result), "wrong_audience");
}

#[test]
fn wrong_destination_and_recipient_are_refused() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.destination = Some("https://evil.example.test/acs".into());
    expect_kind(validate(&idp.response(&spec)), "wrong_destination");

    let mut spec = self::spec();
    spec.recipient = "https://evil.example.test/acs".into();
    expect_kind(validate(&idp.response(&spec)), "wrong_recipient");

    let result = edited_and_signed(&self::spec(), |xml| {
        xml.replace(&format!(" Recipient=\"{}\"", sp().acs_url), "")
    });
    expect_kind(validate(&result), "wrong_recipient");
}

#[test]
fn in_response_to_must_be_our_request() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.in_response_to = None;
    expect_kind(validate(&idp.response(&spec)), "unsolicited");

    spec.in_response_to = Some("_another-request".into());
    expect_kind(validate(&idp.response(&spec)), "wrong_in_response_to");

    // Only the SubjectConfirmationData's InResponseTo is missing / wrong.
    let result = edited_and_signed(&self::spec(), |xml| {
        xml.replace(
            &format!("<saml:SubjectConfirmationData InResponseTo=\"{REQUEST_ID}\""),
            "<saml:SubjectConfirmationData",
        )
    });
    expect_kind(validate(&result), "unsolicited");
    let result = edited_and_signed(&self::spec(), |xml| {
        xml.replace(
            &format!("<saml:SubjectConfirmationData InResponseTo=\"{REQUEST_ID}\""),
            "<saml:SubjectConfirmationData InResponseTo=\"_another-request\"",
        )
    });
    expect_kind(validate(&result), "wrong_in_response_to");
}

#[test]
fn validity_window_with_clock_skew() {
    let idp = TestIdp::new(IDP);
    let minutes = time::Duration::minutes;

    let mut expired = spec();
    expired.issue_instant = now() - minutes(20);
    expired.not_before = now() - minutes(20);
    expired.not_on_or_after = now() - minutes(10);
    expect_kind(validate(&idp.response(&expired)), "expired");

    let mut just_expired = expired;
    just_expired.not_on_or_after = now() - minutes(1);
    let assertion = validate(&idp.response(&just_expired)).unwrap();
    assert_eq!(assertion.not_on_or_after, now() - minutes(1));

    let mut future = spec();
    future.not_before = now() + minutes(10);
    future.not_on_or_after = now() + minutes(20);
    expect_kind(validate(&idp.response(&future)), "not_yet_valid");

    let mut nearly = future;
    nearly.not_before = now() + minutes(1);
    assert!(validate(&idp.response(&nearly)).is_ok());

    let mut issued_later = spec();
    issued_later.issue_instant = now() + minutes(10);
    expect_kind(validate(&idp.response(&issued_later)), "not_yet_valid");
}

#[test]
fn not_on_or_after_is_the_earliest_of_confirmation_and_conditions() {
    let result = edited_and_signed(&spec(), |xml| {
        let until = super::super::xml::format_instant(now() + time::Duration::minutes(5));
        let earlier = super::super::xml::format_instant(now() + time::Duration::minutes(2));
        xml.replacen(
            &format!("NotOnOrAfter=\"{until}\" Recipient"),
            &format!("NotOnOrAfter=\"{earlier}\" Recipient"),
            1,
        )
    });
    let assertion = validate(&result).unwrap();
    assert_eq!(
        assertion.not_on_or_after,
        now() + time::Duration::minutes(2)
    );
}

#[test]
fn non_success_status_is_reported() {
    let idp = TestIdp::new(IDP);
    let mut spec = spec();
    spec.sign = Sign::Response;
    spec.status = Some((
        "Responder/AuthnFailed".into(),
        Some("wrong password".into()),
    ));
    let e = expect_kind(validate(&idp.response(&spec)), "status");
    match e {
        SamlError::Status { code, message } => {
            assert_eq!(code, "Responder/AuthnFailed");
            assert_eq!(message.as_deref(), Some("wrong password"));
        }
        other => panic!("{other}"),
    }
    spec.status = Some(("Requester".into(), None));
    let e = expect_kind(validate(&idp.response(&spec)), "status");
    assert_eq!(
        e.to_string(),
        "the identity provider returned status Requester"
    );
}

#[test]
fn bearer_subject_confirmation_and_subject_are_required() {
    let result = edited_and_signed(&spec(), |xml| {
        xml.replace(
            "urn:oasis:names:tc:SAML:2.0:cm:bearer",
            "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key",
        )
    });
    expect_kind(validate(&result), "no_bearer_confirmation");

    let result = edited_and_signed(&spec(), |xml| xml.replace(">user-123<", ">  <"));
    expect_kind(validate(&result), "no_subject");

    let result = edited_and_signed(&spec(), |xml| {
        let start = xml.find("<saml:Subject>").unwrap();
        let end = xml.find("</saml:Subject>").unwrap() + "</saml:Subject>".len();
        format!("{}{}", &xml[..start], &xml[end..])
    });
    expect_kind(validate(&result), "no_subject");
}

#[test]
fn version_and_timestamps_must_be_well_formed() {
    let result = edited_and_signed(&spec(), |xml| {
        xml.replacen("Version=\"2.0\"", "Version=\"1.1\"", 1)
    });
    expect_kind(validate(&result), "malformed");
    let result = edited_and_signed(&spec(), |xml| {
        let at = format!(
            "IssueInstant=\"{}\"",
            super::super::xml::format_instant(now())
        );
        xml.replacen(&at, "IssueInstant=\"yesterday\"", 1)
    });
    expect_kind(validate(&result), "malformed");
}

#[test]
fn encrypted_assertions_are_not_supported() {
    let result = edited_and_signed(&spec(), |xml| {
        let start = xml.find("<saml:Assertion").unwrap();
        let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        format!(
            "{}<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/></saml:EncryptedAssertion>{}",
            &xml[..start],
            &xml[end..]
        )
    });
    let e = expect_kind(validate(&result), "malformed");
    assert!(
        e.to_string()
            .contains("encrypted assertions are not supported"),
        "{e}"
    );
}

#[test]
fn doctype_and_entity_expansion_are_refused_quickly() {
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">{}]>\
<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_x\" Version=\"2.0\">&lol9;</samlp:Response>",
        (1..10)
            .map(|i| format!(
                "<!ENTITY lol{i} \"{}\">",
                format!(
                    "&lol{};",
                    if i == 1 {
                        String::new()
                    } else {
                        (i - 1).to_string()
                    }
                )
                .repeat(10)
            ))
            .collect::<String>()
    );
    let started = Instant::now();
    let e = expect_kind(validate_xml(&laughs), "malformed");
    assert!(started.elapsed().as_secs() < 1);
    assert!(e.to_string().contains("DOCTYPE"), "{e}");

    // A DOCTYPE in front of an otherwise valid, signed response.
    let xml = TestIdp::new(IDP).response_xml(&spec());
    expect_kind(
        validate_xml(&format!("<!DOCTYPE Response>{xml}")),
        "malformed",
    );
}

#[test]
fn garbage_and_oversize_input_are_refused() {
    let e = expect_kind(validate("%%% not base64 %%%"), "malformed");
    assert!(e.to_string().contains("base64"), "{e}");
    expect_kind(validate(&b64("this is not xml")), "malformed");
    expect_kind(validate(&b64("<html><body>hi</body></html>")), "malformed");
    expect_kind(
        validate(&b64("<Response xmlns=\"urn:example\"/>")),
        "malformed",
    );
    expect_kind(validate(""), "malformed");

    let started = Instant::now();
    let huge = "A".repeat(800 * 1024);
    let e = expect_kind(validate(&huge), "malformed");
    assert!(e.to_string().contains("512 KiB"), "{e}");
    let huge_xml = b64(&format!("<a>{}</a>", "x".repeat(600 * 1024)));
    expect_kind(validate(&huge_xml), "malformed");
    assert!(started.elapsed().as_secs() < 2);
}

#[test]
fn base64_with_line_breaks_is_accepted() {
    let encoded = TestIdp::new(IDP).response(&spec());
    let wrapped: String = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    assert!(validate(&wrapped).is_ok());
}

#[test]
fn error_messages_are_bounded() {
    let evil_issuer = format!("https://evil.example.test/{}", "x".repeat(5000));
    let evil = TestIdp::new(&evil_issuer);
    let e = expect_kind(validate(&evil.response(&spec())), "wrong_issuer");
    assert!(e.to_string().len() < 400, "{}", e.to_string().len());
}

#[test]
fn many_attributes_or_elements_are_handled_quickly() {
    let started = Instant::now();
    let attributes: String = (0..40_000).map(|i| format!(" a{i}=\"\"")).collect();
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"{attributes}/>"
    );
    let e = expect_kind(validate_xml(&xml), "malformed");
    assert!(e.to_string().contains("more than 64 attributes"), "{e}");
    let elements = "<x/>".repeat(120_000);
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\" Version=\"2.0\">{elements}</samlp:Response>"
    );
    expect_kind(validate_xml(&xml), "malformed");
    assert!(started.elapsed().as_secs() < 3, "{:?}", started.elapsed());
}
