//! Audit events, shaped like Graph's `directoryAudit`: who did what to which object, when,
//! with what result, and the correlation id of the request.

use crate::{AuditEventId, CorrelationId};
use time::OffsetDateTime;

/// Graph's audit `category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditCategory {
    /// Users and guests.
    UserManagement,
    /// Groups and memberships.
    GroupManagement,
    /// Applications and service principals.
    ApplicationManagement,
    /// Tenants, domains, settings.
    DirectoryManagement,
    /// Directory role assignments.
    RoleManagement,
    /// Authentication events (password changes, sign-in related).
    Authentication,
    /// Policies.
    Policy,
}

impl AuditCategory {
    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserManagement => "UserManagement",
            Self::GroupManagement => "GroupManagement",
            Self::ApplicationManagement => "ApplicationManagement",
            Self::DirectoryManagement => "DirectoryManagement",
            Self::RoleManagement => "RoleManagement",
            Self::Authentication => "Authentication",
            Self::Policy => "Policy",
        }
    }

    /// Parses Graph's value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::UserManagement,
            Self::GroupManagement,
            Self::ApplicationManagement,
            Self::DirectoryManagement,
            Self::RoleManagement,
            Self::Authentication,
            Self::Policy,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Graph's `operationResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditResult {
    /// Done.
    Success,
    /// Refused or failed.
    Failure,
}

impl AuditResult {
    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }

    /// Parses Graph's value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Self::Success),
            "failure" => Some(Self::Failure),
            _ => None,
        }
    }
}

/// Who initiated the operation (Graph's `initiatedBy`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Initiator {
    /// A signed-in user.
    User {
        /// Object id.
        id: uuid::Uuid,
        /// Their UPN at the time.
        user_principal_name: String,
    },
    /// An application acting as itself.
    App {
        /// The client id.
        app_id: uuid::Uuid,
        /// The service principal id.
        service_principal_id: uuid::Uuid,
        /// Name.
        display_name: String,
    },
    /// Portico itself or an operator on the command line (e.g. "Portico CLI", "Portico bootstrap").
    System {
        /// What acted.
        name: String,
    },
}

/// A property change (Graph's `modifiedProperty`), values as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    /// Property name.
    pub display_name: String,
    /// Old value (JSON).
    pub old_value: Option<String>,
    /// New value (JSON).
    pub new_value: Option<String>,
}

/// An object the operation touched (Graph's `targetResource`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResource {
    /// Object id (or a name for objects without one, such as a domain).
    pub id: String,
    /// Name.
    pub display_name: Option<String>,
    /// `User`, `Group`, `Application`, `ServicePrincipal`, `Domain`, `Tenant`, `Role`.
    #[serde(rename = "type")]
    pub kind: String,
    /// UPN, for users.
    pub user_principal_name: Option<String>,
    /// What changed.
    pub modified_properties: Vec<ModifiedProperty>,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Id.
    pub id: AuditEventId,
    /// When.
    pub activity_date_time: OffsetDateTime,
    /// Category.
    pub category: AuditCategory,
    /// What happened, in Entra's words ("Add user", "Add member to group", ...).
    pub activity_display_name: String,
    /// `Add`, `Update`, `Delete`, `Assign`, `Unassign`, `Other`.
    pub operation_type: String,
    /// Outcome.
    pub result: AuditResult,
    /// Why it failed, if it did.
    pub result_reason: Option<String>,
    /// Who.
    pub initiated_by: Initiator,
    /// Which objects.
    pub target_resources: Vec<TargetResource>,
    /// The request's correlation id.
    pub correlation_id: CorrelationId,
    /// The component that logged it (`Core Directory`, `Invited Users`, ...).
    pub logged_by_service: String,
}

impl AuditEvent {
    /// A successful event with no targets yet.
    #[must_use]
    pub fn success(
        at: OffsetDateTime,
        category: AuditCategory,
        activity: &str,
        operation_type: &str,
        initiated_by: Initiator,
        correlation_id: CorrelationId,
    ) -> Self {
        Self {
            id: AuditEventId::new(),
            activity_date_time: at,
            category,
            activity_display_name: activity.to_owned(),
            operation_type: operation_type.to_owned(),
            result: AuditResult::Success,
            result_reason: None,
            initiated_by,
            target_resources: Vec::new(),
            correlation_id,
            logged_by_service: "Core Directory".to_owned(),
        }
    }

    /// Adds a target.
    #[must_use]
    #[allow(clippy::needless_pass_by_value)] // ids are small Copy values; by value reads best at call sites
    pub fn target(mut self, kind: &str, id: impl ToString, display_name: Option<&str>) -> Self {
        self.target_resources.push(TargetResource {
            id: id.to_string(),
            display_name: display_name.map(str::to_owned),
            kind: kind.to_owned(),
            user_principal_name: None,
            modified_properties: Vec::new(),
        });
        self
    }

    /// Adds a user target with its UPN.
    #[must_use]
    #[allow(clippy::needless_pass_by_value)] // ids are small Copy values
    pub fn target_user(mut self, id: impl ToString, upn: &str, display_name: &str) -> Self {
        self.target_resources.push(TargetResource {
            id: id.to_string(),
            display_name: Some(display_name.to_owned()),
            kind: "User".to_owned(),
            user_principal_name: Some(upn.to_owned()),
            modified_properties: Vec::new(),
        });
        self
    }

    /// Records a property change on the last target.
    #[must_use]
    pub fn modified(mut self, name: &str, old: Option<String>, new: Option<String>) -> Self {
        if let Some(t) = self.target_resources.last_mut() {
            t.modified_properties.push(ModifiedProperty {
                display_name: name.to_owned(),
                old_value: old,
                new_value: new,
            });
        }
        self
    }
}
