//! Validating a SAML Response received at the assertion consumer service (HTTP-POST binding).
//!
//! The document is parsed once (uppsala, DTDs refused); the same `uppsala::Document` is given to
//! bergshamra for signature verification and then read, so what is verified is what is read.
//! Signature-wrapping defences, in order:
//!
//! 1. no DOCTYPE; the root is `samlp:Response` in the protocol namespace;
//! 2. no element has two attributes with one local name, no ID attribute is
//!    namespace-qualified, and no ID value appears twice anywhere;
//! 3. exactly one `saml:Assertion` in the whole document, a direct child of the root (no
//!    `EncryptedAssertion`);
//! 4. every signature follows the SAML profile and verifies with a configured certificate
//!    (see [`super::signature`]); the root or the Assertion must be covered;
//! 5. every field is read from those two nodes only, by namespace-aware child lookups.
//!
//! Then the SAML web-SSO checks: Version, Status, Issuers, Destination, InResponseTo, the bearer
//! SubjectConfirmation (Recipient, NotOnOrAfter, InResponseTo), Conditions with clock skew, and
//! every AudienceRestriction.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use uppsala::{Document, NodeId};

use super::certificate::Certificate;
use super::claims;
use super::error::{SamlError, bounded};
use super::signature::{self, Targets};
use super::xml::{
    self, NS_ASSERTION, NS_PROTOCOL, NS_XSI, attr, children_named, first_child_named, is, text,
};

/// The largest decoded SAMLResponse accepted, in bytes.
const MAX_RESPONSE_BYTES: usize = 512 * 1024;
/// The largest base64 text (whitespace removed) that can decode to [`MAX_RESPONSE_BYTES`].
const MAX_RESPONSE_BASE64: usize = MAX_RESPONSE_BYTES.div_ceil(3) * 4;
/// Attribute local names that act as IDs (for XML-DSig references).
const ID_ATTRIBUTES: &[&str] = &["ID", "Id", "id", "AssertionID"];
/// The prefix of the SAML 2.0 status code URIs (left out of [`SamlError::Status`] codes).
const STATUS_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:status:";
/// The bearer confirmation method.
const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// What a Response must satisfy.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    /// The IdP's signing certificates; any of them may have signed (rollover).
    pub certificates: &'a [Certificate],
    /// `Response/Issuer` (when present) and `Assertion/Issuer` must equal it exactly.
    pub idp_issuer: &'a str,
    /// The SP entity id: there must be an AudienceRestriction and every one must contain it.
    pub audience: &'a str,
    /// `Response@Destination` (required when the Response is signed; when only the Assertion
    /// is signed it may be absent) and `SubjectConfirmationData@Recipient` (required) must
    /// equal it.
    pub acs_url: &'a str,
    /// `Response@InResponseTo` and `SubjectConfirmationData@InResponseTo` must equal it.
    pub request_id: &'a str,
    /// The current time.
    pub now: time::OffsetDateTime,
    /// Clock skew allowed on NotBefore / NotOnOrAfter / IssueInstant.
    pub max_skew: time::Duration,
}

/// The validated assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlAssertion {
    /// The Assertion's Issuer (the IdP entity id).
    pub issuer: String,
    /// The Assertion's ID (for the caller's replay cache).
    pub assertion_id: String,
    /// The Subject's NameID (trimmed, non-empty).
    pub name_id: String,
    /// The NameID's Format, when given.
    pub name_id_format: Option<String>,
    /// The email address: the emailaddress claim, `urn:oid:0.9.2342.19200300.100.1.3`, a bare
    /// `mail`/`email`/`emailAddress` attribute, else the NameID when its format is emailAddress
    /// or it looks like an address; trimmed.
    pub email: Option<String>,
    /// The display name (common claim URIs and bare names).
    pub display_name: Option<String>,
    /// The given name.
    pub given_name: Option<String>,
    /// The surname.
    pub surname: Option<String>,
    /// Every attribute: Name to its values, in document order.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// `AuthnContextClassRef` of the first AuthnStatement.
    pub authn_context_class: Option<String>,
    /// `AuthnInstant` of the first AuthnStatement.
    pub authn_instant: Option<time::OffsetDateTime>,
    /// `SessionIndex` of the first AuthnStatement.
    pub session_index: Option<String>,
    /// The earliest of `SubjectConfirmationData@NotOnOrAfter` and `Conditions@NotOnOrAfter`
    /// (how long the caller's replay cache must remember `assertion_id`).
    pub not_on_or_after: time::OffsetDateTime,
}

/// Validates the SAMLResponse form field (base64; whitespace and newlines tolerated; at most
/// 512 KiB decoded) against `exp` and returns the assertion it carries.
pub fn validate_response(
    saml_response_b64: &str,
    exp: &Expectations<'_>,
) -> Result<SamlAssertion, SamlError> {
    if exp.certificates.is_empty() {
        return Err(SamlError::Config(
            "no IdP signing certificate is configured".into(),
        ));
    }
    let xml_text = decode(saml_response_b64)?;
    let doc = xml::parse(&xml_text).map_err(|e| SamlError::Malformed(e.describe()))?;
    let root = doc
        .document_element()
        .filter(|&r| is(&doc, r, NS_PROTOCOL, "Response"))
        .ok_or_else(|| SamlError::malformed("the root element is not samlp:Response"))?;
    let ids = scan(&doc)?;
    check_version(&doc, root, "Response")?;
    let response_id = required_attr(&doc, root, "ID", "Response")?;

    check_status(&doc, root)?;
    let assertion = single_assertion(&doc, root)?;
    check_version(&doc, assertion, "Assertion")?;
    let assertion_id = required_attr(&doc, assertion, "ID", "Assertion")?;

    let targets = Targets {
        response: root,
        response_id,
        assertion,
        assertion_id,
    };
    let covered = signature::coverage(&doc, &ids, &targets, exp.certificates)?;
    if !covered.response && !covered.assertion {
        return Err(SamlError::Unsigned);
    }

    let clock = Clock::new(exp.now, exp.max_skew);
    check_response(&doc, root, exp, covered.response, &clock)?;
    read_assertion(&doc, assertion, assertion_id, exp, &clock)
}

/// Base64 to UTF-8 text, with the size limits.
fn decode(saml_response_b64: &str) -> Result<String, SamlError> {
    let too_large = || SamlError::malformed("the response is larger than 512 KiB");
    if saml_response_b64.len() > MAX_RESPONSE_BASE64 * 2 {
        return Err(too_large());
    }
    let compact: String = saml_response_b64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if compact.len() > MAX_RESPONSE_BASE64 {
        return Err(too_large());
    }
    let bytes = STANDARD_PAD_INDIFFERENT
        .decode(compact.as_bytes())
        .map_err(|_| SamlError::malformed("the SAMLResponse is not base64"))?;
    if bytes.len() > MAX_RESPONSE_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| SamlError::malformed("the response is not UTF-8 text"))
}

/// Whole-document checks: attribute names unambiguous, ID attributes unqualified and unique.
/// Returns the ID map.
fn scan(doc: &Document<'_>) -> Result<HashMap<String, NodeId>, SamlError> {
    let mut ids: HashMap<String, NodeId> = HashMap::new();
    for node in doc.descendants(doc.root()) {
        let Some(element) = doc.element(node) else {
            continue;
        };
        let mut locals: Vec<&str> = element
            .attributes
            .iter()
            .map(|a| &*a.name.local_name)
            .collect();
        locals.sort_unstable();
        if locals
            .windows(2)
            .any(|pair| matches!(pair, [a, b] if a == b))
        {
            return Err(SamlError::malformed(
                "an element carries two attributes with the same local name",
            ));
        }
        for a in &element.attributes {
            let local = &*a.name.local_name;
            if ID_ATTRIBUTES.contains(&local) {
                if a.name.namespace_uri.is_some() || a.name.prefix.is_some() {
                    return Err(SamlError::malformed(
                        "an ID attribute is namespace-qualified",
                    ));
                }
                if ids.insert(a.value.to_string(), node).is_some() {
                    return Err(SamlError::Malformed(format!(
                        "the ID {:?} appears more than once",
                        bounded(&a.value)
                    )));
                }
            }
        }
    }
    Ok(ids)
}

/// `Version="2.0"`.
fn check_version(doc: &Document<'_>, node: NodeId, what: &str) -> Result<(), SamlError> {
    match attr(doc, node, "Version") {
        Some("2.0") => Ok(()),
        Some(v) => Err(SamlError::Malformed(format!(
            "the {what} has Version {:?}, not 2.0",
            bounded(v)
        ))),
        None => Err(SamlError::Malformed(format!("the {what} has no Version"))),
    }
}

/// A required, non-empty attribute.
fn required_attr<'d>(
    doc: &'d Document<'_>,
    node: NodeId,
    name: &str,
    what: &str,
) -> Result<&'d str, SamlError> {
    attr(doc, node, name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SamlError::Malformed(format!("the {what} has no {name}")))
}

/// The one `{ns}local` child of `node`, if any; several are refused.
fn optional_child(
    doc: &Document<'_>,
    node: NodeId,
    ns: &str,
    local: &str,
) -> Result<Option<NodeId>, SamlError> {
    match children_named(doc, node, ns, local).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(SamlError::Malformed(format!(
            "more than one {local} element"
        ))),
    }
}

/// The Response's Status must be Success; otherwise [`SamlError::Status`].
fn check_status(doc: &Document<'_>, root: NodeId) -> Result<(), SamlError> {
    let status = optional_child(doc, root, NS_PROTOCOL, "Status")?
        .ok_or_else(|| SamlError::malformed("the Response has no Status"))?;
    let code_node = optional_child(doc, status, NS_PROTOCOL, "StatusCode")?
        .ok_or_else(|| SamlError::malformed("the Status has no StatusCode"))?;
    let top = attr(doc, code_node, "Value").unwrap_or_default();
    if top == "urn:oasis:names:tc:SAML:2.0:status:Success" {
        return Ok(());
    }
    let short = |v: &str| bounded(v.strip_prefix(STATUS_PREFIX).unwrap_or(v));
    let mut code = short(top);
    if let Some(second) = first_child_named(doc, code_node, NS_PROTOCOL, "StatusCode")
        .and_then(|n| attr(doc, n, "Value"))
    {
        code.push('/');
        code.push_str(&short(second));
    }
    let message = first_child_named(doc, status, NS_PROTOCOL, "StatusMessage")
        .map(|n| bounded(text(doc, n).trim()))
        .filter(|m| !m.is_empty());
    Err(SamlError::Status { code, message })
}

/// Exactly one Assertion in the whole document, a direct child of the Response.
fn single_assertion(doc: &Document<'_>, root: NodeId) -> Result<NodeId, SamlError> {
    if !xml::descendants_named(doc, doc.root(), NS_ASSERTION, "EncryptedAssertion").is_empty() {
        return Err(SamlError::malformed(
            "encrypted assertions are not supported",
        ));
    }
    let assertions = xml::descendants_named(doc, doc.root(), NS_ASSERTION, "Assertion");
    match assertions.as_slice() {
        [] => Err(SamlError::malformed("the Response carries no Assertion")),
        [one] if doc.parent(*one) == Some(root) => Ok(*one),
        [_] => Err(SamlError::malformed(
            "the Assertion is not a direct child of the Response",
        )),
        _ => Err(SamlError::malformed(
            "the document carries more than one Assertion",
        )),
    }
}

/// The clock with its skew applied.
struct Clock {
    /// `now + skew`: a NotBefore or IssueInstant after it is in the future.
    early: time::OffsetDateTime,
    /// `now - skew`: a NotOnOrAfter at or before it has passed.
    late: time::OffsetDateTime,
}

impl Clock {
    /// The skew is taken as an absolute value; an overflowing sum leaves `now` unchanged.
    fn new(now: time::OffsetDateTime, skew: time::Duration) -> Self {
        let skew = skew.abs();
        Self {
            early: now.checked_add(skew).unwrap_or(now),
            late: now.checked_sub(skew).unwrap_or(now),
        }
    }

    /// Fails with [`SamlError::NotYetValid`] when `not_before` is beyond the skew.
    fn check_not_before(&self, not_before: time::OffsetDateTime) -> Result<(), SamlError> {
        if not_before > self.early {
            Err(SamlError::NotYetValid)
        } else {
            Ok(())
        }
    }

    /// Fails with [`SamlError::Expired`] when `not_on_or_after` has passed beyond the skew.
    fn check_not_on_or_after(
        &self,
        not_on_or_after: time::OffsetDateTime,
    ) -> Result<(), SamlError> {
        if not_on_or_after <= self.late {
            Err(SamlError::Expired)
        } else {
            Ok(())
        }
    }
}

/// A timestamp attribute: `Ok(None)` when absent, Malformed when unparsable.
fn instant_attr(
    doc: &Document<'_>,
    node: NodeId,
    name: &str,
    what: &str,
) -> Result<Option<time::OffsetDateTime>, SamlError> {
    attr(doc, node, name)
        .map(|v| {
            xml::parse_instant(v).ok_or_else(|| {
                SamlError::Malformed(format!("the {what} {name} is not a valid timestamp"))
            })
        })
        .transpose()
}

/// The Issuer child of `node` must equal the expected one exactly. `required` says whether it
/// may be absent.
fn check_issuer(
    doc: &Document<'_>,
    node: NodeId,
    expected: &str,
    required: bool,
) -> Result<Option<String>, SamlError> {
    match optional_child(doc, node, NS_ASSERTION, "Issuer")? {
        Some(issuer) => {
            let got = text(doc, issuer);
            if got == expected {
                Ok(Some(got))
            } else {
                Err(SamlError::WrongIssuer {
                    expected: bounded(expected),
                    got: bounded(&got),
                })
            }
        }
        None if required => Err(SamlError::WrongIssuer {
            expected: bounded(expected),
            got: String::new(),
        }),
        None => Ok(None),
    }
}

/// Response-level checks: Issuer, Destination, InResponseTo, IssueInstant.
fn check_response(
    doc: &Document<'_>,
    root: NodeId,
    exp: &Expectations<'_>,
    response_signed: bool,
    clock: &Clock,
) -> Result<(), SamlError> {
    check_issuer(doc, root, exp.idp_issuer, false)?;
    match attr(doc, root, "Destination") {
        Some(destination) if destination == exp.acs_url => {}
        None if !response_signed => {}
        _ => return Err(SamlError::WrongDestination),
    }
    match attr(doc, root, "InResponseTo") {
        None | Some("") => return Err(SamlError::Unsolicited),
        Some(v) if v != exp.request_id => return Err(SamlError::WrongInResponseTo),
        Some(_) => {}
    }
    let issued = instant_attr(doc, root, "IssueInstant", "Response")?
        .ok_or_else(|| SamlError::malformed("the Response has no IssueInstant"))?;
    clock.check_not_before(issued)
}

/// Assertion checks and reading.
fn read_assertion(
    doc: &Document<'_>,
    assertion: NodeId,
    assertion_id: &str,
    exp: &Expectations<'_>,
    clock: &Clock,
) -> Result<SamlAssertion, SamlError> {
    let issuer = check_issuer(doc, assertion, exp.idp_issuer, true)?.unwrap_or_default();
    let issued = instant_attr(doc, assertion, "IssueInstant", "Assertion")?
        .ok_or_else(|| SamlError::malformed("the Assertion has no IssueInstant"))?;
    clock.check_not_before(issued)?;

    let subject =
        optional_child(doc, assertion, NS_ASSERTION, "Subject")?.ok_or(SamlError::NoSubject)?;
    if first_child_named(doc, subject, NS_ASSERTION, "EncryptedID").is_some() {
        return Err(SamlError::malformed("encrypted NameIDs are not supported"));
    }
    let name_id_node =
        optional_child(doc, subject, NS_ASSERTION, "NameID")?.ok_or(SamlError::NoSubject)?;
    let name_id = text(doc, name_id_node).trim().to_owned();
    if name_id.is_empty() {
        return Err(SamlError::NoSubject);
    }
    let name_id_format = attr(doc, name_id_node, "Format").map(str::to_owned);

    let confirmed_until = bearer_confirmation(doc, subject, exp, clock)?;
    let conditions_until = check_conditions(doc, assertion, exp, clock)?;
    let not_on_or_after = conditions_until.map_or(confirmed_until, |c| c.min(confirmed_until));

    let mut authn_context_class = None;
    let mut authn_instant = None;
    let mut session_index = None;
    if let Some(authn) = first_child_named(doc, assertion, NS_ASSERTION, "AuthnStatement") {
        authn_instant = instant_attr(doc, authn, "AuthnInstant", "AuthnStatement")?;
        session_index = attr(doc, authn, "SessionIndex").map(str::to_owned);
        if let Some(until) = instant_attr(doc, authn, "SessionNotOnOrAfter", "AuthnStatement")? {
            clock.check_not_on_or_after(until)?;
        }
        authn_context_class = first_child_named(doc, authn, NS_ASSERTION, "AuthnContext")
            .and_then(|c| first_child_named(doc, c, NS_ASSERTION, "AuthnContextClassRef"))
            .map(|r| text(doc, r).trim().to_owned())
            .filter(|v| !v.is_empty());
    }

    let attributes = read_attributes(doc, assertion);
    let profile = claims::profile(&attributes, &name_id, name_id_format.as_deref());
    Ok(SamlAssertion {
        issuer,
        assertion_id: assertion_id.to_owned(),
        name_id,
        name_id_format,
        email: profile.email,
        display_name: profile.display_name,
        given_name: profile.given_name,
        surname: profile.surname,
        attributes,
        authn_context_class,
        authn_instant,
        session_index,
        not_on_or_after,
    })
}

/// At least one bearer SubjectConfirmation whose data names our ACS URL, answers our request
/// and is within its validity window. Returns its NotOnOrAfter. When none qualifies, the error
/// of the first bearer confirmation is returned.
fn bearer_confirmation(
    doc: &Document<'_>,
    subject: NodeId,
    exp: &Expectations<'_>,
    clock: &Clock,
) -> Result<time::OffsetDateTime, SamlError> {
    let mut first_error = None;
    for confirmation in children_named(doc, subject, NS_ASSERTION, "SubjectConfirmation") {
        if attr(doc, confirmation, "Method") != Some(CM_BEARER) {
            continue;
        }
        match check_confirmation_data(doc, confirmation, exp, clock) {
            Ok(until) => return Ok(until),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(SamlError::NoBearerConfirmation))
}

/// One bearer SubjectConfirmation's data.
fn check_confirmation_data(
    doc: &Document<'_>,
    confirmation: NodeId,
    exp: &Expectations<'_>,
    clock: &Clock,
) -> Result<time::OffsetDateTime, SamlError> {
    let data = optional_child(doc, confirmation, NS_ASSERTION, "SubjectConfirmationData")?
        .ok_or_else(|| {
            SamlError::malformed("the bearer SubjectConfirmation has no SubjectConfirmationData")
        })?;
    if attr(doc, data, "Recipient") != Some(exp.acs_url) {
        return Err(SamlError::WrongRecipient);
    }
    match attr(doc, data, "InResponseTo") {
        None | Some("") => return Err(SamlError::Unsolicited),
        Some(v) if v != exp.request_id => return Err(SamlError::WrongInResponseTo),
        Some(_) => {}
    }
    if let Some(not_before) = instant_attr(doc, data, "NotBefore", "SubjectConfirmationData")? {
        clock.check_not_before(not_before)?;
    }
    let until = instant_attr(doc, data, "NotOnOrAfter", "SubjectConfirmationData")?
        .ok_or_else(|| SamlError::malformed("the SubjectConfirmationData has no NotOnOrAfter"))?;
    clock.check_not_on_or_after(until)?;
    Ok(until)
}

/// Conditions: the validity window and the audience restrictions. Returns NotOnOrAfter.
fn check_conditions(
    doc: &Document<'_>,
    assertion: NodeId,
    exp: &Expectations<'_>,
    clock: &Clock,
) -> Result<Option<time::OffsetDateTime>, SamlError> {
    let conditions = optional_child(doc, assertion, NS_ASSERTION, "Conditions")?
        .ok_or(SamlError::WrongAudience)?;
    if let Some(not_before) = instant_attr(doc, conditions, "NotBefore", "Conditions")? {
        clock.check_not_before(not_before)?;
    }
    let until = instant_attr(doc, conditions, "NotOnOrAfter", "Conditions")?;
    if let Some(until) = until {
        clock.check_not_on_or_after(until)?;
    }
    let restrictions = children_named(doc, conditions, NS_ASSERTION, "AudienceRestriction");
    let all_contain_us = restrictions.iter().all(|&r| {
        children_named(doc, r, NS_ASSERTION, "Audience")
            .into_iter()
            .any(|a| text(doc, a) == exp.audience)
    });
    if restrictions.is_empty() || !all_contain_us {
        return Err(SamlError::WrongAudience);
    }
    Ok(until)
}

/// Every `AttributeStatement/Attribute` of the assertion: Name to its non-nil values.
fn read_attributes(doc: &Document<'_>, assertion: NodeId) -> BTreeMap<String, Vec<String>> {
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in children_named(doc, assertion, NS_ASSERTION, "AttributeStatement") {
        for attribute in children_named(doc, statement, NS_ASSERTION, "Attribute") {
            let Some(name) = attr(doc, attribute, "Name").filter(|n| !n.is_empty()) else {
                continue;
            };
            let values = attributes.entry(name.to_owned()).or_default();
            for value in children_named(doc, attribute, NS_ASSERTION, "AttributeValue") {
                let nil = doc
                    .get_attribute_ns(value, NS_XSI, "nil")
                    .is_some_and(|v| matches!(v.trim(), "true" | "1"));
                if !nil {
                    values.push(text(doc, value));
                }
            }
        }
    }
    attributes
}
