//! The PostgreSQL store: a connection pool shared by any number of Portico replicas.

use crate::StoreError;
use crate::backend::{Backend, HasDb, PoolSettings, PoolStats};
use crate::migrate::{self, SchemaStatus};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use std::str::FromStr;

/// A store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    max: u32,
}

impl HasDb for PgStore {
    type Db = sqlx::Postgres;
}

impl PgStore {
    /// Connects (and opens one connection at once, so a bad URL or a down server fails here).
    /// With `schema`, every connection uses that schema as its search path.
    pub async fn connect(
        url: &str,
        schema: Option<&str>,
        pool: PoolSettings,
    ) -> Result<Self, StoreError> {
        let mut options = PgConnectOptions::from_str(url)?.application_name("portico");
        // TLS to a server on this machine protects nothing and costs a handshake per
        // connection; without an explicit sslmode, loopback connections are plain TCP.
        if !url.contains("sslmode=") && is_loopback(options.get_host()) {
            options = options.ssl_mode(PgSslMode::Disable);
        }
        if let Some(schema) = schema {
            options = options.options([("search_path", schema)]);
        }
        let max = pool.max_connections.max(1);
        let pool = PgPoolOptions::new()
            .max_connections(max)
            .min_connections(1)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool, max })
    }

    pub(crate) async fn write_tx(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    pub(crate) const BACKEND: Backend = Backend::Postgres;

    /// `ANALYZE` of Portico's schema (autovacuum does this periodically on a normal server).
    pub(crate) async fn analyze(&self, full: bool) -> Result<(), StoreError> {
        if !full {
            return Ok(());
        }
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        if tables.is_empty() {
            return Ok(());
        }
        let list = tables
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {list}")))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn run_migrations(&self) -> Result<(), StoreError> {
        migrate::migrator(Backend::Postgres)
            .run(&self.pool)
            .await
            .map_err(crate::lib_support::migrate_error)
    }

    pub(crate) async fn applied_version(&self) -> Result<SchemaStatus, StoreError> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&self.pool)
            .await?;
        let applied = if exists {
            sqlx::query_scalar::<_, i64>(
                "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
            )
            .fetch_one(&self.pool)
            .await?
        } else {
            0
        };
        Ok(SchemaStatus {
            applied,
            latest: migrate::latest_version(Backend::Postgres),
        })
    }

    pub(crate) async fn columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' ORDER BY table_name, column_name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    pub(crate) async fn close_pools(&self) {
        self.pool.close().await;
    }

    pub(crate) fn stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.max,
        }
    }
}

/// Whether a PostgreSQL host names this machine (or a Unix socket directory).
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "127.0.0.1", "::1", "/var/run/postgresql"] {
            assert!(super::is_loopback(h), "{h}");
        }
        for h in ["db.internal", "10.0.0.5", "192.168.1.10"] {
            assert!(!super::is_loopback(h), "{h}");
        }
    }
}

crate::tenants::tenant_store_impl!(PgStore);
crate::users::user_store_impl!(PgStore);
crate::groups::group_store_impl!(PgStore);
crate::applications::application_store_impl!(PgStore);
crate::roles::role_store_impl!(PgStore);
crate::audit::audit_store_impl!(PgStore);
crate::keys::key_store_impl!(PgStore);
crate::roles::app_role_store_impl!(PgStore);
crate::sessions::sign_in_store_impl!(PgStore);
crate::grants::grant_store_impl!(PgStore);
crate::app_directory::app_directory_store_impl!(PgStore);
crate::sponsors::sponsor_store_impl!(PgStore);
crate::invitations::invitation_store_impl!(PgStore);
crate::outbox::outbox_store_impl!(PgStore);
crate::redemption::redemption_store_impl!(PgStore);
crate::credentials::key_credential_store_impl!(PgStore);
crate::policies::policy_store_impl!(PgStore);
crate::identity_providers::identity_provider_store_impl!(PgStore);
crate::lib_support::store_impl!(PgStore);
