//! Tenant policies, named as Microsoft Graph names them. Each policy is stored as one JSON
//! document per tenant and name (`tenant_policies`); a tenant that never changed a policy has
//! its defaults.
//!
//! Today: the email one-time passcode method of the authentication methods policy (Graph's
//! `emailAuthenticationMethodConfiguration`), which decides whether guests may redeem and sign
//! in with passcodes mailed to them.

use crate::ValidationError;
use serde::{Deserialize, Serialize};

/// The storage name of the email OTP policy (`tenant_policies.name`).
pub const EMAIL_OTP_POLICY: &str = "authenticationMethodsPolicy/email";

/// Graph's `id` of the email OTP method configuration.
pub const EMAIL_OTP_CONFIGURATION_ID: &str = "Email";

/// Graph's `authenticationMethodState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthenticationMethodState {
    /// The method may be used.
    #[default]
    Enabled,
    /// The method may not be used.
    Disabled,
}

impl AuthenticationMethodState {
    /// Every value, in Graph's order.
    pub const ALL: [Self; 2] = [Self::Enabled, Self::Disabled];

    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }

    /// Parses Graph's value (exactly as Graph spells it), naming `field` when it is not one.
    pub fn parse(field: &'static str, value: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| invalid(field, value, "enabled, disabled"))
    }
}

/// Graph's `externalEmailOtpState`: whether external users (guests) may use email passcodes.
/// `default` means enabled, as in Entra since October 2021.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExternalEmailOtpState {
    /// Never set: enabled.
    #[default]
    Default,
    /// Guests may use email passcodes.
    Enabled,
    /// Guests may not use email passcodes.
    Disabled,
}

impl ExternalEmailOtpState {
    /// Every value, in Graph's order (`unknownFutureValue` is not a value one may set).
    pub const ALL: [Self; 3] = [Self::Default, Self::Enabled, Self::Disabled];

    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }

    /// Parses Graph's value (exactly as Graph spells it), naming `field` when it is not one.
    pub fn parse(field: &'static str, value: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| invalid(field, value, "default, enabled, disabled"))
    }

    /// Whether this allows guests to use email passcodes (anything but `disabled`).
    #[must_use]
    pub fn allows(self) -> bool {
        !matches!(self, Self::Disabled)
    }
}

fn invalid(field: &'static str, value: &str, allowed: &str) -> ValidationError {
    let shown: String = value.chars().take(64).collect();
    ValidationError::new(
        field,
        format!("'{shown}' is not a valid value; use one of: {allowed}."),
    )
}

/// The email one-time passcode method of a tenant's authentication methods policy.
///
/// `state` is Graph's switch for the tenant's own users; Portico has no member sign-in with
/// email passcodes, so it is stored and returned but decides nothing. Guests are governed by
/// `allow_external_id_to_use_email_otp` alone ([`EmailOtpPolicy::guests_may_use`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailOtpPolicy {
    /// Graph's `state`.
    pub state: AuthenticationMethodState,
    /// Graph's `allowExternalIdToUseEmailOtp`.
    pub allow_external_id_to_use_email_otp: ExternalEmailOtpState,
}

/// A change to the email OTP policy (Graph's `PATCH`), as the caller wrote the values; `None`
/// leaves a property as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailOtpPolicyPatch {
    /// `state`: `enabled` or `disabled`.
    pub state: Option<String>,
    /// `allowExternalIdToUseEmailOtp`: `default`, `enabled` or `disabled`.
    pub allow_external_id_to_use_email_otp: Option<String>,
}

impl EmailOtpPolicy {
    /// Whether guests may redeem and sign in with email passcodes.
    #[must_use]
    pub fn guests_may_use(&self) -> bool {
        self.allow_external_id_to_use_email_otp.allows()
    }

    /// The policy with `patch` applied; a value that is not one of Graph's is refused naming
    /// its property, and nothing is applied.
    pub fn apply(&self, patch: &EmailOtpPolicyPatch) -> Result<Self, ValidationError> {
        let mut next = *self;
        if let Some(s) = &patch.state {
            next.state = AuthenticationMethodState::parse("state", s)?;
        }
        if let Some(s) = &patch.allow_external_id_to_use_email_otp {
            next.allow_external_id_to_use_email_otp =
                ExternalEmailOtpState::parse("allowExternalIdToUseEmailOtp", s)?;
        }
        Ok(next)
    }

    /// The stored JSON document.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads a stored JSON document (properties it lacks keep their defaults).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_let_guests_use_passcodes() {
        let p = EmailOtpPolicy::default();
        assert_eq!(p.state, AuthenticationMethodState::Enabled);
        assert_eq!(
            p.allow_external_id_to_use_email_otp,
            ExternalEmailOtpState::Default
        );
        assert!(p.guests_may_use());
    }

    #[test]
    fn only_disabled_turns_guests_off() {
        for (v, allowed) in [
            (ExternalEmailOtpState::Default, true),
            (ExternalEmailOtpState::Enabled, true),
            (ExternalEmailOtpState::Disabled, false),
        ] {
            for state in AuthenticationMethodState::ALL {
                let p = EmailOtpPolicy {
                    state,
                    allow_external_id_to_use_email_otp: v,
                };
                assert_eq!(p.guests_may_use(), allowed, "{v:?} {state:?}");
            }
        }
    }

    #[test]
    fn patches_validate_and_name_the_property() {
        let p = EmailOtpPolicy::default();
        let changed = p
            .apply(&EmailOtpPolicyPatch {
                state: Some("disabled".into()),
                allow_external_id_to_use_email_otp: Some("disabled".into()),
            })
            .unwrap();
        assert_eq!(changed.state, AuthenticationMethodState::Disabled);
        assert!(!changed.guests_may_use());
        assert_eq!(p.apply(&EmailOtpPolicyPatch::default()).unwrap(), p);
        for (patch, field) in [
            (
                EmailOtpPolicyPatch {
                    state: Some("on".into()),
                    ..EmailOtpPolicyPatch::default()
                },
                "state",
            ),
            (
                EmailOtpPolicyPatch {
                    state: Some("default".into()),
                    ..EmailOtpPolicyPatch::default()
                },
                "state",
            ),
            (
                EmailOtpPolicyPatch {
                    allow_external_id_to_use_email_otp: Some("unknownFutureValue".into()),
                    ..EmailOtpPolicyPatch::default()
                },
                "allowExternalIdToUseEmailOtp",
            ),
            (
                EmailOtpPolicyPatch {
                    allow_external_id_to_use_email_otp: Some("Disabled".into()),
                    state: Some("enabled".into()),
                },
                "allowExternalIdToUseEmailOtp",
            ),
        ] {
            let e = p.apply(&patch).unwrap_err();
            assert_eq!(e.field, field, "{patch:?}");
        }
    }

    #[test]
    fn stored_documents_round_trip_and_tolerate_missing_properties() {
        let p = EmailOtpPolicy {
            state: AuthenticationMethodState::Disabled,
            allow_external_id_to_use_email_otp: ExternalEmailOtpState::Disabled,
        };
        let text = p.to_json().unwrap();
        assert_eq!(
            text,
            r#"{"state":"disabled","allowExternalIdToUseEmailOtp":"disabled"}"#
        );
        assert_eq!(EmailOtpPolicy::from_json(&text).unwrap(), p);
        assert_eq!(
            EmailOtpPolicy::from_json("{}").unwrap(),
            EmailOtpPolicy::default()
        );
        assert!(EmailOtpPolicy::from_json(r#"{"state":"maybe"}"#).is_err());
    }
}
