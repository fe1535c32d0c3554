//! Changes to an application registration (Graph `PATCH /applications/{id}`), validated as a
//! new registration is. As in Entra, an app role or delegated scope must be disabled
//! (`isEnabled: false`) in one change before a later change removes it or changes its value, so
//! that tokens in use never name a permission that silently vanished.

use crate::ValidationError;
use crate::application::{
    AppRole, Application, NewApplication, PermissionScope, RedirectUris, RequiredResourceAccess,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What a `PATCH` may change; `None` leaves a property as it is.
#[derive(Debug, Clone, Default)]
pub struct ApplicationPatch {
    /// `displayName`.
    pub display_name: Option<String>,
    /// `signInAudience`.
    pub sign_in_audience: Option<String>,
    /// `web.redirectUris`.
    pub web_redirect_uris: Option<Vec<String>>,
    /// `spa.redirectUris`.
    pub spa_redirect_uris: Option<Vec<String>>,
    /// `publicClient.redirectUris`.
    pub public_client_redirect_uris: Option<Vec<String>>,
    /// `appRoles` (the whole list).
    pub app_roles: Option<Vec<AppRole>>,
    /// `api.oauth2PermissionScopes` (the whole list).
    pub oauth2_permission_scopes: Option<Vec<PermissionScope>>,
    /// `requiredResourceAccess`.
    pub required_resource_access: Option<Vec<RequiredResourceAccess>>,
    /// `identifierUris`.
    pub identifier_uris: Option<Vec<String>>,
}

/// The parts of an entitlement (app role or scope) the disable-first rule looks at.
struct Entitlement<'a> {
    id: Uuid,
    value: Option<&'a str>,
    enabled: bool,
}

fn check_entitlements(
    field: &'static str,
    before: &[Entitlement<'_>],
    after: &[Entitlement<'_>],
) -> Result<(), ValidationError> {
    let mut ids = HashSet::new();
    for e in after {
        if !ids.insert(e.id) {
            return Err(ValidationError::new(
                field,
                format!("the id {} appears more than once", e.id),
            ));
        }
    }
    let after: HashMap<Uuid, &Entitlement<'_>> = after.iter().map(|e| (e.id, e)).collect();
    for old in before.iter().filter(|e| e.enabled) {
        let name = old.value.unwrap_or("(no value)");
        match after.get(&old.id) {
            None => {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "'{name}' ({}) is enabled: set isEnabled to false first, then remove it in a later request (CannotDeleteOrUpdateEnabledEntitlement)",
                        old.id
                    ),
                ));
            }
            Some(new) if new.value != old.value => {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "'{name}' ({}) is enabled: disable it before changing its value (CannotDeleteOrUpdateEnabledEntitlement)",
                        old.id
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn roles(list: &[AppRole]) -> Vec<Entitlement<'_>> {
    list.iter()
        .map(|r| Entitlement {
            id: r.id,
            value: r.value.as_deref(),
            enabled: r.is_enabled,
        })
        .collect()
}

fn scopes(list: &[PermissionScope]) -> Vec<Entitlement<'_>> {
    list.iter()
        .map(|s| Entitlement {
            id: s.id,
            value: Some(s.value.as_str()),
            enabled: s.is_enabled,
        })
        .collect()
}

impl ApplicationPatch {
    /// Whether the patch changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.sign_in_audience.is_none()
            && self.web_redirect_uris.is_none()
            && self.spa_redirect_uris.is_none()
            && self.public_client_redirect_uris.is_none()
            && self.app_roles.is_none()
            && self.oauth2_permission_scopes.is_none()
            && self.required_resource_access.is_none()
            && self.identifier_uris.is_none()
    }

    /// The application after the change, validated as a registration; ids, secrets and
    /// dates are kept.
    pub fn apply(self, app: &Application) -> Result<Application, ValidationError> {
        let app_roles = self.app_roles.unwrap_or_else(|| app.app_roles.clone());
        check_entitlements("appRoles", &roles(&app.app_roles), &roles(&app_roles))?;
        let oauth2_permission_scopes = self
            .oauth2_permission_scopes
            .unwrap_or_else(|| app.oauth2_permission_scopes.clone());
        check_entitlements(
            "api.oauth2PermissionScopes",
            &scopes(&app.oauth2_permission_scopes),
            &scopes(&oauth2_permission_scopes),
        )?;
        let r = &app.redirect_uris;
        let built = NewApplication {
            display_name: self
                .display_name
                .unwrap_or_else(|| app.display_name.clone()),
            sign_in_audience: Some(
                self.sign_in_audience
                    .unwrap_or_else(|| app.sign_in_audience.clone()),
            ),
            redirect_uris: RedirectUris {
                web: self.web_redirect_uris.unwrap_or_else(|| r.web.clone()),
                spa: self.spa_redirect_uris.unwrap_or_else(|| r.spa.clone()),
                public_client: self
                    .public_client_redirect_uris
                    .unwrap_or_else(|| r.public_client.clone()),
            },
            app_roles,
            oauth2_permission_scopes,
            required_resource_access: self
                .required_resource_access
                .unwrap_or_else(|| app.required_resource_access.clone()),
            identifier_uris: self
                .identifier_uris
                .unwrap_or_else(|| app.identifier_uris.clone()),
        }
        .build(app.created_date_time)?;
        Ok(Application {
            id: app.id,
            app_id: app.app_id,
            password_credentials: app.password_credentials.clone(),
            created_date_time: app.created_date_time,
            deleted_date_time: app.deleted_date_time,
            ..built
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: u128, value: &str, enabled: bool) -> AppRole {
        AppRole {
            id: Uuid::from_u128(id),
            allowed_member_types: vec!["Application".into()],
            description: "d".into(),
            display_name: value.into(),
            is_enabled: enabled,
            value: Some(value.into()),
        }
    }

    fn app() -> Application {
        let mut a = NewApplication {
            display_name: "Payroll".into(),
            app_roles: vec![role(1, "Read", true)],
            ..NewApplication::default()
        }
        .build(time::macros::datetime!(2026-01-01 00:00 UTC))
        .unwrap();
        a.password_credentials = Vec::new();
        a
    }

    #[test]
    fn keeps_identity_and_changes_only_what_is_named() {
        let a = app();
        let b = ApplicationPatch {
            display_name: Some("Payroll 2".into()),
            web_redirect_uris: Some(vec!["https://payroll.example/cb".into()]),
            ..ApplicationPatch::default()
        }
        .apply(&a)
        .unwrap();
        assert_eq!((b.id, b.app_id), (a.id, a.app_id));
        assert_eq!(b.display_name, "Payroll 2");
        assert_eq!(b.app_roles, a.app_roles);
        assert_eq!(b.redirect_uris.web, ["https://payroll.example/cb"]);
    }

    #[test]
    fn enabled_roles_are_disabled_before_removal() {
        let a = app();
        let remove = ApplicationPatch {
            app_roles: Some(vec![]),
            ..ApplicationPatch::default()
        };
        assert_eq!(remove.clone().apply(&a).unwrap_err().field, "appRoles");
        let rename = ApplicationPatch {
            app_roles: Some(vec![role(1, "Write", true)]),
            ..ApplicationPatch::default()
        };
        assert!(rename.apply(&a).is_err());
        let disabled = ApplicationPatch {
            app_roles: Some(vec![role(1, "Read", false)]),
            ..ApplicationPatch::default()
        }
        .apply(&a)
        .unwrap();
        assert!(remove.apply(&disabled).unwrap().app_roles.is_empty());
        let dup = ApplicationPatch {
            app_roles: Some(vec![role(1, "Read", true), role(1, "Other", true)]),
            ..ApplicationPatch::default()
        };
        assert!(dup.apply(&a).is_err());
    }

    #[test]
    fn invalid_values_are_refused() {
        let bad = ApplicationPatch {
            spa_redirect_uris: Some(vec!["http://evil.example/".into()]),
            ..ApplicationPatch::default()
        };
        assert_eq!(bad.apply(&app()).unwrap_err().field, "spa.redirectUris");
        let blank = ApplicationPatch {
            display_name: Some("  ".into()),
            ..ApplicationPatch::default()
        };
        assert!(blank.apply(&app()).is_err());
    }
}
