//! Validating an id_token: signature against the provider's keys (asymmetric algorithms
//! only), issuer, audience and `azp`, expiry and issue time, and the nonce.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJwsSigningAlgorithm};
use openidconnect::{ClaimsVerificationError, Nonce, SignatureVerificationError};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::claims::IdClaims;
use crate::error::{MAX_ECHO_CHARS, bounded};
use crate::metadata::ProviderInfo;
use crate::provider::CheckedProvider;

/// How far in the future an `iat` may lie (clock skew between Portico and the provider).
const MAX_IAT_SKEW_SECS: i64 = 300;

/// The accepted signature algorithms: asymmetric only. `none` and HMAC (`HS*`, keyed with the
/// client secret) are refused.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Why an id_token was refused.
pub(crate) enum VerifyError {
    /// No key in the JWKS matches the token's `kid`/algorithm: a refresh may help.
    UnknownKey,
    /// Anything else; the text is safe to log.
    Invalid(String),
}

/// Verifies `token` for `provider` against `info`'s keys and returns its claims.
pub(crate) fn verify(
    token: &CoreIdToken,
    provider: &CheckedProvider,
    info: &ProviderInfo,
    expected_nonce: &str,
) -> Result<IdClaims, VerifyError> {
    let verifier = CoreIdTokenVerifier::new_public_client(
        provider.client_id.clone(),
        provider.issuer.clone(),
        info.key_set(),
    )
    .set_allowed_algs(ALLOWED_ALGS)
    // Further audiences are allowed when `azp` names this client (checked below).
    .set_other_audience_verifier_fn(|_| true)
    .set_issue_time_verifier_fn(|iat| {
        if iat.timestamp() > unix_now().saturating_add(MAX_IAT_SKEW_SECS) {
            Err("the token is issued in the future (iat)".to_owned())
        } else {
            Ok(())
        }
    });
    let nonce_check = |nonce: Option<&Nonce>| match nonce {
        None => Err("the token has no nonce".to_owned()),
        Some(nonce) if bool::from(nonce.secret().as_bytes().ct_eq(expected_nonce.as_bytes())) => {
            Ok(())
        }
        Some(_) => Err("the nonce does not match the one sent".to_owned()),
    };
    let claims = token.claims(&verifier, nonce_check).map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => VerifyError::UnknownKey,
        other => VerifyError::Invalid(bounded(&describe(&other), MAX_ECHO_CHARS)),
    })?;

    // azp: required to be this client when there are several audiences, and checked
    // whenever present.
    let client_id = provider.client_id.as_str();
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != client_id => {
            return Err(VerifyError::Invalid(
                "the authorized party (azp) is not this client".to_owned(),
            ));
        }
        None if claims.audiences().len() > 1 => {
            return Err(VerifyError::Invalid(
                "the token has several audiences but no authorized party (azp)".to_owned(),
            ));
        }
        _ => {}
    }

    let payload = raw_payload(token).map_err(VerifyError::Invalid)?;
    // The issuer has been compared by the verifier; compare the raw string too, so that no URL
    // normalization can ever make two different strings equal.
    if payload.get("iss").and_then(Value::as_str) != Some(provider.issuer.as_str()) {
        return Err(VerifyError::Invalid(
            "the issuer (iss) is not the configured issuer".to_owned(),
        ));
    }
    Ok(IdClaims::from_payload(payload))
}

/// The payload of the (verified) token as a JSON object, decoded from the very bytes the
/// signature covers.
fn raw_payload(token: &CoreIdToken) -> Result<Map<String, Value>, String> {
    let compact = token.to_string();
    let segment = compact
        .split('.')
        .nth(1)
        .ok_or_else(|| "the token is not a compact JWS".to_owned())?;
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| "the token payload is not base64url".to_owned())?;
    serde_json::from_slice(&bytes).map_err(|_| "the token payload is not a JSON object".to_owned())
}

/// A message for a verification failure. openidconnect's messages name claim values such as
/// issuers and audiences but never the token or the nonce.
fn describe(error: &ClaimsVerificationError) -> String {
    match error {
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoSignature) => {
            "the token is unsigned (alg none), which is never accepted".to_owned()
        }
        ClaimsVerificationError::SignatureVerification(inner) => {
            format!("signature verification failed: {inner}")
        }
        ClaimsVerificationError::Expired(reason) => format!("time check failed: {reason}"),
        other => other.to_string(),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
