//! Identity-provider signing certificates: parsing from the forms admins and Graph use (base64
//! of the DER, or a PEM block), and the key policy (RSA of at least 2048 bits, or EC P-256 /
//! P-384). X.509 is decoded with `x509-cert`; the key is also loaded through `bergshamra-keys`
//! so that any certificate accepted here can verify signatures.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;
use x509_cert::der::asn1::{ObjectIdentifier, UintRef};
use x509_cert::der::{Decode as _, Reader as _, SliceReader};

use super::error::SamlError;

/// The longest certificate text accepted (a certificate is a few KiB at most).
const MAX_CERTIFICATE_TEXT: usize = 64 * 1024;
/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// `rsaEncryption` (PKCS #1).
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey`.
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (P-256).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (P-384).
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// A parsed signing certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The DER encoding.
    pub der: Vec<u8>,
    /// The subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// Start of the validity period.
    pub not_before: time::OffsetDateTime,
    /// End of the validity period.
    pub not_after: time::OffsetDateTime,
    /// SHA-256 of the DER, lowercase hex.
    pub sha256_thumbprint: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("sha256_thumbprint", &self.sha256_thumbprint)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Base64 (standard alphabet, padded) of the DER, without line breaks: the form Graph's
    /// `signingCertificate` and SAML metadata's `X509Certificate` use.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// The certificate's public key as a `bergshamra-keys` key, for signature verification.
    pub(crate) fn verification_key(&self) -> Result<bergshamra_keys::Key, SamlError> {
        bergshamra_keys::loader::load_x509_cert_der(&self.der).map_err(|_| {
            SamlError::bad_certificate(
                "the certificate's public key cannot be loaded for signature verification",
            )
        })
    }
}

/// Parses a signing certificate given as base64 of its DER (whitespace allowed, as Graph's
/// `signingCertificate`) or as a PEM `CERTIFICATE` block.
///
/// Refuses text that is neither, DER that is not an X.509 certificate, and certificates whose
/// public key is not RSA of at least 2048 bits or EC on P-256 / P-384.
pub fn parse_certificate(text: &str) -> Result<Certificate, SamlError> {
    if text.len() > MAX_CERTIFICATE_TEXT {
        return Err(SamlError::bad_certificate(
            "the certificate text is larger than 64 KiB",
        ));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(SamlError::bad_certificate("the certificate is empty"));
    }
    let base64_body = if text.contains("-----BEGIN") {
        pem_body(text)?
    } else {
        text
    };
    let compact: String = base64_body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(compact.as_bytes()).map_err(|_| {
        SamlError::bad_certificate(
            "the certificate is neither base64 of a DER certificate nor a PEM CERTIFICATE block",
        )
    })?;
    from_der(der)
}

/// The base64 body of the first PEM block of `text`, which must be a `CERTIFICATE`.
fn pem_body(text: &str) -> Result<&str, SamlError> {
    const BEGIN: &str = "-----BEGIN ";
    let not_pem = || SamlError::bad_certificate("the PEM text has no complete BEGIN/END block");
    let start = text.find(BEGIN).ok_or_else(not_pem)?;
    let after_begin = text.get(start + BEGIN.len()..).ok_or_else(not_pem)?;
    let label_end = after_begin.find("-----").ok_or_else(not_pem)?;
    let label = after_begin.get(..label_end).ok_or_else(not_pem)?;
    if label != "CERTIFICATE" {
        return Err(SamlError::BadCertificate(format!(
            "the PEM block is a {:?}, not a CERTIFICATE",
            super::error::bounded(label)
        )));
    }
    let body_and_rest = after_begin.get(label_end + 5..).ok_or_else(not_pem)?;
    let end = body_and_rest
        .find("-----END CERTIFICATE-----")
        .ok_or_else(not_pem)?;
    body_and_rest.get(..end).ok_or_else(not_pem)
}

/// Decodes DER, applies the key policy and fills in the summary fields.
fn from_der(der: Vec<u8>) -> Result<Certificate, SamlError> {
    let cert = x509_cert::Certificate::from_der(&der).map_err(|_| {
        SamlError::bad_certificate("the data is not a DER-encoded X.509 certificate")
    })?;
    let tbs = &cert.tbs_certificate;
    check_public_key(&tbs.subject_public_key_info)?;

    let instant = |t: &x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs())
            .ok()
            .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
            .ok_or_else(|| {
                SamlError::bad_certificate("the certificate's validity period is out of range")
            })
    };
    let not_before = instant(&tbs.validity.not_before)?;
    let not_after = instant(&tbs.validity.not_after)?;
    let subject = tbs.subject.to_string();

    let digest = sha2::Sha256::digest(&der);
    let sha256_thumbprint = digest.iter().map(|b| format!("{b:02x}")).collect();
    let certificate = Certificate {
        der,
        subject,
        not_before,
        not_after,
        sha256_thumbprint,
    };
    // Whatever is accepted here must be usable by the verifier.
    certificate.verification_key()?;
    Ok(certificate)
}

/// The key policy: RSA >= 2048 bits, or EC on P-256 / P-384.
fn check_public_key(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> Result<(), SamlError> {
    let key_bytes = spki.subject_public_key.as_bytes().ok_or_else(|| {
        SamlError::bad_certificate("the certificate's public key is not a whole number of bytes")
    })?;
    if spki.algorithm.oid == OID_RSA {
        let bits = rsa_modulus_bits(key_bytes).ok_or_else(|| {
            SamlError::bad_certificate("the certificate's RSA public key cannot be decoded")
        })?;
        if bits < MIN_RSA_BITS {
            return Err(SamlError::BadCertificate(format!(
                "the certificate's RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"
            )));
        }
        Ok(())
    } else if spki.algorithm.oid == OID_EC {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        match curve {
            Some(c) if c == OID_P256 || c == OID_P384 => Ok(()),
            _ => Err(SamlError::bad_certificate(
                "the certificate's EC key is not on curve P-256 or P-384",
            )),
        }
    } else {
        Err(SamlError::BadCertificate(format!(
            "the certificate's public key algorithm ({}) is not supported; RSA (2048 bits or more) or EC P-256/P-384 is required",
            spki.algorithm.oid
        )))
    }
}

/// The bit length of the modulus of a PKCS #1 `RSAPublicKey` (`SEQUENCE { n, e }`).
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(der).ok()?;
    let modulus = reader
        .sequence(|seq| {
            let n = UintRef::decode(seq)?;
            let _e = UintRef::decode(seq)?;
            Ok(n)
        })
        .ok()?;
    reader.finish(()).ok()?;
    let bytes = modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}
