//! Application registrations and service principals (enterprise apps).

use crate::validate;
use crate::{AppId, ApplicationId, KeyId, ServicePrincipalId, TenantId, ValidationError};
use time::OffsetDateTime;
use uuid::Uuid;

/// Graph's `appRole`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    /// Role id.
    pub id: Uuid,
    /// `User`, `Application`, or both.
    pub allowed_member_types: Vec<String>,
    /// Description.
    pub description: String,
    /// Name.
    pub display_name: String,
    /// Whether the role can be assigned.
    pub is_enabled: bool,
    /// The value in the `roles` claim.
    pub value: Option<String>,
}

/// Graph's `permissionScope`: a delegated permission the app's API exposes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionScope {
    /// Scope id.
    pub id: Uuid,
    /// Consent text for admins.
    pub admin_consent_description: String,
    /// Consent title for admins.
    pub admin_consent_display_name: String,
    /// Whether it can be requested.
    pub is_enabled: bool,
    /// `User` or `Admin`: who may consent.
    #[serde(rename = "type")]
    pub kind: String,
    /// Consent text for users.
    pub user_consent_description: Option<String>,
    /// Consent title for users.
    pub user_consent_display_name: Option<String>,
    /// The value in the `scp` claim.
    pub value: String,
}

/// One entry of Graph's `requiredResourceAccess`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccess {
    /// The resource's appId.
    pub resource_app_id: Uuid,
    /// Permissions wanted.
    pub resource_access: Vec<ResourceAccess>,
}

/// Graph's `resourceAccess`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResourceAccess {
    /// Scope or role id.
    pub id: Uuid,
    /// `Scope` (delegated) or `Role` (application).
    #[serde(rename = "type")]
    pub kind: String,
}

/// Redirect URIs by platform, as Graph groups them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectUris {
    /// `web.redirectUris`: confidential server-side apps.
    pub web: Vec<String>,
    /// `spa.redirectUris`: single-page apps (PKCE, CORS).
    pub spa: Vec<String>,
    /// `publicClient.redirectUris`: native and mobile apps.
    pub public_client: Vec<String>,
}

impl RedirectUris {
    /// Validates every URI: absolute, no fragment; `http` only for loopback on web and SPA
    /// platforms; custom schemes allowed for public (native) clients.
    pub fn validated(self) -> Result<Self, ValidationError> {
        let web = self
            .web
            .iter()
            .map(|u| validate::absolute_url("web.redirectUris", u, true).map(String::from))
            .collect::<Result<Vec<_>, _>>()?;
        let spa = self
            .spa
            .iter()
            .map(|u| validate::absolute_url("spa.redirectUris", u, true).map(String::from))
            .collect::<Result<Vec<_>, _>>()?;
        let public_client = self
            .public_client
            .iter()
            .map(|u| native_redirect_uri(u))
            .collect::<Result<Vec<_>, _>>()?;
        if web.len() + spa.len() + public_client.len() > 256 {
            return Err(ValidationError::new(
                "redirectUris",
                "an application may have at most 256 redirect URIs",
            ));
        }
        Ok(Self {
            web,
            spa,
            public_client,
        })
    }
}

fn native_redirect_uri(u: &str) -> Result<String, ValidationError> {
    let parsed = url::Url::parse(u.trim()).map_err(|e| {
        ValidationError::new(
            "publicClient.redirectUris",
            format!("'{u}' is not an absolute URI: {e}"),
        )
    })?;
    if parsed.fragment().is_some() {
        return Err(ValidationError::new(
            "publicClient.redirectUris",
            format!("'{u}' may not contain a fragment"),
        ));
    }
    if matches!(parsed.scheme(), "javascript" | "data" | "file") {
        return Err(ValidationError::new(
            "publicClient.redirectUris",
            format!("'{u}' uses a scheme that is never accepted"),
        ));
    }
    Ok(parsed.into())
}

/// Public facts about a client secret (Graph's `passwordCredential` without `secretText`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordCredential {
    /// Key id.
    pub key_id: KeyId,
    /// Friendly name.
    pub display_name: Option<String>,
    /// First three characters of the secret.
    pub hint: String,
    /// Valid from.
    pub start_date_time: OffsetDateTime,
    /// Valid until.
    pub end_date_time: OffsetDateTime,
}

/// Public facts about a certificate credential (Graph's `keyCredential` without `key`):
/// the application proves its identity with `private_key_jwt` assertions signed by the
/// certificate's private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCredential {
    /// Key id.
    pub key_id: KeyId,
    /// Friendly name.
    pub display_name: Option<String>,
    /// The certificate's SHA-1 thumbprint, base64url (`x5t` of assertions).
    pub custom_key_identifier: String,
    /// Valid from (the certificate's notBefore).
    pub start_date_time: OffsetDateTime,
    /// Valid until (the certificate's notAfter).
    pub end_date_time: OffsetDateTime,
}

/// An application registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Object id.
    pub id: ApplicationId,
    /// Client id.
    pub app_id: AppId,
    /// Name.
    pub display_name: String,
    /// `AzureADMyOrg` (default) or `AzureADMultipleOrgs`.
    pub sign_in_audience: String,
    /// Redirect URIs by platform.
    pub redirect_uris: RedirectUris,
    /// App roles.
    pub app_roles: Vec<AppRole>,
    /// Delegated scopes the app's API exposes.
    pub oauth2_permission_scopes: Vec<PermissionScope>,
    /// Permissions the app asks for.
    pub required_resource_access: Vec<RequiredResourceAccess>,
    /// Application ID URIs.
    pub identifier_uris: Vec<String>,
    /// Client secrets (public parts).
    pub password_credentials: Vec<PasswordCredential>,
    /// When created.
    pub created_date_time: OffsetDateTime,
    /// When soft-deleted.
    pub deleted_date_time: Option<OffsetDateTime>,
}

/// What a caller may set when registering an application.
#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    /// Required.
    pub display_name: String,
    /// Optional; `AzureADMyOrg` by default.
    pub sign_in_audience: Option<String>,
    /// Optional.
    pub redirect_uris: RedirectUris,
    /// Optional.
    pub app_roles: Vec<AppRole>,
    /// Optional.
    pub oauth2_permission_scopes: Vec<PermissionScope>,
    /// Optional.
    pub required_resource_access: Vec<RequiredResourceAccess>,
    /// Optional.
    pub identifier_uris: Vec<String>,
}

/// Sign-in audiences Portico supports.
pub const SIGN_IN_AUDIENCES: [&str; 2] = ["AzureADMyOrg", "AzureADMultipleOrgs"];

impl NewApplication {
    /// Validates and builds the registration with fresh ids.
    pub fn build(self, now: OffsetDateTime) -> Result<Application, ValidationError> {
        let sign_in_audience = self
            .sign_in_audience
            .unwrap_or_else(|| "AzureADMyOrg".into());
        if !SIGN_IN_AUDIENCES.contains(&sign_in_audience.as_str()) {
            return Err(ValidationError::new(
                "signInAudience",
                format!(
                    "'{sign_in_audience}' is not supported; use AzureADMyOrg or AzureADMultipleOrgs"
                ),
            ));
        }
        let mut role_values = std::collections::HashSet::new();
        for r in &self.app_roles {
            validate::display_name("appRoles.displayName", &r.display_name)?;
            if r.allowed_member_types.is_empty()
                || r.allowed_member_types
                    .iter()
                    .any(|t| t != "User" && t != "Application")
            {
                return Err(ValidationError::new(
                    "appRoles.allowedMemberTypes",
                    "must list User, Application or both",
                ));
            }
            if let Some(v) = &r.value
                && (v.is_empty()
                    || v.contains(char::is_whitespace)
                    || !role_values.insert(v.clone()))
            {
                return Err(ValidationError::new(
                    "appRoles.value",
                    format!(
                        "'{v}' must be non-empty, without spaces, and unique in the application"
                    ),
                ));
            }
        }
        for s in &self.oauth2_permission_scopes {
            if s.value.is_empty() || s.value.contains(char::is_whitespace) {
                return Err(ValidationError::new(
                    "api.oauth2PermissionScopes.value",
                    "must be non-empty and without spaces",
                ));
            }
            if s.kind != "User" && s.kind != "Admin" {
                return Err(ValidationError::new(
                    "api.oauth2PermissionScopes.type",
                    "must be User or Admin",
                ));
            }
        }
        for u in &self.identifier_uris {
            url::Url::parse(u).map_err(|e| {
                ValidationError::new(
                    "identifierUris",
                    format!("'{u}' is not an absolute URI: {e}"),
                )
            })?;
        }
        Ok(Application {
            id: ApplicationId::new(),
            app_id: AppId::new(),
            display_name: validate::display_name("displayName", &self.display_name)?,
            sign_in_audience,
            redirect_uris: self.redirect_uris.validated()?,
            app_roles: self.app_roles,
            oauth2_permission_scopes: self.oauth2_permission_scopes,
            required_resource_access: self.required_resource_access,
            identifier_uris: self.identifier_uris,
            password_credentials: Vec::new(),
            created_date_time: now,
            deleted_date_time: None,
        })
    }
}

/// A service principal: an application's instance in a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePrincipal {
    /// Object id.
    pub id: ServicePrincipalId,
    /// The application's client id.
    pub app_id: AppId,
    /// Name (copied from the application).
    pub display_name: String,
    /// Whether it can sign in / get tokens.
    pub account_enabled: bool,
    /// Whether users need an app role assignment to get tokens.
    pub app_role_assignment_required: bool,
    /// `Application`, `ManagedIdentity`, ...
    pub service_principal_type: String,
    /// The tenant that owns the application registration.
    pub app_owner_organization_id: TenantId,
    /// When created.
    pub created_date_time: OffsetDateTime,
}

impl ServicePrincipal {
    /// A new, enabled service principal of an application owned by `owner`.
    #[must_use]
    pub fn for_application(
        app_id: AppId,
        display_name: &str,
        owner: TenantId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: ServicePrincipalId::new(),
            app_id,
            display_name: display_name.to_owned(),
            account_enabled: true,
            app_role_assignment_required: false,
            service_principal_type: "Application".into(),
            app_owner_organization_id: owner,
            created_date_time: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-01-01 00:00 UTC)
    }

    #[test]
    fn registers_an_app_with_validated_redirects() {
        let app = NewApplication {
            display_name: "Payroll".into(),
            redirect_uris: RedirectUris {
                web: vec!["https://payroll.example/cb".into()],
                spa: vec!["http://localhost:5173/".into()],
                public_client: vec!["msal1234://auth".into()],
            },
            ..NewApplication::default()
        }
        .build(now())
        .unwrap();
        assert_eq!(app.sign_in_audience, "AzureADMyOrg");
        assert_eq!(app.redirect_uris.public_client, vec!["msal1234://auth"]);
    }

    #[test]
    fn refuses_bad_registrations() {
        let bad_redirect = NewApplication {
            display_name: "x".into(),
            redirect_uris: RedirectUris {
                web: vec!["http://evil.example/cb".into()],
                ..RedirectUris::default()
            },
            ..NewApplication::default()
        };
        assert_eq!(
            bad_redirect.build(now()).unwrap_err().field,
            "web.redirectUris"
        );
        let bad_audience = NewApplication {
            display_name: "x".into(),
            sign_in_audience: Some("Everyone".into()),
            ..NewApplication::default()
        };
        assert_eq!(
            bad_audience.build(now()).unwrap_err().field,
            "signInAudience"
        );
        let role = |v: &str| AppRole {
            id: Uuid::new_v4(),
            allowed_member_types: vec!["User".into()],
            description: "d".into(),
            display_name: "R".into(),
            is_enabled: true,
            value: Some(v.into()),
        };
        let dup_roles = NewApplication {
            display_name: "x".into(),
            app_roles: vec![role("Reader"), role("Reader")],
            ..NewApplication::default()
        };
        assert_eq!(dup_roles.build(now()).unwrap_err().field, "appRoles.value");
        let js = NewApplication {
            display_name: "x".into(),
            redirect_uris: RedirectUris {
                public_client: vec!["javascript:alert(1)".into()],
                ..RedirectUris::default()
            },
            ..NewApplication::default()
        };
        assert!(js.build(now()).is_err());
    }
}

/// Graph's `appRoleAssignment`: a principal (user, group or service principal) holds one app
/// role of a resource service principal. App-only tokens carry the `value`s of the roles
/// assigned to the client's service principal in `roles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoleAssignment {
    /// Assignment id.
    pub id: uuid::Uuid,
    /// Who holds the role.
    pub principal: crate::directory_object::ObjectRef,
    /// The resource service principal whose role it is.
    pub resource_id: ServicePrincipalId,
    /// The app role's id (the all-zero GUID is Entra's "default access").
    pub app_role_id: Uuid,
    /// When assigned.
    pub created_date_time: OffsetDateTime,
}
