//! The SAML error type: one variant per reason a message, metadata document or certificate is
//! refused. Every message is a log-safe sentence: it never holds a whole XML document, and any
//! value echoed from the input is cut to a bounded length with control characters replaced
//! (see [`bounded`]).

/// The longest input-derived value echoed in an error message, in characters.
const MAX_ECHO_CHARS: usize = 120;

/// Why a SAML message, metadata document or certificate was refused.
#[derive(Debug, thiserror::Error)]
pub enum SamlError {
    /// Not base64, not XML, a DOCTYPE, the wrong root, a missing required element, more than one
    /// Assertion, an Assertion that is not a direct child of the Response, an encrypted
    /// assertion, a bad timestamp.
    #[error("malformed SAML message: {0}")]
    Malformed(String),
    /// Neither the Response nor the consumed Assertion carries a valid signature covering it.
    #[error(
        "the SAML response is not signed: neither the Response nor its Assertion carries a valid signature covering it"
    )]
    Unsigned,
    /// A signature that fails, is made with a key other than the configured certificates, uses a
    /// disallowed transform or reference, or covers something other than the Response or the
    /// consumed Assertion.
    #[error("invalid XML signature: {0}")]
    BadSignature(String),
    /// The Response or Assertion Issuer is not the configured identity provider.
    #[error("unexpected issuer {got:?} (expected {expected:?})")]
    WrongIssuer {
        /// The configured issuer (bounded).
        expected: String,
        /// The issuer the message carries (bounded; empty when absent).
        got: String,
    },
    /// `Response@Destination` is missing (on a signed Response) or is not our ACS URL.
    #[error(
        "the response's Destination is not this service provider's assertion consumer service URL"
    )]
    WrongDestination,
    /// `SubjectConfirmationData@Recipient` is missing or is not our ACS URL.
    #[error(
        "the bearer confirmation's Recipient is not this service provider's assertion consumer service URL"
    )]
    WrongRecipient,
    /// No AudienceRestriction, or one that does not list this service provider.
    #[error("the assertion is not addressed to this service provider (audience restriction)")]
    WrongAudience,
    /// The response answers no request (no InResponseTo): IdP-initiated sign-in is not accepted.
    #[error(
        "unsolicited response: it carries no InResponseTo (IdP-initiated sign-in is not accepted)"
    )]
    Unsolicited,
    /// InResponseTo names a request other than the one this sign-in started.
    #[error("the response answers a different request (InResponseTo mismatch)")]
    WrongInResponseTo,
    /// The assertion's validity window has ended (beyond the allowed clock skew).
    #[error("the assertion has expired")]
    Expired,
    /// The assertion or response is not valid yet (beyond the allowed clock skew).
    #[error("the assertion is not yet valid")]
    NotYetValid,
    /// No SubjectConfirmation with the bearer method.
    #[error("the assertion has no bearer subject confirmation")]
    NoBearerConfirmation,
    /// No Subject, or no non-empty NameID.
    #[error("the assertion has no subject (NameID)")]
    NoSubject,
    /// The identity provider answered with a non-Success status.
    #[error("the identity provider returned status {code}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The status code without the `urn:oasis:names:tc:SAML:2.0:status:` prefix, the
        /// second-level code appended after a slash (e.g. `Responder/AuthnFailed`).
        code: String,
        /// The StatusMessage, when the identity provider sent one (bounded).
        message: Option<String>,
    },
    /// An identity provider's metadata document was refused.
    #[error("invalid SAML metadata: {0}")]
    BadMetadata(String),
    /// A signing certificate was refused.
    #[error("invalid signing certificate: {0}")]
    BadCertificate(String),
    /// The caller's configuration cannot work (no certificate, a bad SSO URL, ...).
    #[error("SAML configuration error: {0}")]
    Config(String),
}

impl SamlError {
    /// A short, stable, snake_case name of the variant, for log fields and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Unsigned => "unsigned",
            Self::BadSignature(_) => "bad_signature",
            Self::WrongIssuer { .. } => "wrong_issuer",
            Self::WrongDestination => "wrong_destination",
            Self::WrongRecipient => "wrong_recipient",
            Self::WrongAudience => "wrong_audience",
            Self::Unsolicited => "unsolicited",
            Self::WrongInResponseTo => "wrong_in_response_to",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::NoBearerConfirmation => "no_bearer_confirmation",
            Self::NoSubject => "no_subject",
            Self::Status { .. } => "status",
            Self::BadMetadata(_) => "bad_metadata",
            Self::BadCertificate(_) => "bad_certificate",
            Self::Config(_) => "config",
        }
    }

    /// A [`SamlError::Malformed`] with the given message.
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::Malformed(message.into())
    }

    /// A [`SamlError::BadSignature`] with the given message.
    pub(crate) fn bad_signature(message: impl Into<String>) -> Self {
        Self::BadSignature(message.into())
    }

    /// A [`SamlError::BadMetadata`] with the given message.
    pub(crate) fn bad_metadata(message: impl Into<String>) -> Self {
        Self::BadMetadata(message.into())
    }

    /// A [`SamlError::BadCertificate`] with the given message.
    pub(crate) fn bad_certificate(message: impl Into<String>) -> Self {
        Self::BadCertificate(message.into())
    }
}

/// An input-derived value made safe to echo in an error or a log line: at most
/// [`MAX_ECHO_CHARS`] characters (an ellipsis marks a cut), control characters replaced by `?`.
pub(crate) fn bounded(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_ECHO_CHARS + 3));
    for (count, c) in value.chars().enumerate() {
        if count == MAX_ECHO_CHARS {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_and_cleans() {
        assert_eq!(bounded("a\nb"), "a?b");
        let long = "x".repeat(1000);
        let cut = bounded(&long);
        assert_eq!(cut.chars().count(), MAX_ECHO_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn status_display_includes_message() {
        let e = SamlError::Status {
            code: "Responder/AuthnFailed".into(),
            message: Some("bad password".into()),
        };
        assert_eq!(
            e.to_string(),
            "the identity provider returned status Responder/AuthnFailed: bad password"
        );
        assert_eq!(e.kind(), "status");
    }
}
