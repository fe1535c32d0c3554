//! Portico's storage layer: the store traits every use case calls, their SQLite and
//! PostgreSQL implementations, embedded migrations, and (feature `testing`) the conformance
//! suite both backends must pass.
//!
//! Rules: every call takes the tenant first and never sees another tenant's rows; every
//! mutating call runs in one transaction together with the audit event it is given; errors
//! tell not-found, conflict (with the constraint) and unavailable apart. SQL lives here only.
//! The two backends share one implementation per area (a macro expanded for each), so the
//! SQL text is identical on both; only migrations and connection setup differ.

mod app_directory;
mod applications;
mod audit;
mod backend;
mod credentials;
mod error;
mod grants;
mod groups;
mod identity_providers;
mod invitations;
mod keys;
mod lib_support;
mod migrate;
mod outbox;
mod policies;
mod postgres;
mod query_sql;
mod redemption;
mod roles;
mod row;
mod sessions;
mod sponsors;
mod sqlite;
mod tenants;
mod ts;
mod users;

#[cfg(feature = "testing")]
pub mod conformance;
#[cfg(feature = "testing")]
pub mod conformance_policies;
#[cfg(feature = "testing")]
pub mod conformance_query;
#[cfg(feature = "testing")]
pub mod conformance_redemption;
#[cfg(feature = "testing")]
pub mod conformance_sign_in;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

pub use app_directory::{AppDirectoryStore, QueryPage};
pub use applications::{ApplicationStore, StoredSecret};
pub use audit::AuditStore;
pub use backend::{Backend, DatabaseTarget, PoolSettings, PoolStats};
pub use credentials::{KeyCredentialStore, StoredKeyCredential};
pub use error::{StoreError, constraint};
pub use grants::{GrantStore, Redemption};
pub use groups::GroupStore;
pub use identity_providers::{IdentityProviderStore, StoredIdentityProvider};
pub use invitations::{InvitationStore, InviteeLookup};
pub use keys::{KeyStore, StoredKey};
pub use migrate::{SchemaStatus, latest_version};
pub use outbox::OutboxStore;
pub use policies::PolicyStore;
pub use postgres::PgStore;
pub use redemption::RedemptionStore;
pub use roles::{AppRoleStore, RoleStore};
pub use sessions::{SignInStore, Throttle};
pub use sponsors::{MAX_SPONSORS, SponsorStore};
pub use sqlite::SqliteStore;
pub use tenants::{BootstrapRecord, TenantStore};
pub use users::UserStore;

/// The whole store: every area plus backend-level operations.
#[async_trait::async_trait]
pub trait Store:
    TenantStore
    + UserStore
    + GroupStore
    + ApplicationStore
    + RoleStore
    + AuditStore
    + KeyStore
    + AppRoleStore
    + SignInStore
    + GrantStore
    + KeyCredentialStore
    + AppDirectoryStore
    + SponsorStore
    + InvitationStore
    + OutboxStore
    + RedemptionStore
    + PolicyStore
    + IdentityProviderStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is.
    fn backend(&self) -> Backend;
    /// Checks the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Applies pending migrations (safe to run from several replicas at once on PostgreSQL:
    /// sqlx takes an advisory lock). Returns the resulting status.
    async fn migrate(&self) -> Result<SchemaStatus, StoreError>;
    /// Where the schema stands, without changing it.
    async fn schema_status(&self) -> Result<SchemaStatus, StoreError>;
    /// Every (table, column) of Portico's schema, sorted; used to prove both backends match.
    async fn describe_columns(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Pool figures.
    fn pool_stats(&self) -> PoolStats;
    /// Refreshes the query planner's statistics. `full`: analyze every table now (after a bulk
    /// import, when the planner's picture of the data is badly out of date); otherwise the
    /// cheap periodic form (SQLite `PRAGMA optimize`, which re-analyzes only tables that changed
    /// a lot; PostgreSQL leaves it to autovacuum).
    async fn refresh_statistics(&self, full: bool) -> Result<(), StoreError>;
    /// Closes the pool, waiting for connections in use to be returned.
    async fn close(&self);
}

/// Opens a store for the target. Does not migrate.
pub async fn open(
    target: &DatabaseTarget,
    pool: PoolSettings,
) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match target {
        DatabaseTarget::Sqlite { path } => Arc::new(SqliteStore::open(path, pool).await?),
        DatabaseTarget::Postgres { url, schema } => {
            Arc::new(PgStore::connect(url, schema.as_deref(), pool).await?)
        }
    })
}
