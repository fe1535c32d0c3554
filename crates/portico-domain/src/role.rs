//! Built-in directory roles, with Entra's role template ids, and their assignments.

use crate::{RoleAssignmentId, directory_object::ObjectRef};
use time::OffsetDateTime;
use uuid::{Uuid, uuid};

/// The built-in directory roles Portico knows. Each carries Entra's role template id, so that
/// scripts that assign roles by template id work unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DirectoryRole {
    /// Can manage all aspects of the directory.
    GlobalAdministrator,
    /// Can manage users and groups, reset passwords of non-administrators.
    UserAdministrator,
    /// Can invite guest users independent of the "members can invite" setting.
    GuestInviter,
    /// Can manage groups and group settings.
    GroupsAdministrator,
    /// Can manage all aspects of app registrations and enterprise apps.
    ApplicationAdministrator,
    /// Can reset passwords for non-administrators and Helpdesk Administrators.
    HelpdeskAdministrator,
    /// Can read security information and manage security policies.
    SecurityAdministrator,
    /// Can configure identity providers for direct federation.
    ExternalIdentityProviderAdministrator,
    /// Can manage domain names (add, verify, remove).
    DomainNameAdministrator,
    /// Can manage the organization's branding.
    OrganizationalBrandingAdministrator,
    /// Can manage role assignments, including granting Microsoft Graph application permissions.
    PrivilegedRoleAdministrator,
}

impl DirectoryRole {
    /// Every role, in a stable order.
    pub const ALL: [DirectoryRole; 11] = [
        Self::GlobalAdministrator,
        Self::UserAdministrator,
        Self::GuestInviter,
        Self::GroupsAdministrator,
        Self::ApplicationAdministrator,
        Self::HelpdeskAdministrator,
        Self::SecurityAdministrator,
        Self::ExternalIdentityProviderAdministrator,
        Self::DomainNameAdministrator,
        Self::OrganizationalBrandingAdministrator,
        Self::PrivilegedRoleAdministrator,
    ];

    /// Entra's role template id (also `roleDefinitionId` of its assignments).
    #[must_use]
    pub fn template_id(self) -> Uuid {
        match self {
            Self::GlobalAdministrator => uuid!("62e90394-69f5-4237-9190-012177145e10"),
            Self::UserAdministrator => uuid!("fe930be7-5e62-47db-91af-98c3a49a38b1"),
            Self::GuestInviter => uuid!("95e79109-95c0-4d8e-aee3-d01accf2d47b"),
            Self::GroupsAdministrator => uuid!("fdd7a751-b60b-444a-984c-02652fe8fa1c"),
            Self::ApplicationAdministrator => uuid!("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"),
            Self::HelpdeskAdministrator => uuid!("729827e3-9c14-49f7-bb1b-9608f156bbb8"),
            Self::SecurityAdministrator => uuid!("194ae4cb-b126-40b2-bd5b-6091b380977d"),
            Self::ExternalIdentityProviderAdministrator => {
                uuid!("be2f45a1-457d-42af-a067-6ec1fa63bc45")
            }
            Self::DomainNameAdministrator => uuid!("8329153b-31d0-4727-b945-745eb3bc5f31"),
            Self::OrganizationalBrandingAdministrator => {
                uuid!("92ed04bf-c94a-4b82-9729-b799a7a4c178")
            }
            Self::PrivilegedRoleAdministrator => uuid!("e8611ab8-c189-46e8-94e1-60213ab1f814"),
        }
    }

    /// The role's display name as Entra shows it.
    #[must_use]
    pub fn display_name(self) -> &'static str {
        match self {
            Self::GlobalAdministrator => "Global Administrator",
            Self::UserAdministrator => "User Administrator",
            Self::GuestInviter => "Guest Inviter",
            Self::GroupsAdministrator => "Groups Administrator",
            Self::ApplicationAdministrator => "Application Administrator",
            Self::HelpdeskAdministrator => "Helpdesk Administrator",
            Self::SecurityAdministrator => "Security Administrator",
            Self::ExternalIdentityProviderAdministrator => {
                "External Identity Provider Administrator"
            }
            Self::DomainNameAdministrator => "Domain Name Administrator",
            Self::OrganizationalBrandingAdministrator => "Organizational Branding Administrator",
            Self::PrivilegedRoleAdministrator => "Privileged Role Administrator",
        }
    }

    /// Finds a role by template id.
    #[must_use]
    pub fn from_template_id(id: Uuid) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.template_id() == id)
    }

    /// Finds a role by template id or display name (case-insensitive), for the CLI.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        if let Ok(id) = Uuid::try_parse(s) {
            return Self::from_template_id(id);
        }
        let wanted: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        Self::ALL.into_iter().find(|r| {
            let name: String = r
                .display_name()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            name.eq_ignore_ascii_case(&wanted)
        })
    }
}

/// One principal holding one role over one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    /// The assignment id.
    pub id: RoleAssignmentId,
    /// The role.
    pub role: DirectoryRole,
    /// Who holds it (a user, group or service principal).
    pub principal: ObjectRef,
    /// Graph's `directoryScopeId`: `/` for the whole tenant.
    pub directory_scope_id: String,
    /// When it was assigned.
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_ids_are_distinct_and_round_trip() {
        let mut ids: Vec<Uuid> = DirectoryRole::ALL.iter().map(|r| r.template_id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), DirectoryRole::ALL.len());
        for r in DirectoryRole::ALL {
            assert_eq!(DirectoryRole::from_template_id(r.template_id()), Some(r));
            assert_eq!(DirectoryRole::parse(r.display_name()), Some(r));
        }
        assert_eq!(
            DirectoryRole::parse("global-administrator"),
            Some(DirectoryRole::GlobalAdministrator)
        );
        assert_eq!(DirectoryRole::parse("Root"), None);
    }
}
