//! Migrating SQLite and PostgreSQL must yield the same tables and columns.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

use portico_store::testing::TestDb;

#[tokio::test]
async fn sqlite_and_postgres_schemas_have_the_same_tables_and_columns() {
    let sqlite = TestDb::sqlite().await;
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let a = sqlite.store.describe_columns().await.unwrap();
    let b = pg.store.describe_columns().await.unwrap();
    assert!(!a.is_empty());
    let only_sqlite: Vec<_> = a.iter().filter(|c| !b.contains(c)).collect();
    let only_pg: Vec<_> = b.iter().filter(|c| !a.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_pg:?}"
    );
    assert_eq!(
        portico_store::latest_version(portico_store::Backend::Sqlite),
        portico_store::latest_version(portico_store::Backend::Postgres),
        "both backends carry the same migrations"
    );
    sqlite.finish().await;
    pg.finish().await;
}
