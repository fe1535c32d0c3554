//! [`IdClaims`]: what a provider asserted about the user, read from a verified id_token.

use serde_json::{Map, Value};

/// What the provider asserted about the user, after every check passed.
#[derive(Debug, Clone, PartialEq)]
pub struct IdClaims {
    /// `iss`: the provider's issuer identifier.
    pub issuer: String,
    /// `sub`: the user's stable identifier at the provider.
    pub subject: String,
    /// `email`, when the provider sent one.
    pub email: Option<String>,
    /// `email_verified`: a JSON boolean, or the strings `"true"`/`"false"` some providers send.
    pub email_verified: Option<bool>,
    /// `name`.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `amr`: the authentication methods used (a single string is taken as one method).
    pub amr: Vec<String>,
    /// `acr`: the authentication context class.
    pub acr: Option<String>,
    /// Every claim of the verified id_token, for claim mapping by the caller.
    pub claims: Map<String, Value>,
}

impl IdClaims {
    /// Reads the claims from a verified id_token's payload. `iss` and `sub` have been checked
    /// to be present by the verifier; a missing one yields an empty string here.
    pub(crate) fn from_payload(claims: Map<String, Value>) -> Self {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let email_verified = match claims.get("email_verified") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        };
        let amr = match claims.get("amr") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        Self {
            issuer: text("iss").unwrap_or_default(),
            subject: text("sub").unwrap_or_default(),
            email: text("email"),
            email_verified,
            name: text("name"),
            given_name: text("given_name"),
            family_name: text("family_name"),
            amr,
            acr: text("acr"),
            claims,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> IdClaims {
        match v {
            Value::Object(map) => IdClaims::from_payload(map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn reads_standard_claims() {
        let c = claims(json!({
            "iss": "https://idp", "sub": "u1", "email": "a@b.c", "email_verified": true,
            "name": "A B", "given_name": "A", "family_name": "B", "amr": ["pwd", "mfa"],
            "acr": "urn:x", "hd": "b.c"
        }));
        assert_eq!(c.issuer, "https://idp");
        assert_eq!(c.subject, "u1");
        assert_eq!(c.email.as_deref(), Some("a@b.c"));
        assert_eq!(c.email_verified, Some(true));
        assert_eq!(c.amr, vec!["pwd", "mfa"]);
        assert_eq!(c.acr.as_deref(), Some("urn:x"));
        assert_eq!(c.claims.get("hd"), Some(&json!("b.c")));
    }

    #[test]
    fn email_verified_accepts_strings_and_ignores_other_types() {
        assert_eq!(
            claims(json!({"email_verified": "true"})).email_verified,
            Some(true)
        );
        assert_eq!(
            claims(json!({"email_verified": "false"})).email_verified,
            Some(false)
        );
        assert_eq!(
            claims(json!({"email_verified": "yes"})).email_verified,
            None
        );
        assert_eq!(claims(json!({"email_verified": 1})).email_verified, None);
        assert_eq!(claims(json!({})).email_verified, None);
    }

    #[test]
    fn amr_as_a_single_string_is_one_method() {
        assert_eq!(claims(json!({"amr": "pwd"})).amr, vec!["pwd"]);
    }
}
