//! Client certificates (application key credentials): what Portico needs from an X.509
//! certificate to check `private_key_jwt` client assertions: its RSA public key, its
//! validity, and its thumbprints (`x5t`, `x5t#S256`).

use crate::CryptoError;
use ::time::OffsetDateTime;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use x509_parser::pem::parse_x509_pem;
use x509_parser::prelude::{ASN1Time, parse_x509_certificate};

/// Largest certificate accepted.
pub const MAX_CERTIFICATE: usize = 16 * 1024;

/// A parsed client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// base64url SHA-1 of the DER (`x5t`; Entra's `customKeyIdentifier`).
    pub x5t: String,
    /// base64url SHA-256 of the DER (`x5t#S256`).
    pub x5t_s256: String,
    /// RSA modulus, big-endian, no leading zero.
    pub n: Vec<u8>,
    /// RSA exponent, big-endian, no leading zero.
    pub e: Vec<u8>,
    /// Valid from.
    pub not_before: OffsetDateTime,
    /// Valid until.
    pub not_after: OffsetDateTime,
}

fn strip(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or_default().to_vec()
}

/// Parses a certificate given as PEM (`-----BEGIN CERTIFICATE-----`) or DER. Only RSA keys
/// of at least 2048 bits are accepted (what RS256 assertions need).
pub fn parse_certificate(input: &[u8]) -> Result<ClientCertificate, CryptoError> {
    let bad = |m: String| CryptoError::SigningKey(m);
    if input.len() > MAX_CERTIFICATE {
        return Err(bad("the certificate is larger than 16 KiB".into()));
    }
    let der = if input.starts_with(b"-----") {
        let (_, pem) =
            parse_x509_pem(input).map_err(|e| bad(format!("not a PEM certificate: {e}")))?;
        if pem.label != "CERTIFICATE" {
            return Err(bad(format!("expected a CERTIFICATE, found {}", pem.label)));
        }
        pem.contents
    } else {
        input.to_vec()
    };
    let (rest, cert) =
        parse_x509_certificate(&der).map_err(|e| bad(format!("not an X.509 certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(bad("trailing data after the certificate".into()));
    }
    let key = cert
        .public_key()
        .parsed()
        .map_err(|e| bad(format!("unreadable public key: {e}")))?;
    let x509_parser::public_key::PublicKey::RSA(rsa) = key else {
        return Err(bad(
            "only RSA certificates are supported (RS256 client assertions)".into(),
        ));
    };
    let n = strip(rsa.modulus);
    if n.len() < 256 {
        return Err(bad("the RSA key must have at least 2048 bits".into()));
    }
    let time = |t: &ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp())
            .map_err(|e| bad(format!("bad validity date: {e}")))
    };
    let validity = cert.validity();
    let out = ClientCertificate {
        x5t: URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &der,
        )),
        x5t_s256: URL_SAFE_NO_PAD.encode(crate::digest::sha256(&der)),
        n,
        e: strip(rsa.exponent),
        not_before: time(&validity.not_before)?,
        not_after: time(&validity.not_after)?,
        der: Vec::new(),
    };
    Ok(ClientCertificate { der, ..out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused() {
        assert!(
            parse_certificate(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
                .is_err()
        );
        assert!(parse_certificate(b"\x30\x03\x02\x01\x01").is_err());
        assert!(parse_certificate(&vec![b'a'; MAX_CERTIFICATE + 1]).is_err());
        assert!(parse_certificate(b"").is_err());
    }
}
