//! Token signing keys and compact JWS. Key pairs are parsed once and kept; signing builds the
//! `header.payload.signature` string directly (re-parsing a private key per signature would
//! cost more than the signature itself).

use crate::CryptoError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// JWS algorithms Portico signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (what Entra uses; the default).
    Rs256,
    /// ECDSA P-256 with SHA-256 (optional; about 15x cheaper to sign).
    Es256,
}

impl Algorithm {
    /// The JOSE name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// Parses the JOSE name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }
}

enum Pair {
    Rsa(KeyPair),
    Ec(EcdsaKeyPair),
}

/// A parsed signing key pair with its key id.
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    pair: Pair,
    /// `{"typ":"JWT","alg":..,"kid":..}` already base64url-encoded, followed by '.'.
    header_prefix: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SigningKey {
    /// Generates an RSA-2048 key; its id is the base64url SHA-256 thumbprint of its public JWK
    /// (RFC 7638), so the id is stable and derived from the key.
    pub fn generate_rs256() -> Result<Self, CryptoError> {
        Self::generate(Algorithm::Rs256)
    }

    /// Generates a key for `alg` (RSA-2048 or P-256), identified by its RFC 7638 thumbprint.
    pub fn generate(alg: Algorithm) -> Result<Self, CryptoError> {
        let pair = match alg {
            Algorithm::Rs256 => Pair::Rsa(
                KeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| CryptoError::SigningKey("RSA key generation failed".into()))?,
            ),
            Algorithm::Es256 => Pair::Ec(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| CryptoError::SigningKey("EC key generation failed".into()))?,
            ),
        };
        Self::from_pair(pair, None)
    }

    /// Restores a key from its PKCS#8 DER and id.
    pub fn from_pkcs8(kid: &str, alg: Algorithm, der: &[u8]) -> Result<Self, CryptoError> {
        let pair = match alg {
            Algorithm::Rs256 => Pair::Rsa(KeyPair::from_pkcs8(der).map_err(|e| {
                CryptoError::SigningKey(format!("key {kid} is not a valid RSA PKCS#8 key: {e}"))
            })?),
            Algorithm::Es256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|e| {
                    CryptoError::SigningKey(format!(
                        "key {kid} is not a valid P-256 PKCS#8 key: {e}"
                    ))
                })?,
            ),
        };
        Self::from_pair(pair, Some(kid.to_owned()))
    }

    fn from_pair(pair: Pair, kid: Option<String>) -> Result<Self, CryptoError> {
        let alg = match pair {
            Pair::Rsa(_) => Algorithm::Rs256,
            Pair::Ec(_) => Algorithm::Es256,
        };
        let kid = kid.unwrap_or_else(|| thumbprint(&pair));
        let header = json!({ "typ": "JWT", "alg": alg.as_str(), "kid": kid });
        let header_prefix = format!("{}.", b64(header.to_string().as_bytes()));
        Ok(Self {
            kid,
            alg,
            pair,
            header_prefix,
        })
    }

    /// The key id (`kid`).
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Whether the key id is the RFC 7638 thumbprint of this key (true for every key Portico
    /// generates), so a stored key id cannot name a different key.
    #[must_use]
    pub fn kid_matches_key(&self) -> bool {
        self.kid == thumbprint(&self.pair)
    }

    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The private key as PKCS#8 DER (to be sealed before storage).
    pub fn to_pkcs8(&self) -> Result<Vec<u8>, CryptoError> {
        let fail = || CryptoError::SigningKey("cannot encode the private key".into());
        match &self.pair {
            Pair::Rsa(p) => Ok(p.as_der().map_err(|_| fail())?.as_ref().to_vec()),
            Pair::Ec(p) => Ok(p.to_pkcs8v1().map_err(|_| fail())?.as_ref().to_vec()),
        }
    }

    /// The public JWK as published in JWKS: `kty`, `use`, `kid`, `alg` and the key (`n`, `e`
    /// or `crv`, `x`, `y`).
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        match &self.pair {
            Pair::Rsa(p) => {
                let (n, e) = rsa_components(p);
                json!({ "kty": "RSA", "use": "sig", "kid": self.kid, "alg": "RS256", "n": n, "e": e })
            }
            Pair::Ec(p) => {
                let (x, y) = ec_components(p);
                json!({ "kty": "EC", "use": "sig", "kid": self.kid, "alg": "ES256", "crv": "P-256", "x": x, "y": y })
            }
        }
    }

    /// Signs `claims` as a compact JWS (a JWT).
    pub fn sign_jwt(&self, claims: &Value) -> Result<String, CryptoError> {
        let mut out = String::with_capacity(self.header_prefix.len() + 700);
        out.push_str(&self.header_prefix);
        out.push_str(&b64(claims.to_string().as_bytes()));
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let fail = || CryptoError::SigningKey("signing failed".into());
        let sig = match &self.pair {
            Pair::Rsa(p) => {
                let mut sig = vec![0u8; p.public_modulus_len()];
                p.sign(&RSA_PKCS1_SHA256, &rng, out.as_bytes(), &mut sig)
                    .map_err(|_| fail())?;
                sig
            }
            Pair::Ec(p) => p
                .sign(&rng, out.as_bytes())
                .map_err(|_| fail())?
                .as_ref()
                .to_vec(),
        };
        out.push('.');
        out.push_str(&b64(&sig));
        Ok(out)
    }
}

/// The RFC 7638 JWK thumbprint: base64url SHA-256 of the canonical public JWK.
fn thumbprint(pair: &Pair) -> String {
    // Members in lexicographic order, no whitespace.
    let canonical = match pair {
        Pair::Rsa(p) => {
            let (n, e) = rsa_components(p);
            format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#)
        }
        Pair::Ec(p) => {
            let (x, y) = ec_components(p);
            format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)
        }
    };
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
}

fn rsa_components(pair: &KeyPair) -> (String, String) {
    let public = pair.public_key();
    (
        b64(public.modulus().big_endian_without_leading_zero()),
        b64(public.exponent().big_endian_without_leading_zero()),
    )
}

/// x and y of an uncompressed P-256 point (`04 || x || y`).
fn ec_components(pair: &EcdsaKeyPair) -> (String, String) {
    let point = pair.public_key().as_ref();
    let x = point.get(1..33).unwrap_or_default();
    let y = point.get(33..65).unwrap_or_default();
    (b64(x), b64(y))
}

/// Verifies a compact JWS against a published JWK of either kind (RSA → RS256 only, EC P-256
/// → ES256 only) and returns its claims.
pub fn verify_jwt(token: &str, jwk: &Value) -> Result<Value, CryptoError> {
    match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => verify_es256(token, jwk),
        _ => verify_rs256(token, jwk),
    }
}

/// Verifies an ES256 compact JWS against a P-256 public JWK (the `kid`s must match).
pub fn verify_es256(token: &str, jwk: &Value) -> Result<Value, CryptoError> {
    let bad = |m: &str| CryptoError::SigningKey(m.to_owned());
    let header = jws_header(token)?;
    if header.get("kid") != jwk.get("kid") {
        return Err(bad("kid mismatch"));
    }
    if header.get("alg").and_then(Value::as_str) != Some("ES256") || header.get("crit").is_some() {
        return Err(bad("unexpected alg"));
    }
    let coord = |k: &str| -> Result<Vec<u8>, CryptoError> {
        let v = jwk
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| bad("incomplete JWK"))?;
        URL_SAFE_NO_PAD.decode(v).map_err(|_| bad("bad JWK"))
    };
    let mut point = vec![4u8];
    point.extend(coord("x")?);
    point.extend(coord("y")?);
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a compact JWS"));
    };
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad("bad signature encoding"))?;
    let signed = token
        .get(..h.len() + 1 + p.len())
        .ok_or_else(|| bad("not a compact JWS"))?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(signed.as_bytes(), &sig)
        .map_err(|_| bad("bad signature"))?;
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| bad("bad payload encoding"))?,
    )
    .map_err(|_| bad("bad payload"))
}

/// The decoded JOSE header of a compact JWS (not verified).
pub fn jws_header(token: &str) -> Result<Value, CryptoError> {
    let bad = |m: &str| CryptoError::SigningKey(m.to_owned());
    let h = token
        .split('.')
        .next()
        .ok_or_else(|| bad("not a compact JWS"))?;
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(h)
            .map_err(|_| bad("bad header encoding"))?,
    )
    .map_err(|_| bad("bad header"))
}

/// Verifies an RS256 compact JWS against a public JWK and returns its claims. Refuses any
/// other `alg` (including `none` and HMAC), a `kid` that does not match, and malformed input.
pub fn verify_rs256(token: &str, jwk: &Value) -> Result<Value, CryptoError> {
    let bad = |m: &str| CryptoError::SigningKey(m.to_owned());
    if jws_header(token)?.get("kid") != jwk.get("kid") {
        return Err(bad("kid mismatch"));
    }
    let field = |k: &str| -> Result<Vec<u8>, CryptoError> {
        let v = jwk
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| bad("incomplete JWK"))?;
        URL_SAFE_NO_PAD.decode(v).map_err(|_| bad("bad JWK"))
    };
    verify_rs256_with(token, &field("n")?, &field("e")?)
}

/// Verifies an RS256 compact JWS against an RSA public key given as modulus and exponent
/// (big-endian) and returns its claims. Refuses any other `alg` (including `none` and HMAC
/// algorithms, so a public key can never serve as an HMAC secret), `crit` headers, and
/// malformed input.
pub fn verify_rs256_with(token: &str, n: &[u8], e: &[u8]) -> Result<Value, CryptoError> {
    let bad = |m: &str| CryptoError::SigningKey(m.to_owned());
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a compact JWS"));
    };
    let header = jws_header(token)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(bad("unexpected alg"));
    }
    if header.get("crit").is_some() {
        return Err(bad("unsupported critical header parameters"));
    }
    let public = aws_lc_rs::rsa::PublicKeyComponents { n, e };
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad("bad signature encoding"))?;
    let signed = token
        .get(..h.len() + 1 + p.len())
        .ok_or_else(|| bad("not a compact JWS"))?;
    public
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig)
        .map_err(|_| bad("bad signature"))?;
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| bad("bad payload encoding"))?,
    )
    .map_err(|_| bad("bad payload"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es256_keys_sign_verify_and_round_trip() {
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        assert!(key.kid_matches_key());
        let claims = json!({"sub": "x", "n": 1});
        let jwt = key.sign_jwt(&claims).unwrap();
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(verify_jwt(&jwt, &jwk).unwrap(), claims);
        let restored =
            SigningKey::from_pkcs8(key.kid(), Algorithm::Es256, &key.to_pkcs8().unwrap()).unwrap();
        assert_eq!(restored.public_jwk(), jwk);
        // An ES256 token is not accepted by an RSA key's check, nor a tampered one.
        let rsa = SigningKey::generate_rs256().unwrap();
        assert!(verify_jwt(&jwt, &rsa.public_jwk()).is_err());
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(br#"{"sub":"y"}"#);
        assert!(verify_jwt(&parts.join("."), &jwk).is_err());
        assert!(SigningKey::from_pkcs8("k", Algorithm::Es256, &rsa.to_pkcs8().unwrap()).is_err());
    }

    #[test]
    fn signs_verifiable_jwts_and_round_trips_through_pkcs8() {
        let key = SigningKey::generate_rs256().unwrap();
        assert_eq!(key.kid().len(), 43, "base64url SHA-256 thumbprint");
        let claims = json!({ "aud": "api://x", "tid": "t", "n": 1 });
        let jwt = key.sign_jwt(&claims).unwrap();
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(verify_rs256(&jwt, &jwk).unwrap(), claims);

        let restored =
            SigningKey::from_pkcs8(key.kid(), Algorithm::Rs256, &key.to_pkcs8().unwrap()).unwrap();
        assert_eq!(restored.public_jwk(), jwk);
        assert_eq!(
            verify_rs256(&restored.sign_jwt(&claims).unwrap(), &jwk).unwrap(),
            claims
        );
    }

    #[test]
    fn verification_refuses_forgeries() {
        let key = SigningKey::generate_rs256().unwrap();
        let other = SigningKey::generate_rs256().unwrap();
        let jwt = key.sign_jwt(&json!({ "sub": "a" })).unwrap();
        assert!(
            verify_rs256(&jwt, &other.public_jwk()).is_err(),
            "wrong key"
        );
        let (h, rest) = jwt.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged = format!("{h}.{}.{sig}", b64(br#"{"sub":"admin"}"#));
        assert!(
            verify_rs256(&forged, &key.public_jwk()).is_err(),
            "payload swapped"
        );
        let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(br#"{"sub":"a"}"#));
        assert!(verify_rs256(&none, &key.public_jwk()).is_err(), "alg none");
        let hs = format!(
            "{}.{}.{sig}",
            b64(br#"{"alg":"HS256"}"#),
            b64(br#"{"sub":"a"}"#)
        );
        assert!(verify_rs256(&hs, &key.public_jwk()).is_err(), "HMAC");
        let crit = format!(
            "{}.{}.{sig}",
            b64(format!(r#"{{"alg":"RS256","kid":"{}","crit":["x"]}}"#, key.kid()).as_bytes()),
            b64(br#"{"sub":"a"}"#)
        );
        assert!(
            verify_rs256(&crit, &key.public_jwk()).is_err(),
            "unknown critical headers"
        );
        assert!(verify_rs256("a.b", &key.public_jwk()).is_err());
        assert!(verify_rs256("a.b.c.d", &key.public_jwk()).is_err());
        assert!(SigningKey::from_pkcs8("k", Algorithm::Rs256, b"not der").is_err());
    }
}
