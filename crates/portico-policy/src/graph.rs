//! Who may call which Graph operation: the one decision point for the `/v1.0` API. An app
//! acts with the application permissions (app roles of Microsoft Graph) granted to it; a user
//! acts with the delegated scopes the app holds, and never beyond what the user may do
//! (guests get Entra's restricted default view).

use portico_domain::role::DirectoryRole;

/// A Graph operation, by what it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphAction {
    /// `GET /me`.
    ReadOwnProfile,
    /// Read users other than oneself (`users`, `directory/deletedItems` of users).
    ReadUsers,
    /// Create, update, delete, restore and purge users (directory roles decide which ones).
    WriteUsers,
    /// Read groups, their members and owners, and memberships (`memberOf`).
    ReadGroups,
    /// Create, update and delete groups.
    WriteGroups,
    /// Add and remove group members and owners.
    WriteGroupMembers,
    /// `GET /organization`.
    ReadOrganization,
    /// `PATCH /organization/{id}` and its branding.
    WriteOrganization,
    /// Read domains.
    ReadDomains,
    /// Add, verify and delete domains.
    WriteDomains,
    /// Read applications, service principals, their app role assignments and delegated
    /// permission grants.
    ReadApplications,
    /// Create, update and delete applications and service principals; add and remove secrets.
    WriteApplications,
    /// Grant and remove app role assignments.
    WriteAppRoleAssignments,
    /// Create, change and delete delegated permission grants (`oauth2PermissionGrants`).
    WritePermissionGrants,
    /// Invite external users (`POST /invitations`).
    InviteGuests,
    /// Read the directory audit log (`auditLogs/directoryAudits`); a signed-in user also needs
    /// a directory role that may read audit logs (`directory::Action::ReadAuditLogs`).
    ReadAuditLogs,
    /// Read the authentication methods policy (`policies/authenticationMethodsPolicy/...`).
    ReadAuthenticationMethodsPolicy,
    /// Change the authentication methods policy; a signed-in user also needs a directory role
    /// that manages security policies (`directory::Action::ManageSecurityPolicies`).
    WriteAuthenticationMethodsPolicy,
    /// Read identity providers (`identity/identityProviders`); a signed-in user also needs a
    /// directory role that manages them (`directory::Action::ManageIdentityProviders`), as in
    /// Entra.
    ReadIdentityProviders,
    /// Add, change and delete identity providers (the same role for signed-in users).
    WriteIdentityProviders,
}

impl GraphAction {
    /// Every action, for tables and tests.
    pub const ALL: [GraphAction; 20] = [
        Self::ReadOwnProfile,
        Self::ReadUsers,
        Self::WriteUsers,
        Self::ReadGroups,
        Self::WriteGroups,
        Self::WriteGroupMembers,
        Self::ReadOrganization,
        Self::WriteOrganization,
        Self::ReadDomains,
        Self::WriteDomains,
        Self::ReadApplications,
        Self::WriteApplications,
        Self::WriteAppRoleAssignments,
        Self::WritePermissionGrants,
        Self::InviteGuests,
        Self::ReadAuditLogs,
        Self::ReadAuthenticationMethodsPolicy,
        Self::WriteAuthenticationMethodsPolicy,
        Self::ReadIdentityProviders,
        Self::WriteIdentityProviders,
    ];
}

/// The caller, as far as the decision needs it.
#[derive(Debug, Clone, Copy)]
pub enum GraphCaller<'a> {
    /// App-only token: Graph app roles granted to the client.
    App {
        /// Role values (`User.Read.All`, ...).
        roles: &'a [String],
    },
    /// Delegated token: the app's scopes for a signed-in user.
    User {
        /// Scope values (`User.Read`, ...).
        scopes: &'a [String],
        /// The user is a member (not a guest) of the tenant.
        member: bool,
    },
}

/// One row of the table: the action, the application permissions that allow it, the
/// delegated scopes that allow it, and whether guests may use those scopes for it. Delegated
/// writes also need a directory role that allows the change (`directory::role_allows`).
type Row = (
    GraphAction,
    &'static [&'static str],
    &'static [&'static str],
    bool,
);

/// The committed table (Graph's documented least-to-most privileged permissions per API).
const TABLE: &[Row] = &[
    (
        GraphAction::ReadOwnProfile,
        &[],
        &[
            "User.Read",
            "User.ReadWrite",
            "User.ReadBasic.All",
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        true,
    ),
    (
        GraphAction::ReadUsers,
        &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "User.ReadBasic.All",
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::WriteUsers,
        &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        &[
            "User.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::ReadGroups,
        &[
            "Group.Read.All",
            "Group.ReadWrite.All",
            "GroupMember.Read.All",
            "GroupMember.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "Group.Read.All",
            "Group.ReadWrite.All",
            "GroupMember.Read.All",
            "GroupMember.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::WriteGroups,
        &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
        &[
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::WriteGroupMembers,
        &[
            "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::ReadOrganization,
        &[
            "Organization.Read.All",
            "Organization.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "User.Read",
            "User.Read.All",
            "Organization.Read.All",
            "Organization.ReadWrite.All",
            "Directory.Read.All",
            "Directory.AccessAsUser.All",
        ],
        true,
    ),
    (
        GraphAction::WriteOrganization,
        &["Organization.ReadWrite.All"],
        &["Organization.ReadWrite.All", "Directory.AccessAsUser.All"],
        false,
    ),
    (
        GraphAction::ReadDomains,
        &[
            "Domain.Read.All",
            "Domain.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "Domain.Read.All",
            "Domain.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::WriteDomains,
        &["Domain.ReadWrite.All"],
        &["Domain.ReadWrite.All", "Directory.AccessAsUser.All"],
        false,
    ),
    (
        GraphAction::ReadApplications,
        &[
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::WriteApplications,
        &["Application.ReadWrite.All"],
        &["Application.ReadWrite.All", "Directory.AccessAsUser.All"],
        false,
    ),
    (
        GraphAction::WriteAppRoleAssignments,
        &["AppRoleAssignment.ReadWrite.All"],
        &[
            "AppRoleAssignment.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::InviteGuests,
        &[
            "User.Invite.All",
            "User.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "User.Invite.All",
            "User.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::WritePermissionGrants,
        &[
            "DelegatedPermissionGrant.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "DelegatedPermissionGrant.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    // Graph documents AuditLog.Read.All (with Directory.Read.All beside it); directory
    // permissions alone never open the audit log.
    (
        GraphAction::ReadAuditLogs,
        &["AuditLog.Read.All"],
        &["AuditLog.Read.All"],
        false,
    ),
    // Graph's least privileged read permission is Policy.Read.AuthenticationMethod, which
    // Portico does not define yet; Policy.Read.All and the write permission also read it.
    (
        GraphAction::ReadAuthenticationMethodsPolicy,
        &["Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"],
        &["Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"],
        false,
    ),
    (
        GraphAction::WriteAuthenticationMethodsPolicy,
        &["Policy.ReadWrite.AuthenticationMethod"],
        &["Policy.ReadWrite.AuthenticationMethod"],
        false,
    ),
    (
        GraphAction::ReadIdentityProviders,
        &[
            "IdentityProvider.Read.All",
            "IdentityProvider.ReadWrite.All",
        ],
        &[
            "IdentityProvider.Read.All",
            "IdentityProvider.ReadWrite.All",
        ],
        false,
    ),
    (
        GraphAction::WriteIdentityProviders,
        &["IdentityProvider.ReadWrite.All"],
        &["IdentityProvider.ReadWrite.All"],
        false,
    ),
];

/// The directory roles an app acts with for the changes its Graph application permissions
/// allow: an app with `User.ReadWrite.All` manages users as a User Administrator would (never
/// privileged administrators), one with `Group.ReadWrite.All` groups as a Groups
/// Administrator.
#[must_use]
pub fn app_equivalent_roles(app_roles: &[String]) -> Vec<DirectoryRole> {
    let has = |v: &str| app_roles.iter().any(|r| r == v);
    let mut out = Vec::new();
    if has("User.ReadWrite.All") || has("Directory.ReadWrite.All") {
        out.push(DirectoryRole::UserAdministrator);
    }
    if has("User.Invite.All") && !out.contains(&DirectoryRole::UserAdministrator) {
        out.push(DirectoryRole::GuestInviter);
    }
    if has("Group.ReadWrite.All")
        || has("GroupMember.ReadWrite.All")
        || has("Directory.ReadWrite.All")
    {
        out.push(DirectoryRole::GroupsAdministrator);
    }
    if has("Application.ReadWrite.All")
        || has("AppRoleAssignment.ReadWrite.All")
        || has("DelegatedPermissionGrant.ReadWrite.All")
        || has("Directory.ReadWrite.All")
    {
        out.push(DirectoryRole::ApplicationAdministrator);
    }
    // Granting app roles of Microsoft Graph is role management (as in Entra, where
    // AppRoleAssignment.ReadWrite.All and RoleManagement.ReadWrite.Directory let an app grant
    // any permission, and only Privileged Role and Global Administrators may).
    if has("AppRoleAssignment.ReadWrite.All") || has("RoleManagement.ReadWrite.Directory") {
        out.push(DirectoryRole::PrivilegedRoleAdministrator);
    }
    if has("Domain.ReadWrite.All") {
        out.push(DirectoryRole::DomainNameAdministrator);
    }
    if has("Organization.ReadWrite.All") {
        out.push(DirectoryRole::OrganizationalBrandingAdministrator);
    }
    // Entra's role for this is Authentication Policy Administrator; of Portico's roles, the
    // Security Administrator is the one that manages security policies.
    if has("Policy.ReadWrite.AuthenticationMethod") {
        out.push(DirectoryRole::SecurityAdministrator);
    }
    if has("IdentityProvider.ReadWrite.All") {
        out.push(DirectoryRole::ExternalIdentityProviderAdministrator);
    }
    out
}

/// The committed row of `action`: application permissions, delegated permissions, and whether
/// guests may use the delegated ones.
#[must_use]
pub fn permissions(
    action: GraphAction,
) -> (&'static [&'static str], &'static [&'static str], bool) {
    TABLE
        .iter()
        .find(|(a, ..)| *a == action)
        .map_or((&[][..], &[][..], false), |(_, app, delegated, guests)| {
            (*app, *delegated, *guests)
        })
}

/// The directory action a signed-in user must also be allowed (by a directory role) for a
/// delegated change, or a delegated read of the audit log or of identity providers; `None` for
/// other reads.
#[must_use]
pub fn directory_action(action: GraphAction) -> Option<crate::directory::Action> {
    use crate::directory::Action as A;
    match action {
        GraphAction::WriteUsers => Some(A::ManageUsers),
        GraphAction::WriteGroups | GraphAction::WriteGroupMembers => Some(A::ManageGroups),
        GraphAction::WriteApplications
        | GraphAction::WriteAppRoleAssignments
        | GraphAction::WritePermissionGrants => Some(A::ManageApplications),
        GraphAction::WriteDomains => Some(A::ManageDomains),
        GraphAction::WriteOrganization => Some(A::ManageBranding),
        GraphAction::InviteGuests => Some(A::InviteGuests),
        GraphAction::ReadAuditLogs => Some(A::ReadAuditLogs),
        GraphAction::WriteAuthenticationMethodsPolicy => Some(A::ManageSecurityPolicies),
        GraphAction::ReadIdentityProviders | GraphAction::WriteIdentityProviders => {
            Some(A::ManageIdentityProviders)
        }
        GraphAction::ReadOwnProfile
        | GraphAction::ReadUsers
        | GraphAction::ReadGroups
        | GraphAction::ReadOrganization
        | GraphAction::ReadDomains
        | GraphAction::ReadApplications
        | GraphAction::ReadAuthenticationMethodsPolicy => None,
    }
}

/// Whether `caller` may perform `action`.
#[must_use]
pub fn graph_allows(caller: GraphCaller<'_>, action: GraphAction) -> bool {
    let Some((_, roles, scopes, guests)) = TABLE.iter().find(|(a, ..)| *a == action) else {
        return false;
    };
    match caller {
        GraphCaller::App { roles: held } => held.iter().any(|r| roles.contains(&r.as_str())),
        GraphCaller::User {
            scopes: held,
            member,
        } => (member || *guests) && held.iter().any(|s| scopes.contains(&s.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_write_permissions_and_guests_never_write() {
        let read = v(&["User.Read.All", "Group.Read.All"]);
        let write = v(&["User.ReadWrite.All", "GroupMember.ReadWrite.All"]);
        for a in [GraphAction::WriteUsers, GraphAction::WriteGroupMembers] {
            assert!(!graph_allows(GraphCaller::App { roles: &read }, a), "{a:?}");
            assert!(graph_allows(GraphCaller::App { roles: &write }, a), "{a:?}");
            assert!(
                !graph_allows(
                    GraphCaller::User {
                        scopes: &write,
                        member: false
                    },
                    a
                ),
                "{a:?}"
            );
            assert!(
                graph_allows(
                    GraphCaller::User {
                        scopes: &write,
                        member: true
                    },
                    a
                ),
                "{a:?}"
            );
        }
        assert!(!graph_allows(
            GraphCaller::App { roles: &write },
            GraphAction::WriteGroups
        ));
        assert!(graph_allows(
            GraphCaller::App { roles: &write },
            GraphAction::ReadGroups
        ));
        // every row's permissions are real Graph permission names
        for (_, app, delegated, _) in TABLE {
            for p in app.iter().chain(delegated.iter()) {
                assert!(p.split('.').count() >= 2, "{p}");
            }
        }
    }

    #[test]
    fn apps_act_with_equivalent_roles() {
        assert!(app_equivalent_roles(&v(&["User.Read.All"])).is_empty());
        assert_eq!(
            app_equivalent_roles(&v(&["User.ReadWrite.All"])),
            vec![DirectoryRole::UserAdministrator]
        );
        assert_eq!(
            app_equivalent_roles(&v(&["Directory.ReadWrite.All"])),
            vec![
                DirectoryRole::UserAdministrator,
                DirectoryRole::GroupsAdministrator,
                DirectoryRole::ApplicationAdministrator
            ]
        );
        assert_eq!(
            app_equivalent_roles(&v(&["Domain.ReadWrite.All", "Organization.ReadWrite.All"])),
            vec![
                DirectoryRole::DomainNameAdministrator,
                DirectoryRole::OrganizationalBrandingAdministrator
            ]
        );
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_action_has_a_row() {
        for a in GraphAction::ALL {
            assert!(TABLE.iter().any(|(x, ..)| *x == a), "{a:?}");
        }
    }

    #[test]
    fn apps_need_application_permissions() {
        let none = v(&[]);
        let read = v(&["User.Read.All"]);
        assert!(!graph_allows(
            GraphCaller::App { roles: &none },
            GraphAction::ReadUsers
        ));
        assert!(graph_allows(
            GraphCaller::App { roles: &read },
            GraphAction::ReadUsers
        ));
        assert!(
            !graph_allows(
                GraphCaller::App { roles: &read },
                GraphAction::ReadOwnProfile
            ),
            "no 'me' for apps"
        );
        assert!(!graph_allows(
            GraphCaller::App { roles: &read },
            GraphAction::ReadOrganization
        ));
        assert!(graph_allows(
            GraphCaller::App {
                roles: &v(&["Directory.Read.All"])
            },
            GraphAction::ReadOrganization
        ));
    }

    #[test]
    fn audit_logs_need_audit_log_permissions() {
        let audit = v(&["AuditLog.Read.All"]);
        let directory = v(&["Directory.Read.All", "Directory.ReadWrite.All"]);
        let a = GraphAction::ReadAuditLogs;
        assert!(graph_allows(GraphCaller::App { roles: &audit }, a));
        assert!(!graph_allows(GraphCaller::App { roles: &directory }, a));
        assert!(graph_allows(
            GraphCaller::User {
                scopes: &audit,
                member: true
            },
            a
        ));
        assert!(!graph_allows(
            GraphCaller::User {
                scopes: &audit,
                member: false
            },
            a
        ));
        assert!(!graph_allows(
            GraphCaller::User {
                scopes: &v(&["Directory.AccessAsUser.All"]),
                member: true
            },
            a
        ));
        assert_eq!(
            directory_action(a),
            Some(crate::directory::Action::ReadAuditLogs)
        );
        assert!(
            app_equivalent_roles(&audit).is_empty(),
            "reading the log is no directory role"
        );
    }

    #[test]
    fn identity_providers_need_identity_provider_permissions() {
        let read = GraphAction::ReadIdentityProviders;
        let write = GraphAction::WriteIdentityProviders;
        let reader = v(&["IdentityProvider.Read.All"]);
        let writer = v(&["IdentityProvider.ReadWrite.All"]);
        let directory = v(&[
            "Directory.ReadWrite.All",
            "Policy.ReadWrite.AuthenticationMethod",
        ]);
        assert!(graph_allows(GraphCaller::App { roles: &reader }, read));
        assert!(!graph_allows(GraphCaller::App { roles: &reader }, write));
        assert!(graph_allows(GraphCaller::App { roles: &writer }, read));
        assert!(graph_allows(GraphCaller::App { roles: &writer }, write));
        assert!(!graph_allows(GraphCaller::App { roles: &directory }, read));
        assert_eq!(
            app_equivalent_roles(&writer),
            vec![DirectoryRole::ExternalIdentityProviderAdministrator]
        );
        assert!(app_equivalent_roles(&reader).is_empty());
        // signed-in users also need a role that manages identity providers, to read them too
        for action in [read, write] {
            assert_eq!(
                directory_action(action),
                Some(crate::directory::Action::ManageIdentityProviders)
            );
        }
    }

    #[test]
    fn the_authentication_methods_policy_needs_policy_permissions() {
        let read = GraphAction::ReadAuthenticationMethodsPolicy;
        let write = GraphAction::WriteAuthenticationMethodsPolicy;
        let policy_read = v(&["Policy.Read.All"]);
        let policy_write = v(&["Policy.ReadWrite.AuthenticationMethod"]);
        let directory = v(&["Directory.ReadWrite.All", "Directory.AccessAsUser.All"]);
        assert!(graph_allows(
            GraphCaller::App {
                roles: &policy_read
            },
            read
        ));
        assert!(!graph_allows(
            GraphCaller::App {
                roles: &policy_read
            },
            write
        ));
        assert!(graph_allows(
            GraphCaller::App {
                roles: &policy_write
            },
            read
        ));
        assert!(graph_allows(
            GraphCaller::App {
                roles: &policy_write
            },
            write
        ));
        assert!(!graph_allows(GraphCaller::App { roles: &directory }, read));
        assert!(!graph_allows(
            GraphCaller::User {
                scopes: &directory,
                member: true
            },
            write
        ));
        assert!(graph_allows(
            GraphCaller::User {
                scopes: &policy_write,
                member: true
            },
            write
        ));
        assert!(!graph_allows(
            GraphCaller::User {
                scopes: &policy_write,
                member: false
            },
            read
        ));
        assert_eq!(
            directory_action(write),
            Some(crate::directory::Action::ManageSecurityPolicies)
        );
        assert_eq!(directory_action(read), None);
        assert_eq!(
            app_equivalent_roles(&policy_write),
            vec![DirectoryRole::SecurityAdministrator]
        );
        assert!(app_equivalent_roles(&policy_read).is_empty());
    }

    #[test]
    fn users_need_scopes_and_guests_see_less() {
        let basic = v(&["User.Read", "openid"]);
        let all = v(&["User.Read.All"]);
        let member = |scopes| GraphCaller::User {
            scopes,
            member: true,
        };
        let guest = |scopes| GraphCaller::User {
            scopes,
            member: false,
        };
        assert!(graph_allows(member(&basic), GraphAction::ReadOwnProfile));
        assert!(graph_allows(guest(&basic), GraphAction::ReadOwnProfile));
        assert!(!graph_allows(member(&basic), GraphAction::ReadUsers));
        assert!(graph_allows(member(&all), GraphAction::ReadUsers));
        assert!(
            !graph_allows(guest(&all), GraphAction::ReadUsers),
            "guests do not enumerate the directory"
        );
        assert!(graph_allows(guest(&basic), GraphAction::ReadOrganization));
        assert!(!graph_allows(
            member(&v(&["openid"])),
            GraphAction::ReadOwnProfile
        ));
    }
}
