//! `/v1.0/domains` (list, read, add, verify, make default, delete, `verificationDnsRecords`)
//! and writes to `/v1.0/organization/{id}` and its `branding`. Each handler checks the Graph
//! permission before it reads the body; other tenants' domains and organizations are not
//! found.

use super::body::{GraphBody, Props};
use super::{GraphPrincipal, base, created, fail, no_content, refusal, wire};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::{BrandingPatch, GraphAction, OrganizationPatch};
use portico_domain::odata::Resource;
use portico_domain::tenant::{Branding, Domain};
use serde_json::{Map, Value, json};

/// Every property of a domain Portico returns (what `$select` may name).
static DOMAINS: Resource = Resource {
    type_name: "domain",
    fields: &[],
    properties: &[
        "authenticationType",
        "availabilityStatus",
        "id",
        "isAdminManaged",
        "isDefault",
        "isInitial",
        "isRoot",
        "isVerified",
        "passwordNotificationWindowInDays",
        "passwordValidityPeriodInDays",
        "supportedServices",
        "state",
    ],
    order_by: &[],
    search: &[],
};

/// Every property of the branding Portico returns (what `$select` may name).
static BRANDING: Resource = Resource {
    type_name: "organizationalBranding",
    fields: &[],
    properties: &[
        "id",
        "backgroundColor",
        "backgroundImageRelativeUrl",
        "bannerLogo",
        "bannerLogoRelativeUrl",
        "cdnList",
        "customPrivacyAndCookiesUrl",
        "signInPageText",
        "squareLogoRelativeUrl",
        "usernameHintText",
    ],
    order_by: &[],
    search: &[],
};

/// `POST /domains` takes only the name.
const CREATE_WRITABLE: &[&str] = &["id"];
const CREATE_READ_ONLY: &[&str] = &[
    "authenticationType",
    "availabilityStatus",
    "isAdminManaged",
    "isDefault",
    "isInitial",
    "isRoot",
    "isVerified",
    "passwordNotificationWindowInDays",
    "passwordValidityPeriodInDays",
    "supportedServices",
    "state",
];

/// `PATCH /domains/{id}`: Graph's updatable properties; only `isDefault` (and
/// `authenticationType: Managed`) do anything in Portico.
const UPDATE_WRITABLE: &[&str] = &[
    "isDefault",
    "authenticationType",
    "passwordNotificationWindowInDays",
    "passwordValidityPeriodInDays",
    "supportedServices",
];
const UPDATE_UNSUPPORTED: &[&str] = &[
    "passwordNotificationWindowInDays",
    "passwordValidityPeriodInDays",
    "supportedServices",
];
const UPDATE_READ_ONLY: &[&str] = &[
    "id",
    "availabilityStatus",
    "isAdminManaged",
    "isInitial",
    "isRoot",
    "isVerified",
    "state",
];

/// `PATCH /organization/{id}`: what Portico stores, plus Graph's updatable properties it does
/// not (refused by name).
const ORG_WRITABLE: &[&str] = &[
    "privacyProfile",
    "marketingNotificationEmails",
    "technicalNotificationMails",
    "securityComplianceNotificationMails",
    "securityComplianceNotificationPhones",
    "onPremisesSyncEnabled",
];
const ORG_UNSUPPORTED: &[&str] = &[
    "marketingNotificationEmails",
    "technicalNotificationMails",
    "securityComplianceNotificationMails",
    "securityComplianceNotificationPhones",
    "onPremisesSyncEnabled",
];
const ORG_READ_ONLY: &[&str] = &[
    "displayName",
    "preferredLanguage",
    "id",
    "createdDateTime",
    "deletedDateTime",
    "tenantType",
    "verifiedDomains",
    "assignedPlans",
    "provisionedPlans",
    "businessPhones",
    "city",
    "country",
    "countryLetterCode",
    "postalCode",
    "state",
    "street",
    "onPremisesLastSyncDateTime",
    "branding",
];

/// `PATCH /organization/{id}/branding`: what Portico stores, plus Graph's updatable string
/// and stream properties it does not (refused by name).
const BRANDING_WRITABLE: &[&str] = &[
    "backgroundColor",
    "bannerLogo",
    "signInPageText",
    "customPrivacyAndCookiesUrl",
    "backgroundImage",
    "squareLogo",
    "squareLogoDark",
    "headerLogo",
    "favicon",
    "customCSS",
    "usernameHintText",
    "headerBackgroundColor",
    "customAccountResetCredentialsUrl",
    "customCannotAccessYourAccountText",
    "customCannotAccessYourAccountUrl",
    "customForgotMyPasswordText",
    "customPrivacyAndCookiesText",
    "customResetItNowText",
    "customTermsOfUseText",
    "customTermsOfUseUrl",
    "loginPageLayoutConfiguration",
    "loginPageTextVisibilitySettings",
    "contentCustomization",
];
const BRANDING_UNSUPPORTED: &[&str] = &[
    "backgroundImage",
    "squareLogo",
    "squareLogoDark",
    "headerLogo",
    "favicon",
    "customCSS",
    "usernameHintText",
    "headerBackgroundColor",
    "customAccountResetCredentialsUrl",
    "customCannotAccessYourAccountText",
    "customCannotAccessYourAccountUrl",
    "customForgotMyPasswordText",
    "customPrivacyAndCookiesText",
    "customResetItNowText",
    "customTermsOfUseText",
    "customTermsOfUseUrl",
    "loginPageLayoutConfiguration",
    "loginPageTextVisibilitySettings",
    "contentCustomization",
];
const BRANDING_READ_ONLY: &[&str] = &[
    "id",
    "backgroundImageRelativeUrl",
    "bannerLogoRelativeUrl",
    "cdnList",
    "squareLogoRelativeUrl",
    "squareLogoDarkRelativeUrl",
    "headerLogoRelativeUrl",
    "faviconRelativeUrl",
    "customCSSRelativeUrl",
    "localizations",
];

/// Password policy Graph reports for a verified domain without expiry: never expires.
const PASSWORD_NEVER_EXPIRES: i64 = 2_147_483_647;
/// Graph's default notification window before password expiry.
const PASSWORD_NOTIFICATION_DAYS: i64 = 14;

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn as_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Every property of a domain, in Graph's shape. Portico domains are always managed (no
/// federation) and administrator-managed; a verified domain is a root domain.
fn domain_all(d: &Domain) -> Map<String, Value> {
    let verified = d.is_verified;
    let services: &[&str] = if verified {
        &["Email", "OfficeCommunicationsOnline"]
    } else {
        &[]
    };
    as_map(json!({
        "authenticationType": "Managed",
        "availabilityStatus": null,
        "id": d.name.as_str(),
        "isAdminManaged": true,
        "isDefault": d.is_default,
        "isInitial": d.is_initial,
        "isRoot": verified,
        "isVerified": verified,
        "passwordNotificationWindowInDays": verified.then_some(PASSWORD_NOTIFICATION_DAYS),
        "passwordValidityPeriodInDays": verified.then_some(PASSWORD_NEVER_EXPIRES),
        "supportedServices": services,
        "state": null,
    }))
}

/// A domain as Graph returns it.
fn domain(d: &Domain) -> Value {
    Value::Object(domain_all(d))
}

/// A domain, whole or `$select`ed.
fn domain_selected(d: &Domain, select: Option<&[String]>) -> Value {
    match select {
        Some(s) => wire::project(&domain_all(d), s),
        None => domain(d),
    }
}

/// A single domain with `@odata.context`.
fn entity(base: &str, d: &Domain, select: Option<&[String]>) -> Value {
    let context = match select {
        Some(s) => format!("{base}/v1.0/$metadata#domains({})/$entity", s.join(",")),
        None => format!("{base}/v1.0/$metadata#domains/$entity"),
    };
    wire::with_context(context, domain_selected(d, select))
}

/// A stable id for a verification record (Graph gives each record a GUID).
fn record_id(text: &str) -> String {
    let digest = portico_crypto::digest::sha256(text.as_bytes());
    let mut bytes = [0u8; 16];
    for (dst, src) in bytes.iter_mut().zip(digest.iter()) {
        *dst = *src;
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The TXT record that proves ownership of `d`, as a `domainDnsTxtRecord`.
fn txt_record(d: &Domain, text: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
        "id": record_id(text),
        "isOptional": false,
        "label": d.name.as_str(),
        "recordType": "Txt",
        "supportedService": "Email",
        "ttl": 3600,
        "text": text,
    })
}

/// The branding in Graph's `organizationalBranding` shape (the default locale, id `0`).
fn branding_all(b: &Branding) -> Map<String, Value> {
    as_map(json!({
        "id": "0",
        "backgroundColor": b.accent_color,
        "backgroundImageRelativeUrl": null,
        "bannerLogo": b.logo_url,
        "bannerLogoRelativeUrl": null,
        "cdnList": [],
        "customPrivacyAndCookiesUrl": b.privacy_statement_url,
        "signInPageText": b.name,
        "squareLogoRelativeUrl": null,
        "usernameHintText": null,
    }))
}

fn branding_entity(base: &str, b: &Branding, select: Option<&[String]>) -> Value {
    let all = branding_all(b);
    let v = match select {
        Some(s) => wire::project(&all, s),
        None => Value::Object(all),
    };
    wire::with_context(format!("{base}/v1.0/$metadata#branding"), v)
}

/// Refuses any of `names` present in the body: Graph properties Portico does not store.
fn refuse_unsupported(p: &Props<'_>, names: &[&str], resource: &str) -> Result<(), GraphError> {
    match names.iter().find(|n| p.raw(n).is_some()) {
        Some(n) => Err(bad(format!(
            "Property '{n}' of resource '{resource}' is not supported by Portico and cannot be set."
        ))),
        None => Ok(()),
    }
}

/// `privacyProfile`: absent (unchanged), null (cleared) or `{statementUrl, contactEmail}`,
/// replaced as a whole. Portico stores no contact email.
fn privacy_profile(v: Option<&Value>) -> Result<Option<Option<String>>, GraphError> {
    let m = match v {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(None)),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(bad(
                "Invalid value specified for property 'privacyProfile' of resource 'Organization': expected an object.",
            ));
        }
    };
    for (k, val) in m {
        match k.as_str() {
            "statementUrl" | "@odata.type" => {}
            "contactEmail"
                if val.is_null() || val.as_str().is_some_and(|s| s.trim().is_empty()) => {}
            "contactEmail" => {
                return Err(bad(
                    "privacyProfile.contactEmail is not supported by Portico: set only statementUrl.",
                ));
            }
            other => {
                return Err(bad(format!(
                    "Property '{}' does not exist as a declared property or extension property on resource 'privacyProfile'.",
                    other.chars().take(64).collect::<String>()
                )));
            }
        }
    }
    match m.get("statementUrl") {
        None | Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(bad(
            "Invalid value specified for property 'statementUrl' of resource 'privacyProfile': expected a string.",
        )),
    }
}

/// `GET /v1.0/domains`: every domain of the tenant (one page, by name; `$select` only).
pub async fn list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::ReadDomains) {
        return refusal(r);
    }
    let select = match super::odata::single_options(&DOMAINS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_list_domains(&caller).await {
        Ok(domains) => {
            let base = base(&state);
            let context = match &select {
                Some(s) => format!("{base}/v1.0/$metadata#domains({})", s.join(",")),
                None => format!("{base}/v1.0/$metadata#domains"),
            };
            let value = domains
                .iter()
                .map(|d| domain_selected(d, select.as_deref()))
                .collect();
            axum::Json(wire::collection(context, value, None, None)).into_response()
        }
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/domains/{id}`
pub async fn get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::ReadDomains) {
        return refusal(r);
    }
    let select = match super::odata::single_options(&DOMAINS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_get_domain(&caller, &key).await {
        Ok(d) => axum::Json(entity(base(&state), &d, select.as_deref())).into_response(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/domains`: `{"id": "contoso.com"}` → 201 with the unverified domain.
pub async fn create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::WriteDomains) {
        return refusal(r);
    }
    let parsed = (|| -> Result<String, GraphError> {
        super::odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Domain", CREATE_WRITABLE, CREATE_READ_ONLY)?;
        p.required_string("id")
    })();
    let name = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_add_domain(&caller, &name).await {
        Ok(d) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/domains/{}", d.name),
                entity(base, &d, None),
            )
        }
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/domains/{id}` → 204. `isDefault: true` makes a verified domain the default;
/// `authenticationType` may only be `Managed`.
pub async fn update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::WriteDomains) {
        return refusal(r);
    }
    let parsed = (|| -> Result<bool, GraphError> {
        super::odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Domain", UPDATE_WRITABLE, UPDATE_READ_ONLY)?;
        refuse_unsupported(&p, UPDATE_UNSUPPORTED, "Domain")?;
        if let Some(t) = p.string("authenticationType")?
            && t.as_deref() != Some("Managed")
        {
            return Err(bad(
                "Portico domains are always 'Managed': federated domains are not supported.",
            ));
        }
        match p.non_null_bool("isDefault")? {
            Some(true) => Ok(true),
            Some(false) => Err(bad(
                "isDefault cannot be set to false: make another verified domain the default instead.",
            )),
            None => Ok(false),
        }
    })();
    let make_default = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    let done = if make_default {
        state.app.graph_set_default_domain(&caller, &key).await
    } else {
        state.app.graph_get_domain(&caller, &key).await.map(|_| ())
    };
    match done {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/domains/{id}/verify` → 200 with the verified domain; 400 (nothing changed)
/// when the TXT record is not published.
pub async fn verify(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::WriteDomains) {
        return refusal(r);
    }
    if let Err(res) = super::odata::no_options(query.as_deref()) {
        return res.into_response();
    }
    match state.app.graph_verify_domain(&caller, &key).await {
        Ok(d) => {
            let mut v = entity(base(&state), &d, None);
            if let Some(m) = v.as_object_mut() {
                m.insert(
                    "availabilityStatus".into(),
                    Value::from("AvailableImmediately"),
                );
            }
            axum::Json(v).into_response()
        }
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/domains/{id}/verificationDnsRecords`: the TXT record to publish.
pub async fn dns_records(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::ReadDomains) {
        return refusal(r);
    }
    if let Err(res) = super::odata::no_options(query.as_deref()) {
        return res.into_response();
    }
    match state.app.graph_domain_dns_records(&caller, &key).await {
        Ok((d, text)) => axum::Json(wire::collection(
            format!(
                "{}/v1.0/$metadata#domains('{}')/verificationDnsRecords",
                base(&state),
                d.name
            ),
            vec![txt_record(&d, &text)],
            None,
            None,
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/domains/{id}` → 204. The initial and the default domain are refused.
pub async fn delete(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
) -> Response {
    match state.app.graph_delete_domain(&caller, &key).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/organization/{id}`: the caller's organization as a single entity.
pub async fn organization_get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::ReadOrganization)
    {
        return refusal(r);
    }
    if let Err(res) = super::odata::no_options(query.as_deref()) {
        return res.into_response();
    }
    match state.app.graph_get_organization(&caller, &key).await {
        Ok((t, domains)) => {
            let base = base(&state);
            let org = wire::organization(base, &t, &domains)
                .get("value")
                .and_then(|v| v.get(0))
                .cloned()
                .unwrap_or(Value::Null);
            axum::Json(wire::with_context(
                format!("{base}/v1.0/$metadata#organization/$entity"),
                org,
            ))
            .into_response()
        }
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/organization/{id}` → 204: `privacyProfile`.
pub async fn organization_update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteOrganization)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<OrganizationPatch, GraphError> {
        super::odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Organization", ORG_WRITABLE, ORG_READ_ONLY)?;
        refuse_unsupported(&p, ORG_UNSUPPORTED, "Organization")?;
        Ok(OrganizationPatch {
            // the tenant's name and language are not updatable through Graph (as in Graph);
            // operators change them with `portico tenant`
            display_name: None,
            preferred_language: None,
            privacy_statement_url: privacy_profile(p.raw("privacyProfile"))?,
        })
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_organization(&caller, &key, patch)
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/organization/{id}/branding`: the default (only) branding.
pub async fn branding_get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::ReadOrganization)
    {
        return refusal(r);
    }
    let select = match super::odata::single_options(&BRANDING, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_get_branding(&caller, &key).await {
        Ok(b) => axum::Json(branding_entity(base(&state), &b, select.as_deref())).into_response(),
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/organization/{id}/branding` → 204: `signInPageText`, `backgroundColor`,
/// `bannerLogo` (an https URL) and `customPrivacyAndCookiesUrl`; null or `""` clears one.
pub async fn branding_update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteOrganization)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<BrandingPatch, GraphError> {
        super::odata::no_options(query.as_deref())?;
        let p = Props::new(
            &body,
            "OrganizationalBranding",
            BRANDING_WRITABLE,
            BRANDING_READ_ONLY,
        )?;
        refuse_unsupported(&p, BRANDING_UNSUPPORTED, "OrganizationalBranding")?;
        Ok(BrandingPatch {
            sign_in_page_text: p.string("signInPageText")?,
            banner_logo: p.string("bannerLogo")?,
            background_color: p.string("backgroundColor")?,
            privacy_statement_url: p.string("customPrivacyAndCookiesUrl")?,
        })
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_update_branding(&caller, &key, patch).await {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_profile_is_replaced_as_a_whole() {
        assert_eq!(privacy_profile(None).ok(), Some(None));
        assert_eq!(privacy_profile(Some(&Value::Null)).ok(), Some(Some(None)));
        assert_eq!(
            privacy_profile(Some(&json!({"statementUrl": "https://c.example/p"}))).ok(),
            Some(Some(Some("https://c.example/p".to_owned())))
        );
        assert_eq!(
            privacy_profile(Some(&json!({"contactEmail": null}))).ok(),
            Some(Some(None))
        );
        assert!(privacy_profile(Some(&json!({"contactEmail": "p@c.example"}))).is_err());
        assert!(privacy_profile(Some(&json!({"shoeSize": 1}))).is_err());
        assert!(privacy_profile(Some(&json!("x"))).is_err());
    }

    #[test]
    fn record_ids_are_stable_guids() {
        let a = record_id("portico-verification=abc");
        assert_eq!(a, record_id("portico-verification=abc"));
        assert_ne!(a, record_id("portico-verification=abd"));
        assert!(a.parse::<uuid::Uuid>().is_ok());
    }
}
