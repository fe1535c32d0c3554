//! Small XML helpers shared by the SAML module: namespace constants, the hardened parse
//! (no DTD, ever), namespace-aware element lookups on an `uppsala::Document`, text reading that
//! matches what canonicalization signs, and escaping for the documents we write.

use uppsala::{Document, NodeId, NodeKind, Parser};

/// SAML 2.0 protocol namespace (`samlp:`).
pub(crate) const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertion namespace (`saml:`).
pub(crate) const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 metadata namespace (`md:`).
pub(crate) const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML-DSig namespace (`ds:`).
pub(crate) const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML Schema instance namespace (`xsi:`).
pub(crate) const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The HTTP-POST binding URI.
pub(crate) const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// The HTTP-Redirect binding URI.
pub(crate) const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// The persistent NameID format.
pub(crate) const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// The emailAddress NameID format.
pub(crate) const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// The most attributes (namespace declarations included) one element may carry. The parser's
/// duplicate-attribute check is quadratic in this number, so it is bounded before parsing.
pub(crate) const MAX_ATTRIBUTES_PER_ELEMENT: usize = 64;

/// Why a document could not be parsed.
pub(crate) enum ParseFailure {
    /// The text carries a document type declaration (DTD / entity declarations).
    Doctype,
    /// An element carries more than [`MAX_ATTRIBUTES_PER_ELEMENT`] attributes.
    TooManyAttributes,
    /// Not well-formed (namespace errors included); the parser's message, bounded.
    NotXml(String),
}

impl ParseFailure {
    /// A log-safe description, for the caller's error variant.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Doctype => "a DOCTYPE or entity declaration is not allowed".to_owned(),
            Self::TooManyAttributes => {
                format!("an element carries more than {MAX_ATTRIBUTES_PER_ELEMENT} attributes")
            }
            Self::NotXml(m) => format!("the document is not well-formed XML ({m})"),
        }
    }
}

/// Parses `xml` with DTDs forbidden. A DOCTYPE is looked for in the raw text first so it is
/// refused before the parser sees it (billion laughs never starts), and the parser is told to
/// refuse one too. Elements with too many attributes are refused before parsing as well.
pub(crate) fn parse(xml: &str) -> Result<Document<'_>, ParseFailure> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(ParseFailure::Doctype);
    }
    if most_attributes(xml) > MAX_ATTRIBUTES_PER_ELEMENT {
        return Err(ParseFailure::TooManyAttributes);
    }
    Parser::new()
        .with_forbid_dtd(true)
        .with_forbid_entities(true)
        .parse(xml)
        .map_err(|e| ParseFailure::NotXml(super::error::bounded(&e.to_string())))
}

/// The largest number of attributes on one start tag of `xml`, counted lexically in one pass
/// (`=` signs outside quotes inside a tag; comments, CDATA sections and processing instructions
/// skipped). Exact for well-formed XML; for anything else the parser decides.
fn most_attributes(xml: &str) -> usize {
    let bytes = xml.as_bytes();
    let mut most = 0;
    let mut i = 0;
    while let Some(offset) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'<'))
    {
        i += offset;
        let rest = bytes.get(i..).unwrap_or_default();
        let skip_to = |end: &[u8]| {
            rest.windows(end.len())
                .position(|w| w == end)
                .map_or(bytes.len(), |p| i + p + end.len())
        };
        if rest.starts_with(b"<!--") {
            i = skip_to(b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(b"?>");
        } else {
            let mut quote = None;
            let mut count = 0;
            let mut j = i + 1;
            while let Some(&b) = bytes.get(j) {
                match (quote, b) {
                    (None, b'>') => break,
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'=') => count += 1,
                    (Some(q), b) if b == q => quote = None,
                    _ => {}
                }
                j += 1;
            }
            most = most.max(count);
            i = j + 1;
        }
    }
    most
}

/// Whether `node` is an element named `{ns}local`.
pub(crate) fn is(doc: &Document<'_>, node: NodeId, ns: &str, local: &str) -> bool {
    doc.element(node)
        .is_some_and(|e| e.matches_name_ns(ns, local))
}

/// The element children of `node`, in document order.
pub(crate) fn child_elements(doc: &Document<'_>, node: NodeId) -> Vec<NodeId> {
    doc.children(node)
        .into_iter()
        .filter(|&c| doc.element(c).is_some())
        .collect()
}

/// The element children of `node` named `{ns}local`, in document order.
pub(crate) fn children_named(
    doc: &Document<'_>,
    node: NodeId,
    ns: &str,
    local: &str,
) -> Vec<NodeId> {
    doc.children(node)
        .into_iter()
        .filter(|&c| is(doc, c, ns, local))
        .collect()
}

/// The first element child of `node` named `{ns}local`.
pub(crate) fn first_child_named(
    doc: &Document<'_>,
    node: NodeId,
    ns: &str,
    local: &str,
) -> Option<NodeId> {
    doc.children(node)
        .into_iter()
        .find(|&c| is(doc, c, ns, local))
}

/// Every element in the subtree under `node` (itself excluded) named `{ns}local`, in document
/// order.
pub(crate) fn descendants_named(
    doc: &Document<'_>,
    node: NodeId,
    ns: &str,
    local: &str,
) -> Vec<NodeId> {
    doc.descendants(node)
        .into_iter()
        .filter(|&d| d != node && is(doc, d, ns, local))
        .collect()
}

/// The value of the attribute `name` in no namespace (the form SAML uses for its own
/// attributes); a prefixed attribute with the same local name is not it.
pub(crate) fn attr<'d>(doc: &'d Document<'_>, node: NodeId, name: &str) -> Option<&'d str> {
    doc.element(node)?
        .attributes
        .iter()
        .find(|a| {
            a.name.namespace_uri.is_none() && a.name.prefix.is_none() && *a.name.local_name == *name
        })
        .map(|a| &*a.value)
}

/// The character content of `node`: all its Text and CDATA children concatenated, comments and
/// processing instructions skipped. This is exactly what exclusive/inclusive canonicalization
/// (without comments) signs, so an attacker cannot shorten a signed value by inserting a
/// comment in the middle of it.
pub(crate) fn text(doc: &Document<'_>, node: NodeId) -> String {
    let mut out = String::new();
    for child in doc.children(node) {
        if let Some(NodeKind::Text(t) | NodeKind::CData(t)) = doc.node_kind(child) {
            out.push_str(t);
        }
    }
    out
}

/// Whether `ch` may appear in an XML 1.0 document.
fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Escapes `value` for element content. Characters XML cannot carry become U+FFFD, so the output
/// stays well-formed whatever the input.
pub(crate) fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Escapes `value` for a double- or single-quoted attribute value (whitespace other than space
/// as character references, so attribute-value normalization does not change it).
pub(crate) fn escape_attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Formats `at` as a SAML `xs:dateTime`: UTC, whole seconds, `Z` suffix.
pub(crate) fn format_instant(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Parses a SAML `xs:dateTime` (RFC 3339: `Z` or a numeric offset, optional fraction).
pub(crate) fn parse_instant(value: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_documents_well_formed() {
        let hostile = "a\"'<>&\u{0}\tb";
        let xml = format!(
            "<r a=\"{}\">{}</r>",
            escape_attr(hostile),
            escape_text(hostile)
        );
        let doc = parse(&xml).ok().unwrap();
        let root = doc.document_element().unwrap();
        assert_eq!(attr(&doc, root, "a"), Some("a\"'<>&\u{FFFD}\tb"));
        assert_eq!(text(&doc, root), "a\"'<>&\u{FFFD}\tb");
    }

    #[test]
    fn instants_round_trip() {
        let at = time::macros::datetime!(2031-02-03 04:05:06.789 UTC);
        assert_eq!(format_instant(at), "2031-02-03T04:05:06Z");
        assert_eq!(parse_instant("2031-02-03T04:05:06.789Z"), Some(at));
        assert_eq!(
            parse_instant("2031-02-03T06:05:06+02:00"),
            Some(time::macros::datetime!(2031-02-03 04:05:06 UTC))
        );
        // Entra ID sends seven fractional digits.
        assert_eq!(
            parse_instant("2031-02-03T04:05:06.1234567Z"),
            Some(time::macros::datetime!(2031-02-03 04:05:06.1234567 UTC))
        );
        assert!(parse_instant("yesterday").is_none());
    }

    #[test]
    fn attribute_counting() {
        assert_eq!(
            most_attributes(
                "<a x=\"1\" y='=>'><b z=\"\"/>t=t<!-- a=b c=d --><![CDATA[x=y=z]]><?pi a=b?></a>"
            ),
            2
        );
        let many: String = (0..65).map(|i| format!(" a{i}=\"\"")).collect();
        assert!(matches!(
            parse(&format!("<r{many}/>")),
            Err(ParseFailure::TooManyAttributes)
        ));
        let enough: String = (0..64).map(|i| format!(" a{i}=\"\"")).collect();
        assert!(parse(&format!("<r{enough}/>")).is_ok());
    }

    #[test]
    fn text_skips_comments() {
        let doc = parse("<r>alice@evil.example<!-- x -->.attacker.example</r>")
            .ok()
            .unwrap();
        let root = doc.document_element().unwrap();
        assert_eq!(text(&doc, root), "alice@evil.example.attacker.example");
    }
}
