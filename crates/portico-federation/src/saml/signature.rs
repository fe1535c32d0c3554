//! Which parts of a SAML Response are covered by a valid signature of the identity provider.
//!
//! The cryptography (canonicalization, digests, RSA/ECDSA) is bergshamra's: this module only
//! narrows what bergshamra is asked to accept, before and after it runs, so that a signature
//! can never vouch for anything but the exact node the response reader uses:
//!
//! * before verification every `ds:Signature` in the document is checked against the SAML
//!   profile (SAML core 5.4): enveloped in the Response or the Assertion, exactly one
//!   `ds:Reference` whose URI is `#<ID of that parent>`, transforms limited to
//!   enveloped-signature and (exclusive or inclusive) canonicalization, and algorithms from a
//!   short list. So no XPath/XSLT transform ever runs and no external or empty URI is resolved;
//! * verification uses `DsigContext::new` (trusted keys only: a key or certificate in
//!   `KeyInfo` is never trusted by itself, only the configured certificates are tried; strict
//!   reference positions);
//! * a signature that does not verify refuses the whole message, and coverage is taken from
//!   the verifier's own resolved nodes, compared by node identity and by the referenced ID.

use std::collections::HashMap;

use bergshamra_core::algorithm;
use bergshamra_dsig::{DsigContext, VerifyResult};
use uppsala::{Document, NodeId};

use super::certificate::Certificate;
use super::error::{SamlError, bounded};
use super::xml::{NS_DSIG, attr, child_elements, children_named, descendants_named, is};

/// Canonicalization algorithms accepted for SignedInfo and as reference transforms.
const C14N_ALGORITHMS: &[&str] = &[
    algorithm::EXC_C14N,
    algorithm::EXC_C14N_WITH_COMMENTS,
    algorithm::C14N,
    algorithm::C14N_WITH_COMMENTS,
    algorithm::C14N11,
    algorithm::C14N11_WITH_COMMENTS,
];
/// Signature algorithms accepted (RSA PKCS #1 v1.5 and ECDSA; RSA-SHA1 for older IdPs).
const SIGNATURE_ALGORITHMS: &[&str] = &[
    algorithm::RSA_SHA256,
    algorithm::RSA_SHA384,
    algorithm::RSA_SHA512,
    algorithm::RSA_SHA1,
    algorithm::ECDSA_SHA256,
    algorithm::ECDSA_SHA384,
    algorithm::ECDSA_SHA512,
];
/// Digest algorithms accepted.
const DIGEST_ALGORITHMS: &[&str] = &[
    algorithm::SHA256,
    algorithm::SHA384,
    algorithm::SHA512,
    algorithm::SHA1,
];

/// The nodes a valid signature covers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Coverage {
    /// The root Response (`URI="#<Response ID>"`).
    pub(crate) response: bool,
    /// The single Assertion (`URI="#<Assertion ID>"`).
    pub(crate) assertion: bool,
}

/// The two elements a signature may cover, with their ID attribute values.
pub(crate) struct Targets<'a> {
    /// The root Response element.
    pub(crate) response: NodeId,
    /// Its `ID`.
    pub(crate) response_id: &'a str,
    /// The Assertion element (a direct child of the Response).
    pub(crate) assertion: NodeId,
    /// Its `ID`.
    pub(crate) assertion_id: &'a str,
}

/// Checks every signature of `doc` and reports what the valid ones cover. `ids` maps every ID
/// attribute value of the document to its element (duplicates were refused before).
///
/// Errors: [`SamlError::Unsigned`] when the document has no signature at all,
/// [`SamlError::BadSignature`] for a signature outside the SAML profile or one that does not
/// verify with a configured certificate, [`SamlError::Config`] when no certificate is usable.
pub(crate) fn coverage(
    doc: &Document<'_>,
    ids: &HashMap<String, NodeId>,
    targets: &Targets<'_>,
    certificates: &[Certificate],
) -> Result<Coverage, SamlError> {
    let signatures = descendants_named(doc, doc.root(), NS_DSIG, "Signature");
    if signatures.is_empty() {
        return Err(SamlError::Unsigned);
    }
    let mut signed_parents = Vec::with_capacity(signatures.len());
    for &signature in &signatures {
        let parent = check_profile(doc, signature, ids, targets)?;
        if signed_parents.contains(&parent) {
            return Err(SamlError::bad_signature(
                "more than one signature is enveloped in the same element",
            ));
        }
        signed_parents.push(parent);
    }

    let mut keys = bergshamra_keys::KeysManager::new();
    for certificate in certificates {
        keys.add_key(certificate.verification_key()?);
    }
    if keys.is_empty() {
        return Err(SamlError::Config(
            "no IdP signing certificate is configured".into(),
        ));
    }
    // Secure defaults: trusted_keys_only (KeyInfo is only an ordering hint) and strict
    // reference positions. The certificates are trust anchors for their keys only: their
    // validity dates are not enforced here (`Certificate::not_after` lets the caller warn).
    let ctx = DsigContext::new(keys);
    debug_assert!(ctx.trusted_keys_only && ctx.strict_verification);

    let results = bergshamra_dsig::verify::verify_all_document(&ctx, doc)
        .map_err(|e| SamlError::BadSignature(bounded(&e.to_string())))?;
    let mut covered = Coverage::default();
    for result in results {
        match result {
            VerifyResult::Valid { references, .. } => {
                for reference in references {
                    let node = reference.resolved_node;
                    if !reference.digest_verified {
                        return Err(SamlError::bad_signature(
                            "a reference digest was not verified",
                        ));
                    }
                    if node == Some(targets.response)
                        && reference.uri.strip_prefix('#') == Some(targets.response_id)
                    {
                        covered.response = true;
                    } else if node == Some(targets.assertion)
                        && reference.uri.strip_prefix('#') == Some(targets.assertion_id)
                    {
                        covered.assertion = true;
                    } else {
                        return Err(SamlError::bad_signature(
                            "a signature reference covers neither the Response nor the Assertion",
                        ));
                    }
                }
            }
            VerifyResult::Invalid { reason } => {
                return Err(SamlError::BadSignature(format!(
                    "a signature is not valid for the configured IdP certificates ({})",
                    bounded(&reason)
                )));
            }
        }
    }
    Ok(covered)
}

/// Checks one `ds:Signature` against the SAML signature profile and returns the element it
/// signs (its parent, the Response or the Assertion).
fn check_profile(
    doc: &Document<'_>,
    signature: NodeId,
    ids: &HashMap<String, NodeId>,
    targets: &Targets<'_>,
) -> Result<NodeId, SamlError> {
    let parent = doc
        .parent(signature)
        .filter(|&p| p == targets.response || p == targets.assertion)
        .ok_or_else(|| {
            SamlError::bad_signature(
                "a signature is enveloped in neither the Response nor the Assertion",
            )
        })?;

    let signed_info = single_child(doc, signature, "SignedInfo")?;
    let c14n = single_child(doc, signed_info, "CanonicalizationMethod")?;
    check_algorithm(doc, c14n, C14N_ALGORITHMS, "canonicalization")?;
    check_c14n_children(doc, c14n)?;
    let method = single_child(doc, signed_info, "SignatureMethod")?;
    check_algorithm(doc, method, SIGNATURE_ALGORITHMS, "signature")?;
    if !child_elements(doc, method).is_empty() {
        return Err(SamlError::bad_signature(
            "SignatureMethod parameters are not supported",
        ));
    }

    let reference = single_child(doc, signed_info, "Reference")?;
    let uri = attr(doc, reference, "URI").unwrap_or_default();
    let id = uri
        .strip_prefix('#')
        .filter(|id| !id.is_empty() && !id.starts_with("xpointer("))
        .ok_or_else(|| {
            SamlError::BadSignature(format!(
                "reference URI {:?} is not a same-document \"#id\" reference",
                bounded(uri)
            ))
        })?;
    if ids.get(id) != Some(&parent) {
        return Err(SamlError::bad_signature(
            "the signature's reference does not point at the element it is enveloped in",
        ));
    }
    let transforms = children_named(doc, reference, NS_DSIG, "Transforms");
    if transforms.len() > 1 {
        return Err(SamlError::bad_signature(
            "a reference has more than one Transforms element",
        ));
    }
    for transforms in transforms {
        check_transforms(doc, transforms)?;
    }
    let digest = single_child(doc, reference, "DigestMethod")?;
    check_algorithm(doc, digest, DIGEST_ALGORITHMS, "digest")?;
    Ok(parent)
}

/// A reference's transforms: optionally enveloped-signature, then optionally one
/// canonicalization, nothing else and in no other order. This is exactly the shape bergshamra
/// digests directly on the parsed document (its streaming fast path), so the bytes digested are
/// those of the very node the reader uses, never of a re-serialized copy.
fn check_transforms(doc: &Document<'_>, transforms: NodeId) -> Result<(), SamlError> {
    let mut seen_enveloped = false;
    let mut seen_c14n = false;
    for transform in child_elements(doc, transforms) {
        if !is(doc, transform, NS_DSIG, "Transform") {
            return Err(SamlError::bad_signature(
                "Transforms holds an element other than ds:Transform",
            ));
        }
        match attr(doc, transform, "Algorithm") {
            Some(algorithm::ENVELOPED_SIGNATURE) if !seen_enveloped && !seen_c14n => {
                if !child_elements(doc, transform).is_empty() {
                    return Err(SamlError::bad_signature(
                        "the enveloped-signature transform takes no parameters",
                    ));
                }
                seen_enveloped = true;
            }
            Some(a) if C14N_ALGORITHMS.contains(&a) && !seen_c14n => {
                check_c14n_children(doc, transform)?;
                seen_c14n = true;
            }
            Some(a) if a == algorithm::ENVELOPED_SIGNATURE || C14N_ALGORITHMS.contains(&a) => {
                return Err(SamlError::bad_signature(
                    "transforms must be enveloped-signature then one canonicalization, each at most once",
                ));
            }
            other => {
                return Err(SamlError::BadSignature(format!(
                    "transform {:?} is not allowed (only enveloped-signature and canonicalization)",
                    bounded(other.unwrap_or_default())
                )));
            }
        }
    }
    Ok(())
}

/// The one `ds:<local>` child of `node`; none or several is refused.
fn single_child(doc: &Document<'_>, node: NodeId, local: &str) -> Result<NodeId, SamlError> {
    match children_named(doc, node, NS_DSIG, local).as_slice() {
        [one] => Ok(*one),
        [] => Err(SamlError::BadSignature(format!(
            "a signature has no ds:{local}"
        ))),
        _ => Err(SamlError::BadSignature(format!(
            "a signature has more than one ds:{local}"
        ))),
    }
}

/// The `Algorithm` attribute of `node` must be one of `allowed`.
fn check_algorithm(
    doc: &Document<'_>,
    node: NodeId,
    allowed: &[&str],
    what: &str,
) -> Result<(), SamlError> {
    match attr(doc, node, "Algorithm") {
        Some(a) if allowed.contains(&a) => Ok(()),
        other => Err(SamlError::BadSignature(format!(
            "{what} algorithm {:?} is not allowed",
            bounded(other.unwrap_or_default())
        ))),
    }
}

/// A canonicalization method or transform may only carry an `InclusiveNamespaces` prefix list.
fn check_c14n_children(doc: &Document<'_>, node: NodeId) -> Result<(), SamlError> {
    let ok = child_elements(doc, node).into_iter().all(|c| {
        doc.element(c)
            .is_some_and(|e| *e.name.local_name == *"InclusiveNamespaces")
    });
    if ok {
        Ok(())
    } else {
        Err(SamlError::bad_signature(
            "a canonicalization step carries unsupported parameters",
        ))
    }
}
