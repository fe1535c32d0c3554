//! Typed identifiers. Every directory object id is a GUID, as in Entra; the types keep a user
//! id from being passed where a group id is expected.

use std::fmt;
use std::str::FromStr;

macro_rules! guid_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new random id.
            #[must_use]
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::try_parse(s).map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(u: uuid::Uuid) -> Self {
                Self(u)
            }
        }
    )*};
}

guid_id!(
    /// A tenant (directory / organization) id.
    TenantId,
    /// A user object id.
    UserId,
    /// A group object id.
    GroupId,
    /// An application object id (not its appId).
    ApplicationId,
    /// An application's client id (`appId`), shared by its service principals.
    AppId,
    /// A service principal object id.
    ServicePrincipalId,
    /// A directory role assignment id.
    RoleAssignmentId,
    /// An audit event id.
    AuditEventId,
    /// A password credential's `keyId`.
    KeyId,
    /// The correlation id that ties the log lines and audit events of one request together.
    CorrelationId,
    /// A browser sign-in session.
    SessionId,
    /// A family of refresh tokens descending from one authorization code.
    TokenFamilyId,
    /// An `oAuth2PermissionGrant` (recorded consent to delegated scopes).
    PermissionGrantId,
    /// A sign-in log entry.
    SignInId,
);
