//! Embedded migrations, one folder per backend (`migrations/sqlite`, `migrations/postgres`).
//! A landed migration is never edited; the schema-parity test keeps the two folders in step.

use crate::backend::Backend;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

type Embedded = (i64, &'static str, &'static str);

const SQLITE: &[Embedded] = &[
    (
        1,
        "directory",
        include_str!("../migrations/sqlite/0001_directory.sql"),
    ),
    (
        2,
        "signing keys",
        include_str!("../migrations/sqlite/0002_signing_keys.sql"),
    ),
    (
        3,
        "app role assignments",
        include_str!("../migrations/sqlite/0003_app_role_assignments.sql"),
    ),
    (
        4,
        "identifier uris",
        include_str!("../migrations/sqlite/0004_identifier_uris.sql"),
    ),
    (
        5,
        "sign in",
        include_str!("../migrations/sqlite/0005_sign_in.sql"),
    ),
    (
        6,
        "key credentials",
        include_str!("../migrations/sqlite/0006_key_credentials.sql"),
    ),
    (
        7,
        "directory queries",
        include_str!("../migrations/sqlite/0007_directory_queries.sql"),
    ),
    (
        8,
        "sponsors",
        include_str!("../migrations/sqlite/0008_sponsors.sql"),
    ),
    (
        9,
        "directory counts",
        include_str!("../migrations/sqlite/0009_directory_counts.sql"),
    ),
    (
        10,
        "invitations",
        include_str!("../migrations/sqlite/0010_invitations.sql"),
    ),
    (
        11,
        "redemption",
        include_str!("../migrations/sqlite/0011_redemption.sql"),
    ),
    (
        12,
        "audit index",
        include_str!("../migrations/sqlite/0012_audit_index.sql"),
    ),
    (
        13,
        "tenant policies",
        include_str!("../migrations/sqlite/0013_tenant_policies.sql"),
    ),
    (
        14,
        "invitation hot paths",
        include_str!("../migrations/sqlite/0014_invitation_hot_paths.sql"),
    ),
    (
        15,
        "identity providers",
        include_str!("../migrations/sqlite/0015_identity_providers.sql"),
    ),
    (
        16,
        "federation",
        include_str!("../migrations/sqlite/0016_federation.sql"),
    ),
];
const POSTGRES: &[Embedded] = &[
    (
        1,
        "directory",
        include_str!("../migrations/postgres/0001_directory.sql"),
    ),
    (
        2,
        "signing keys",
        include_str!("../migrations/postgres/0002_signing_keys.sql"),
    ),
    (
        3,
        "app role assignments",
        include_str!("../migrations/postgres/0003_app_role_assignments.sql"),
    ),
    (
        4,
        "identifier uris",
        include_str!("../migrations/postgres/0004_identifier_uris.sql"),
    ),
    (
        5,
        "sign in",
        include_str!("../migrations/postgres/0005_sign_in.sql"),
    ),
    (
        6,
        "key credentials",
        include_str!("../migrations/postgres/0006_key_credentials.sql"),
    ),
    (
        7,
        "directory queries",
        include_str!("../migrations/postgres/0007_directory_queries.sql"),
    ),
    (
        8,
        "sponsors",
        include_str!("../migrations/postgres/0008_sponsors.sql"),
    ),
    (
        9,
        "directory counts",
        include_str!("../migrations/postgres/0009_directory_counts.sql"),
    ),
    (
        10,
        "invitations",
        include_str!("../migrations/postgres/0010_invitations.sql"),
    ),
    (
        11,
        "redemption",
        include_str!("../migrations/postgres/0011_redemption.sql"),
    ),
    (
        12,
        "audit index",
        include_str!("../migrations/postgres/0012_audit_index.sql"),
    ),
    (
        13,
        "tenant policies",
        include_str!("../migrations/postgres/0013_tenant_policies.sql"),
    ),
    (
        14,
        "invitation hot paths",
        include_str!("../migrations/postgres/0014_invitation_hot_paths.sql"),
    ),
    (
        15,
        "identity providers",
        include_str!("../migrations/postgres/0015_identity_providers.sql"),
    ),
    (
        16,
        "federation",
        include_str!("../migrations/postgres/0016_federation.sql"),
    ),
];

/// The migrator for a backend.
pub(crate) fn migrator(backend: Backend) -> Migrator {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    Migrator::with_migrations(
        files
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// The newest migration this binary carries.
#[must_use]
pub fn latest_version(backend: Backend) -> i64 {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    files.iter().map(|f| f.0).max().unwrap_or(0)
}

/// Where a database stands against this binary's migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Highest applied migration (0 when none).
    pub applied: i64,
    /// Highest migration this binary carries.
    pub latest: i64,
}

impl SchemaStatus {
    /// Whether every migration this binary needs has been applied.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.applied >= self.latest
    }
}
