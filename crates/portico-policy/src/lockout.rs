//! Smart lockout, as Entra describes it: count failed passwords, slow the guesser down, and
//! lock temporarily — per account *and address*, so an attacker elsewhere cannot lock the real
//! user out of their usual address; per account from unfamiliar addresses, so a botnet cannot
//! guess without bound; and per address across accounts, so password spraying is throttled.
//! Locks grow with each repeat and always end.

use time::{Duration, OffsetDateTime};

/// Failures counted within this window.
pub const WINDOW: Duration = Duration::minutes(15);
/// A familiar address is one the account signed in from successfully within this long.
pub const FAMILIAR_FOR: Duration = Duration::days(30);

/// What a counter is keyed by, and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// One account from one address.
    AccountAddress,
    /// One account from every address it is not familiar with.
    AccountUnfamiliar,
    /// One address, across accounts.
    Address,
}

impl Counter {
    /// Failures that trigger a lock.
    #[must_use]
    pub fn threshold(self) -> i64 {
        match self {
            Self::AccountAddress => 10,
            Self::AccountUnfamiliar => 50,
            Self::Address => 100,
        }
    }

    /// How long the `n`th lock (1-based) lasts: one minute doubling per repeat for an
    /// account at an address, capped at 30 minutes; fixed for the wider counters.
    #[must_use]
    pub fn lock_for(self, n: i64) -> Duration {
        match self {
            Self::AccountAddress => {
                let exp = u32::try_from(n.clamp(1, 6) - 1).unwrap_or(0);
                Duration::minutes((1_i64 << exp).min(30))
            }
            Self::AccountUnfamiliar => Duration::minutes(5),
            Self::Address => Duration::minutes(15),
        }
    }

    /// The storage key for this counter.
    #[must_use]
    pub fn key(self, account: &str, address: &str) -> String {
        match self {
            Self::AccountAddress => format!("acct:{account}|ip:{address}"),
            Self::AccountUnfamiliar => format!("acct:{account}|unfamiliar"),
            Self::Address => format!("ip:{address}"),
        }
    }
}

/// The part of a client address that lockout counts by: an IPv4 address, or an IPv6
/// address's /64 prefix (one subscriber's network: rotating within it does not evade the
/// counters). Anything else is used as given.
#[must_use]
pub fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// The key marking an address as familiar to an account.
#[must_use]
pub fn familiar_key(account: &str, address: &str) -> String {
    format!("ok:{account}|ip:{address}")
}

/// Whether a counter locked until `locked_until` still blocks at `now`.
#[must_use]
pub fn is_locked(locked_until: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    locked_until.is_some_and(|t| now < t)
}

/// Which counters apply to an attempt: the unfamiliar-address counter only when the address
/// is not familiar to the account.
#[must_use]
pub fn counters(familiar: bool) -> &'static [Counter] {
    if familiar {
        &[Counter::AccountAddress, Counter::Address]
    } else {
        &[
            Counter::AccountAddress,
            Counter::AccountUnfamiliar,
            Counter::Address,
        ]
    }
}

/// Whether an address is familiar, from the time of its last success there.
#[must_use]
pub fn is_familiar(last_success: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    last_success.is_some_and(|t| now - t < FAMILIAR_FOR)
}

/// How long to wait before answering a failure, given the failures so far at this account
/// and address: nothing for the first five, then 200 ms more per failure, up to one second.
#[must_use]
pub fn delay_after(failures: i64) -> Duration {
    if failures <= 5 {
        Duration::ZERO
    } else {
        Duration::milliseconds(((failures - 5) * 200).min(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_and_are_capped() {
        let c = Counter::AccountAddress;
        let mins: Vec<i64> = (0..9).map(|n| c.lock_for(n).whole_minutes()).collect();
        assert_eq!(mins, vec![1, 1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(Counter::AccountUnfamiliar.lock_for(7), Duration::minutes(5));
        assert_eq!(Counter::Address.lock_for(1), Duration::minutes(15));
    }

    #[test]
    fn thresholds_widen_with_scope() {
        assert!(Counter::AccountAddress.threshold() < Counter::AccountUnfamiliar.threshold());
        assert!(Counter::AccountUnfamiliar.threshold() < Counter::Address.threshold());
    }

    #[test]
    fn familiar_addresses_skip_the_unfamiliar_counter() {
        assert_eq!(counters(true), &[Counter::AccountAddress, Counter::Address]);
        assert_eq!(counters(false).len(), 3);
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(100);
        assert!(is_familiar(Some(now - Duration::days(29)), now));
        assert!(!is_familiar(Some(now - Duration::days(31)), now));
        assert!(!is_familiar(None, now));
    }

    #[test]
    fn keys_do_not_collide() {
        let keys = [
            Counter::AccountAddress.key("a", "1.2.3.4"),
            Counter::AccountUnfamiliar.key("a", "1.2.3.4"),
            Counter::Address.key("a", "1.2.3.4"),
            familiar_key("a", "1.2.3.4"),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in keys.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn ipv6_counts_by_prefix() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            address_key("2001:db8:1:2:bbbb::9"),
            address_key("2001:db8:1:2::5")
        );
        assert_eq!(address_key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(address_key("192.0.2.1"), "192.0.2.1");
        assert_eq!(address_key("unknown"), "unknown");
    }

    #[test]
    fn locks_end() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert!(is_locked(Some(now + Duration::seconds(1)), now));
        assert!(!is_locked(Some(now), now));
        assert!(!is_locked(None, now));
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(5), Duration::ZERO);
        assert_eq!(delay_after(7), Duration::milliseconds(400));
        assert_eq!(delay_after(500), Duration::seconds(1));
    }
}
