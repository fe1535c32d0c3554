//! First-party resources every tenant has, as Entra has them: Microsoft Graph (which Portico's
//! `/v1.0` API stands in for), with Graph's own appId, permission ids and names, so that apps
//! and SDKs written for Entra ask for the same permissions here.

use crate::application::{AppRole, Application, PermissionScope, RedirectUris};
use crate::{AppId, ApplicationId, TenantId};
use time::OffsetDateTime;
use uuid::{Uuid, uuid};

/// Microsoft Graph's appId.
pub const GRAPH_APP_ID: AppId = AppId(uuid!("00000003-0000-0000-c000-000000000000"));
/// The tenant that owns Microsoft's first-party applications.
pub const MICROSOFT_TENANT_ID: TenantId = TenantId(uuid!("f8cdef31-a31e-4b4a-93e4-5f571e91255a"));
/// Graph's resource URI.
pub const GRAPH_URI: &str = "https://graph.microsoft.com";
/// Graph's display name.
pub const GRAPH_NAME: &str = "Microsoft Graph";

/// OpenID Connect scopes: requested of any resource, answered by the ID token and userinfo.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Graph application permissions (app roles): (id, value, description).
const GRAPH_ROLES: &[(Uuid, &str, &str)] = &[
    (
        uuid!("df021288-bdef-4463-88db-98f22de89214"),
        "User.Read.All",
        "Read all users' full profiles",
    ),
    (
        uuid!("741f803b-c850-494e-b5df-cde7c675a1ca"),
        "User.ReadWrite.All",
        "Read and write all users' full profiles",
    ),
    (
        uuid!("09850681-111b-4a89-9bed-3f2cae46d706"),
        "User.Invite.All",
        "Invite guest users to the organization",
    ),
    (
        uuid!("5b567255-7703-4780-807c-7be8301ae99b"),
        "Group.Read.All",
        "Read all groups",
    ),
    (
        uuid!("62a82d76-70ea-41e2-9197-370581804d09"),
        "Group.ReadWrite.All",
        "Read and write all groups",
    ),
    (
        uuid!("dbaae8cf-10b5-4b86-a4a1-f871c94c6695"),
        "GroupMember.ReadWrite.All",
        "Read and write all group memberships",
    ),
    (
        uuid!("7ab1d382-f21e-4acd-a863-ba3e13f7da61"),
        "Directory.Read.All",
        "Read directory data",
    ),
    (
        uuid!("19dbc75e-c2e2-444c-a770-ec69d8559fc7"),
        "Directory.ReadWrite.All",
        "Read and write directory data",
    ),
    (
        uuid!("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"),
        "Application.Read.All",
        "Read all applications",
    ),
    (
        uuid!("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"),
        "Application.ReadWrite.All",
        "Read and write all applications",
    ),
    (
        uuid!("b0afded3-3588-46d8-8b3d-9842eff778da"),
        "AuditLog.Read.All",
        "Read all audit log data",
    ),
    (
        uuid!("246dd0d5-5bd0-4def-940b-0421030a5b68"),
        "Policy.Read.All",
        "Read your organization's policies",
    ),
    (
        uuid!("9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"),
        "RoleManagement.ReadWrite.Directory",
        "Read and write all directory RBAC settings",
    ),
    (
        uuid!("97235f07-e226-4f63-ace3-39588e11d3a1"),
        "User.ReadBasic.All",
        "Read all users' basic profiles",
    ),
    (
        uuid!("98830695-27a2-44f7-8c18-0c3ebc9698f6"),
        "GroupMember.Read.All",
        "Read all group memberships",
    ),
    (
        uuid!("7e05723c-0bb0-42da-be95-ae9f08a6e53c"),
        "Domain.ReadWrite.All",
        "Read and write domains",
    ),
    (
        uuid!("292d869f-3427-49a8-9dab-8c70152b74e9"),
        "Organization.ReadWrite.All",
        "Read and write organization information",
    ),
    (
        uuid!("dbb9058a-0e50-45d7-ae91-66909b5d4664"),
        "Domain.Read.All",
        "Read domains",
    ),
    (
        uuid!("498476ce-e0fe-48b0-b801-37ba7e2685c6"),
        "Organization.Read.All",
        "Read organization information",
    ),
    (
        uuid!("06b708a9-e830-4db3-a914-8e69da51d44f"),
        "AppRoleAssignment.ReadWrite.All",
        "Manage app permission grants and app role assignments",
    ),
    (
        uuid!("8e8e4742-1d95-4f68-9d56-6ee75648c72a"),
        "DelegatedPermissionGrant.ReadWrite.All",
        "Manage all delegated permission grants",
    ),
    (
        uuid!("fb221be6-99f2-473f-bd32-01c6a0e9ca3b"),
        "Policy.ReadWrite.Authorization",
        "Read and write your organization's authorization policy",
    ),
    (
        uuid!("be74164b-cff1-491c-8741-e671cb536e13"),
        "Policy.ReadWrite.ApplicationConfiguration",
        "Read and write your organization's application configuration policies",
    ),
    (
        uuid!("01c0a623-fc9b-48e9-b794-0756f8e8f067"),
        "Policy.ReadWrite.ConditionalAccess",
        "Read and write your organization's conditional access policies",
    ),
    (
        uuid!("29c18626-4985-4dcd-85c0-193eef327366"),
        "Policy.ReadWrite.AuthenticationMethod",
        "Read and write all authentication method policies",
    ),
    (
        uuid!("e321f0bb-e7f7-481e-bb28-e3b0b32d4bd0"),
        "IdentityProvider.Read.All",
        "Read identity providers",
    ),
    (
        uuid!("90db2b9a-d928-4d33-a4dd-8442ae3d41e4"),
        "IdentityProvider.ReadWrite.All",
        "Read and write identity providers",
    ),
];

/// Graph delegated permissions: (id, value, admin consent required, description).
const GRAPH_SCOPES: &[(Uuid, &str, bool, &str)] = &[
    (
        uuid!("37f7f235-527c-4136-accd-4a02d197296e"),
        "openid",
        false,
        "Sign users in",
    ),
    (
        uuid!("14dad69e-099b-42c9-810b-d002981feec1"),
        "profile",
        false,
        "View users' basic profile",
    ),
    (
        uuid!("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0"),
        "email",
        false,
        "View users' email address",
    ),
    (
        uuid!("7427e0e9-2fba-42fe-b0c0-848c9e6a8182"),
        "offline_access",
        false,
        "Maintain access to data you have given it access to",
    ),
    (
        uuid!("e1fe6dd8-ba31-4d61-89e7-88639da4683d"),
        "User.Read",
        false,
        "Sign in and read user profile",
    ),
    (
        uuid!("a154be20-db9c-4678-8ab7-66f6cc099a59"),
        "User.Read.All",
        true,
        "Read all users' full profiles",
    ),
    (
        uuid!("204e0828-b5ca-4ad8-b9f3-f32a958e7cc4"),
        "User.ReadWrite.All",
        true,
        "Read and write all users' full profiles",
    ),
    (
        uuid!("63dd7cd9-b489-4adf-a28c-ac38b9a0f962"),
        "User.Invite.All",
        true,
        "Invite guest users to the organization",
    ),
    (
        uuid!("06da0dbc-49e2-44d2-8312-53f166ab848a"),
        "Directory.Read.All",
        true,
        "Read directory data",
    ),
    (
        uuid!("0e263e50-5827-48a4-b97c-d940288653c7"),
        "Directory.AccessAsUser.All",
        true,
        "Access directory as the signed in user",
    ),
    (
        uuid!("4e46008b-f24c-477d-8fff-7bb4ec7aafe0"),
        "Group.ReadWrite.All",
        true,
        "Read and write all groups",
    ),
    (
        uuid!("b4e74841-8e56-480b-be8b-910348b18b4c"),
        "User.ReadWrite",
        false,
        "Read and update user profile",
    ),
    (
        uuid!("b340eb25-3456-403f-be2f-af7a0d370277"),
        "User.ReadBasic.All",
        false,
        "Read all users' basic profiles",
    ),
    (
        uuid!("5f8c59db-677d-491f-a6b8-5f174b11ec1d"),
        "Group.Read.All",
        true,
        "Read all groups",
    ),
    (
        uuid!("bc024368-1153-4739-b217-4326f2e966d0"),
        "GroupMember.Read.All",
        true,
        "Read group memberships",
    ),
    (
        uuid!("f81125ac-d3b7-4573-a3b2-7099cc39df9e"),
        "GroupMember.ReadWrite.All",
        true,
        "Read and write group memberships",
    ),
    (
        uuid!("c5366453-9fb0-48a5-a156-24f0c49a4b84"),
        "Directory.ReadWrite.All",
        true,
        "Read and write directory data",
    ),
    (
        uuid!("c79f8feb-a9db-4090-85f9-90d820caa0eb"),
        "Application.Read.All",
        true,
        "Read applications",
    ),
    (
        uuid!("bdfbf15f-ee85-4955-8675-146e8e5296b5"),
        "Application.ReadWrite.All",
        true,
        "Read and write all applications",
    ),
    (
        uuid!("84bccea3-f856-4a8a-967b-dbe0a3d53a64"),
        "AppRoleAssignment.ReadWrite.All",
        true,
        "Manage app permission grants and app role assignments",
    ),
    (
        uuid!("41ce6ca6-6826-4807-84f1-1c82854f7ee5"),
        "DelegatedPermissionGrant.ReadWrite.All",
        true,
        "Manage all delegated permission grants",
    ),
    (
        uuid!("2f9ee017-59c1-4f1d-9472-bd5529a7b311"),
        "Domain.Read.All",
        true,
        "Read domains",
    ),
    (
        uuid!("0b5d694c-a244-4bde-86e6-eb5cd07730fe"),
        "Domain.ReadWrite.All",
        true,
        "Read and write domains",
    ),
    (
        uuid!("4908d5b9-3fb2-4b1e-9336-1888b7937185"),
        "Organization.Read.All",
        true,
        "Read organization information",
    ),
    (
        uuid!("46ca0847-7e6b-426e-9775-ea810a948356"),
        "Organization.ReadWrite.All",
        true,
        "Read and write organization information",
    ),
    (
        uuid!("e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20"),
        "AuditLog.Read.All",
        true,
        "Read audit log data",
    ),
    (
        uuid!("572fea84-0151-49b2-9301-11cb16974376"),
        "Policy.Read.All",
        true,
        "Read your organization's policies",
    ),
    (
        uuid!("edd3c878-b384-41fd-95ad-e7407dd775be"),
        "Policy.ReadWrite.Authorization",
        true,
        "Read and write your organization's authorization policy",
    ),
    (
        uuid!("b27add92-efb2-4f16-84f5-8108ba77985c"),
        "Policy.ReadWrite.ApplicationConfiguration",
        true,
        "Read and write your organization's application configuration policies",
    ),
    (
        uuid!("ad902697-1014-4ef5-81ef-2b4301988e8c"),
        "Policy.ReadWrite.ConditionalAccess",
        true,
        "Read and write your organization's conditional access policies",
    ),
    (
        uuid!("7e823077-d88e-468f-a337-e18f1f0e6c7c"),
        "Policy.ReadWrite.AuthenticationMethod",
        true,
        "Read and write authentication method policies",
    ),
    (
        uuid!("43781733-b5a7-4d1b-98f4-e8edff23e1a9"),
        "IdentityProvider.Read.All",
        true,
        "Read identity providers",
    ),
    (
        uuid!("f13ce604-1677-429f-90bd-8a10b9f01325"),
        "IdentityProvider.ReadWrite.All",
        true,
        "Read and write identity providers",
    ),
];

/// Microsoft Graph as an application definition (its app roles and delegated scopes).
/// It lives in no tenant's store: every tenant sees this one.
#[must_use]
pub fn microsoft_graph() -> Application {
    Application {
        id: ApplicationId(uuid!("00000003-0000-0000-c000-000000000000")),
        app_id: GRAPH_APP_ID,
        display_name: GRAPH_NAME.into(),
        sign_in_audience: "AzureADMultipleOrgs".into(),
        redirect_uris: RedirectUris::default(),
        app_roles: GRAPH_ROLES
            .iter()
            .map(|(id, value, text)| AppRole {
                id: *id,
                allowed_member_types: vec!["Application".into()],
                description: format!("Allows the app to {}", text.to_lowercase()),
                display_name: (*text).into(),
                is_enabled: true,
                value: Some((*value).into()),
            })
            .collect(),
        oauth2_permission_scopes: GRAPH_SCOPES
            .iter()
            .map(|(id, value, admin, text)| PermissionScope {
                id: *id,
                admin_consent_description: (*text).into(),
                admin_consent_display_name: (*text).into(),
                is_enabled: true,
                kind: if *admin { "Admin" } else { "User" }.into(),
                user_consent_description: Some((*text).into()),
                user_consent_display_name: Some((*text).into()),
                value: (*value).into(),
            })
            .collect(),
        required_resource_access: Vec::new(),
        identifier_uris: vec![GRAPH_URI.into()],
        password_credentials: Vec::new(),
        created_date_time: OffsetDateTime::UNIX_EPOCH,
        deleted_date_time: None,
    }
}

/// The first-party client of Portico's own web pages (the admin portal and My Apps), under the
/// appId Entra's Azure portal has. Like Graph it lives in no tenant's store: a sign-in to the
/// portal uses the ordinary sign-in pages and ends at the portal with the session cookie (no
/// code, no consent: it is Portico itself).
pub const PORTAL_APP_ID: AppId = AppId(uuid!("c44b4083-3bb0-49c1-b47d-974e53cbdf3c"));
/// Its display name.
pub const PORTAL_NAME: &str = "Portico";

/// The portal client as `tenant` sees it: its redirect URIs are that tenant's portal and My
/// Apps landing pages under `public_url`.
#[must_use]
pub fn portal_application(tenant: TenantId, public_url: &str) -> Application {
    let base = public_url.trim_end_matches('/');
    Application {
        id: ApplicationId(PORTAL_APP_ID.0),
        app_id: PORTAL_APP_ID,
        display_name: PORTAL_NAME.into(),
        sign_in_audience: "AzureADMyOrg".into(),
        redirect_uris: RedirectUris {
            web: vec![
                format!("{base}/portal/{tenant}/"),
                format!("{base}/myapps/{tenant}/"),
            ],
            ..RedirectUris::default()
        },
        app_roles: Vec::new(),
        oauth2_permission_scopes: Vec::new(),
        required_resource_access: Vec::new(),
        identifier_uris: Vec::new(),
        password_credentials: Vec::new(),
        created_date_time: OffsetDateTime::UNIX_EPOCH,
        deleted_date_time: None,
    }
}

/// Whether a resource name (appId text or URI, without a trailing `/`) means Microsoft Graph.
/// `portico_url` is Portico's own public URL, which is accepted as Graph's too.
#[must_use]
pub fn is_graph_resource(name: &str, portico_url: &str) -> bool {
    let name = name.trim_end_matches('/');
    name.eq_ignore_ascii_case(GRAPH_URI)
        || name.eq_ignore_ascii_case("https://graph.microsoft.com/v1.0")
        || name.parse::<Uuid>().is_ok_and(|u| u == GRAPH_APP_ID.0)
        || (!portico_url.is_empty() && name.eq_ignore_ascii_case(portico_url.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_names_and_ids_are_unique() {
        let g = microsoft_graph();
        let mut values: Vec<_> = g.app_roles.iter().filter_map(|r| r.value.clone()).collect();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), g.app_roles.len());
        let mut ids: Vec<_> = g.oauth2_permission_scopes.iter().map(|s| s.id).collect();
        ids.extend(g.app_roles.iter().map(|r| r.id));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn policy_permissions_carry_graphs_ids() {
        let g = microsoft_graph();
        let role = |v: &str| {
            g.app_roles
                .iter()
                .find(|r| r.value.as_deref() == Some(v))
                .map(|r| r.id)
        };
        let scope = |v: &str| {
            g.oauth2_permission_scopes
                .iter()
                .find(|s| s.value == v)
                .map(|s| s.id)
        };
        assert_eq!(
            role("Policy.Read.All"),
            Some(uuid!("246dd0d5-5bd0-4def-940b-0421030a5b68"))
        );
        assert_eq!(
            scope("Policy.Read.All"),
            Some(uuid!("572fea84-0151-49b2-9301-11cb16974376"))
        );
        assert_eq!(
            role("Policy.ReadWrite.AuthenticationMethod"),
            Some(uuid!("29c18626-4985-4dcd-85c0-193eef327366"))
        );
        assert_eq!(
            scope("Policy.ReadWrite.AuthenticationMethod"),
            Some(uuid!("7e823077-d88e-468f-a337-e18f1f0e6c7c"))
        );
        assert_eq!(
            role("IdentityProvider.ReadWrite.All"),
            Some(uuid!("90db2b9a-d928-4d33-a4dd-8442ae3d41e4"))
        );
        assert_eq!(
            scope("IdentityProvider.Read.All"),
            Some(uuid!("43781733-b5a7-4d1b-98f4-e8edff23e1a9"))
        );
    }

    #[test]
    fn graph_resource_names() {
        for yes in [
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/",
            "HTTPS://GRAPH.MICROSOFT.COM",
            "00000003-0000-0000-c000-000000000000",
            "https://login.example.test",
        ] {
            assert!(
                is_graph_resource(yes, "https://login.example.test/"),
                "{yes}"
            );
        }
        for no in [
            "api://orders",
            "https://graph.microsoft.com.evil",
            "00000002-0000-0000-c000-000000000000",
        ] {
            assert!(!is_graph_resource(no, "https://login.example.test"), "{no}");
        }
        assert!(!is_graph_resource("", ""));
    }
}
