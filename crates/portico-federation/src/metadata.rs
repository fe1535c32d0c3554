//! What Portico needs from a provider's discovery document and JWKS, fetched and checked.

use std::time::Instant;

use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJsonWebKeyType};
use openidconnect::{AuthType, JsonWebKey, JsonWebKeyUse};
use serde_json::{Map, Value};
use url::Url;

use crate::error::{FederationError, MAX_ECHO_CHARS, bounded};
use crate::http::{HttpClient, shown_url};
use crate::url_check::check_url;

/// A provider's discovered endpoints and signing keys.
pub(crate) struct ProviderInfo {
    /// The `issuer` the discovery document names (checked against the configured issuer on
    /// every use, since one discovery URL could be configured with different issuers).
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: Url,
    pub(crate) token_endpoint: Url,
    /// How the client authenticates at the token endpoint.
    pub(crate) token_auth: AuthType,
    /// The JWKS' keys usable for verifying signatures.
    pub(crate) keys: Vec<CoreJsonWebKey>,
    /// When this was fetched, for the cache's lifetime.
    pub(crate) fetched_at: Instant,
}

impl ProviderInfo {
    /// Checks the discovered issuer against the configured one (exact string comparison).
    pub(crate) fn check_issuer(&self, configured: &str) -> Result<(), FederationError> {
        if self.issuer == configured {
            Ok(())
        } else {
            Err(FederationError::BadMetadata(format!(
                "the discovery document names the issuer `{}`, but the provider is configured \
                 with `{}`",
                bounded(&self.issuer, MAX_ECHO_CHARS),
                bounded(configured, MAX_ECHO_CHARS)
            )))
        }
    }

    /// The keys as a key set for the id_token verifier.
    pub(crate) fn key_set(&self) -> CoreJsonWebKeySet {
        CoreJsonWebKeySet::new(self.keys.clone())
    }
}

/// Fetches the discovery document at `discovery_url`, then the JWKS it points to.
pub(crate) async fn fetch(
    http: &HttpClient,
    discovery_url: &Url,
) -> Result<ProviderInfo, FederationError> {
    let body = http
        .get_document(discovery_url, "the discovery document")
        .await?;
    let document = parse_discovery(&body).map_err(|e| {
        FederationError::BadMetadata(format!(
            "the discovery document at {}: {e}",
            shown_url(discovery_url)
        ))
    })?;
    let body = http.get_document(&document.jwks_uri, "the JWKS").await?;
    let keys = parse_jwks(&body).map_err(|e| {
        FederationError::BadMetadata(format!(
            "the JWKS at {}: {e}",
            shown_url(&document.jwks_uri)
        ))
    })?;
    Ok(ProviderInfo {
        issuer: document.issuer,
        authorization_endpoint: document.authorization_endpoint,
        token_endpoint: document.token_endpoint,
        token_auth: document.token_auth,
        keys,
        fetched_at: Instant::now(),
    })
}

/// The parts of a discovery document Portico uses.
struct Discovery {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
    token_auth: AuthType,
}

/// Parses a discovery document leniently: only the members Portico uses must be present and
/// well-formed.
fn parse_discovery(body: &[u8]) -> Result<Discovery, String> {
    let doc: Map<String, Value> =
        serde_json::from_slice(body).map_err(|e| format!("it is not a JSON object ({e})"))?;
    let issuer = string_member(&doc, "issuer")?.to_owned();
    let endpoint = |name: &str| -> Result<Url, String> {
        check_url(string_member(&doc, name)?).map_err(|e| format!("its `{name}` is unusable: {e}"))
    };
    let authorization_endpoint = endpoint("authorization_endpoint")?;
    let token_endpoint = endpoint("token_endpoint")?;
    let jwks_uri = endpoint("jwks_uri")?;
    Ok(Discovery {
        issuer,
        authorization_endpoint,
        token_endpoint,
        jwks_uri,
        token_auth: token_auth(doc.get("token_endpoint_auth_methods_supported")),
    })
}

fn string_member<'a>(doc: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match doc.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(format!("its `{name}` is not a string")),
        None => Err(format!("it has no `{name}`")),
    }
}

/// `client_secret_basic` (the default of RFC 8414), unless the provider lists its methods,
/// lacks basic and has `client_secret_post`.
fn token_auth(methods: Option<&Value>) -> AuthType {
    let Some(Value::Array(methods)) = methods else {
        return AuthType::BasicAuth;
    };
    let has = |name: &str| methods.iter().any(|m| m.as_str() == Some(name));
    if !has("client_secret_basic") && has("client_secret_post") {
        AuthType::RequestBody
    } else {
        AuthType::BasicAuth
    }
}

/// Parses a JWKS and keeps the asymmetric keys usable for signatures (keys openidconnect
/// cannot parse are skipped by it).
fn parse_jwks(body: &[u8]) -> Result<Vec<CoreJsonWebKey>, String> {
    let set: CoreJsonWebKeySet =
        serde_json::from_slice(body).map_err(|e| format!("not a JWKS ({e})"))?;
    let keys: Vec<CoreJsonWebKey> = set
        .keys()
        .iter()
        .filter(|key| {
            key.key_use().is_none_or(|u| u.allows_signature())
                && matches!(
                    key.key_type(),
                    CoreJsonWebKeyType::RSA
                        | CoreJsonWebKeyType::EllipticCurve
                        | CoreJsonWebKeyType::OctetKeyPair
                )
        })
        .cloned()
        .collect();
    if keys.is_empty() {
        return Err("it holds no usable signing key".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(extra: Value) -> Vec<u8> {
        let mut d = json!({
            "issuer": "https://idp.example.com",
            "authorization_endpoint": "https://idp.example.com/authorize",
            "token_endpoint": "https://idp.example.com/token",
            "jwks_uri": "https://idp.example.com/jwks",
        });
        if let (Value::Object(d), Value::Object(extra)) = (&mut d, extra) {
            d.extend(extra);
        }
        serde_json::to_vec(&d).unwrap()
    }

    #[test]
    fn discovery_defaults_to_client_secret_basic() {
        let d = parse_discovery(&doc(json!({}))).unwrap();
        assert!(matches!(d.token_auth, AuthType::BasicAuth));
        let d = parse_discovery(&doc(json!({
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]
        })))
        .unwrap();
        assert!(matches!(d.token_auth, AuthType::BasicAuth));
    }

    #[test]
    fn discovery_uses_post_when_basic_is_not_offered() {
        let d = parse_discovery(&doc(json!({
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"]
        })))
        .unwrap();
        assert!(matches!(d.token_auth, AuthType::RequestBody));
    }

    #[test]
    fn discovery_without_endpoints_or_with_http_endpoints_is_refused() {
        let e = parse_discovery(&doc(json!({"token_endpoint": null})))
            .err()
            .unwrap();
        assert!(e.contains("token_endpoint"), "{e}");
        let e = parse_discovery(br#"{"issuer":"https://x"}"#).err().unwrap();
        assert!(e.contains("authorization_endpoint"), "{e}");
        let e = parse_discovery(&doc(json!({"jwks_uri": "http://idp.example.com/jwks"})))
            .err()
            .unwrap();
        assert!(e.contains("jwks_uri"), "{e}");
        assert!(parse_discovery(b"[1,2]").is_err());
    }

    #[test]
    fn jwks_keeps_only_signature_keys() {
        let jwks = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB", "kid": "enc"},
            {"kty": "weird"},
            {"kty": "RSA", "use": "sig", "n": "AQAB", "e": "AQAB", "kid": "sig"}
        ]});
        let keys = parse_jwks(&serde_json::to_vec(&jwks).unwrap()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key_id().map(|k| k.as_str()), Some("sig"));
        assert!(parse_jwks(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_err());
        assert!(parse_jwks(b"{}").is_err());
    }
}
