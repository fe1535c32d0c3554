//! Test support (feature `testing`, and this crate's own tests): a SAML identity provider that
//! issues responses signed with bergshamra, using the fixed, committed, **test-only** RSA-2048
//! key pairs under `src/saml/testdata/` (never trust those certificates in production).
//!
//! ```ignore
//! let idp = TestIdp::new("https://idp.example.test/");
//! let spec = ResponseSpec::new(&sp, "_req1", "user-123", "ada@example.test", now);
//! let saml_response = idp.response(&spec); // base64, as the browser POSTs it
//! ```
// Test support: failures to sign fixed fixtures are bugs in the fixtures, reported by panics.
#![allow(clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bergshamra_core::algorithm;
use sha2::Digest as _;

use super::certificate::{Certificate, parse_certificate};
use super::sp::SpConfig;
use super::xml::{
    BINDING_POST, BINDING_REDIRECT, NAMEID_PERSISTENT, NS_ASSERTION, NS_DSIG, NS_METADATA,
    NS_PROTOCOL, escape_attr, escape_text, format_instant,
};

/// The test IdP's private key (test-only).
const IDP_KEY: &str = include_str!("testdata/idp.key");
/// The test IdP's certificate (test-only).
const IDP_CERT: &str = include_str!("testdata/idp.crt");
/// "Someone else's" private key (test-only).
const OTHER_KEY: &str = include_str!("testdata/other.key");
/// "Someone else's" certificate (test-only).
const OTHER_CERT: &str = include_str!("testdata/other.crt");

/// The emailaddress claim type.
const CLAIM_EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
/// The name claim type (used for the display name).
const CLAIM_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";

/// Which elements of a response are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Only the Response (enveloped signature, `URI="#<Response ID>"`).
    Response,
    /// Only the Assertion.
    Assertion,
    /// The Assertion, then the Response around it.
    Both,
    /// Nothing.
    None,
}

/// What a test response says.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// `Response@Destination` (omitted when `None`).
    pub destination: Option<String>,
    /// `SubjectConfirmationData@Recipient`.
    pub recipient: String,
    /// The one `Audience`.
    pub audience: String,
    /// `Response@InResponseTo` and `SubjectConfirmationData@InResponseTo` (omitted when `None`).
    pub in_response_to: Option<String>,
    /// The NameID value.
    pub name_id: String,
    /// The NameID Format.
    pub name_id_format: String,
    /// An emailaddress claim.
    pub email: Option<String>,
    /// A name claim (display name).
    pub display_name: Option<String>,
    /// IssueInstant of the Response and the Assertion (and AuthnInstant).
    pub issue_instant: time::OffsetDateTime,
    /// `Conditions@NotBefore`.
    pub not_before: time::OffsetDateTime,
    /// `Conditions@NotOnOrAfter` and `SubjectConfirmationData@NotOnOrAfter`.
    pub not_on_or_after: time::OffsetDateTime,
    /// The Assertion ID.
    pub assertion_id: String,
    /// The Response ID.
    pub response_id: String,
    /// What to sign.
    pub sign: Sign,
    /// A non-success status `(code, message)`; the code is a status URI or its short form
    /// (`"Responder"`, `"Responder/AuthnFailed"`). Such a response carries no Assertion.
    pub status: Option<(String, Option<String>)>,
    /// `AuthnContextClassRef`.
    pub authn_context_class: Option<String>,
    /// `AuthnStatement@SessionIndex`.
    pub session_index: Option<String>,
}

impl ResponseSpec {
    /// A successful response to `request_id` for `sp`: persistent NameID `name_id`, an
    /// emailaddress claim, valid for 5 minutes from `now`, signed twice (Response and
    /// Assertion), password authentication, IDs derived from the inputs.
    pub fn new(
        sp: &SpConfig,
        request_id: &str,
        name_id: &str,
        email: &str,
        now: time::OffsetDateTime,
    ) -> Self {
        let seed = format!("{request_id}|{name_id}|{}", now.unix_timestamp_nanos());
        let hash: String = sha2::Sha256::digest(seed.as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            destination: Some(sp.acs_url.clone()),
            recipient: sp.acs_url.clone(),
            audience: sp.entity_id.clone(),
            in_response_to: Some(request_id.to_owned()),
            name_id: name_id.to_owned(),
            name_id_format: NAMEID_PERSISTENT.to_owned(),
            email: Some(email.to_owned()),
            display_name: None,
            issue_instant: now,
            not_before: now,
            not_on_or_after: now + time::Duration::minutes(5),
            assertion_id: format!("_a{hash}"),
            response_id: format!("_r{hash}"),
            sign: Sign::Both,
            status: None,
            authn_context_class: Some(
                "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport".to_owned(),
            ),
            session_index: Some(format!("_s{hash}")),
        }
    }
}

/// A SAML identity provider for tests.
pub struct TestIdp {
    /// Its entity id (the Issuer).
    issuer: String,
    /// The PEM private key it signs with.
    key_pem: &'static str,
    /// The certificate of that key.
    certificate: Certificate,
}

impl TestIdp {
    /// An IdP named `issuer` signing with the test IdP key (`testdata/idp.key`).
    pub fn new(issuer: &str) -> Self {
        Self::with_key(issuer, IDP_KEY, IDP_CERT)
    }

    /// An IdP named `issuer` signing with the *other* key (`testdata/other.key`): its
    /// signatures do not verify against [`TestIdp::new`]'s certificate.
    pub fn with_other_key(issuer: &str) -> Self {
        Self::with_key(issuer, OTHER_KEY, OTHER_CERT)
    }

    /// Builds an IdP from a fixture key pair.
    fn with_key(issuer: &str, key_pem: &'static str, cert_pem: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            key_pem,
            certificate: parse_certificate(cert_pem).expect("test fixture certificate"),
        }
    }

    /// Its entity id.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Its signing certificate.
    pub fn certificate(&self) -> Certificate {
        self.certificate.clone()
    }

    /// Its signing certificate as base64 of the DER (Graph's `signingCertificate` form).
    pub fn certificate_base64(&self) -> String {
        self.certificate.to_base64()
    }

    /// IdP metadata for it: an EntityDescriptor with an IDPSSODescriptor (SAML 2.0), its
    /// signing certificate, and HTTP-Redirect and HTTP-POST SingleSignOnService at `sso_url`.
    pub fn metadata(&self, sso_url: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<md:EntityDescriptor xmlns:md=\"{NS_METADATA}\" xmlns:ds=\"{NS_DSIG}\" entityID=\"{issuer}\">\n\
  <md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" protocolSupportEnumeration=\"{NS_PROTOCOL}\">\n\
    <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n\
    <md:NameIDFormat>{NAMEID_PERSISTENT}</md:NameIDFormat>\n\
    <md:SingleSignOnService Binding=\"{BINDING_REDIRECT}\" Location=\"{sso}\"/>\n\
    <md:SingleSignOnService Binding=\"{BINDING_POST}\" Location=\"{sso}\"/>\n\
  </md:IDPSSODescriptor>\n\
</md:EntityDescriptor>\n",
            issuer = escape_attr(&self.issuer),
            cert = self.certificate_base64(),
            sso = escape_attr(sso_url),
        )
    }

    /// The SAMLResponse form value (base64 of [`TestIdp::response_xml`]).
    pub fn response(&self, spec: &ResponseSpec) -> String {
        STANDARD.encode(self.response_xml(spec))
    }

    /// The signed Response XML for `spec`.
    pub fn response_xml(&self, spec: &ResponseSpec) -> String {
        let assertion = if spec.status.is_some() {
            String::new()
        } else {
            let unsigned = assertion_xml(
                &self.issuer,
                spec,
                matches!(spec.sign, Sign::Assertion | Sign::Both).then(|| {
                    self.signature_template(
                        &format!("#{}", spec.assertion_id),
                        &[algorithm::ENVELOPED_SIGNATURE, algorithm::EXC_C14N],
                    )
                }),
            );
            if matches!(spec.sign, Sign::Assertion | Sign::Both) {
                self.sign_xml(&unsigned)
            } else {
                unsigned
            }
        };
        let response_signature = matches!(spec.sign, Sign::Response | Sign::Both).then(|| {
            self.signature_template(
                &format!("#{}", spec.response_id),
                &[algorithm::ENVELOPED_SIGNATURE, algorithm::EXC_C14N],
            )
        });
        let unsigned = response_xml(
            &self.issuer,
            spec,
            response_signature.as_deref(),
            &assertion,
        );
        if response_signature.is_some() {
            self.sign_xml(&unsigned)
        } else {
            unsigned
        }
    }

    /// A `ds:Signature` template (RSA-SHA256, SHA-256, exclusive c14n for SignedInfo) with one
    /// reference to `reference_uri` through `transforms` (algorithm URIs), and this IdP's
    /// certificate in KeyInfo.
    pub fn signature_template(&self, reference_uri: &str, transforms: &[&str]) -> String {
        let transforms: String = transforms
            .iter()
            .map(|t| format!("<ds:Transform Algorithm=\"{}\"/>", escape_attr(t)))
            .collect();
        format!(
            "<ds:Signature xmlns:ds=\"{NS_DSIG}\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"{c14n}\"/>\
<ds:SignatureMethod Algorithm=\"{rsa}\"/>\
<ds:Reference URI=\"{uri}\"><ds:Transforms>{transforms}</ds:Transforms>\
<ds:DigestMethod Algorithm=\"{sha}\"/><ds:DigestValue></ds:DigestValue></ds:Reference>\
</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>\
<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
</ds:Signature>",
            c14n = algorithm::EXC_C14N,
            rsa = algorithm::RSA_SHA256,
            sha = algorithm::SHA256,
            uri = escape_attr(reference_uri),
            cert = self.certificate_base64(),
        )
    }

    /// Signs the first `ds:Signature` template (empty DigestValue and SignatureValue) of
    /// `template_xml` with this IdP's key, through bergshamra.
    pub fn sign_xml(&self, template_xml: &str) -> String {
        self.try_sign_xml(template_xml)
            .unwrap_or_else(|e| panic!("signing the test response failed: {e}"))
    }

    /// Like [`TestIdp::sign_xml`], reporting bergshamra's refusal instead of panicking.
    pub fn try_sign_xml(&self, template_xml: &str) -> Result<String, String> {
        let key = bergshamra_keys::loader::load_rsa_private_pem(self.key_pem.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut keys = bergshamra_keys::KeysManager::new();
        keys.add_key(key);
        let ctx = bergshamra_dsig::DsigContext::new(keys);
        bergshamra_dsig::sign::sign(&ctx, template_xml).map_err(|e| e.to_string())
    }
}

/// The status URI of a short or full code.
fn status_uri(code: &str) -> String {
    if code.starts_with("urn:") {
        code.to_owned()
    } else {
        format!("urn:oasis:names:tc:SAML:2.0:status:{code}")
    }
}

/// The Response element around `assertion`.
fn response_xml(
    issuer: &str,
    spec: &ResponseSpec,
    signature: Option<&str>,
    assertion: &str,
) -> String {
    let mut attributes = format!(
        " ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\"",
        escape_attr(&spec.response_id),
        format_instant(spec.issue_instant)
    );
    if let Some(destination) = &spec.destination {
        attributes.push_str(&format!(" Destination=\"{}\"", escape_attr(destination)));
    }
    if let Some(in_response_to) = &spec.in_response_to {
        attributes.push_str(&format!(
            " InResponseTo=\"{}\"",
            escape_attr(in_response_to)
        ));
    }
    let status = match &spec.status {
        None => "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>".to_owned(),
        Some((code, message)) => {
            let (top, second) = code.split_once('/').map_or((code.as_str(), None), |(t, s)| (t, Some(s)));
            let inner = second
                .map(|s| format!("<samlp:StatusCode Value=\"{}\"/>", escape_attr(&status_uri(s))))
                .unwrap_or_default();
            let message = message
                .as_deref()
                .map(|m| format!("<samlp:StatusMessage>{}</samlp:StatusMessage>", escape_text(m)))
                .unwrap_or_default();
            format!(
                "<samlp:Status><samlp:StatusCode Value=\"{}\">{inner}</samlp:StatusCode>{message}</samlp:Status>",
                escape_attr(&status_uri(top))
            )
        }
    };
    format!(
        "<samlp:Response xmlns:samlp=\"{NS_PROTOCOL}\" xmlns:saml=\"{NS_ASSERTION}\"{attributes}>\
<saml:Issuer>{issuer}</saml:Issuer>{signature}{status}{assertion}</samlp:Response>",
        issuer = escape_text(issuer),
        signature = signature.unwrap_or_default(),
    )
}

/// The Assertion element, with `signature` (a template) after its Issuer.
fn assertion_xml(issuer: &str, spec: &ResponseSpec, signature: Option<String>) -> String {
    let in_response_to = spec
        .in_response_to
        .as_deref()
        .map(|v| format!(" InResponseTo=\"{}\"", escape_attr(v)))
        .unwrap_or_default();
    let session_index = spec
        .session_index
        .as_deref()
        .map(|v| format!(" SessionIndex=\"{}\"", escape_attr(v)))
        .unwrap_or_default();
    let class_ref = spec
        .authn_context_class
        .as_deref()
        .map(|v| {
            format!(
                "<saml:AuthnContextClassRef>{}</saml:AuthnContextClassRef>",
                escape_text(v)
            )
        })
        .unwrap_or_default();
    let mut attributes = String::new();
    for (name, value) in [(CLAIM_EMAIL, &spec.email), (CLAIM_NAME, &spec.display_name)] {
        if let Some(value) = value {
            attributes.push_str(&format!(
                "<saml:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">\
<saml:AttributeValue xsi:type=\"xs:string\">{}</saml:AttributeValue></saml:Attribute>",
                escape_text(value)
            ));
        }
    }
    let attribute_statement = if attributes.is_empty() {
        String::new()
    } else {
        format!("<saml:AttributeStatement>{attributes}</saml:AttributeStatement>")
    };
    format!(
        "<saml:Assertion xmlns:saml=\"{NS_ASSERTION}\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{issued}\">\
<saml:Issuer>{issuer}</saml:Issuer>{signature}\
<saml:Subject><saml:NameID Format=\"{format}\">{name_id}</saml:NameID>\
<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
<saml:SubjectConfirmationData{in_response_to} NotOnOrAfter=\"{until}\" Recipient=\"{recipient}\"/>\
</saml:SubjectConfirmation></saml:Subject>\
<saml:Conditions NotBefore=\"{from}\" NotOnOrAfter=\"{until}\">\
<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AuthnStatement AuthnInstant=\"{issued}\"{session_index}><saml:AuthnContext>{class_ref}</saml:AuthnContext></saml:AuthnStatement>\
{attribute_statement}</saml:Assertion>",
        id = escape_attr(&spec.assertion_id),
        issued = format_instant(spec.issue_instant),
        issuer = escape_text(issuer),
        signature = signature.unwrap_or_default(),
        format = escape_attr(&spec.name_id_format),
        name_id = escape_text(&spec.name_id),
        until = format_instant(spec.not_on_or_after),
        from = format_instant(spec.not_before),
        recipient = escape_attr(&spec.recipient),
        audience = escape_text(&spec.audience),
    )
}
