//! Which directory role may do what, following Entra's built-in role definitions (simplified
//! to the actions Portico has; `docs/ARCHITECTURE.md` points here).

use portico_domain::role::DirectoryRole;

/// Directory actions that need a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create, update, delete and restore users (non-privileged targets; see `may_manage_user`).
    ManageUsers,
    /// Reset a user's password (target rules in `may_reset_password`).
    ResetPassword,
    /// Invite guests regardless of the members-can-invite setting.
    InviteGuests,
    /// Create and manage any group, its members and owners.
    ManageGroups,
    /// Register and manage applications and service principals.
    ManageApplications,
    /// Add, verify and remove domains.
    ManageDomains,
    /// Edit the organization's name, language and company branding.
    ManageBranding,
    /// Assign and remove directory roles.
    ManageRoles,
    /// Configure identity providers for federation.
    ManageIdentityProviders,
    /// Manage security policies (conditional access, authentication methods).
    ManageSecurityPolicies,
    /// Read audit logs (Graph's `auditLogs/directoryAudits` for signed-in users). Entra also
    /// lets Reports Reader, Security Reader and Global Reader read them; Portico has none of
    /// those roles yet.
    ReadAuditLogs,
}

impl Action {
    /// Every action, for tables and tests.
    pub const ALL: [Action; 11] = [
        Self::ManageUsers,
        Self::ResetPassword,
        Self::InviteGuests,
        Self::ManageGroups,
        Self::ManageApplications,
        Self::ManageDomains,
        Self::ManageBranding,
        Self::ManageRoles,
        Self::ManageIdentityProviders,
        Self::ManageSecurityPolicies,
        Self::ReadAuditLogs,
    ];
}

/// The role × action table.
#[must_use]
pub fn role_allows(role: DirectoryRole, action: Action) -> bool {
    use Action as A;
    use DirectoryRole as R;
    match role {
        R::GlobalAdministrator => true,
        R::UserAdministrator => matches!(
            action,
            A::ManageUsers | A::ResetPassword | A::InviteGuests | A::ManageGroups
        ),
        R::GuestInviter => matches!(action, A::InviteGuests),
        R::GroupsAdministrator => matches!(action, A::ManageGroups),
        R::ApplicationAdministrator => matches!(action, A::ManageApplications),
        R::HelpdeskAdministrator => matches!(action, A::ResetPassword),
        R::SecurityAdministrator => matches!(
            action,
            A::ManageSecurityPolicies | A::ReadAuditLogs | A::ManageIdentityProviders
        ),
        R::ExternalIdentityProviderAdministrator => matches!(action, A::ManageIdentityProviders),
        R::DomainNameAdministrator => matches!(action, A::ManageDomains),
        R::OrganizationalBrandingAdministrator => matches!(action, A::ManageBranding),
        R::PrivilegedRoleAdministrator => matches!(action, A::ManageRoles),
    }
}

/// Whether any of `roles` allows `action`.
#[must_use]
pub fn any_role_allows(roles: &[DirectoryRole], action: Action) -> bool {
    roles.iter().any(|r| role_allows(*r, action))
}

/// Roles whose holders only a Global Administrator may manage or reset.
#[must_use]
pub fn is_privileged(role: DirectoryRole) -> bool {
    matches!(
        role,
        DirectoryRole::GlobalAdministrator
            | DirectoryRole::SecurityAdministrator
            | DirectoryRole::ApplicationAdministrator
            | DirectoryRole::ExternalIdentityProviderAdministrator
            | DirectoryRole::DomainNameAdministrator
            | DirectoryRole::PrivilegedRoleAdministrator
    )
}

/// Whether an actor holding `actor` roles may reset the password of a user holding
/// `target` roles. Global Administrators may reset anyone; User Administrators anyone
/// without a privileged role; Helpdesk Administrators users with no role or only the
/// Helpdesk Administrator or Guest Inviter roles.
#[must_use]
pub fn may_reset_password(actor: &[DirectoryRole], target: &[DirectoryRole]) -> bool {
    if actor.contains(&DirectoryRole::GlobalAdministrator) {
        return true;
    }
    if actor.contains(&DirectoryRole::UserAdministrator) {
        return !target.iter().any(|r| is_privileged(*r));
    }
    if actor.contains(&DirectoryRole::HelpdeskAdministrator) {
        return target.iter().all(|r| {
            matches!(
                r,
                DirectoryRole::HelpdeskAdministrator | DirectoryRole::GuestInviter
            )
        });
    }
    false
}

/// Whether an actor may create, update, delete or restore a user holding `target` roles.
#[must_use]
pub fn may_manage_user(actor: &[DirectoryRole], target: &[DirectoryRole]) -> bool {
    if actor.contains(&DirectoryRole::GlobalAdministrator) {
        return true;
    }
    any_role_allows(actor, Action::ManageUsers) && !target.iter().any(|r| is_privileged(*r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use DirectoryRole as R;

    /// The committed table: (role, actions it allows). Changing the policy means changing this.
    const TABLE: &[(DirectoryRole, &[Action])] = &[
        (R::GlobalAdministrator, &Action::ALL),
        (
            R::UserAdministrator,
            &[
                Action::ManageUsers,
                Action::ResetPassword,
                Action::InviteGuests,
                Action::ManageGroups,
            ],
        ),
        (R::GuestInviter, &[Action::InviteGuests]),
        (R::GroupsAdministrator, &[Action::ManageGroups]),
        (R::ApplicationAdministrator, &[Action::ManageApplications]),
        (R::HelpdeskAdministrator, &[Action::ResetPassword]),
        (
            R::SecurityAdministrator,
            &[
                Action::ManageSecurityPolicies,
                Action::ReadAuditLogs,
                Action::ManageIdentityProviders,
            ],
        ),
        (
            R::ExternalIdentityProviderAdministrator,
            &[Action::ManageIdentityProviders],
        ),
        (R::DomainNameAdministrator, &[Action::ManageDomains]),
        (
            R::OrganizationalBrandingAdministrator,
            &[Action::ManageBranding],
        ),
        (R::PrivilegedRoleAdministrator, &[Action::ManageRoles]),
    ];

    #[test]
    fn every_cell_of_the_role_action_table() {
        assert_eq!(TABLE.len(), DirectoryRole::ALL.len());
        for (role, allowed) in TABLE {
            for action in Action::ALL {
                assert_eq!(
                    role_allows(*role, action),
                    allowed.contains(&action),
                    "{role:?} x {action:?}"
                );
            }
        }
    }

    #[test]
    fn no_roles_allow_nothing() {
        for action in Action::ALL {
            assert!(!any_role_allows(&[], action));
        }
    }

    #[test]
    fn password_reset_targets() {
        let cases: &[(&[R], &[R], bool)] = &[
            (&[R::GlobalAdministrator], &[R::GlobalAdministrator], true),
            (&[R::UserAdministrator], &[], true),
            (&[R::UserAdministrator], &[R::HelpdeskAdministrator], true),
            (&[R::UserAdministrator], &[R::GlobalAdministrator], false),
            (&[R::UserAdministrator], &[R::SecurityAdministrator], false),
            (&[R::HelpdeskAdministrator], &[], true),
            (&[R::HelpdeskAdministrator], &[R::GuestInviter], true),
            (&[R::HelpdeskAdministrator], &[R::UserAdministrator], false),
            (&[R::GuestInviter], &[], false),
            (&[], &[], false),
        ];
        for (actor, target, expected) in cases {
            assert_eq!(
                may_reset_password(actor, target),
                *expected,
                "{actor:?} -> {target:?}"
            );
        }
    }

    #[test]
    fn managing_privileged_users_needs_a_global_administrator() {
        assert!(may_manage_user(&[R::UserAdministrator], &[R::GuestInviter]));
        assert!(!may_manage_user(
            &[R::UserAdministrator],
            &[R::GlobalAdministrator]
        ));
        assert!(may_manage_user(
            &[R::GlobalAdministrator],
            &[R::GlobalAdministrator]
        ));
        assert!(!may_manage_user(&[R::HelpdeskAdministrator], &[]));
    }
}
