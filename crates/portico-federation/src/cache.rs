//! The per-[`crate::Federation`] cache of provider metadata and keys, keyed by discovery URL.
//! It is only a cache: losing it costs a refetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::metadata::ProviderInfo;

/// Most discovery URLs remembered; past it, stale and then the oldest entries are dropped.
const MAX_ENTRIES: usize = 1024;

/// At most one forced refresh (for an unknown key id) per discovery URL in this interval.
pub(crate) const FORCED_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

/// Discovery URL → provider info, with each URL's last forced refresh.
pub(crate) struct MetadataCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Slot>>,
}

#[derive(Default)]
struct Slot {
    info: Option<Arc<ProviderInfo>>,
    last_forced_refresh: Option<Instant>,
}

impl MetadataCache {
    /// An empty cache whose entries live for `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached info for `url`, if it is younger than the TTL.
    pub(crate) fn fresh(&self, url: &str) -> Option<Arc<ProviderInfo>> {
        let entries = self.lock();
        let info = entries.get(url)?.info.as_ref()?;
        (info.fetched_at.elapsed() < self.ttl).then(|| Arc::clone(info))
    }

    /// Remembers freshly fetched info for `url`.
    pub(crate) fn store(&self, url: &str, info: Arc<ProviderInfo>) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(url) {
            let ttl = self.ttl;
            entries.retain(|_, slot| {
                slot.info
                    .as_ref()
                    .is_some_and(|info| info.fetched_at.elapsed() < ttl)
            });
            while entries.len() >= MAX_ENTRIES {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, slot)| slot.info.as_ref().map(|info| info.fetched_at))
                    .map(|(key, _)| key.clone());
                match oldest {
                    Some(key) => entries.remove(&key),
                    None => break,
                };
            }
        }
        entries.entry(url.to_owned()).or_default().info = Some(info);
    }

    /// Whether a forced refresh of `url` may happen now; when it may, the attempt is recorded
    /// so that the next one waits [`FORCED_REFRESH_INTERVAL`].
    pub(crate) fn claim_forced_refresh(&self, url: &str) -> bool {
        let mut entries = self.lock();
        let slot = entries.entry(url.to_owned()).or_default();
        let now = Instant::now();
        match slot.last_forced_refresh {
            Some(last) if now.duration_since(last) < FORCED_REFRESH_INTERVAL => false,
            _ => {
                slot.last_forced_refresh = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::AuthType;
    use url::Url;

    fn info() -> Arc<ProviderInfo> {
        let url = Url::parse("https://idp.example.com/x").unwrap();
        Arc::new(ProviderInfo {
            issuer: "https://idp.example.com".into(),
            authorization_endpoint: url.clone(),
            token_endpoint: url,
            token_auth: AuthType::BasicAuth,
            keys: Vec::new(),
            fetched_at: Instant::now(),
        })
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = MetadataCache::new(Duration::from_secs(60));
        assert!(cache.fresh("u").is_none());
        cache.store("u", info());
        assert!(cache.fresh("u").is_some());
        let cache = MetadataCache::new(Duration::ZERO);
        cache.store("u", info());
        assert!(cache.fresh("u").is_none());
    }

    #[test]
    fn forced_refreshes_are_rate_limited_per_url() {
        let cache = MetadataCache::new(Duration::from_secs(60));
        assert!(cache.claim_forced_refresh("a"));
        assert!(!cache.claim_forced_refresh("a"));
        assert!(cache.claim_forced_refresh("b"));
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = MetadataCache::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 10 {
            cache.store(&format!("u{i}"), info());
        }
        assert!(cache.lock().len() <= MAX_ENTRIES);
        assert!(cache.fresh(&format!("u{}", MAX_ENTRIES + 9)).is_some());
    }
}
