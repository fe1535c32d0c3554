//! Email one-time passcodes: Portico's choices where Entra's are undocumented (see
//! `docs/REDEMPTION.md`): 8 digits, valid 30 minutes, single use, at most 5 wrong tries per
//! code, a newer code for the same address and purpose supersedes older ones.

use time::OffsetDateTime;

/// Digits in a passcode.
pub const OTP_DIGITS: usize = 8;
/// How long a passcode is valid.
pub const OTP_LIFETIME: time::Duration = time::Duration::minutes(30);
/// Wrong tries allowed per passcode; the next wrong try spends it.
pub const OTP_MAX_FAILURES: u32 = 5;

/// What a passcode proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpPurpose {
    /// A guest signing in (or redeeming an invitation) with their email address.
    SignIn,
    /// The recipient of an invitation asking not to be invited again.
    BlockInvitations,
}

impl OtpPurpose {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::BlockInvitations => "block-invitations",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sign-in" => Some(Self::SignIn),
            "block-invitations" => Some(Self::BlockInvitations),
            _ => None,
        }
    }
}

/// A stored passcode (only its keyed hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpCode {
    /// Id (carried in the sealed sign-in state).
    pub id: uuid::Uuid,
    /// What it proves.
    pub purpose: OtpPurpose,
    /// The address it was sent to (lower case).
    pub subject: String,
    /// Keyed hash of the code.
    pub code_hash: String,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// Wrong tries so far.
    pub failed_attempts: u32,
    /// When it was used (or superseded).
    pub used_at: Option<OffsetDateTime>,
}

impl OtpCode {
    /// Whether it may still be tried at `now`.
    #[must_use]
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at && self.failed_attempts < OTP_MAX_FAILURES
    }
}

/// Whether `code` has the shape of a passcode (digits only, the right length), after
/// removing spaces and dashes people type.
#[must_use]
pub fn normalize_code(code: &str) -> Option<String> {
    let digits: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == OTP_DIGITS && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalized_or_refused() {
        assert_eq!(normalize_code(" 1234 5678 ").as_deref(), Some("12345678"));
        assert_eq!(normalize_code("1234-5678").as_deref(), Some("12345678"));
        assert_eq!(normalize_code("1234567"), None);
        assert_eq!(normalize_code("123456789"), None);
        assert_eq!(normalize_code("1234567a"), None);
        assert_eq!(
            normalize_code("１２３４５６７８"),
            None,
            "only ASCII digits"
        );
    }

    #[test]
    fn a_code_closes_when_used_expired_or_guessed() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20000);
        let code = OtpCode {
            id: uuid::Uuid::new_v4(),
            purpose: OtpPurpose::SignIn,
            subject: "a@b.example".into(),
            code_hash: "h".into(),
            created_at: now,
            expires_at: now + OTP_LIFETIME,
            failed_attempts: 0,
            used_at: None,
        };
        assert!(code.is_open(now));
        assert!(!code.is_open(now + OTP_LIFETIME));
        assert!(
            !OtpCode {
                failed_attempts: OTP_MAX_FAILURES,
                ..code.clone()
            }
            .is_open(now)
        );
        assert!(
            !OtpCode {
                used_at: Some(now),
                ..code
            }
            .is_open(now)
        );
        assert_eq!(OtpPurpose::parse("sign-in"), Some(OtpPurpose::SignIn));
    }
}
