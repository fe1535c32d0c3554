//! Identity-provider metadata: reading a partner's `md:EntityDescriptor` (alone or inside an
//! `md:EntitiesDescriptor`) for its entity id, single sign-on endpoints and signing
//! certificates. Metadata signatures are not checked: the document is fetched over TLS or
//! uploaded by an admin.

use uppsala::{Document, NodeId};

use super::certificate::{Certificate, parse_certificate};
use super::error::{SamlError, bounded};
use super::xml::{
    self, BINDING_POST, BINDING_REDIRECT, NS_DSIG, NS_METADATA, NS_PROTOCOL, attr, children_named,
    descendants_named, is,
};

/// The largest metadata document accepted, in bytes.
const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// An identity provider's metadata, as far as a service provider needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    /// The IdP's entity id (the Issuer of its responses).
    pub entity_id: String,
    /// The first SingleSignOnService location with the HTTP-Redirect binding.
    pub sso_redirect_url: Option<String>,
    /// The first SingleSignOnService location with the HTTP-POST binding.
    pub sso_post_url: Option<String>,
    /// The certificates of the KeyDescriptors with `use="signing"` or no `use`, deduplicated,
    /// in document order.
    pub signing_certificates: Vec<Certificate>,
}

/// Parses an identity provider's metadata: an `md:EntityDescriptor`, or the first
/// `IDPSSODescriptor`-bearing `EntityDescriptor` of an `md:EntitiesDescriptor` (whose entityID
/// equals `expected_entity_id` when that is given).
///
/// Refuses, each with a specific [`SamlError::BadMetadata`] message: more than 1 MiB, a DOCTYPE
/// or entity declaration, text that is not XML, another root element, no `IDPSSODescriptor`
/// supporting SAML 2.0, no HTTP-Redirect or HTTP-POST `SingleSignOnService`, no usable signing
/// certificate, and an entityID other than `expected_entity_id`.
pub fn parse_idp_metadata(
    xml: &str,
    expected_entity_id: Option<&str>,
) -> Result<IdpMetadata, SamlError> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err(SamlError::bad_metadata("the document is larger than 1 MiB"));
    }
    let doc = xml::parse(xml).map_err(|e| SamlError::BadMetadata(e.describe()))?;
    let root = doc
        .document_element()
        .ok_or_else(|| SamlError::bad_metadata("the document has no root element"))?;

    let entity = if is(&doc, root, NS_METADATA, "EntityDescriptor") {
        if let Some(expected) = expected_entity_id {
            let got = attr(&doc, root, "entityID").unwrap_or_default();
            if got != expected {
                return Err(SamlError::BadMetadata(format!(
                    "the entityID is {:?}, expected {:?}",
                    bounded(got),
                    bounded(expected)
                )));
            }
        }
        root
    } else if is(&doc, root, NS_METADATA, "EntitiesDescriptor") {
        pick_entity(&doc, root, expected_entity_id)?
    } else {
        return Err(SamlError::bad_metadata(
            "the root element is not md:EntityDescriptor or md:EntitiesDescriptor",
        ));
    };
    read_entity(&doc, entity)
}

/// Chooses the EntityDescriptor of an EntitiesDescriptor (nested groups included).
fn pick_entity(
    doc: &Document<'_>,
    root: NodeId,
    expected: Option<&str>,
) -> Result<NodeId, SamlError> {
    let entities = descendants_named(doc, root, NS_METADATA, "EntityDescriptor");
    let with_idp: Vec<NodeId> = entities
        .iter()
        .copied()
        .filter(|&e| !children_named(doc, e, NS_METADATA, "IDPSSODescriptor").is_empty())
        .collect();
    match expected {
        Some(expected) => with_idp
            .into_iter()
            .find(|&e| attr(doc, e, "entityID") == Some(expected))
            .ok_or_else(|| {
                SamlError::BadMetadata(format!(
                    "no identity provider EntityDescriptor has entityID {:?}",
                    bounded(expected)
                ))
            }),
        None => with_idp.into_iter().next().ok_or_else(|| {
            SamlError::bad_metadata("no EntityDescriptor carries an IDPSSODescriptor")
        }),
    }
}

/// Reads the IdP facts of one EntityDescriptor.
fn read_entity(doc: &Document<'_>, entity: NodeId) -> Result<IdpMetadata, SamlError> {
    let entity_id = attr(doc, entity, "entityID")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SamlError::bad_metadata("the EntityDescriptor has no entityID"))?
        .to_owned();

    let descriptors = children_named(doc, entity, NS_METADATA, "IDPSSODescriptor");
    if descriptors.is_empty() {
        return Err(SamlError::bad_metadata(
            "the EntityDescriptor has no IDPSSODescriptor",
        ));
    }
    let descriptor = descriptors
        .into_iter()
        .find(|&d| {
            attr(doc, d, "protocolSupportEnumeration")
                .is_some_and(|v| v.split_whitespace().any(|p| p == NS_PROTOCOL))
        })
        .ok_or_else(|| {
            SamlError::bad_metadata("the IDPSSODescriptor does not support the SAML 2.0 protocol")
        })?;

    let mut sso_redirect_url = None;
    let mut sso_post_url = None;
    for sso in children_named(doc, descriptor, NS_METADATA, "SingleSignOnService") {
        let Some(location) = attr(doc, sso, "Location").map(str::trim) else {
            continue;
        };
        let slot = match attr(doc, sso, "Binding") {
            Some(BINDING_REDIRECT) => &mut sso_redirect_url,
            Some(BINDING_POST) => &mut sso_post_url,
            _ => continue,
        };
        if slot.is_none() {
            check_location(location)?;
            *slot = Some(location.to_owned());
        }
    }
    if sso_redirect_url.is_none() && sso_post_url.is_none() {
        return Err(SamlError::bad_metadata(
            "the IDPSSODescriptor has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding",
        ));
    }

    let signing_certificates = signing_certificates(doc, descriptor)?;
    Ok(IdpMetadata {
        entity_id,
        sso_redirect_url,
        sso_post_url,
        signing_certificates,
    })
}

/// A SingleSignOnService location must be an absolute http(s) URL.
fn check_location(location: &str) -> Result<(), SamlError> {
    let ok = url::Url::parse(location).ok().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    if ok {
        Ok(())
    } else {
        Err(SamlError::BadMetadata(format!(
            "the SingleSignOnService location {:?} is not an absolute http(s) URL",
            bounded(location)
        )))
    }
}

/// The usable certificates of the signing KeyDescriptors (`use="signing"` or no `use`).
fn signing_certificates(
    doc: &Document<'_>,
    descriptor: NodeId,
) -> Result<Vec<Certificate>, SamlError> {
    let mut found: Vec<Certificate> = Vec::new();
    let mut first_refusal: Option<SamlError> = None;
    let mut seen_any = false;
    for key_descriptor in children_named(doc, descriptor, NS_METADATA, "KeyDescriptor") {
        if !matches!(attr(doc, key_descriptor, "use"), None | Some("signing")) {
            continue;
        }
        for key_info in children_named(doc, key_descriptor, NS_DSIG, "KeyInfo") {
            for x509_data in children_named(doc, key_info, NS_DSIG, "X509Data") {
                for cert_node in children_named(doc, x509_data, NS_DSIG, "X509Certificate") {
                    seen_any = true;
                    match parse_certificate(&xml::text(doc, cert_node)) {
                        Ok(cert) => {
                            if !found
                                .iter()
                                .any(|c| c.sha256_thumbprint == cert.sha256_thumbprint)
                            {
                                found.push(cert);
                            }
                        }
                        Err(e) => {
                            first_refusal.get_or_insert(e);
                        }
                    }
                }
            }
        }
    }
    if !found.is_empty() {
        return Ok(found);
    }
    Err(match (seen_any, first_refusal) {
        (true, Some(e)) => SamlError::BadMetadata(format!("no usable signing certificate ({e})")),
        _ => SamlError::bad_metadata(
            "the IDPSSODescriptor has no signing certificate (KeyDescriptor with X509Certificate)",
        ),
    })
}
