//! Mapping an assertion's attributes to the profile fields Portico uses (email, display name,
//! given name, surname), over the claim names identity providers commonly send: the WS-Federation
//! claim URIs (ADFS, Entra), the LDAP/X.500 OIDs (Shibboleth, SimpleSAMLphp with the URI name
//! format), and bare attribute names.

use std::collections::BTreeMap;

/// `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/` (WS-Federation claim types).
const WS_CLAIMS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

/// Where a value may come from, in priority order.
enum Name {
    /// An attribute Name compared exactly (a URI or OID).
    Exact(&'static str),
    /// A WS-Federation claim type, by its last path segment.
    WsClaim(&'static str),
    /// A bare attribute Name compared case-insensitively.
    Bare(&'static str),
}

/// Email candidates.
const EMAIL: &[Name] = &[
    Name::WsClaim("emailaddress"),
    Name::Exact("urn:oid:0.9.2342.19200300.100.1.3"),
    Name::Bare("mail"),
    Name::Bare("email"),
    Name::Bare("emailaddress"),
];
/// Display-name candidates.
const DISPLAY_NAME: &[Name] = &[
    Name::Exact("http://schemas.microsoft.com/identity/claims/displayname"),
    Name::Exact("urn:oid:2.16.840.1.113730.3.1.241"),
    Name::Bare("displayName"),
    Name::WsClaim("name"),
    Name::Bare("name"),
];
/// Given-name candidates.
const GIVEN_NAME: &[Name] = &[
    Name::WsClaim("givenname"),
    Name::Exact("urn:oid:2.5.4.42"),
    Name::Bare("givenName"),
    Name::Bare("given_name"),
    Name::Bare("firstName"),
];
/// Surname candidates.
const SURNAME: &[Name] = &[
    Name::WsClaim("surname"),
    Name::Exact("urn:oid:2.5.4.4"),
    Name::Bare("sn"),
    Name::Bare("surname"),
    Name::Bare("family_name"),
    Name::Bare("lastName"),
];

/// The profile fields derived from an assertion.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    /// The email address.
    pub(crate) email: Option<String>,
    /// The display name.
    pub(crate) display_name: Option<String>,
    /// The given name.
    pub(crate) given_name: Option<String>,
    /// The surname.
    pub(crate) surname: Option<String>,
}

/// Derives the profile from the attributes, falling back to the NameID for the email when its
/// format is emailAddress or it looks like an address.
pub(crate) fn profile(
    attributes: &BTreeMap<String, Vec<String>>,
    name_id: &str,
    name_id_format: Option<&str>,
) -> Profile {
    let email = first(attributes, EMAIL).or_else(|| {
        let name_id = name_id.trim();
        let by_format = name_id_format == Some(super::xml::NAMEID_EMAIL);
        ((by_format || looks_like_email(name_id)) && !name_id.is_empty())
            .then(|| name_id.to_owned())
    });
    Profile {
        email,
        display_name: first(attributes, DISPLAY_NAME),
        given_name: first(attributes, GIVEN_NAME),
        surname: first(attributes, SURNAME),
    }
}

/// The first non-blank value (trimmed) of the first candidate attribute that has one.
fn first(attributes: &BTreeMap<String, Vec<String>>, candidates: &[Name]) -> Option<String> {
    candidates.iter().find_map(|candidate| {
        attributes
            .iter()
            .filter(|(name, _)| matches(candidate, name))
            .flat_map(|(_, values)| values.iter())
            .map(|v| v.trim())
            .find(|v| !v.is_empty())
            .map(str::to_owned)
    })
}

/// Whether an attribute Name is the candidate.
fn matches(candidate: &Name, name: &str) -> bool {
    match candidate {
        Name::Exact(uri) => name == *uri,
        Name::WsClaim(last) => name
            .strip_prefix(WS_CLAIMS)
            .is_some_and(|rest| rest == *last),
        Name::Bare(bare) => name.eq_ignore_ascii_case(bare),
    }
}

/// One `@`, something before it, and a dot in what follows it; no whitespace.
fn looks_like_email(value: &str) -> bool {
    let mut parts = value.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry((*k).to_owned())
                .or_default()
                .push((*v).to_owned());
        }
        map
    }

    #[test]
    fn email_priority_and_fallbacks() {
        let a = attrs(&[
            ("mail", "bare@example.com"),
            ("urn:oid:0.9.2342.19200300.100.1.3", "oid@example.com"),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                " claim@example.com ",
            ),
        ]);
        assert_eq!(
            profile(&a, "x", None).email.as_deref(),
            Some("claim@example.com")
        );
        let a = attrs(&[("EmailAddress", "Bare@Example.com")]);
        assert_eq!(
            profile(&a, "x", None).email.as_deref(),
            Some("Bare@Example.com")
        );
        let none = BTreeMap::new();
        assert_eq!(
            profile(&none, "a@b.example", None).email.as_deref(),
            Some("a@b.example")
        );
        assert_eq!(profile(&none, "opaque-id", None).email, None);
        assert_eq!(profile(&none, "a@b@c.d", None).email, None);
        assert_eq!(profile(&none, "user@localhost", None).email, None);
        assert_eq!(
            profile(
                &none,
                "user@localhost",
                Some(crate::saml::xml::NAMEID_EMAIL)
            )
            .email
            .as_deref(),
            Some("user@localhost")
        );
    }

    #[test]
    fn names() {
        let a = attrs(&[
            ("urn:oid:2.5.4.42", "Ada"),
            ("sn", "Lovelace"),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                "ada@example.com",
            ),
            ("urn:oid:2.16.840.1.113730.3.1.241", "Ada Lovelace"),
        ]);
        let p = profile(&a, "x", None);
        assert_eq!(p.given_name.as_deref(), Some("Ada"));
        assert_eq!(p.surname.as_deref(), Some("Lovelace"));
        assert_eq!(p.display_name.as_deref(), Some("Ada Lovelace"));
    }
}
