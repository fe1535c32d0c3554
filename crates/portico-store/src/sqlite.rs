//! The SQLite store: one file, WAL journal, foreign keys on. Reads share a pool of
//! connections; write transactions (`BEGIN IMMEDIATE`) go through a pool of one connection, so
//! this process's writers wait their turn in a fair async queue instead of polling SQLite's
//! busy handler (which sleeps up to 100 ms between tries and wastes the time between). Other
//! processes writing the same file (the CLI while a server runs) still meet the busy timeout.

use crate::StoreError;
use crate::backend::{Backend, HasDb, PoolSettings, PoolStats};
use crate::migrate::{self, SchemaStatus};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

/// A store on a SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// The one connection write transactions use.
    writer: SqlitePool,
    max: u32,
}

impl HasDb for SqliteStore {
    type Db = sqlx::Sqlite;
}

impl SqliteStore {
    /// Opens (creating if missing) the database file.
    pub async fn open(path: &Path, pool: PoolSettings) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let max = pool.max_connections.max(1);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.clone())
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .min_connections(1)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer, max })
    }

    pub(crate) async fn write_tx(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub(crate) const BACKEND: Backend = Backend::Sqlite;

    /// `ANALYZE` bounded by `analysis_limit` (an approximate but index-guided sample: cheap
    /// at a million rows), or the periodic `PRAGMA optimize`.
    pub(crate) async fn analyze(&self, full: bool) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA analysis_limit = 1000")
            .execute(&mut *conn)
            .await?;
        let sql = if full { "ANALYZE" } else { "PRAGMA optimize" };
        sqlx::query(sql).execute(&mut *conn).await?;
        Ok(())
    }

    pub(crate) async fn run_migrations(&self) -> Result<(), StoreError> {
        migrate::migrator(Backend::Sqlite)
            .run(&self.pool)
            .await
            .map_err(crate::lib_support::migrate_error)
    }

    pub(crate) async fn applied_version(&self) -> Result<SchemaStatus, StoreError> {
        let table: Option<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await?;
        let applied = if table.is_some() {
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
            latest: migrate::latest_version(Backend::Sqlite),
        })
    }

    pub(crate) async fn columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' ORDER BY m.name, p.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    pub(crate) async fn close_pools(&self) {
        self.writer.close().await;
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

crate::tenants::tenant_store_impl!(SqliteStore);
crate::users::user_store_impl!(SqliteStore);
crate::groups::group_store_impl!(SqliteStore);
crate::applications::application_store_impl!(SqliteStore);
crate::roles::role_store_impl!(SqliteStore);
crate::audit::audit_store_impl!(SqliteStore);
crate::keys::key_store_impl!(SqliteStore);
crate::roles::app_role_store_impl!(SqliteStore);
crate::sessions::sign_in_store_impl!(SqliteStore);
crate::grants::grant_store_impl!(SqliteStore);
crate::app_directory::app_directory_store_impl!(SqliteStore);
crate::sponsors::sponsor_store_impl!(SqliteStore);
crate::invitations::invitation_store_impl!(SqliteStore);
crate::outbox::outbox_store_impl!(SqliteStore);
crate::redemption::redemption_store_impl!(SqliteStore);
crate::credentials::key_credential_store_impl!(SqliteStore);
crate::policies::policy_store_impl!(SqliteStore);
crate::identity_providers::identity_provider_store_impl!(SqliteStore);
crate::lib_support::store_impl!(SqliteStore);
