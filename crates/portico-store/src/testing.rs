//! Test support (feature `testing`): a fresh database per test on either backend, and the
//! `backend_tests!` macro that runs one async test function on SQLite and on PostgreSQL.
//!
//! PostgreSQL comes from `PORTICO_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each test gets its own schema. When the server
//! cannot be reached the PostgreSQL variant is skipped with a note, except under `CI=true`,
//! where that is a failure.

#![allow(clippy::expect_used, clippy::panic)]

use crate::{PgStore, PoolSettings, SqliteStore, Store};
use std::sync::Arc;

/// Default PostgreSQL URL for tests.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Prefix of per-test schemas (the test script drops leftovers of crashed runs).
pub const SCHEMA_PREFIX: &str = "portico_t_";

/// The PostgreSQL URL tests use.
#[must_use]
pub fn postgres_url() -> String {
    std::env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A migrated, empty database owned by one test.
pub struct TestDb {
    /// The store.
    pub store: Arc<dyn Store>,
    /// SQLite: the folder holding the file. PostgreSQL: none.
    pub dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl TestDb {
    /// A fresh SQLite database in a temporary folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("portico.db"), PoolSettings::default())
            .await
            .expect("open sqlite");
        store_migrate(&store).await;
        Self {
            store: Arc::new(store),
            dir: Some(dir),
            schema: None,
        }
    }

    /// A fresh schema on the test PostgreSQL server; `None` (skip) when it is unreachable
    /// outside CI.
    pub async fn postgres() -> Option<Self> {
        let url = postgres_url();
        let schema = format!("{SCHEMA_PREFIX}{}", uuid::Uuid::new_v4().simple());
        let admin = match PgStore::connect(
            &url,
            None,
            PoolSettings {
                max_connections: 1,
                ..PoolSettings::default()
            },
        )
        .await
        {
            Ok(s) => s,
            Err(e) if !in_ci() => {
                eprintln!(
                    "note: PostgreSQL at {url} unreachable ({e}); skipping the PostgreSQL variant"
                );
                return None;
            }
            Err(e) => panic!("CI=true and PostgreSQL at {url} is unreachable: {e}"),
        };
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin.pool)
            .await
            .expect("create schema");
        admin.pool.close().await;
        let store = PgStore::connect(
            &url,
            Some(&schema),
            PoolSettings {
                max_connections: 5,
                ..PoolSettings::default()
            },
        )
        .await
        .expect("connect to test schema");
        store_migrate(&store).await;
        Some(Self {
            store: Arc::new(store),
            dir: None,
            schema: Some(schema),
        })
    }

    /// A URL that connects to this test's PostgreSQL schema (for black-box tests of the binary).
    #[must_use]
    pub fn postgres_url_for_schema(&self) -> Option<String> {
        let schema = self.schema.as_ref()?;
        let base = postgres_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
    }

    /// Closes the store and drops the PostgreSQL schema.
    pub async fn finish(self) {
        self.store.close().await;
        let Some(schema) = self.schema else { return };
        let one = PoolSettings {
            max_connections: 1,
            ..PoolSettings::default()
        };
        if let Ok(admin) = PgStore::connect(&postgres_url(), None, one).await {
            let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&admin.pool)
                .await;
            admin.pool.close().await;
        }
    }
}

async fn store_migrate(store: &dyn Store) {
    let status = store.migrate().await.expect("migrate");
    assert!(status.is_current());
}

/// Runs each named `async fn(Arc<dyn Store>)` (in scope at the call site) once on SQLite and
/// once on PostgreSQL, in modules `sqlite` and `postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::testing::TestDb::sqlite().await;
                    super::$name(db.store.clone()).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::testing::TestDb::postgres().await else { return };
                    super::$name(db.store.clone()).await;
                    db.finish().await;
                }
            )*
        }
    };
}
