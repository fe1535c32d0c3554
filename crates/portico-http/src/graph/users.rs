//! `/v1.0/me`, `/v1.0/users` and `/v1.0/directory/deletedItems` handlers: extract, call one
//! use case, map to Graph's wire shapes and status codes.

use super::body::{GraphBody, Props};
use super::odata;
use super::{
    GraphPrincipal, base, count_text, created, fail, no_content, objects_page, refusal, wire,
};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::GraphAction;
use portico_domain::odata::schema::USERS;
use portico_domain::user::{NewUser, ObjectIdentity, UserPatch, UserType};
use serde_json::Value;

/// Properties a client may set on a user.
const WRITABLE: &[&str] = &[
    "accountEnabled",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "otherMails",
    "mailNickname",
    "userPrincipalName",
    "userType",
    "companyName",
    "jobTitle",
    "preferredLanguage",
    "identities",
    "passwordProfile",
    "passwordPolicies",
];

/// Properties Graph computes.
const READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "creationType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "lastPasswordChangeDateTime",
    "deletedDateTime",
];

fn single_user(base: &str, u: &portico_domain::user::User, select: Option<&[String]>) -> Response {
    match select {
        None => axum::Json(wire::user_entity(base, u)).into_response(),
        Some(s) => axum::Json(wire::with_context(
            format!("{base}/v1.0/$metadata#users({})/$entity", s.join(",")),
            wire::user_selected(u, s),
        ))
        .into_response(),
    }
}

/// `GET /v1.0/me`
pub async fn me(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
) -> Response {
    let select = match odata::single_options(&USERS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_me(&caller) {
        Ok(u) => single_user(base(&state), &u, select.as_deref()),
        Err(r) => refusal(r),
    }
}

/// `GET /v1.0/users`: `$filter`, `$search`, `$orderby`, `$select`, `$top`, `$count`, paging
/// by `@odata.nextLink`.
pub async fn list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match odata::list_options(&USERS, query.as_deref(), &headers) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    let count = if opts.count {
        match state.app.graph_count_users(&caller, &opts.query).await {
            Ok(n) => Some(n),
            Err(f) => return fail(f),
        }
    } else {
        None
    };
    let page = match state
        .app
        .graph_list_users(&caller, &opts.query, opts.top, opts.skiptoken.as_deref())
        .await
    {
        Ok(p) => p,
        Err(f) => return fail(f),
    };
    let mut value: Vec<Value> = page
        .items
        .iter()
        .map(|u| match &opts.select {
            Some(s) => wire::user_selected(u, s),
            None => wire::user(u),
        })
        .collect();
    if let Some(e) = &opts.expand
        && let Err(res) = super::expand::expand_all(&state, &caller, &mut value, e).await
    {
        return res;
    }
    super::list_page(&state, "users", &opts, value, count, page.next)
}

/// `GET /v1.0/users/$count` (plain text, with `ConsistencyLevel: eventual`); `$filter` and
/// `$search` apply.
pub async fn count(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match super::count_options(&USERS, &headers, query.as_deref()) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_count_users(&caller, &opts.query).await {
        Ok(n) => count_text(n),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/users/{id | userPrincipalName}`
pub async fn get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (select, expand) = match odata::entity_options(&USERS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    let u = match state.app.graph_get_user(&caller, &key).await {
        Ok(u) => u,
        Err(f) => return fail(f),
    };
    let Some(e) = expand else {
        return single_user(base(&state), &u, select.as_deref());
    };
    let related = match super::expand::related(&state, &caller, &u.id.to_string(), &e).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let mut v = match select.as_deref() {
        Some(s) => wire::user_selected(&u, s),
        None => wire::user(&u),
    };
    if let Some(m) = v.as_object_mut() {
        m.insert(e.link.to_owned(), related);
    }
    let base = base(&state);
    let context = match select.as_deref() {
        Some(s) => format!("{base}/v1.0/$metadata#users({})/$entity", s.join(",")),
        None => format!("{base}/v1.0/$metadata#users/$entity"),
    };
    axum::Json(wire::with_context(context, v)).into_response()
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// `passwordProfile`: `{password, forceChangePasswordNextSignIn, forceChangePasswordNextSignInWithMfa}`.
fn password_profile(v: Option<&Value>) -> Result<(Option<String>, Option<bool>), GraphError> {
    let Some(v) = v else {
        return Ok((None, None));
    };
    let Value::Object(m) = v else {
        return Err(bad("passwordProfile must be an object."));
    };
    let mut password = None;
    let mut force = None;
    for (k, v) in m {
        match (k.as_str(), v) {
            ("password", Value::String(s)) => password = Some(s.clone()),
            ("password", Value::Null) => {}
            ("forceChangePasswordNextSignIn", Value::Bool(b)) => force = Some(*b),
            ("forceChangePasswordNextSignInWithMfa", Value::Bool(_) | Value::Null)
            | ("forceChangePasswordNextSignIn", Value::Null)
            | ("@odata.type", _) => {}
            (other, _) => {
                return Err(bad(format!(
                    "Invalid value or property '{}' in passwordProfile.",
                    other.chars().take(64).collect::<String>()
                )));
            }
        }
    }
    Ok((password, force))
}

fn identities(v: Option<&Value>) -> Result<Option<Vec<ObjectIdentity>>, GraphError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value::<Vec<ObjectIdentity>>(v.clone())
            .map(Some)
            .map_err(|e| {
                bad(format!(
                    "Invalid value specified for property 'identities': {e}."
                ))
            }),
    }
}

fn user_type(v: Option<String>) -> Result<Option<UserType>, GraphError> {
    v.map(|t| {
        UserType::parse(&t).ok_or_else(|| bad(format!(
            "Invalid value specified for property 'userType' of resource 'User': '{}' (use Member or Guest).",
            t.chars().take(32).collect::<String>()
        )))
    })
    .transpose()
}

/// `POST /v1.0/users`: Graph's required properties (`accountEnabled`, `displayName`,
/// `mailNickname`, `userPrincipalName`, `passwordProfile.password`).
pub async fn create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::WriteUsers) {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "User", WRITABLE, READ_ONLY)?;
        let (password, force) = password_profile(p.raw("passwordProfile"))?;
        let Some(password) = password else {
            return Err(bad(
                "Property 'passwordProfile' with a 'password' is required when creating a User.",
            ));
        };
        let new = NewUser {
            account_enabled: Some(p.required_bool("accountEnabled")?),
            display_name: p.required_string("displayName")?,
            mail_nickname: Some(p.required_string("mailNickname")?),
            user_principal_name: p.required_string("userPrincipalName")?,
            user_type: user_type(p.non_null_string("userType")?)?,
            given_name: p.string("givenName")?.flatten(),
            surname: p.string("surname")?.flatten(),
            mail: p.string("mail")?.flatten(),
            other_mails: p.strings("otherMails")?.flatten().unwrap_or_default(),
            company_name: p.string("companyName")?.flatten(),
            job_title: p.string("jobTitle")?.flatten(),
            preferred_language: p.string("preferredLanguage")?.flatten(),
            identities: identities(p.raw("identities"))?.unwrap_or_default(),
            creation_type: None,
            external_user_state: None,
        };
        Ok((new, password, force.unwrap_or(true)))
    })();
    let (new, password, force) = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_create_user(&caller, new, &password, force)
        .await
    {
        Ok(u) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/users/{}", u.id),
                wire::user_entity(base, &u),
            )
        }
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/users/{id | userPrincipalName}` → 204.
pub async fn update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::WriteUsers) {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "User", WRITABLE, READ_ONLY)?;
        let (password, force) = password_profile(p.raw("passwordProfile"))?;
        let patch = UserPatch {
            display_name: p.non_null_string("displayName")?,
            given_name: p.string("givenName")?,
            surname: p.string("surname")?,
            mail: p.string("mail")?,
            other_mails: p.strings("otherMails")?.map(Option::unwrap_or_default),
            mail_nickname: p.string("mailNickname")?,
            user_principal_name: p.non_null_string("userPrincipalName")?,
            user_type: user_type(p.non_null_string("userType")?)?,
            account_enabled: p.non_null_bool("accountEnabled")?,
            company_name: p.string("companyName")?,
            job_title: p.string("jobTitle")?,
            preferred_language: p.string("preferredLanguage")?,
            identities: identities(p.raw("identities"))?,
            force_change_password_next_sign_in: force,
        };
        Ok((patch, password))
    })();
    let (patch, password) = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_user(&caller, &key, patch, password.as_deref())
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/users/{id | userPrincipalName}` → 204 (soft delete).
pub async fn delete(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
) -> Response {
    match state.app.graph_delete_user(&caller, &key).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/directory/deletedItems/microsoft.graph.user`
pub async fn deleted_list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
) -> Response {
    match state.app.graph_deleted_users(&caller).await {
        Ok(users) => objects_page(&state, users.iter().map(wire::deleted_user).collect()),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/directory/deletedItems/{id}`
pub async fn deleted_get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(id): Path<String>,
) -> Response {
    match state.app.graph_deleted_user(&caller, &id).await {
        Ok(u) => axum::Json(wire::with_context(
            format!("{}/v1.0/$metadata#directoryObjects/$entity", base(&state)),
            wire::deleted_user(&u),
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/directory/deletedItems/{id}/restore` → 200 with the restored user.
pub async fn deleted_restore(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(id): Path<String>,
) -> Response {
    match state.app.graph_restore_user(&caller, &id).await {
        Ok(u) => axum::Json(wire::with_context(
            format!("{}/v1.0/$metadata#directoryObjects/$entity", base(&state)),
            wire::user_typed(&u, None),
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/directory/deletedItems/{id}` → 204 (permanent).
pub async fn deleted_purge(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(id): Path<String>,
) -> Response {
    match state.app.graph_purge_user(&caller, &id).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/users/{id}/memberOf` and `transitiveMemberOf`.
pub async fn member_of(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path((key, link)): Path<(String, String)>,
) -> Response {
    let objects = match link.as_str() {
        "sponsors" => Some(state.app.graph_sponsors(&caller, &key).await),
        "ownedObjects" => Some(state.app.graph_owned_objects(&caller, &key).await),
        _ => None,
    };
    if let Some(found) = objects {
        return match found {
            Ok(list) => objects_page(&state, list.iter().map(wire::directory_object).collect()),
            Err(f) => fail(f),
        };
    }
    let transitive = match link.as_str() {
        "memberOf" => false,
        "transitiveMemberOf" => true,
        _ => {
            return refusal(portico_app::graph_api::GraphRefusal::NotFound(
                link.chars().take(64).collect(),
            ));
        }
    };
    match state.app.graph_member_of(&caller, &key, transitive).await {
        Ok(groups) => objects_page(
            &state,
            groups
                .into_iter()
                .map(|g| wire::directory_object(&portico_app::graph_api::DirectoryObject::Group(g)))
                .collect(),
        ),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/users/{id}/sponsors/$ref` with `{"@odata.id": ".../users/{id}"}` → 204.
pub async fn add_sponsor(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    body: super::body::GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, portico_app::graph_api::GraphAction::WriteUsers)
    {
        return refusal(r);
    }
    let id = match super::body::reference_id(&body) {
        Ok(id) => id,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_add_sponsor(&caller, &key, id).await {
        Ok(()) => super::no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/users/{id}/sponsors/{sponsor}/$ref` → 204.
pub async fn remove_sponsor(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path((key, sponsor)): Path<(String, String)>,
) -> Response {
    match state
        .app
        .graph_remove_sponsor(&caller, &key, &sponsor)
        .await
    {
        Ok(()) => super::no_content(),
        Err(f) => fail(f),
    }
}
