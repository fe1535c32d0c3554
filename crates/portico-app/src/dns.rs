//! DNS TXT lookups for domain verification, behind a trait so tests (and offline
//! deployments) can substitute their own answers.

use async_trait::async_trait;

/// Looks up TXT records.
#[async_trait]
pub trait TxtResolver: Send + Sync {
    /// The TXT strings published at `name` (each record's strings joined). An empty list when
    /// the name has none; an error when the lookup itself failed.
    async fn txt(&self, name: &str) -> Result<Vec<String>, String>;
}

/// The system resolver (`/etc/resolv.conf`), via hickory-resolver.
pub struct HickoryResolver(hickory_resolver::TokioResolver);

impl HickoryResolver {
    /// Builds a resolver from the system configuration.
    pub fn from_system() -> Result<Self, String> {
        let resolver = hickory_resolver::TokioResolver::builder_tokio()
            .map_err(|e| format!("cannot read the system DNS configuration: {e}"))?
            .build()
            .map_err(|e| format!("cannot build the DNS resolver: {e}"))?;
        Ok(Self(resolver))
    }
}

#[async_trait]
impl TxtResolver for HickoryResolver {
    async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.0.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(e) if e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// A resolver with fixed answers (tests, or deployments without DNS).
#[derive(Debug, Default)]
pub struct StaticResolver(pub std::collections::HashMap<String, Vec<String>>);

#[async_trait]
impl TxtResolver for StaticResolver {
    async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        Ok(self.0.get(name).cloned().unwrap_or_default())
    }
}
