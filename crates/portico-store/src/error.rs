//! Store errors: not found, conflict (naming the constraint), unavailable, and corrupt data.
//! The layers above map these to 404, 409, 503 and 500; an outage is never "not found".

/// Logical names of the uniqueness rules callers care about. Both backends report these
/// same names (PostgreSQL from the constraint, SQLite from its message).
pub mod constraint {
    /// A live user already has this UPN (case-insensitive) in the tenant.
    pub const USER_UPN: &str = "ux_users_upn";
    /// A live user in the tenant already has this identity.
    pub const USER_IDENTITY: &str = "pk_user_identity_keys";
    /// The tenant already has this domain.
    pub const DOMAIN: &str = "pk_domains";
    /// Another tenant has verified this domain.
    pub const DOMAIN_VERIFIED: &str = "ux_domains_verified";
    /// The object is already a member of the group.
    pub const GROUP_MEMBER: &str = "pk_group_members";
    /// The object is already an owner of the group.
    pub const GROUP_OWNER: &str = "pk_group_owners";
    /// Another application of the tenant already uses this identifier URI.
    pub const APPLICATION_IDENTIFIER_URI: &str = "pk_application_identifier_uris";
    /// The appId is taken.
    pub const APPLICATION_APP_ID: &str = "ux_applications_app_id";
    /// The tenant already has a service principal for this appId.
    pub const SERVICE_PRINCIPAL_APP_ID: &str = "ux_service_principals_app_id";
    /// The principal already holds this role over this scope.
    pub const ROLE_ASSIGNMENT: &str = "ux_role_assignments";
    /// The principal already holds this app role of this resource.
    pub const APP_ROLE_ASSIGNMENT: &str = "ux_app_role_assignments";
    /// Some primary key is taken (a generated id collided or an insert was repeated).
    pub const PRIMARY_KEY: &str = "primary_key";
    /// The client already has a grant for this resource and principal.
    pub const PERMISSION_GRANT: &str = "ux_permission_grants";
    /// The object already sponsors the user.
    pub const USER_SPONSOR: &str = "pk_user_sponsors";
    /// The user already has the most sponsors allowed (5).
    pub const MAX_SPONSORS: &str = "max_sponsors";
    /// The application already has this certificate.
    pub const KEY_CREDENTIAL_THUMBPRINT: &str = "ux_application_key_credentials_thumbprint";
    /// The invitation was redeemed, replaced or reset, or the guest is no longer pending.
    pub const INVITATION_CLOSED: &str = "invitation_closed";
    /// One identity provider per id in a tenant.
    pub const IDENTITY_PROVIDER: &str = "pk_identity_providers";
    /// A tenant's email domain is served by one federation at most.
    pub const FEDERATION_DOMAIN: &str = "pk_federation_domains";
    /// The row changed since it was read (optimistic concurrency).
    pub const STALE_WRITE: &str = "stale_write";
}

/// SQLite names table-level unique constraints by their columns; map them to the names
/// PostgreSQL reports.
const SQLITE_COLUMN_CONSTRAINTS: &[(&str, &str)] = &[
    (
        "user_identity_keys.tenant_id, user_identity_keys.identity_key",
        constraint::USER_IDENTITY,
    ),
    ("domains.tenant_id, domains.name", constraint::DOMAIN),
    (
        "group_members.tenant_id, group_members.group_id, group_members.member_id",
        constraint::GROUP_MEMBER,
    ),
    (
        "group_owners.tenant_id, group_owners.group_id, group_owners.owner_id",
        constraint::GROUP_OWNER,
    ),
    ("domains.name", constraint::DOMAIN_VERIFIED),
    (
        "identity_providers.tenant_id, identity_providers.id",
        constraint::IDENTITY_PROVIDER,
    ),
    (
        "federation_domains.tenant_id, federation_domains.domain",
        constraint::FEDERATION_DOMAIN,
    ),
    (
        "permission_grants.tenant_id, permission_grants.client_id, permission_grants.resource_id, permission_grants.principal_id",
        constraint::PERMISSION_GRANT,
    ),
    (
        "user_sponsors.tenant_id, user_sponsors.user_id, user_sponsors.sponsor_id",
        constraint::USER_SPONSOR,
    ),
    ("signing_keys.kid", constraint::PRIMARY_KEY),
    (
        "application_identifier_uris.tenant_id, application_identifier_uris.uri",
        constraint::APPLICATION_IDENTIFIER_URI,
    ),
    (
        "app_role_assignments.tenant_id, app_role_assignments.principal_id, app_role_assignments.resource_id, app_role_assignments.app_role_id",
        constraint::APP_ROLE_ASSIGNMENT,
    ),
    ("applications.app_id", constraint::APPLICATION_APP_ID),
    (
        "application_key_credentials.tenant_id, application_key_credentials.application_id, application_key_credentials.thumbprint",
        constraint::KEY_CREDENTIAL_THUMBPRINT,
    ),
    (
        "service_principals.tenant_id, service_principals.app_id",
        constraint::SERVICE_PRINCIPAL_APP_ID,
    ),
    (
        "role_assignments.tenant_id, role_assignments.role_template_id, role_assignments.principal_id, role_assignments.directory_scope_id",
        constraint::ROLE_ASSIGNMENT,
    ),
];

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist in this tenant (or is deleted).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or reference rule refused the write; nothing was changed.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The logical constraint name (see [`constraint`]).
        constraint: String,
    },
    /// The database could not be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Stored data could not be decoded (a bug or manual tampering).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Whether this is a conflict on the given constraint.
    #[must_use]
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, Self::Conflict { constraint } if constraint == name)
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) => {
                use sqlx::error::ErrorKind;
                match db.kind() {
                    ErrorKind::UniqueViolation | ErrorKind::ForeignKeyViolation => Self::Conflict {
                        constraint: constraint_name(db.as_ref()),
                    },
                    _ if is_unavailable(db.as_ref()) => Self::Unavailable(e),
                    _ => Self::Database(e),
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Self::Unavailable(e),
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_) => Self::Corrupt(e.to_string()),
            _ => Self::Database(e),
        }
    }
}

/// Whether a database error means "the database is not usable right now": PostgreSQL SQLSTATE
/// classes 08 (connection), 53 (resources), 57 (operator intervention); SQLite BUSY, LOCKED,
/// IOERR, FULL, CANTOPEN, READONLY (primary codes of extended ones). The numeric rule applies
/// to SQLite errors only: PostgreSQL SQLSTATEs such as 22021 are bad input, not outages.
fn is_unavailable(db: &dyn sqlx::error::DatabaseError) -> bool {
    let code = db.code();
    let code = code.as_deref().unwrap_or_default();
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return matches!(
            code.parse::<i32>().ok().map(|n| n & 0xff),
            Some(5 | 6 | 8 | 10 | 13 | 14)
        );
    }
    code.starts_with("08") || code.starts_with("53") || code.starts_with("57")
}

fn constraint_name(db: &dyn sqlx::error::DatabaseError) -> String {
    if let Some(c) = db.constraint() {
        let named = [
            constraint::USER_IDENTITY,
            constraint::DOMAIN,
            constraint::GROUP_MEMBER,
            constraint::GROUP_OWNER,
            constraint::APPLICATION_IDENTIFIER_URI,
            constraint::IDENTITY_PROVIDER,
            constraint::FEDERATION_DOMAIN,
        ];
        return if c.ends_with("_pkey") || (c.starts_with("pk_") && !named.contains(&c)) {
            constraint::PRIMARY_KEY.to_owned()
        } else {
            c.to_owned()
        };
    }
    let msg = db.message();
    let Some(detail) = msg.split("failed: ").nth(1) else {
        return msg.to_owned();
    };
    if let Some(name) = detail
        .strip_prefix("index '")
        .and_then(|r| r.strip_suffix('\''))
    {
        return name.to_owned();
    }
    if let Some((_, name)) = SQLITE_COLUMN_CONSTRAINTS
        .iter()
        .find(|(cols, _)| *cols == detail)
    {
        return (*name).to_owned();
    }
    if detail.ends_with(".id") || detail.ends_with(".key_id") || detail == "bootstrap_state.id" {
        return constraint::PRIMARY_KEY.to_owned();
    }
    detail.to_owned()
}
