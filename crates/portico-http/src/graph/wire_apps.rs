//! Graph wire shapes of applications, service principals, password credentials, app role
//! assignments and delegated permission grants.

use portico_app::graph_api::{AssignmentView, ServicePrincipalView};
use portico_domain::application::{Application, PasswordCredential};
use portico_domain::grant::{ConsentType, PermissionGrant};
use serde_json::{Map, Value, json};

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A `passwordCredential`; `secret` only in the answer of `addPassword`.
#[must_use]
pub fn password_credential(c: &PasswordCredential, secret: Option<&str>) -> Value {
    json!({
        "customKeyIdentifier": null,
        "displayName": c.display_name,
        "endDateTime": rfc3339(c.end_date_time),
        "hint": c.hint,
        "keyId": c.key_id.to_string(),
        "secretText": secret,
        "startDateTime": rfc3339(c.start_date_time),
    })
}

fn app_roles(roles: &[portico_domain::application::AppRole]) -> Value {
    Value::Array(
        roles
            .iter()
            .map(|r| {
                let mut v = to_value(r);
                if let Some(m) = v.as_object_mut() {
                    m.insert("origin".into(), Value::from("Application"));
                }
                v
            })
            .collect(),
    )
}

fn scopes(list: &[portico_domain::application::PermissionScope]) -> Value {
    Value::Array(
        list.iter()
            .map(|s| {
                let mut v = to_value(s);
                if let Some(m) = v.as_object_mut() {
                    m.insert("origin".into(), Value::from("Application"));
                }
                v
            })
            .collect(),
    )
}

/// Every property of an application Portico returns.
#[must_use]
pub fn application_all(a: &Application) -> Map<String, Value> {
    let v = json!({
        "id": a.id.to_string(),
        "appId": a.app_id.to_string(),
        "displayName": a.display_name,
        "signInAudience": a.sign_in_audience,
        "createdDateTime": rfc3339(a.created_date_time),
        "deletedDateTime": a.deleted_date_time.map(rfc3339),
        "identifierUris": a.identifier_uris,
        "web": {
            "redirectUris": a.redirect_uris.web,
            "homePageUrl": null,
            "logoutUrl": null,
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": false,
                "enableIdTokenIssuance": false,
            },
        },
        "spa": { "redirectUris": a.redirect_uris.spa },
        "publicClient": { "redirectUris": a.redirect_uris.public_client },
        "appRoles": app_roles(&a.app_roles),
        "api": {
            "requestedAccessTokenVersion": 2,
            "oauth2PermissionScopes": scopes(&a.oauth2_permission_scopes),
            "preAuthorizedApplications": [],
            "knownClientApplications": [],
        },
        "requiredResourceAccess": to_value(&a.required_resource_access),
        "passwordCredentials": a
            .password_credentials
            .iter()
            .map(|c| password_credential(c, None))
            .collect::<Vec<_>>(),
        "keyCredentials": [],
        "tags": [],
        "description": null,
        "notes": null,
        "publisherDomain": null,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// An application, whole or `$select`ed.
#[must_use]
pub fn application(a: &Application, select: Option<&[String]>) -> Value {
    let all = application_all(a);
    match select {
        Some(s) => super::wire::project(&all, s),
        None => Value::Object(all),
    }
}

/// Every property of a service principal Portico returns.
#[must_use]
pub fn service_principal_all(v: &ServicePrincipalView) -> Map<String, Value> {
    let sp = &v.sp;
    let mut m = match super::wire::service_principal(sp) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let names: Vec<String> = v
        .app
        .as_ref()
        .map(|a| {
            std::iter::once(a.app_id.to_string())
                .chain(a.identifier_uris.iter().cloned())
                .collect()
        })
        .unwrap_or_else(|| vec![sp.app_id.to_string()]);
    let extra = json!({
        "appDisplayName": v.app.as_ref().map(|a| a.display_name.clone()),
        "servicePrincipalNames": names,
        "signInAudience": v.app.as_ref().map(|a| a.sign_in_audience.clone()),
        "appRoles": v.app.as_ref().map_or(Value::Array(Vec::new()), |a| app_roles(&a.app_roles)),
        "oauth2PermissionScopes": v
            .app
            .as_ref()
            .map_or(Value::Array(Vec::new()), |a| scopes(&a.oauth2_permission_scopes)),
        "replyUrls": v.app.as_ref().map(|a| {
            a.redirect_uris
                .web
                .iter()
                .chain(&a.redirect_uris.spa)
                .chain(&a.redirect_uris.public_client)
                .cloned()
                .collect::<Vec<_>>()
        }).unwrap_or_default(),
        "tags": [],
        "passwordCredentials": [],
        "keyCredentials": [],
    });
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    m
}

/// A service principal, whole or `$select`ed.
#[must_use]
pub fn service_principal(v: &ServicePrincipalView, select: Option<&[String]>) -> Value {
    let all = service_principal_all(v);
    match select {
        Some(s) => super::wire::project(&all, s),
        None => Value::Object(all),
    }
}

/// An `appRoleAssignment`.
#[must_use]
pub fn assignment(v: &AssignmentView) -> Value {
    let a = &v.assignment;
    json!({
        "id": a.id.to_string(),
        "appRoleId": a.app_role_id.to_string(),
        "createdDateTime": rfc3339(a.created_date_time),
        "deletedDateTime": null,
        "principalDisplayName": v.principal_display_name,
        "principalId": a.principal.id.to_string(),
        "principalType": match a.principal.kind {
            portico_domain::directory_object::ObjectKind::User => "User",
            portico_domain::directory_object::ObjectKind::Group => "Group",
            portico_domain::directory_object::ObjectKind::ServicePrincipal => "ServicePrincipal",
        },
        "resourceDisplayName": v.resource_display_name,
        "resourceId": a.resource_id.to_string(),
    })
}

/// An `oAuth2PermissionGrant`.
#[must_use]
pub fn permission_grant(g: &PermissionGrant) -> Value {
    let (consent, principal) = match g.consent_type {
        ConsentType::AllPrincipals => ("AllPrincipals", None),
        ConsentType::Principal(u) => ("Principal", Some(u.to_string())),
    };
    json!({
        "id": g.id.to_string(),
        "clientId": g.client_id.to_string(),
        "consentType": consent,
        "principalId": principal,
        "resourceId": g.resource_id.to_string(),
        "scope": g.scope,
    })
}
