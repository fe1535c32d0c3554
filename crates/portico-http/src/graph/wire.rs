//! Graph wire shapes: directory objects as Graph returns them by default, `$select`ed
//! projections, `@odata.type` in mixed collections, collection envelopes.

use portico_app::graph_api::DirectoryObject;
use portico_domain::application::ServicePrincipal;
use portico_domain::group::Group;
use portico_domain::tenant::{Domain, Tenant};
use portico_domain::user::User;
use serde_json::{Map, Value, json};

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Graph's default property set of a user (what comes back without `$select`).
pub const USER_DEFAULT: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Every user property Portico can return (`$select` may name any of these).
fn user_all(u: &User) -> serde_json::Map<String, Value> {
    let mut m = match user(u) {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let extra = json!({
        "accountEnabled": u.account_enabled,
        "userType": u.user_type.as_str(),
        "otherMails": u.other_mails,
        "mailNickname": u.mail_nickname,
        "companyName": u.company_name,
        "creationType": u.creation_type.map(|c| c.as_str()),
        "externalUserState": u.external_user_state.map(|s| s.as_str()),
        "externalUserStateChangeDateTime": u.external_user_state_change_date_time.map(rfc3339),
        "createdDateTime": rfc3339(u.created_date_time),
        "identities": u.identities,
        "lastPasswordChangeDateTime": u.last_password_change_date_time.map(rfc3339),
        "deletedDateTime": u.deleted_date_time.map(rfc3339),
    });
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    m
}

/// The `$select`ed properties of an object (validated by the caller; properties Portico
/// does not store come back null, as Graph returns unset ones). `id` is always included.
#[must_use]
pub fn project(all: &Map<String, Value>, select: &[String]) -> Value {
    let mut out = Map::new();
    for p in select {
        out.insert(p.clone(), all.get(p).cloned().unwrap_or(Value::Null));
    }
    if let Some(id) = all.get("id") {
        out.entry("id").or_insert_with(|| id.clone());
    }
    Value::Object(out)
}

/// All of `all`, or only the `$select`ed properties (and `id`) with its `@odata.type` kept, as
/// Graph returns derived types.
#[must_use]
pub fn project_typed(
    all: Map<String, Value>,
    select: Option<&[String]>,
    odata_type: &str,
) -> Value {
    match select {
        Some(s) => {
            let mut projected = project(&all, s);
            if let Some(m) = projected.as_object_mut() {
                m.insert("@odata.type".into(), Value::from(odata_type));
            }
            projected
        }
        None => Value::Object(all),
    }
}

/// A user with only the `$select`ed properties.
#[must_use]
pub fn user_selected(u: &User, select: &[String]) -> Value {
    project(&user_all(u), select)
}

/// A user as a member of a mixed collection (with `@odata.type`).
#[must_use]
pub fn user_typed(u: &User, select: Option<&[String]>) -> Value {
    typed(
        "#microsoft.graph.user",
        match select {
            Some(s) => user_selected(u, s),
            None => user(u),
        },
    )
}

/// A soft-deleted user as `directory/deletedItems` lists it.
#[must_use]
pub fn deleted_user(u: &User) -> Value {
    let mut v = user_typed(u, None);
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "deletedDateTime".into(),
            json!(u.deleted_date_time.map(rfc3339)),
        );
    }
    v
}

fn typed(odata_type: &str, mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        let mut out = Map::new();
        out.insert("@odata.type".into(), Value::from(odata_type));
        out.extend(std::mem::take(m));
        *m = out;
    }
    v
}

/// Every property of a group Portico returns (Graph's default set).
fn group_all(g: &Group) -> Map<String, Value> {
    match json!({
        "id": g.id.to_string(),
        "deletedDateTime": g.deleted_date_time.map(rfc3339),
        "classification": null,
        "createdDateTime": rfc3339(g.created_date_time),
        "creationOptions": [],
        "description": g.description,
        "displayName": g.display_name,
        "expirationDateTime": null,
        "groupTypes": [],
        "isAssignableToRole": null,
        "mail": null,
        "mailEnabled": g.mail_enabled,
        "mailNickname": g.mail_nickname,
        "membershipRule": null,
        "membershipRuleProcessingState": null,
        "preferredDataLocation": null,
        "preferredLanguage": null,
        "proxyAddresses": [],
        "renewedDateTime": rfc3339(g.created_date_time),
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": [],
        "securityEnabled": g.security_enabled,
        "securityIdentifier": null,
        "theme": null,
        "visibility": null,
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A group, whole or `$select`ed.
#[must_use]
pub fn group(g: &Group, select: Option<&[String]>) -> Value {
    let all = group_all(g);
    match select {
        Some(s) => project(&all, s),
        None => Value::Object(all),
    }
}

/// A service principal's basic properties.
#[must_use]
pub fn service_principal(sp: &ServicePrincipal) -> Value {
    json!({
        "id": sp.id.to_string(),
        "appId": sp.app_id.to_string(),
        "displayName": sp.display_name,
        "accountEnabled": sp.account_enabled,
        "appRoleAssignmentRequired": sp.app_role_assignment_required,
        "servicePrincipalType": sp.service_principal_type,
        "appOwnerOrganizationId": sp.app_owner_organization_id.to_string(),
    })
}

/// Any directory object, with `@odata.type`.
#[must_use]
pub fn directory_object(o: &DirectoryObject) -> Value {
    match o {
        DirectoryObject::User(u) => user_typed(u, None),
        DirectoryObject::Group(g) => typed("#microsoft.graph.group", group(g, None)),
        DirectoryObject::ServicePrincipal(sp) => {
            typed("#microsoft.graph.servicePrincipal", service_principal(sp))
        }
    }
}

/// Adds `@odata.context` in front of an entity.
#[must_use]
pub fn with_context(context: String, mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        let mut out = Map::new();
        out.insert("@odata.context".into(), Value::from(context));
        out.extend(std::mem::take(m));
        *m = out;
    }
    v
}

/// A collection envelope.
#[must_use]
pub fn collection(
    context: String,
    value: Vec<Value>,
    count: Option<u64>,
    next_link: Option<String>,
) -> Value {
    let mut m = Map::new();
    m.insert("@odata.context".into(), Value::from(context));
    if let Some(n) = count {
        m.insert("@odata.count".into(), Value::from(n));
    }
    if let Some(l) = next_link {
        m.insert("@odata.nextLink".into(), Value::from(l));
    }
    m.insert("value".into(), Value::Array(value));
    Value::Object(m)
}

/// A user with Graph's default property set.
#[must_use]
pub fn user(u: &User) -> Value {
    json!({
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": u.given_name,
        "jobTitle": u.job_title,
        "mail": u.mail,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": u.preferred_language,
        "surname": u.surname,
        "userPrincipalName": u.user_principal_name,
        "id": u.id.to_string(),
    })
}

/// A single user as an entity response (with `@odata.context`).
#[must_use]
pub fn user_entity(base: &str, u: &User) -> Value {
    let mut v = user(u);
    if let Some(map) = v.as_object_mut() {
        map.insert(
            "@odata.context".into(),
            Value::from(format!("{base}/v1.0/$metadata#users/$entity")),
        );
    }
    v
}

/// The tenant as Graph's `organization` collection.
#[must_use]
pub fn organization(base: &str, t: &Tenant, domains: &[Domain]) -> Value {
    let verified: Vec<Value> = domains
        .iter()
        .filter(|d| d.is_verified)
        .map(|d| {
            json!({
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": d.is_default,
                "isInitial": d.is_initial,
                "name": d.name.as_str(),
                "type": "Managed",
            })
        })
        .collect();
    json!({
        "@odata.context": format!("{base}/v1.0/$metadata#organization"),
        "value": [{
            "id": t.id.to_string(),
            "displayName": t.display_name,
            "createdDateTime": rfc3339(t.created_at),
            "preferredLanguage": t.default_language,
            "tenantType": "AAD",
            "verifiedDomains": verified,
            "privacyProfile": t.branding.privacy_statement_url.as_ref().map(|u| json!({"statementUrl": u, "contactEmail": null})),
        }],
    })
}
