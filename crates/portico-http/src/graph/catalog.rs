//! Every Graph operation Portico serves, in one table: the router is built from it and the
//! OpenAPI document and the permission table (`docs/`) are generated from it, so what is
//! served and what is documented cannot drift apart.

use super::{
    app_grants as g, applications as a, audit_logs, domains as d, groups,
    identity_providers as idp, invitations, keyed, policies, saml_federations as saml, users,
};
use crate::AppState;
use axum::routing::{MethodFilter, MethodRouter};
use portico_app::graph_api::GraphAction;

/// An HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Verb {
    /// Lower-case name (OpenAPI's key).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Patch => MethodFilter::PATCH,
            Self::Delete => MethodFilter::DELETE,
        }
    }
}

/// One operation.
pub struct Op {
    /// Method.
    pub verb: Verb,
    /// Path under the service root, axum syntax (`/v1.0/users/{id}`).
    pub path: &'static str,
    /// The Graph actions that allow it (any one of them; see `docs/GRAPH-PERMISSIONS.md`).
    pub actions: &'static [GraphAction],
    /// Status of success.
    pub status: u16,
    /// What it does.
    pub summary: &'static str,
    add: fn(MethodRouter<AppState>, MethodFilter) -> MethodRouter<AppState>,
}

macro_rules! op {
    ($verb:ident $path:literal, $handler:path, [$($action:ident),*], $status:literal, $summary:literal) => {
        Op {
            verb: Verb::$verb,
            path: $path,
            actions: &[$(GraphAction::$action),*],
            status: $status,
            summary: $summary,
            add: |r, f| r.on(f, $handler),
        }
    };
}

/// The operations, grouped by resource.
pub static OPERATIONS: &[Op] = &[
    op!(Get "/v1.0/me", users::me, [ReadOwnProfile], 200, "The signed-in user (delegated tokens only)."),
    op!(Get "/v1.0/users", users::list, [ReadUsers], 200, "List users ($filter, $search, $orderby, $select, $top, $count, paging)."),
    op!(Post "/v1.0/users", users::create, [WriteUsers], 201, "Create a member user with a password."),
    op!(Get "/v1.0/users/$count", users::count, [ReadUsers], 200, "Count users (ConsistencyLevel: eventual)."),
    op!(Get "/v1.0/users/{id}", users::get, [ReadUsers, ReadOwnProfile], 200, "Get a user by id or userPrincipalName."),
    op!(Patch "/v1.0/users/{id}", users::update, [WriteUsers], 204, "Update a user."),
    op!(Delete "/v1.0/users/{id}", users::delete, [WriteUsers], 204, "Delete a user (restorable for 30 days)."),
    op!(Get "/v1.0/users/{id}/{link}", users::member_of, [ReadGroups, ReadUsers], 200, "memberOf, transitiveMemberOf (ReadGroups), sponsors, ownedObjects (ReadUsers)."),
    op!(Post "/v1.0/users/{id}/sponsors/$ref", users::add_sponsor, [WriteUsers], 204, "Add a sponsor (a user or group; at most 5)."),
    op!(Delete "/v1.0/users/{id}/sponsors/{sponsor}/$ref", users::remove_sponsor, [WriteUsers], 204, "Remove a sponsor."),
    op!(Get "/v1.0/users/{id}/appRoleAssignments", g::user_held, [ReadApplications], 200, "App roles the user holds."),
    op!(Post "/v1.0/users/{id}/appRoleAssignments", g::user_held_add, [WriteAppRoleAssignments], 201, "Assign the user an app role."),
    op!(Delete "/v1.0/users/{id}/appRoleAssignments/{assignment}", g::user_held_remove, [WriteAppRoleAssignments], 204, "Remove an app role assignment of the user."),
    op!(Get "/v1.0/directory/deletedItems/microsoft.graph.user", users::deleted_list, [ReadUsers], 200, "List deleted users."),
    op!(Get "/v1.0/directory/deletedItems/graph.user", users::deleted_list, [ReadUsers], 200, "List deleted users (the spelling of the Python SDK)."),
    op!(Get "/v1.0/directory/deletedItems/{id}", users::deleted_get, [ReadUsers], 200, "Get a deleted user."),
    op!(Delete "/v1.0/directory/deletedItems/{id}", users::deleted_purge, [WriteUsers], 204, "Permanently delete a deleted user."),
    op!(Post "/v1.0/directory/deletedItems/{id}/restore", users::deleted_restore, [WriteUsers], 200, "Restore a deleted user."),
    op!(Get "/v1.0/groups", groups::list, [ReadGroups], 200, "List groups ($filter, $search, $orderby, $select, $top, $count, paging)."),
    op!(Post "/v1.0/groups", groups::create, [WriteGroups], 201, "Create a security group."),
    op!(Get "/v1.0/groups/$count", groups::count, [ReadGroups], 200, "Count groups (ConsistencyLevel: eventual)."),
    op!(Get "/v1.0/groups/{id}", groups::get, [ReadGroups], 200, "Get a group."),
    op!(Patch "/v1.0/groups/{id}", groups::update, [WriteGroups], 204, "Update a group."),
    op!(Delete "/v1.0/groups/{id}", groups::delete, [WriteGroups], 204, "Delete a group."),
    op!(Get "/v1.0/groups/{id}/{link}", groups::links, [ReadGroups], 200, "members, owners, transitiveMembers."),
    op!(Post "/v1.0/groups/{id}/{link}/$ref", groups::add_ref, [WriteGroupMembers], 204, "Add a member or owner by @odata.id."),
    op!(Delete "/v1.0/groups/{id}/{link}/{object}/$ref", groups::remove_ref, [WriteGroupMembers], 204, "Remove a member or owner."),
    op!(Get "/v1.0/groups/{id}/appRoleAssignments", g::group_held, [ReadApplications], 200, "App roles the group holds."),
    op!(Post "/v1.0/groups/{id}/appRoleAssignments", g::group_held_add, [WriteAppRoleAssignments], 201, "Assign the group an app role."),
    op!(Delete "/v1.0/groups/{id}/appRoleAssignments/{assignment}", g::group_held_remove, [WriteAppRoleAssignments], 204, "Remove an app role assignment of the group."),
    op!(Get "/v1.0/directoryObjects/{id}", groups::directory_object, [ReadUsers, ReadGroups], 200, "Get any directory object."),
    op!(Post "/v1.0/directoryObjects/getByIds", groups::get_by_ids, [ReadUsers, ReadGroups], 200, "Get directory objects by ids."),
    op!(Get "/v1.0/applications", a::list, [ReadApplications], 200, "List applications ($filter, $search, $orderby, $select, $top, $count, paging)."),
    op!(Post "/v1.0/applications", a::create, [WriteApplications], 201, "Register an application (no service principal)."),
    op!(Get "/v1.0/applications/$count", a::count, [ReadApplications], 200, "Count applications (ConsistencyLevel: eventual)."),
    op!(Get "/v1.0/applications/{id}", a::get, [ReadApplications], 200, "Get an application by object id."),
    op!(Patch "/v1.0/applications/{id}", a::update, [WriteApplications], 204, "Update an application."),
    op!(Delete "/v1.0/applications/{id}", a::delete, [WriteApplications], 204, "Delete an application with its service principal."),
    op!(Post "/v1.0/applications/{id}/addPassword", a::add_password, [WriteApplications], 200, "Add a client secret (its text is returned once)."),
    op!(Post "/v1.0/applications/{id}/removePassword", a::remove_password, [WriteApplications], 204, "Remove a client secret."),
    op!(Get "/v1.0/servicePrincipals", a::sp_list, [ReadApplications], 200, "List service principals ($filter, $search, $orderby, $select, $top, $count, paging)."),
    op!(Post "/v1.0/servicePrincipals", a::sp_create, [WriteApplications], 201, "Create the service principal of an application (appId)."),
    op!(Get "/v1.0/servicePrincipals/$count", a::sp_count, [ReadApplications], 200, "Count service principals (ConsistencyLevel: eventual)."),
    op!(Get "/v1.0/servicePrincipals/{id}", a::sp_get, [ReadApplications], 200, "Get a service principal by object id."),
    op!(Patch "/v1.0/servicePrincipals/{id}", a::sp_update, [WriteApplications], 204, "Update a service principal."),
    op!(Delete "/v1.0/servicePrincipals/{id}", a::sp_delete, [WriteApplications], 204, "Delete a service principal."),
    op!(Get "/v1.0/servicePrincipals/{id}/appRoleAssignments", g::sp_held, [ReadApplications], 200, "App roles the service principal holds."),
    op!(Post "/v1.0/servicePrincipals/{id}/appRoleAssignments", g::sp_held_add, [WriteAppRoleAssignments], 201, "Assign the service principal an app role."),
    op!(Delete "/v1.0/servicePrincipals/{id}/appRoleAssignments/{assignment}", g::sp_held_remove, [WriteAppRoleAssignments], 204, "Remove an app role the service principal holds."),
    op!(Get "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", g::sp_assigned_to, [ReadApplications], 200, "Who holds the resource's app roles."),
    op!(Post "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", g::sp_assigned_to_add, [WriteAppRoleAssignments], 201, "Assign one of the resource's app roles."),
    op!(Delete "/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment}", g::sp_assigned_to_remove, [WriteAppRoleAssignments], 204, "Remove an assignment of the resource's app role."),
    op!(Get "/v1.0/servicePrincipals/{id}/oauth2PermissionGrants", g::sp_grants, [ReadApplications], 200, "Delegated permission grants the client holds."),
    op!(Get "/v1.0/oauth2PermissionGrants", g::grants_list, [ReadApplications], 200, "List delegated permission grants ($filter, $top, paging)."),
    op!(Post "/v1.0/oauth2PermissionGrants", g::grant_create, [WritePermissionGrants], 201, "Grant delegated permissions (consent)."),
    op!(Get "/v1.0/oauth2PermissionGrants/{id}", g::grant_get, [ReadApplications], 200, "Get a delegated permission grant."),
    op!(Patch "/v1.0/oauth2PermissionGrants/{id}", g::grant_update, [WritePermissionGrants], 204, "Change the scopes of a grant."),
    op!(Delete "/v1.0/oauth2PermissionGrants/{id}", g::grant_delete, [WritePermissionGrants], 204, "Revoke a grant."),
    op!(Post "/v1.0/invitations", invitations::create, [InviteGuests], 201, "Invite an external user: the guest user exists at once; the answer carries the redeem URL."),
    op!(Get "/v1.0/auditLogs/directoryAudits", audit_logs::list, [ReadAuditLogs], 200, "List directory audit events, newest first ($filter, $orderby activityDateTime, $select, $top, paging)."),
    op!(Get "/v1.0/auditLogs/directoryAudits/{id}", audit_logs::get, [ReadAuditLogs], 200, "Get a directory audit event."),
    op!(Get "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email", policies::get, [ReadAuthenticationMethodsPolicy], 200, "The email one-time passcode method: whether guests may redeem and sign in with passcodes."),
    op!(Patch "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email", policies::update, [WriteAuthenticationMethodsPolicy], 204, "Turn email one-time passcodes for guests on or off (allowExternalIdToUseEmailOtp)."),
    op!(Get "/v1.0/identity/identityProviders", idp::list, [ReadIdentityProviders], 200, "List the tenant's social identity providers (clientSecret is returned as ******)."),
    op!(Post "/v1.0/identity/identityProviders", idp::create, [WriteIdentityProviders], 201, "Add a social identity provider (Google, Facebook or MicrosoftAccount; one of each, id <type>-OAUTH)."),
    op!(Get "/v1.0/identity/identityProviders/availableProviderTypes", idp::available_types, [ReadIdentityProviders], 200, "The identity provider types that can be added."),
    op!(Get "/v1.0/identity/identityProviders/availableProviderTypes()", idp::available_types, [ReadIdentityProviders], 200, "The same, called as an OData function (as the Graph SDKs do)."),
    op!(Get "/v1.0/identity/identityProviders/{id}", idp::get, [ReadIdentityProviders], 200, "Get a social identity provider."),
    op!(Patch "/v1.0/identity/identityProviders/{id}", idp::update, [WriteIdentityProviders], 204, "Change a social identity provider's displayName, clientId or clientSecret."),
    op!(Delete "/v1.0/identity/identityProviders/{id}", idp::delete, [WriteIdentityProviders], 204, "Delete a social identity provider."),
    op!(Get "/v1.0/directory/federationConfigurations/graph.samlOrWsFedExternalDomainFederation", saml::list, [ReadIdentityProviders], 200, "List SAML 2.0 direct federations ($filter=domains/any(x: x/id eq 'contoso.com'), $select)."),
    op!(Get "/v1.0/directory/federationConfigurations/microsoft.graph.samlOrWsFedExternalDomainFederation", saml::list, [ReadIdentityProviders], 200, "The same, with the full type cast."),
    op!(Post "/v1.0/directory/federationConfigurations/microsoft.graph.samlOrWsFedExternalDomainFederation", saml::create, [WriteIdentityProviders], 201, "Add a SAML 2.0 direct federation for one or more partner domains (WS-Federation is not supported)."),
    op!(Post "/v1.0/directory/federationConfigurations", saml::create, [WriteIdentityProviders], 201, "The same, as the Graph SDKs post it (@odata.type samlOrWsFedExternalDomainFederation)."),
    op!(Get "/v1.0/directory/federationConfigurations/graph.samlOrWsFedExternalDomainFederation/{id}", saml::get, [ReadIdentityProviders], 200, "Get a SAML federation."),
    op!(Get "/v1.0/directory/federationConfigurations/{id}", saml::get, [ReadIdentityProviders], 200, "Get a SAML federation."),
    op!(Patch "/v1.0/directory/federationConfigurations/{id}", saml::update, [WriteIdentityProviders], 204, "Change a SAML federation (a new signingCertificate replaces the current one)."),
    op!(Patch "/v1.0/directory/federationConfigurations/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation", saml::update, [WriteIdentityProviders], 204, "The same, with the type cast Graph documents."),
    op!(Delete "/v1.0/directory/federationConfigurations/{id}", saml::delete, [WriteIdentityProviders], 204, "Delete a SAML federation: its guests cannot sign in until their redemption is reset."),
    op!(Get "/v1.0/directory/federationConfigurations/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains", saml::domains, [ReadIdentityProviders], 200, "The partner domains a SAML federation serves."),
    op!(Post "/v1.0/directory/federationConfigurations/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains", saml::add_domain, [WriteIdentityProviders], 201, "Add a partner domain to a SAML federation."),
    op!(Delete "/v1.0/directory/federationConfigurations/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains/{domain}", saml::remove_domain, [WriteIdentityProviders], 204, "Remove a partner domain (not the last one: delete the federation instead)."),
    op!(Get "/v1.0/organization", super::organization, [ReadOrganization], 200, "The tenant as Graph's organization."),
    op!(Get "/v1.0/organization/{id}", d::organization_get, [ReadOrganization], 200, "The tenant by id."),
    op!(Patch "/v1.0/organization/{id}", d::organization_update, [WriteOrganization], 204, "Update the organization."),
    op!(Get "/v1.0/organization/{id}/branding", d::branding_get, [ReadOrganization], 200, "Company branding."),
    op!(Patch "/v1.0/organization/{id}/branding", d::branding_update, [WriteOrganization], 204, "Update company branding."),
    op!(Get "/v1.0/domains", d::list, [ReadDomains], 200, "List domains."),
    op!(Post "/v1.0/domains", d::create, [WriteDomains], 201, "Add an unverified domain."),
    op!(Get "/v1.0/domains/{id}", d::get, [ReadDomains], 200, "Get a domain."),
    op!(Patch "/v1.0/domains/{id}", d::update, [WriteDomains], 204, "Make a verified domain the default."),
    op!(Delete "/v1.0/domains/{id}", d::delete, [WriteDomains], 204, "Remove a domain no user signs in with."),
    op!(Post "/v1.0/domains/{id}/verify", d::verify, [WriteDomains], 200, "Verify a domain by its DNS TXT record."),
    op!(Get "/v1.0/domains/{id}/verificationDnsRecords", d::dns_records, [ReadDomains], 200, "The DNS record that proves ownership."),
    op!(Get "/v1.0/{keyed}", keyed::get, [ReadApplications], 200, "applications(appId='…') and servicePrincipals(appId='…')."),
    op!(Patch "/v1.0/{keyed}", keyed::update, [WriteApplications], 204, "Update by appId."),
    op!(Delete "/v1.0/{keyed}", keyed::delete, [WriteApplications], 204, "Delete by appId."),
];

/// The Graph router, built from [`OPERATIONS`].
pub fn routes() -> axum::Router<AppState> {
    let mut by_path: std::collections::BTreeMap<&str, MethodRouter<AppState>> =
        std::collections::BTreeMap::new();
    for op in OPERATIONS {
        let current = by_path.remove(op.path).unwrap_or_default();
        by_path.insert(op.path, (op.add)(current, op.verb.filter()));
    }
    by_path
        .into_iter()
        .fold(axum::Router::new(), |r, (path, m)| r.route(path, m))
}
