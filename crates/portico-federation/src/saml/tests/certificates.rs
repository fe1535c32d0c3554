//! Certificate parsing: DER base64 (Graph's form), PEM, and each refusal.

use super::super::parse_certificate;

/// The test IdP certificate, PEM.
const IDP_PEM: &str = include_str!("../testdata/idp.crt");

/// The base64 body of a PEM certificate, on one line.
fn body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[test]
fn der_base64_and_pem_give_the_same_certificate() {
    let from_pem = parse_certificate(IDP_PEM).unwrap();
    let from_der = parse_certificate(&body(IDP_PEM)).unwrap();
    assert_eq!(from_pem, from_der);
    // Line breaks and surrounding whitespace, as pasted from a file.
    let wrapped = format!(
        "\n  {}\n",
        IDP_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\r\n  ")
    );
    assert_eq!(parse_certificate(&wrapped).unwrap(), from_der);

    assert_eq!(from_der.subject, "CN=portico-test-idp");
    assert_eq!(
        from_der.sha256_thumbprint,
        "301eca0370947424 19e56b71823300a0 284e6c752afd24f0 aa165a65862539f4".replace(' ', "")
    );
    assert!(from_der.not_before < from_der.not_after);
    assert_eq!(from_der.not_after.year(), 2126);
    assert_eq!(from_der.to_base64(), body(IDP_PEM));
    assert_eq!(parse_certificate(&from_der.to_base64()).unwrap(), from_der);
}

#[test]
fn ec_p256_is_accepted() {
    let cert = parse_certificate(include_str!("../testdata/ec-p256.crt")).unwrap();
    assert_eq!(cert.subject, "CN=portico-test-ec");
}

#[test]
fn refusals_say_why() {
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("   \n", "empty"),
        ("!!! definitely not base64 !!!", "neither base64"),
        ("aGVsbG8gd29ybGQ=", "not a DER-encoded X.509 certificate"),
        (
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "not a CERTIFICATE",
        ),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n",
            "no complete BEGIN/END block",
        ),
        (include_str!("../testdata/rsa1024.crt"), "1024 bits"),
        (
            include_str!("../testdata/ec-secp256k1.crt"),
            "P-256 or P-384",
        ),
        (include_str!("../testdata/ed25519.crt"), "not supported"),
    ];
    for (text, needle) in cases {
        let e = parse_certificate(text).expect_err(needle);
        assert_eq!(e.kind(), "bad_certificate");
        assert!(e.to_string().contains(needle), "{e} (wanted {needle:?})");
    }
    let huge = "A".repeat(70 * 1024);
    assert!(
        parse_certificate(&huge)
            .unwrap_err()
            .to_string()
            .contains("64 KiB")
    );
    // A certificate with trailing garbage is not a certificate.
    let mut der = parse_certificate(IDP_PEM).unwrap().der;
    der.push(0);
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    assert_eq!(
        parse_certificate(&text).unwrap_err().kind(),
        "bad_certificate"
    );
}
