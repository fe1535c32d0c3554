//! Message digests (PKCE S256 and the like).

/// SHA-256 of `data`.
#[must_use]
pub fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc7636_appendix_b() {
        use base64::Engine as _;
        let d = super::sha256(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
