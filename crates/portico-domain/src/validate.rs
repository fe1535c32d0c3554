//! Reusable validation rules for names, addresses and URLs, following Entra's rules where it
//! documents them.

use crate::ValidationError;

/// Maximum length of a display name, as Graph allows.
pub const MAX_DISPLAY_NAME: usize = 256;

/// A DNS domain name in its canonical form: lower case, ASCII (IDNs in punycode), no trailing dot.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    /// Parses and canonicalizes a domain name (IDN to punycode, lower case). Requires at least
    /// two labels of `a-z0-9-`, none longer than 63 characters nor starting or ending with `-`.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, ValidationError> {
        let trimmed = input.trim().trim_end_matches('.');
        if trimmed.is_empty() {
            return Err(ValidationError::new(field, "a domain name is required"));
        }
        let ascii = match url::Host::parse(trimmed) {
            Ok(url::Host::Domain(d)) => d,
            Ok(_) => {
                return Err(ValidationError::new(
                    field,
                    format!("'{trimmed}' is an IP address, not a domain name"),
                ));
            }
            Err(_) => {
                return Err(ValidationError::new(
                    field,
                    format!("'{trimmed}' is not a valid domain name"),
                ));
            }
        };
        if ascii.len() > 253 {
            return Err(ValidationError::new(
                field,
                "a domain name may be at most 253 characters long",
            ));
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.len() < 2 {
            return Err(ValidationError::new(
                field,
                format!("'{trimmed}' needs at least two labels, such as contoso.com"),
            ));
        }
        for label in &labels {
            let ok_chars = label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if label.is_empty() || label.len() > 63 || !ok_chars {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "'{trimmed}' is not a valid domain name: each label must be 1 to 63 letters, digits or hyphens"
                    ),
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "'{trimmed}' is not a valid domain name: a label may not start or end with a hyphen"
                    ),
                ));
            }
        }
        Ok(Self(ascii))
    }

    /// The canonical text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this domain is `other` or a subdomain of it.
    #[must_use]
    pub fn is_same_or_subdomain_of(&self, other: &DomainName) -> bool {
        self.0 == other.0 || self.0.ends_with(&format!(".{}", other.0))
    }
}

impl std::fmt::Display for DomainName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DomainName {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse("domain", &s)
    }
}

impl From<DomainName> for String {
    fn from(d: DomainName) -> Self {
        d.0
    }
}

/// Checks a display name: required, trimmed, at most 256 characters, no control characters.
pub fn display_name(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let v = input.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "may not be empty"));
    }
    if v.chars().count() > MAX_DISPLAY_NAME {
        return Err(ValidationError::new(
            field,
            format!("may be at most {MAX_DISPLAY_NAME} characters long"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "may not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// Checks an optional free-text property (given name, company, ...): trimmed, at most `max`
/// characters, no control characters; empty becomes `None`.
pub fn optional_text(
    field: &'static str,
    input: Option<&str>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    let Some(v) = input.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("may be at most {max} characters long"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "may not contain control characters",
        ));
    }
    Ok(Some(v.to_owned()))
}

/// Characters Graph refuses in the local part of an invited email address.
const EMAIL_LOCAL_FORBIDDEN: &str = "~!#$%^&*()+=[]{}\\/|;:\"<>?,";

/// An email address: `local@domain` where the domain is a valid DNS name and the local part
/// follows Graph's character rules for invited addresses (no `~ ! # $ % ^ & * ( ) + = [ ] { } \ / | ; : " < > ? ,`;
/// `.` and `-` not at the start or end; `_` anywhere). Returns the address with the domain
/// canonicalized and the local part as given.
pub fn email(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let v = input.trim();
    let Some((local, domain)) = v.rsplit_once('@') else {
        return Err(ValidationError::new(
            field,
            format!("'{v}' is not an email address: it needs an @"),
        ));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(ValidationError::new(
            field,
            "the part before @ must be 1 to 64 characters long",
        ));
    }
    if let Some(c) = local.chars().find(|c| {
        EMAIL_LOCAL_FORBIDDEN.contains(*c) || c.is_whitespace() || c.is_control() || *c == '@'
    }) {
        return Err(ValidationError::new(
            field,
            format!("the part before @ may not contain '{c}'"),
        ));
    }
    if local.starts_with(['.', '-']) || local.ends_with(['.', '-']) || local.contains("..") {
        return Err(ValidationError::new(
            field,
            "the part before @ may not start or end with '.' or '-', nor contain '..'",
        ));
    }
    let domain = DomainName::parse(field, domain)?;
    Ok(format!("{local}@{domain}"))
}

/// Characters allowed in the local part of a user principal name, besides ASCII letters and digits.
const UPN_LOCAL_EXTRA: &str = "'.-_!#^~";

/// A user principal name `alias@domain`, as Entra accepts it: the alias of ASCII letters,
/// digits and `' . - _ ! # ^ ~`, at most 113 characters (64 for members), no leading or
/// trailing `.`, no `..`; the domain canonicalized.
pub fn user_principal_name(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let v = input.trim();
    let Some((local, domain)) = v.rsplit_once('@') else {
        return Err(ValidationError::new(
            field,
            format!("'{v}' is not a user principal name: it must look like alias@domain"),
        ));
    };
    if local.is_empty() || local.len() > 113 {
        return Err(ValidationError::new(
            field,
            "the alias before @ must be 1 to 113 characters long",
        ));
    }
    if let Some(c) = local
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || UPN_LOCAL_EXTRA.contains(*c)))
    {
        return Err(ValidationError::new(
            field,
            format!(
                "the alias before @ may not contain '{c}'; use letters, digits and ' . - _ ! # ^ ~"
            ),
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(ValidationError::new(
            field,
            "the alias before @ may not start or end with '.', nor contain '..'",
        ));
    }
    let domain = DomainName::parse(field, domain)?;
    Ok(format!("{local}@{domain}"))
}

/// An absolute `http` or `https` URL without a fragment. `https_only` refuses `http` unless
/// the host is a loopback name or address (as Entra allows for development redirect URIs).
pub fn absolute_url(
    field: &'static str,
    input: &str,
    https_only: bool,
) -> Result<url::Url, ValidationError> {
    let parsed = url::Url::parse(input.trim()).map_err(|e| {
        ValidationError::new(field, format!("'{input}' is not an absolute URL: {e}"))
    })?;
    match parsed.scheme() {
        "https" => {}
        "http" if !https_only || is_loopback_host(&parsed) => {}
        "http" => {
            return Err(ValidationError::new(
                field,
                format!("'{input}' must use https (http is accepted only for localhost)"),
            ));
        }
        other => {
            return Err(ValidationError::new(
                field,
                format!("'{input}' has scheme '{other}'; only http and https are accepted"),
            ));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(ValidationError::new(
            field,
            format!("'{input}' has no host"),
        ));
    }
    if parsed.fragment().is_some() {
        return Err(ValidationError::new(
            field,
            format!("'{input}' may not contain a fragment (#...)"),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ValidationError::new(
            field,
            format!("'{input}' may not contain a user name or password"),
        ));
    }
    Ok(parsed)
}

fn is_loopback_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A colour as `#RRGGBB`, returned upper case.
pub fn hex_colour(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let v = input.trim();
    let ok = v.len() == 7 && v.starts_with('#') && v.bytes().skip(1).all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(v.to_ascii_uppercase())
    } else {
        Err(ValidationError::new(
            field,
            format!("'{v}' is not a colour; use #RRGGBB, for example #0F6CBD"),
        ))
    }
}

/// A language tag such as `en-US` or `fr` (BCP 47 shape: 2–3 letter language, optional
/// subtags of 2–8 letters or digits).
pub fn language_tag(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let v = input.trim();
    let mut parts = v.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if lang_ok && rest_ok {
        Ok(v.to_owned())
    } else {
        Err(ValidationError::new(
            field,
            format!("'{v}' is not a language tag; use a form such as en-US or fr"),
        ))
    }
}

/// Entra's password rule: 8 to 256 characters and at least three of lower case, upper case,
/// digits and symbols.
pub fn password_strength(password: &str) -> Result<(), ValidationError> {
    let len = password.chars().count();
    if !(8..=256).contains(&len) {
        return Err(ValidationError::new(
            "password",
            "must be 8 to 256 characters long",
        ));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|b| **b).count() < 3 {
        return Err(ValidationError::new(
            "password",
            "must contain at least three of: lower-case letters, upper-case letters, digits, symbols",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_canonicalized() {
        let d = DomainName::parse("d", "  Contoso.COM. ").unwrap();
        assert_eq!(d.as_str(), "contoso.com");
        let idn = DomainName::parse("d", "bücher.example").unwrap();
        assert_eq!(idn.as_str(), "xn--bcher-kva.example");
    }

    #[test]
    fn bad_domain_names_are_refused_with_a_reason() {
        for bad in [
            "",
            "localhost",
            "-a.com",
            "a-.com",
            "a..com",
            "1.2.3.4",
            "a_b.com",
            "exa mple.com",
        ] {
            let e = DomainName::parse("domain", bad).unwrap_err();
            assert_eq!(e.field, "domain", "{bad}");
            assert!(!e.message.is_empty());
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(DomainName::parse("d", &long).is_err());
    }

    #[test]
    fn subdomain_matching() {
        let parent = DomainName::parse("d", "contoso.com").unwrap();
        let sub = DomainName::parse("d", "eu.contoso.com").unwrap();
        let other = DomainName::parse("d", "notcontoso.com").unwrap();
        assert!(sub.is_same_or_subdomain_of(&parent));
        assert!(parent.is_same_or_subdomain_of(&parent));
        assert!(!other.is_same_or_subdomain_of(&parent));
    }

    #[test]
    fn emails_follow_graph_rules() {
        assert_eq!(
            email("e", "Ann.Lee@Fabrikam.COM").unwrap(),
            "Ann.Lee@fabrikam.com"
        );
        assert!(email("e", "a_b@x.com").is_ok());
        for bad in [
            "nobody",
            "@x.com",
            ".a@x.com",
            "a.@x.com",
            "a..b@x.com",
            "a!b@x.com",
            "a b@x.com",
            "a@x",
            "-a@x.com",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn upns_follow_entra_rules() {
        assert_eq!(
            user_principal_name("u", "admin@Contoso.onportico.test").unwrap(),
            "admin@contoso.onportico.test"
        );
        assert!(user_principal_name("u", "ann_fabrikam.com#EXT#@contoso.com").is_ok());
        for bad in [
            "admin",
            "ad min@x.com",
            ".a@x.com",
            "a..b@x.com",
            "a@",
            "a%b@x.com",
        ] {
            assert!(user_principal_name("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(absolute_url("u", "https://app.example/cb", true).is_ok());
        assert!(absolute_url("u", "http://localhost:3000/cb", true).is_ok());
        assert!(absolute_url("u", "http://127.0.0.1/cb", true).is_ok());
        assert!(absolute_url("u", "http://app.example/cb", true).is_err());
        assert!(absolute_url("u", "http://app.example/cb", false).is_ok());
        assert!(absolute_url("u", "javascript:alert(1)", false).is_err());
        assert!(absolute_url("u", "https://a.example/#frag", false).is_err());
        assert!(absolute_url("u", "https://user:pw@a.example/", false).is_err());
        assert!(absolute_url("u", "/relative", false).is_err());
    }

    #[test]
    fn colours_languages_and_names() {
        assert_eq!(hex_colour("c", "#0f6cbd").unwrap(), "#0F6CBD");
        assert!(hex_colour("c", "blue").is_err());
        assert!(language_tag("l", "en-US").is_ok());
        assert!(language_tag("l", "fr").is_ok());
        assert!(language_tag("l", "english!").is_err());
        assert!(display_name("n", "  ").is_err());
        assert!(display_name("n", &"x".repeat(257)).is_err());
        assert!(display_name("n", "a\u{7}b").is_err());
        assert_eq!(display_name("n", " Ann ").unwrap(), "Ann");
        assert_eq!(optional_text("t", Some("  "), 10).unwrap(), None);
        assert!(optional_text("t", Some("12345678901"), 10).is_err());
    }

    #[test]
    fn password_rules() {
        assert!(password_strength("Sh0rt!").is_err());
        assert!(password_strength("alllowercaseletters").is_err());
        assert!(password_strength("Lower1and-Upper").is_ok());
        assert!(password_strength("lower1and-digits").is_ok());
    }
}
