//! Opening the database named by the settings, with one clear line for every way it can fail
//! (unwritable data directory, bad URL, server down, authentication refused).

use crate::error::CliError;
use crate::settings::Validated;
use portico_store::{DatabaseTarget, PoolSettings, Store, StoreError};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Opens (and for SQLite creates) the database. Does not migrate.
pub async fn open(v: &Validated) -> Result<Arc<dyn Store>, CliError> {
    let pool = PoolSettings {
        max_connections: v.database_max_connections,
        acquire_timeout: Duration::from_secs(5),
    };
    match &v.database {
        DatabaseTarget::Sqlite { path } => {
            prepare_data_dir(&v.data_dir)?;
            portico_store::open(&v.database, pool).await.map_err(|e| {
                CliError::runtime(format!(
                    "cannot open the SQLite database {}: {}; check the folder given to --data-dir",
                    path.display(),
                    root_cause(&e)
                ))
            })
        }
        DatabaseTarget::Postgres { url, .. } => {
            let shown = crate::settings::DatabaseUrl(url.clone()).redacted();
            portico_store::open(&v.database, pool).await.map_err(|e| match e {
                StoreError::Unavailable(_) => CliError::runtime(format!(
                    "cannot connect to PostgreSQL at {shown}: {}; check --database-url and that the server is running and reachable",
                    root_cause(&e)
                )),
                other => CliError::runtime(format!("PostgreSQL at {shown} refused the connection: {}", root_cause(&other))),
            })
        }
    }
}

fn prepare_data_dir(dir: &Path) -> Result<(), CliError> {
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::runtime(format!(
            "data directory {} exists but is not a directory; choose another with --data-dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::runtime(format!("cannot create data directory {}: {e}; choose another with --data-dir or fix its permissions", dir.display()))
    })?;
    let probe = dir.join(".portico-write-test");
    std::fs::write(&probe, b"ok").map_err(|e| {
        CliError::runtime(format!("data directory {} is not writable: {e}; choose another with --data-dir or fix its permissions", dir.display()))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The innermost error message, without the layers' prefixes.
pub fn root_cause(e: &dyn std::error::Error) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
