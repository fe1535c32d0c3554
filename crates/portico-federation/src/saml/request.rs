//! The SP-initiated sign-in request: the `samlp:AuthnRequest` document (unsigned, as Entra sends
//! it), its ID rules, and the HTTP-Redirect binding that carries it to the identity provider
//! (raw DEFLATE, base64, URL-encoding).

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::error::SamlError;
use super::sp::SpConfig;
use super::xml::{
    BINDING_POST, NAMEID_EMAIL, NAMEID_PERSISTENT, NS_ASSERTION, NS_PROTOCOL, escape_attr,
    escape_text, format_instant,
};

/// The longest request ID accepted, in characters.
const MAX_ID_CHARS: usize = 256;

/// Whether `id` can be an AuthnRequest ID: an XML `NCName` (what `xs:ID` requires) of at most
/// 256 characters. A good ID is `_` followed by 40 lowercase hex characters from a random seed.
pub fn is_valid_request_id(id: &str) -> bool {
    let mut chars = id.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    id.chars().count() <= MAX_ID_CHARS && is_name_start_char(first) && chars.all(is_name_char)
}

/// XML 1.0 `NameStartChar` without `:` (Namespaces in XML: `NCName`).
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar` without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// The AuthnRequest XML (unsigned, as Entra sends it): `ID=id`, `Version="2.0"`, `IssueInstant`
/// (UTC, whole seconds, `Z`), `Destination=destination`, `AssertionConsumerServiceURL=sp.acs_url`,
/// the HTTP-POST `ProtocolBinding`, `<saml:Issuer>` = `sp.entity_id`, a persistent
/// `NameIDPolicy` with `AllowCreate="true"`, and, when `login_hint` is given, a `saml:Subject`
/// whose emailAddress-format NameID is the hint. Every value is XML-escaped; there is no XML
/// declaration. The caller checks `id` with [`is_valid_request_id`].
pub fn authn_request(
    sp: &SpConfig,
    destination: &str,
    id: &str,
    issue_instant: time::OffsetDateTime,
    login_hint: Option<&str>,
) -> String {
    let subject = login_hint
        .map(|hint| {
            format!(
                "<saml:Subject><saml:NameID Format=\"{NAMEID_EMAIL}\">{}</saml:NameID></saml:Subject>",
                escape_text(hint)
            )
        })
        .unwrap_or_default();
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"{NS_PROTOCOL}\" xmlns:saml=\"{NS_ASSERTION}\" \
ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{instant}\" Destination=\"{destination}\" \
AssertionConsumerServiceURL=\"{acs}\" ProtocolBinding=\"{BINDING_POST}\">\
<saml:Issuer>{issuer}</saml:Issuer>{subject}\
<samlp:NameIDPolicy Format=\"{NAMEID_PERSISTENT}\" AllowCreate=\"true\"/>\
</samlp:AuthnRequest>",
        id = escape_attr(id),
        instant = format_instant(issue_instant),
        destination = escape_attr(destination),
        acs = escape_attr(&sp.acs_url),
        issuer = escape_text(&sp.entity_id),
    )
}

/// The HTTP-Redirect binding URL: `request_xml` raw-DEFLATEd, base64-encoded (standard
/// alphabet) and URL-encoded as `SAMLRequest`, then `RelayState` when `relay_state` is not
/// empty, appended to `sso_url` with `?` or `&` (the URL may already have a query).
///
/// Fails with [`SamlError::Config`] when `sso_url` is not an absolute `http(s)` URL.
pub fn redirect_url(
    sso_url: &str,
    request_xml: &str,
    relay_state: &str,
) -> Result<String, SamlError> {
    let mut url = url::Url::parse(sso_url)
        .map_err(|_| SamlError::Config("the IdP sign-in URL is not an absolute URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(SamlError::Config(
            "the IdP sign-in URL is not an http(s) URL with a host".into(),
        ));
    }

    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(request_xml.as_bytes())
        .and_then(|()| encoder.finish())
        .map(|deflated| {
            let encoded = STANDARD.encode(deflated);
            let mut ours = String::from("SAMLRequest=");
            ours.extend(url::form_urlencoded::byte_serialize(encoded.as_bytes()));
            if !relay_state.is_empty() {
                ours.push_str("&RelayState=");
                ours.extend(url::form_urlencoded::byte_serialize(relay_state.as_bytes()));
            }
            let query = match url.query() {
                Some(existing) if !existing.is_empty() => format!("{existing}&{ours}"),
                _ => ours,
            };
            url.set_query(Some(&query));
            url.to_string()
        })
        .map_err(|_| SamlError::Config("the AuthnRequest could not be compressed".into()))
}
