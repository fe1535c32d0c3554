//! Short-lived in-memory caches for hot read paths. They may be lost at any time and are
//! bounded in size and age; nothing is ever written through them.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a token-path lookup is reused. Tokens live an hour, so a grant or resource change
/// taking up to this long to reach new tokens is immaterial; client authentication is never cached.
pub const RESOURCE_TTL: Duration = Duration::from_secs(10);
/// Entries kept at most per cache before it is cleared.
const MAX_ENTRIES: usize = 10_000;

/// A bounded map of values that expire.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    map: Mutex<HashMap<K, (Instant, Arc<V>)>>,
}

impl<K: Eq + Hash, V> TtlCache<K, V> {
    /// A cache whose entries live `ttl`.
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The fresh value for `key`, if any.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    /// Stores a value.
    pub fn put(&self, key: K, value: Arc<V>) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (Instant::now(), value));
        }
    }

    /// Drops everything (after a local change the caller wants visible at once).
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

impl Caches {
    /// Forgets everything derived from directory data (after a local change).
    pub fn clear_directory(&self) {
        self.tenants.clear();
        self.clients.clear();
        self.resources.clear();
        self.app_actors.clear();
    }
}

/// What a client credentials request for one resource resolves to.
#[derive(Debug)]
pub struct ResolvedResource {
    /// The resource's appId (the token's `aud`).
    pub app_id: portico_domain::AppId,
    /// The role values the client holds on it.
    pub roles: Vec<String>,
}

/// What client authentication on the token path reads: the client's secrets (hashes) and its
/// service principal.
#[derive(Debug)]
pub struct ClientBundle {
    /// Stored secrets of the application.
    pub secrets: Vec<portico_store::StoredSecret>,
    /// Its service principal in the tenant, if any.
    pub service_principal: Option<portico_domain::application::ServicePrincipal>,
}

/// Every cache of the use-case layer.
#[derive(Debug)]
pub struct Caches {
    /// Tenant path segment (lower-cased id or domain) → tenant. Only found tenants are kept.
    pub tenants: TtlCache<String, portico_domain::tenant::Tenant>,
    /// (tenant, client appId) → what client authentication needs. A secret that does not match
    /// the cached ones is checked again against the store, so a new secret works at once; a
    /// removed secret or a disabled client takes up to the TTL to stop working on other
    /// replicas (locally the cache is cleared).
    pub clients: TtlCache<(portico_domain::TenantId, portico_domain::AppId), ClientBundle>,
    /// (tenant, client service principal, resource name as requested) → resolution.
    pub resources: TtlCache<
        (
            portico_domain::TenantId,
            portico_domain::ServicePrincipalId,
            String,
        ),
        ResolvedResource,
    >,
    /// (tenant, client appId) → the service principal id and name an app-only Graph caller is
    /// recorded under (audit); nil and the appId when the app has none.
    pub app_actors:
        TtlCache<(portico_domain::TenantId, portico_domain::AppId), (uuid::Uuid, String)>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            tenants: TtlCache::new(RESOURCE_TTL),
            clients: TtlCache::new(RESOURCE_TTL),
            resources: TtlCache::new(RESOURCE_TTL),
            app_actors: TtlCache::new(RESOURCE_TTL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_size_is_bounded() {
        let c: TtlCache<u32, u32> = TtlCache::new(Duration::from_millis(30));
        c.put(1, Arc::new(10));
        assert_eq!(c.get(&1).as_deref(), Some(&10));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&1), None);
        for i in 0..(MAX_ENTRIES as u32 + 5) {
            c.put(i, Arc::new(i));
        }
        assert!(c.map.lock().unwrap().len() <= MAX_ENTRIES);
        c.clear();
        assert_eq!(c.get(&3), None);
    }
}
