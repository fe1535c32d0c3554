//! Which database a store runs on, and how to reach it.

use std::path::PathBuf;
use std::time::Duration;

/// The storage backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite: one process, one file.
    Sqlite,
    /// PostgreSQL: any number of replicas.
    Postgres,
}

/// Whether a lookup among indexes that all start with `tenant_id` (users by UPN or mail) keeps
/// its prepared statement (the value for sqlx's `persistent`). On PostgreSQL it does not: a
/// connection caches a generic plan after a few runs, and one made while the table was young
/// (no statistics yet, every index equally cheap) may walk a whole tenant through the wrong
/// index until autovacuum's next ANALYZE; an unnamed statement is planned for each run with
/// the table's current size instead, for a fraction of a millisecond. SQLite's planner does
/// not depend on the table's size here, so its statements stay prepared.
pub(crate) fn plan_once(backend: Backend) -> bool {
    backend == Backend::Sqlite
}

impl Backend {
    /// Lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum DatabaseTarget {
    /// A SQLite database file (created if missing).
    Sqlite {
        /// Path of the database file.
        path: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// `postgres://user:password@host:port/database?...`
        url: String,
        /// Schema to use instead of the default search path (tests use one per test).
        schema: Option<String>,
    },
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections held open.
    pub max_connections: u32,
    /// How long a caller waits for a connection before the database counts as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Pool figures for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Idle connections.
    pub idle: u32,
    /// Configured maximum.
    pub max: u32,
}

/// Ties a store type to its sqlx database type, for the shared implementation macros.
pub(crate) trait HasDb {
    type Db: sqlx::Database;
}
