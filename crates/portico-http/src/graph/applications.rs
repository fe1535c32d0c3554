//! `/v1.0/applications` (with `addPassword` / `removePassword`) and `/v1.0/servicePrincipals`
//! handlers, including Graph's alternate keys `applications(appId='…')` and
//! `servicePrincipals(appId='…')`.

use super::body::{GraphBody, Props};
use super::odata;
use super::wire_apps;
use super::{GraphPrincipal, base, count_text, created, fail, no_content, refusal};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_app::app_management::ServicePrincipalPatch;
use portico_app::graph_api::GraphAction;
use portico_domain::application::{
    AppRole, NewApplication, PermissionScope, RedirectUris, RequiredResourceAccess,
};
use portico_domain::application_patch::ApplicationPatch;
use portico_domain::odata::schema::{APPLICATIONS, SERVICE_PRINCIPALS};
use portico_domain::{AppId, KeyId};
use serde_json::{Value, json};

const APP_WRITABLE: &[&str] = &[
    "displayName",
    "signInAudience",
    "web",
    "spa",
    "publicClient",
    "appRoles",
    "api",
    "requiredResourceAccess",
    "identifierUris",
];
const APP_READ_ONLY: &[&str] = &[
    "id",
    "appId",
    "createdDateTime",
    "deletedDateTime",
    "passwordCredentials",
    "publisherDomain",
];
const SP_WRITABLE: &[&str] = &[
    "appId",
    "displayName",
    "accountEnabled",
    "appRoleAssignmentRequired",
];
const SP_READ_ONLY: &[&str] = &[
    "id",
    "appDisplayName",
    "appOwnerOrganizationId",
    "servicePrincipalType",
    "servicePrincipalNames",
    "appRoles",
    "oauth2PermissionScopes",
    "signInAudience",
    "replyUrls",
];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// Decodes a nested property with serde, with a message naming the property.
fn typed<T: serde::de::DeserializeOwned>(name: &str, v: &Value) -> Result<T, GraphError> {
    serde_json::from_value(v.clone()).map_err(|e| {
        bad(format!(
            "Invalid value specified for property '{name}' of resource 'Application': {e}."
        ))
    })
}

/// `{"redirectUris": [...]}` of a platform object (`web`, `spa`, `publicClient`).
fn redirect_uris(p: &Props<'_>, platform: &str) -> Result<Option<Vec<String>>, GraphError> {
    let Some(v) = p.raw(platform) else {
        return Ok(None);
    };
    let Value::Object(m) = v else {
        return Err(bad(format!(
            "Property '{platform}' must be an object like {{\"redirectUris\": [...]}}."
        )));
    };
    let allowed = match platform {
        "web" => &[
            "redirectUris",
            "homePageUrl",
            "logoutUrl",
            "implicitGrantSettings",
        ][..],
        _ => &["redirectUris"][..],
    };
    for (k, val) in m {
        if !allowed.contains(&k.as_str()) {
            return Err(bad(format!(
                "Property '{platform}.{}' is not supported by Portico.",
                k.chars().take(64).collect::<String>()
            )));
        }
        // Graph's defaults are accepted (clients send them back); anything else is refused.
        let default_ok = match k.as_str() {
            "homePageUrl" | "logoutUrl" => val.is_null(),
            "implicitGrantSettings" => {
                val.is_null()
                    || val.as_object().is_some_and(|o| {
                        o.values().all(|x| x.is_null() || x == &Value::Bool(false))
                    })
            }
            _ => true,
        };
        if !default_ok {
            return Err(bad(format!(
                "Property '{platform}.{k}' is not supported by Portico (implicit grant is never issued)."
            )));
        }
    }
    match m.get("redirectUris") {
        None => Ok(None),
        Some(v) => typed(&format!("{platform}.redirectUris"), v).map(Some),
    }
}

/// `api.oauth2PermissionScopes`; other `api` properties only at their defaults.
fn api_scopes(p: &Props<'_>) -> Result<Option<Vec<PermissionScope>>, GraphError> {
    let Some(v) = p.raw("api") else {
        return Ok(None);
    };
    let Value::Object(m) = v else {
        return Err(bad("Property 'api' must be an object."));
    };
    for (k, val) in m {
        let ok = match k.as_str() {
            "oauth2PermissionScopes" => true,
            "requestedAccessTokenVersion" => val.is_null() || val == &json!(2),
            "preAuthorizedApplications" | "knownClientApplications" => {
                val.is_null() || val == &json!([])
            }
            "acceptMappedClaims" => val.is_null() || val == &Value::Bool(false),
            _ => false,
        };
        if !ok {
            return Err(bad(format!(
                "Property 'api.{}' is not supported by Portico with this value.",
                k.chars().take(64).collect::<String>()
            )));
        }
    }
    match m.get("oauth2PermissionScopes") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => typed("api.oauth2PermissionScopes", v).map(Some),
    }
}

fn list_of<T: serde::de::DeserializeOwned>(
    p: &Props<'_>,
    name: &str,
) -> Result<Option<Vec<T>>, GraphError> {
    match p.raw(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => typed(name, v).map(Some),
    }
}

fn entity(base: &str, collection: &str, v: Value, select: Option<&[String]>) -> Value {
    let context = match select {
        Some(s) => format!(
            "{base}/v1.0/$metadata#{collection}({})/$entity",
            s.join(",")
        ),
        None => format!("{base}/v1.0/$metadata#{collection}/$entity"),
    };
    super::wire::with_context(context, v)
}

/// `GET /v1.0/applications`
pub async fn list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match odata::list_options(&APPLICATIONS, query.as_deref(), &headers) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    let count = if opts.count {
        match state
            .app
            .graph_count_applications(&caller, &opts.query)
            .await
        {
            Ok(n) => Some(n),
            Err(f) => return fail(f),
        }
    } else {
        None
    };
    let page = match state
        .app
        .graph_list_applications(&caller, &opts.query, opts.top, opts.skiptoken.as_deref())
        .await
    {
        Ok(p) => p,
        Err(f) => return fail(f),
    };
    let value = page
        .items
        .iter()
        .map(|a| wire_apps::application(a, opts.select.as_deref()))
        .collect();
    super::list_page(&state, "applications", &opts, value, count, page.next)
}

/// `GET /v1.0/servicePrincipals`
pub async fn sp_list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match odata::list_options(&SERVICE_PRINCIPALS, query.as_deref(), &headers) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    let count = if opts.count {
        match state
            .app
            .graph_count_service_principals(&caller, &opts.query)
            .await
        {
            Ok(n) => Some(n),
            Err(f) => return fail(f),
        }
    } else {
        None
    };
    let page = match state
        .app
        .graph_list_service_principals(&caller, &opts.query, opts.top, opts.skiptoken.as_deref())
        .await
    {
        Ok(p) => p,
        Err(f) => return fail(f),
    };
    let value = page
        .items
        .iter()
        .map(|v| wire_apps::service_principal(v, opts.select.as_deref()))
        .collect();
    super::list_page(&state, "servicePrincipals", &opts, value, count, page.next)
}

/// `GET /v1.0/applications/$count`
pub async fn count(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match super::count_options(&APPLICATIONS, &headers, query.as_deref()) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_count_applications(&caller, &opts.query)
        .await
    {
        Ok(n) => count_text(n),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/servicePrincipals/$count`
pub async fn sp_count(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match super::count_options(&SERVICE_PRINCIPALS, &headers, query.as_deref()) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_count_service_principals(&caller, &opts.query)
        .await
    {
        Ok(n) => count_text(n),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/applications/{id}` (also reached through `applications(appId='…')`).
pub async fn get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let select = match odata::single_options(&APPLICATIONS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_get_application(&caller, &key).await {
        Ok(a) => axum::Json(entity(
            base(&state),
            "applications",
            wire_apps::application(&a, select.as_deref()),
            select.as_deref(),
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/applications` → 201 (no service principal: create it with
/// `POST /servicePrincipals`, as in Graph).
pub async fn create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteApplications)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Application", APP_WRITABLE, APP_READ_ONLY)?;
        Ok(NewApplication {
            display_name: p.required_string("displayName")?,
            sign_in_audience: p.non_null_string("signInAudience")?,
            redirect_uris: RedirectUris {
                web: redirect_uris(&p, "web")?.unwrap_or_default(),
                spa: redirect_uris(&p, "spa")?.unwrap_or_default(),
                public_client: redirect_uris(&p, "publicClient")?.unwrap_or_default(),
            },
            app_roles: list_of::<AppRole>(&p, "appRoles")?.unwrap_or_default(),
            oauth2_permission_scopes: api_scopes(&p)?.unwrap_or_default(),
            required_resource_access: list_of::<RequiredResourceAccess>(
                &p,
                "requiredResourceAccess",
            )?
            .unwrap_or_default(),
            identifier_uris: p.strings("identifierUris")?.flatten().unwrap_or_default(),
        })
    })();
    let new = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_create_application(&caller, new).await {
        Ok(a) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/applications/{}", a.id),
                entity(base, "applications", wire_apps::application(&a, None), None),
            )
        }
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/applications/{id}` → 204.
pub async fn update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteApplications)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Application", APP_WRITABLE, APP_READ_ONLY)?;
        Ok(ApplicationPatch {
            display_name: p.non_null_string("displayName")?,
            sign_in_audience: p.non_null_string("signInAudience")?,
            web_redirect_uris: redirect_uris(&p, "web")?,
            spa_redirect_uris: redirect_uris(&p, "spa")?,
            public_client_redirect_uris: redirect_uris(&p, "publicClient")?,
            app_roles: list_of(&p, "appRoles")?,
            oauth2_permission_scopes: api_scopes(&p)?,
            required_resource_access: list_of(&p, "requiredResourceAccess")?,
            identifier_uris: p.strings("identifierUris")?.flatten(),
        })
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_application(&caller, &key, patch)
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/applications/{id}` → 204.
pub async fn delete(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(e) = odata::no_options(query.as_deref()) {
        return e.into_response();
    }
    match state.app.graph_delete_application(&caller, &key).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/applications/{id}/addPassword` → 200 with the credential and `secretText`
/// (the only time the secret is shown).
pub async fn add_password(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteApplications)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Application", &["passwordCredential"], &[])?;
        let Some(cred) = p.raw("passwordCredential") else {
            return Ok((None, None));
        };
        let Value::Object(m) = cred else {
            return Err(bad("Property 'passwordCredential' must be an object."));
        };
        let mut name = None;
        let mut end = None;
        for (k, v) in m {
            match (k.as_str(), v) {
                ("displayName", Value::String(s)) => name = Some(s.clone()),
                ("endDateTime", Value::String(s)) => {
                    end = Some(
                        time::OffsetDateTime::parse(
                            s,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .map_err(|_| {
                            bad("passwordCredential.endDateTime must be a date-time like 2027-01-31T00:00:00Z.")
                        })?,
                    );
                }
                (_, Value::Null) => {}
                ("displayName" | "endDateTime", _) => {
                    return Err(bad(format!("passwordCredential.{k} must be a string.")));
                }
                ("startDateTime" | "keyId" | "hint" | "secretText" | "customKeyIdentifier", _) => {
                    return Err(bad(format!(
                        "passwordCredential.{k} is chosen by the service and cannot be set."
                    )));
                }
                _ => {
                    return Err(bad(format!(
                        "Property 'passwordCredential.{}' does not exist.",
                        k.chars().take(64).collect::<String>()
                    )));
                }
            }
        }
        Ok((name, end))
    })();
    let (name, end) = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_add_password(&caller, &key, name.as_deref(), end)
        .await
    {
        Ok((c, secret)) => {
            let mut v = wire_apps::password_credential(&c, Some(&secret));
            v = super::wire::with_context(
                format!(
                    "{}/v1.0/$metadata#microsoft.graph.passwordCredential",
                    base(&state)
                ),
                v,
            );
            let mut res = axum::Json(v).into_response();
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/applications/{id}/removePassword` with `{"keyId": …}` → 204.
pub async fn remove_password(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteApplications)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Application", &["keyId"], &[])?;
        let id = p.required_string("keyId")?;
        id.parse::<uuid::Uuid>().map(KeyId).map_err(|_| {
            bad("keyId must be the GUID of one of the application's passwordCredentials.")
        })
    })();
    let key_id = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_remove_password(&caller, &key, key_id).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/servicePrincipals/{id}`
pub async fn sp_get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let select = match odata::single_options(&SERVICE_PRINCIPALS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_get_service_principal(&caller, &key).await {
        Ok(v) => axum::Json(entity(
            base(&state),
            "servicePrincipals",
            wire_apps::service_principal(&v, select.as_deref()),
            select.as_deref(),
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/servicePrincipals` with `appId` → 201.
pub async fn sp_create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteApplications)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "ServicePrincipal", &["appId"], SP_READ_ONLY)?;
        p.required_string("appId")?
            .parse::<uuid::Uuid>()
            .map(AppId)
            .map_err(|_| bad("appId must be an application's client id (a GUID)."))
    })();
    let app_id = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_create_service_principal(&caller, app_id)
        .await
    {
        Ok(v) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/servicePrincipals/{}", v.sp.id),
                entity(
                    base,
                    "servicePrincipals",
                    wire_apps::service_principal(&v, None),
                    None,
                ),
            )
        }
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/servicePrincipals/{id}` → 204.
pub async fn sp_update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteApplications)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "ServicePrincipal", SP_WRITABLE, SP_READ_ONLY)?;
        if p.raw("appId").is_some() {
            return Err(bad("Property 'appId' cannot be changed."));
        }
        Ok(ServicePrincipalPatch {
            display_name: p.non_null_string("displayName")?,
            account_enabled: p.non_null_bool("accountEnabled")?,
            app_role_assignment_required: p.non_null_bool("appRoleAssignmentRequired")?,
        })
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_service_principal(&caller, &key, patch)
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/servicePrincipals/{id}` → 204.
pub async fn sp_delete(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(e) = odata::no_options(query.as_deref()) {
        return e.into_response();
    }
    match state
        .app
        .graph_delete_service_principal(&caller, &key)
        .await
    {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}
