//! Random secrets (initial passwords, client secrets, verification codes, opaque tokens) and
//! constant-time comparison. Keyed hashing of secrets for storage is `MasterKey::hash_secret`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{Rng, RngExt};
use subtle::ConstantTimeEq;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"-_.~!@#%+=";

fn pick(rng: &mut impl RngExt, set: &[u8]) -> char {
    char::from(
        set.get(rng.random_range(0..set.len()))
            .copied()
            .unwrap_or(b'x'),
    )
}

/// A random password of `len` characters (at least 12) with lower case, upper case, digits
/// and symbols, avoiding look-alike characters; satisfies Entra's complexity rule.
#[must_use]
pub fn random_password(len: usize) -> String {
    let len = len.max(12);
    let mut rng = rand::rng();
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat();
    let mut chars: Vec<char> = vec![
        pick(&mut rng, LOWER),
        pick(&mut rng, UPPER),
        pick(&mut rng, DIGITS),
        pick(&mut rng, SYMBOLS),
    ];
    while chars.len() < len {
        chars.push(pick(&mut rng, &all));
    }
    // Fisher–Yates so the guaranteed classes are not always first.
    for i in (1..chars.len()).rev() {
        let j = rng.random_range(0..=i);
        chars.swap(i, j);
    }
    chars.into_iter().collect()
}

/// `n` random bytes, base64url without padding.
#[must_use]
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// `n` random decimal digits (one-time passcodes), uniformly distributed.
#[must_use]
pub fn random_digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A client secret: 40 URL-safe characters (240 bits), like Entra's generated secrets.
#[must_use]
pub fn client_secret() -> String {
    random_token(30)
}

/// A short code for DNS TXT domain verification (lower-case letters and digits, 20 chars).
#[must_use]
pub fn verification_code() -> String {
    let set = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..20).map(|_| pick(&mut rng, set)).collect()
}

/// Compares two byte strings in time independent of where they differ.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_mixed_and_unique() {
        let a = random_password(16);
        let b = random_password(16);
        assert_eq!(a.chars().count(), 16);
        assert_ne!(a, b);
        assert!(a.chars().any(|c| c.is_ascii_lowercase()));
        assert!(a.chars().any(|c| c.is_ascii_uppercase()));
        assert!(a.chars().any(|c| c.is_ascii_digit()));
        assert!(a.chars().any(|c| SYMBOLS.contains(&(c as u8))));
        assert_eq!(
            random_password(3).chars().count(),
            12,
            "never shorter than 12"
        );
    }

    #[test]
    fn client_secrets_are_long_and_unique() {
        let s = client_secret();
        assert_eq!(s.len(), 40);
        assert_ne!(client_secret(), s);
    }

    #[test]
    fn verification_codes_and_tokens() {
        let c = verification_code();
        assert_eq!(c.len(), 20);
        assert!(
            c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(random_token(32).len(), 43);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
