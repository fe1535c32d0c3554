//! Graph wire shapes: directory objects as Graph returns them by default (`$select` arrives
//! with the OData work).

use portico_domain::tenant::{Domain, Tenant};
use portico_domain::user::User;
use serde_json::{Value, json};

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
    });
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    m
}

/// Whether `$select` may name `property` on users.
#[must_use]
pub fn is_user_property(property: &str) -> bool {
    USER_DEFAULT.contains(&property)
        || [
            "accountEnabled",
            "userType",
            "otherMails",
            "mailNickname",
            "companyName",
            "creationType",
            "externalUserState",
            "externalUserStateChangeDateTime",
            "createdDateTime",
            "identities",
        ]
        .contains(&property)
}

/// A user with only the `$select`ed properties (validated by the caller).
#[must_use]
pub fn user_selected(u: &User, select: &[String]) -> Value {
    let all = user_all(u);
    Value::Object(
        select
            .iter()
            .filter_map(|p| all.get(p).map(|v| (p.clone(), v.clone())))
            .collect(),
    )
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
