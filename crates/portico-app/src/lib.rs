//! Portico's use cases. Each one authorizes first, validates, does its work in one store
//! transaction together with its audit event, and returns domain types. No HTTP here and no
//! SQL: handlers and the CLI call these; these call the store.

pub mod app_management;
pub mod applications;
pub mod bootstrap;
pub mod bulk_csv;
pub mod bulk_invite;
pub mod caches;
pub mod client_auth;
pub mod clock;
pub mod context;
pub mod dns;
pub mod domains;
pub mod error;
pub mod federation;
pub mod graph_api;
pub mod groups;
pub mod identity_providers;
pub mod invitation_reset;
pub mod invitations;
pub mod jobs;
pub mod keys;
pub mod mail;
pub mod multitenant;
pub mod otp;
pub mod passwords;
pub mod policies;
pub mod portal;
pub mod portal_apps;
pub mod portal_groups;
pub mod portal_logs;
pub mod portal_users;
pub mod redeem;
pub mod saml_federations;
pub mod signin;
pub mod sponsors;
pub mod tenants;
pub mod tokens;
pub mod user_tokens;
pub mod users;

use std::sync::Arc;

pub use context::{Actor, Context};
pub use error::AppError;
use portico_store::Store;

/// Settings the use cases need (a slice of the process configuration).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Suffix of initial domains: `<slug>.<suffix>`.
    pub tenant_domain_suffix: String,
    /// Externally visible base URL, without a trailing slash (issuers and links).
    pub public_url: String,
    /// The address mails are sent from (`From`, after the organization's name).
    pub mail_from: String,
    /// No SMTP server is configured: mails go to files, and redeem links are logged so a
    /// developer can follow them.
    pub log_redeem_links: bool,
    /// The issuer of the Google preset (`https://accounts.google.com`; tests point it at a
    /// local OIDC provider).
    pub google_issuer: String,
    /// Accept SAML federations whose passive sign-in URL's host is outside the federated
    /// domains without the domains' DNS TXT `DirectFedAuthUrl` record (an operator's explicit
    /// override for offline and development setups).
    pub federation_skip_dns_authorization: bool,
}

/// The use-case layer: shared handles every use case needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn clock::Clock>,
    /// Password hashing, off the async runtime.
    pub passwords: passwords::PasswordService,
    /// DNS TXT lookups for domain verification.
    pub dns: Arc<dyn dns::TxtResolver>,
    /// Calls to guests' identity providers (discovery, keys, tokens), with their caches.
    pub federation: Arc<portico_federation::Federation>,
    /// The master key and cached token signing keys.
    pub keys: Arc<keys::KeyRing>,
    /// Short-lived caches of hot read paths.
    pub caches: Arc<caches::Caches>,
    /// Signalled after a transaction that queued mail commits, so this process's mail worker
    /// sends it at once instead of at its next poll (other replicas find it when they poll).
    pub mail_queued: Arc<tokio::sync::Notify>,
    /// Settings.
    pub config: AppConfig,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
