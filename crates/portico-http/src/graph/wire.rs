//! Graph wire shapes: directory objects as Graph returns them by default (`$select` arrives
//! with the OData work).

use portico_domain::tenant::{Domain, Tenant};
use portico_domain::user::User;
use serde_json::{Value, json};

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A user with Graph's default property set.
#[must_use]
pub fn user(base: &str, u: &User, entity: bool) -> Value {
    let mut v = json!({
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
    });
    if entity && let Some(map) = v.as_object_mut() {
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
