//! IdP metadata parsing (the test IdP's, SimpleSAMLphp-style, ADFS-style, aggregates) and each
//! refusal; SP metadata generation.

use super::super::{IdpMetadata, parse_idp_metadata, sp_metadata};
use super::*;

/// SimpleSAMLphp-style IdP metadata: signing and encryption keys, Redirect-only SSO, SLO.
const SIMPLESAMLPHP: &str = r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://ssp.example.test/simplesaml/saml2/idp/metadata.php">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{CERT}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:KeyDescriptor use="encryption">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{OTHER}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://ssp.example.test/simplesaml/saml2/idp/SingleLogoutService.php"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://ssp.example.test/simplesaml/saml2/idp/SSOService.php"/>
  </md:IDPSSODescriptor>
  <md:ContactPerson contactType="technical">
    <md:GivenName>Admin</md:GivenName>
    <md:EmailAddress>mailto:admin@ssp.example.test</md:EmailAddress>
  </md:ContactPerson>
</md:EntityDescriptor>
"#;

/// ADFS-style federation metadata: a metadata signature (not checked), WS-Federation role
/// descriptors, an SP descriptor before the IdP one, a certificate in multi-line base64.
const ADFS: &str = r##"<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_4a6e0a8c-7a53-4c1b-9f3e-2d1f0b6f4b11" entityID="http://adfs.example.test/adfs/services/trust" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" /><ds:Reference URI="#_4a6e0a8c-7a53-4c1b-9f3e-2d1f0b6f4b11"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" /><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256" /><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature><RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{OTHER}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><fed:PassiveRequestorEndpoint><EndpointReference xmlns="http://www.w3.org/2005/08/addressing"><Address>https://adfs.example.test/adfs/ls/</Address></EndpointReference></fed:PassiveRequestorEndpoint></RoleDescriptor><SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{OTHER}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://adfs.example.test/adfs/ls/" index="0" isDefault="true" /></SPSSODescriptor><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{OTHER}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{CERT_WRAPPED}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://adfs.example.test/adfs/ls/" /><NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat><NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://adfs.example.test/adfs/ls/" /><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://adfs.example.test/adfs/ls/" /><Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="E-Mail Address" xmlns="urn:oasis:names:tc:SAML:2.0:assertion" /></IDPSSODescriptor><Organization><OrganizationName xml:lang="en-US">Example</OrganizationName><OrganizationDisplayName xml:lang="en-US">Example</OrganizationDisplayName><OrganizationURL xml:lang="en-US">https://example.test/</OrganizationURL></Organization></EntityDescriptor>"##;

/// Fills in the certificate placeholders.
fn fill(template: &str) -> String {
    let cert = TestIdp::new(IDP).certificate_base64();
    let wrapped: String = cert
        .as_bytes()
        .chunks(64)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect();
    template
        .replace("{CERT_WRAPPED}", &wrapped)
        .replace("{CERT}", &cert)
        .replace(
            "{OTHER}",
            &TestIdp::with_other_key(IDP).certificate_base64(),
        )
}

/// Asserts a metadata refusal whose message contains `needle`.
#[track_caller]
fn refused(xml: &str, expected: Option<&str>, needle: &str) {
    match parse_idp_metadata(xml, expected) {
        Ok(m) => panic!("expected a refusal containing {needle:?}, got {m:?}"),
        Err(e) => {
            assert_eq!(e.kind(), "bad_metadata", "{e}");
            assert!(e.to_string().contains(needle), "{e} (wanted {needle:?})");
        }
    }
}

#[test]
fn test_idp_metadata_round_trips() {
    let idp = TestIdp::new(IDP);
    let metadata =
        parse_idp_metadata(&idp.metadata("https://idp.example.test/sso"), Some(IDP)).unwrap();
    assert_eq!(
        metadata,
        IdpMetadata {
            entity_id: IDP.into(),
            sso_redirect_url: Some("https://idp.example.test/sso".into()),
            sso_post_url: Some("https://idp.example.test/sso".into()),
            signing_certificates: vec![idp.certificate()],
        }
    );
}

#[test]
fn simplesamlphp_metadata() {
    let metadata = parse_idp_metadata(&fill(SIMPLESAMLPHP), None).unwrap();
    assert_eq!(
        metadata.entity_id,
        "https://ssp.example.test/simplesaml/saml2/idp/metadata.php"
    );
    assert_eq!(
        metadata.sso_redirect_url.as_deref(),
        Some("https://ssp.example.test/simplesaml/saml2/idp/SSOService.php")
    );
    assert_eq!(metadata.sso_post_url, None);
    // Only the signing key, not the encryption one.
    assert_eq!(
        metadata.signing_certificates,
        vec![TestIdp::new(IDP).certificate()]
    );
}

#[test]
fn adfs_metadata() {
    let metadata = parse_idp_metadata(
        &fill(ADFS),
        Some("http://adfs.example.test/adfs/services/trust"),
    )
    .unwrap();
    assert_eq!(
        metadata.entity_id,
        "http://adfs.example.test/adfs/services/trust"
    );
    assert_eq!(
        metadata.sso_redirect_url.as_deref(),
        Some("https://adfs.example.test/adfs/ls/")
    );
    assert_eq!(
        metadata.sso_post_url.as_deref(),
        Some("https://adfs.example.test/adfs/ls/")
    );
    // The IDPSSODescriptor's signing key (not the WS-Fed role's, not the encryption one).
    assert_eq!(
        metadata.signing_certificates,
        vec![TestIdp::new(IDP).certificate()]
    );
}

#[test]
fn key_descriptor_without_use_is_a_signing_key_and_duplicates_collapse() {
    let xml = fill(SIMPLESAMLPHP)
        .replace(
            "<md:KeyDescriptor use=\"encryption\">",
            "<md:KeyDescriptor>",
        )
        .replace("<md:KeyDescriptor use=\"signing\">", "<md:KeyDescriptor>");
    let metadata = parse_idp_metadata(&xml, None).unwrap();
    assert_eq!(
        metadata.signing_certificates,
        vec![
            TestIdp::new(IDP).certificate(),
            TestIdp::with_other_key(IDP).certificate()
        ]
    );
    let twice = fill(SIMPLESAMLPHP).replace(
        &TestIdp::with_other_key(IDP).certificate_base64(),
        &TestIdp::new(IDP).certificate_base64(),
    );
    let metadata = parse_idp_metadata(
        &twice.replace("use=\"encryption\"", "use=\"signing\""),
        None,
    )
    .unwrap();
    assert_eq!(metadata.signing_certificates.len(), 1);
}

#[test]
fn entities_descriptor_picks_the_idp() {
    let idp = TestIdp::new(IDP);
    let second = TestIdp::new("https://second.example.test/idp");
    let strip_decl = |s: String| s.replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "");
    let sp_only = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://sp.example.test/\"><md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>";
    let aggregate = format!(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{sp_only}<md:EntitiesDescriptor>{}</md:EntitiesDescriptor>{}</md:EntitiesDescriptor>",
        strip_decl(idp.metadata("https://idp.example.test/sso")),
        strip_decl(second.metadata("https://second.example.test/sso")),
    );
    assert_eq!(parse_idp_metadata(&aggregate, None).unwrap().entity_id, IDP);
    let picked = parse_idp_metadata(&aggregate, Some("https://second.example.test/idp")).unwrap();
    assert_eq!(
        picked.sso_post_url.as_deref(),
        Some("https://second.example.test/sso")
    );
    refused(
        &aggregate,
        Some("https://sp.example.test/"),
        "no identity provider EntityDescriptor has entityID",
    );
    refused(
        &aggregate,
        Some("https://missing.example.test/"),
        "no identity provider EntityDescriptor",
    );
    refused(
        &format!(
            "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{sp_only}</md:EntitiesDescriptor>"
        ),
        None,
        "no EntityDescriptor carries an IDPSSODescriptor",
    );
}

#[test]
fn malformed_metadata_is_refused_with_a_reason() {
    let good = TestIdp::new(IDP).metadata("https://idp.example.test/sso");
    refused("not xml at all", None, "not well-formed XML");
    refused("<md:EntityDescriptor", None, "not well-formed XML");
    refused(
        &good.replace(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>",
        ),
        None,
        "DOCTYPE",
    );
    refused(
        &format!("{good}<!--{}-->", "x".repeat(1024 * 1024)),
        None,
        "larger than 1 MiB",
    );
    refused("<EntityDescriptor entityID=\"x\"/>", None, "root element");
    refused(
        &good,
        Some("https://someone-else.example.test/"),
        "entityID is",
    );
    refused(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"><md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>",
        None,
        "no IDPSSODescriptor",
    );
    refused(
        &good.replace(
            "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"",
            "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:1.1:protocol\"",
        ),
        None,
        "does not support the SAML 2.0 protocol",
    );
    refused(
        &good.replace("SingleSignOnService", "SingleLogoutService"),
        None,
        "no SingleSignOnService",
    );
    refused(
        &TestIdp::new(IDP).metadata("/relative/sso"),
        None,
        "not an absolute http(s) URL",
    );
    refused(
        &good.replace("use=\"signing\"", "use=\"encryption\""),
        None,
        "no signing certificate",
    );
    let short = include_str!("../testdata/rsa1024.crt")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    refused(
        &good.replace(&TestIdp::new(IDP).certificate_base64(), &short),
        None,
        "no usable signing certificate",
    );
    refused(
        &good.replace(&format!("entityID=\"{IDP}\""), ""),
        None,
        "no entityID",
    );
}

#[test]
fn sp_metadata_parses_back() {
    let sp = SpConfig {
        entity_id: "https://portico.example.test/t/a&b\"c".into(),
        acs_url: "https://portico.example.test/t/x/saml/acs?a=1&b=2".into(),
    };
    let xml = sp_metadata(
        &sp,
        "Contoso <Ltd> & \"Sons\"",
        "https://contoso.example.test/?q=<1>",
    );
    let doc = uppsala::parse(&xml).unwrap();
    let root = doc.document_element().unwrap();
    use super::super::xml::{NS_METADATA, attr, children_named, first_child_named, text};
    assert!(
        doc.element(root)
            .unwrap()
            .matches_name_ns(NS_METADATA, "EntityDescriptor")
    );
    assert_eq!(attr(&doc, root, "entityID"), Some(sp.entity_id.as_str()));
    let descriptor = first_child_named(&doc, root, NS_METADATA, "SPSSODescriptor").unwrap();
    assert_eq!(attr(&doc, descriptor, "AuthnRequestsSigned"), Some("false"));
    assert_eq!(attr(&doc, descriptor, "WantAssertionsSigned"), Some("true"));
    assert_eq!(
        attr(&doc, descriptor, "protocolSupportEnumeration"),
        Some("urn:oasis:names:tc:SAML:2.0:protocol")
    );
    let formats: Vec<String> = children_named(&doc, descriptor, NS_METADATA, "NameIDFormat")
        .into_iter()
        .map(|n| text(&doc, n))
        .collect();
    assert_eq!(
        formats,
        vec![
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".to_owned(),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".to_owned()
        ]
    );
    let acs = children_named(&doc, descriptor, NS_METADATA, "AssertionConsumerService");
    assert_eq!(acs.len(), 1);
    assert_eq!(attr(&doc, acs[0], "Location"), Some(sp.acs_url.as_str()));
    assert_eq!(
        attr(&doc, acs[0], "Binding"),
        Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    );
    assert_eq!(attr(&doc, acs[0], "index"), Some("0"));
    assert_eq!(attr(&doc, acs[0], "isDefault"), Some("true"));
    let org = first_child_named(&doc, root, NS_METADATA, "Organization").unwrap();
    let org_text = |name| {
        text(
            &doc,
            first_child_named(&doc, org, NS_METADATA, name).unwrap(),
        )
    };
    assert_eq!(org_text("OrganizationName"), "Contoso <Ltd> & \"Sons\"");
    assert_eq!(
        org_text("OrganizationDisplayName"),
        "Contoso <Ltd> & \"Sons\""
    );
    assert_eq!(
        org_text("OrganizationURL"),
        "https://contoso.example.test/?q=<1>"
    );
}
