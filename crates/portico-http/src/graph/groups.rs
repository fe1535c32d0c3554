//! `/v1.0/groups` (with `members`, `owners`, `transitiveMembers` and `$ref`) and
//! `/v1.0/directoryObjects` handlers.

use super::body::{GraphBody, Props, reference_id};
use super::odata;
use super::{
    GraphPrincipal, base, count_text, created, fail, no_content, objects_page, refusal, wire,
};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::{GraphAction, GraphRefusal, GroupLink};
use portico_domain::UserId;
use portico_domain::directory_object::ObjectKind;
use portico_domain::group::{GroupPatch, NewGroup};
use portico_domain::odata::schema::GROUPS;
use serde_json::Value;

const WRITABLE: &[&str] = &[
    "displayName",
    "description",
    "mailNickname",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "owners@odata.bind",
    "members@odata.bind",
    "visibility",
];
const READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "deletedDateTime",
    "renewedDateTime",
    "mail",
];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn entity(base: &str, g: &portico_domain::group::Group, select: Option<&[String]>) -> Value {
    let context = match select {
        Some(s) => format!("{base}/v1.0/$metadata#groups({})/$entity", s.join(",")),
        None => format!("{base}/v1.0/$metadata#groups/$entity"),
    };
    wire::with_context(context, wire::group(g, select))
}

/// `GET /v1.0/groups`
pub async fn list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match odata::list_options(&GROUPS, query.as_deref(), &headers) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    let count = if opts.count {
        match state.app.graph_count_groups(&caller, &opts.query).await {
            Ok(n) => Some(n),
            Err(f) => return fail(f),
        }
    } else {
        None
    };
    let page = match state
        .app
        .graph_list_groups(&caller, &opts.query, opts.top, opts.skiptoken.as_deref())
        .await
    {
        Ok(p) => p,
        Err(f) => return fail(f),
    };
    let mut value: Vec<Value> = page
        .items
        .iter()
        .map(|g| wire::group(g, opts.select.as_deref()))
        .collect();
    if let Some(e) = &opts.expand
        && let Err(res) = super::expand::expand_all(&state, &caller, &mut value, e).await
    {
        return res;
    }
    super::list_page(&state, "groups", &opts, value, count, page.next)
}

/// `GET /v1.0/groups/$count`
pub async fn count(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match super::count_options(&GROUPS, &headers, query.as_deref()) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_count_groups(&caller, &opts.query).await {
        Ok(n) => count_text(n),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/groups/{id}`
pub async fn get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (select, expand) = match odata::entity_options(&GROUPS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    let g = match state.app.graph_get_group(&caller, &key).await {
        Ok(g) => g,
        Err(f) => return fail(f),
    };
    let mut v = entity(base(&state), &g, select.as_deref());
    if let Some(e) = expand {
        let related = match super::expand::related(&state, &caller, &g.id.to_string(), &e).await {
            Ok(v) => v,
            Err(res) => return res,
        };
        if let Some(m) = v.as_object_mut() {
            m.insert(e.link.to_owned(), related);
        }
    }
    axum::Json(v).into_response()
}

/// Ids bound with `owners@odata.bind` (users only).
fn bound_owners(p: &Props<'_>) -> Result<Vec<UserId>, GraphError> {
    let Some(urls) = p.strings("owners@odata.bind")?.flatten() else {
        return Ok(Vec::new());
    };
    if urls.len() > 20 {
        return Err(bad("A group may be created with at most 20 owners."));
    }
    urls.into_iter()
        .map(|u| {
            let mut m = serde_json::Map::new();
            m.insert("@odata.id".into(), Value::String(u));
            reference_id(&GraphBody(Ok(m))).map(UserId)
        })
        .collect()
}

/// `POST /v1.0/groups`: security groups (`mailEnabled` false, `securityEnabled` true, no
/// `groupTypes`); Microsoft 365 groups need mailboxes Portico does not have.
pub async fn create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::WriteGroups) {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Group", WRITABLE, READ_ONLY)?;
        if p.raw("members@odata.bind").is_some() {
            return Err(bad(
                "members@odata.bind is not supported: add members with POST /groups/{id}/members/$ref.",
            ));
        }
        let display_name = p.required_string("displayName")?;
        let mail_nickname = p.required_string("mailNickname")?;
        let mail_enabled = p.required_bool("mailEnabled")?;
        let security_enabled = p.required_bool("securityEnabled")?;
        let types = p.strings("groupTypes")?.flatten().unwrap_or_default();
        if mail_enabled || !security_enabled || !types.is_empty() {
            return Err(bad(
                "Only security groups can be created (mailEnabled false, securityEnabled true, groupTypes empty): Portico has no mailboxes for Microsoft 365 groups.",
            ));
        }
        Ok((
            NewGroup {
                display_name,
                description: p.string("description")?.flatten(),
                mail_nickname: Some(mail_nickname),
            },
            bound_owners(&p)?,
        ))
    })();
    let (new, owners) = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_create_group(&caller, new, &owners).await {
        Ok(g) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/groups/{}", g.id),
                entity(base, &g, None),
            )
        }
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/groups/{id}` → 204.
pub async fn update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::WriteGroups) {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(&body, "Group", WRITABLE, READ_ONLY)?;
        for fixed in [
            "mailEnabled",
            "securityEnabled",
            "groupTypes",
            "owners@odata.bind",
            "members@odata.bind",
            "visibility",
        ] {
            if p.raw(fixed).is_some() {
                return Err(bad(format!(
                    "Property '{fixed}' cannot be changed on a security group."
                )));
            }
        }
        Ok(GroupPatch {
            display_name: p.non_null_string("displayName")?,
            description: p.string("description")?,
            mail_nickname: p.non_null_string("mailNickname")?,
        })
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_update_group(&caller, &key, patch).await {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/groups/{id}` → 204.
pub async fn delete(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
) -> Response {
    match state.app.graph_delete_group(&caller, &key).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

fn link(name: &str) -> Result<GroupLink, Box<Response>> {
    match name {
        "members" => Ok(GroupLink::Members),
        "transitiveMembers" => Ok(GroupLink::TransitiveMembers),
        "owners" => Ok(GroupLink::Owners),
        other => Err(Box::new(refusal(GraphRefusal::NotFound(
            other.chars().take(64).collect(),
        )))),
    }
}

/// `GET /v1.0/groups/{id}/members|transitiveMembers|owners`
pub async fn links(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path((key, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let l = match link(&name) {
        Ok(l) => l,
        Err(res) => return *res,
    };
    if let Err(res) = odata::no_options(query.as_deref()) {
        return res.into_response();
    }
    match state.app.graph_group_links(&caller, &key, l).await {
        Ok(objects) => objects_page(&state, objects.iter().map(wire::directory_object).collect()),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/groups/{id}/members/$ref` or `owners/$ref` → 204.
pub async fn add_ref(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path((key, name)): Path<(String, String)>,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteGroupMembers)
    {
        return refusal(r);
    }
    let l = match link(&name) {
        Ok(GroupLink::TransitiveMembers) | Err(_) => {
            return refusal(GraphRefusal::NotFound(format!("{name}/$ref")));
        }
        Ok(l) => l,
    };
    let id = match reference_id(&body) {
        Ok(id) => id,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_add_group_link(&caller, &key, l, id).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/groups/{id}/members/{member}/$ref` or `owners/{owner}/$ref` → 204.
pub async fn remove_ref(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path((key, name, object)): Path<(String, String, String)>,
) -> Response {
    let l = match link(&name) {
        Ok(GroupLink::TransitiveMembers) | Err(_) => {
            return refusal(GraphRefusal::NotFound(format!("{name}/$ref")));
        }
        Ok(l) => l,
    };
    match state
        .app
        .graph_remove_group_link(&caller, &key, l, &object)
        .await
    {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/directoryObjects/{id}`
pub async fn directory_object(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(id): Path<String>,
) -> Response {
    match state.app.graph_directory_object(&caller, &id).await {
        Ok(o) => axum::Json(wire::with_context(
            format!("{}/v1.0/$metadata#directoryObjects/$entity", base(&state)),
            wire::directory_object(&o),
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/directoryObjects/getByIds`: `{"ids": [...], "types": ["user", "group"]}`.
pub async fn get_by_ids(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    body: GraphBody,
) -> Response {
    if state
        .app
        .graph_require(&caller, GraphAction::ReadUsers)
        .is_err()
        && let Err(r) = state.app.graph_require(&caller, GraphAction::ReadGroups)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        let p = Props::new(&body, "getByIds", &["ids", "types"], &[])?;
        let ids = p
            .strings("ids")?
            .flatten()
            .ok_or_else(|| bad("Property 'ids' is required."))?;
        let ids = ids
            .iter()
            .map(|s| {
                s.parse::<uuid::Uuid>().map_err(|_| {
                    bad(format!(
                        "'{}' is not an object id.",
                        s.chars().take(64).collect::<String>()
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let types = p
            .strings("types")?
            .flatten()
            .unwrap_or_default()
            .iter()
            .map(|t| {
                match t
                    .trim_start_matches("microsoft.graph.")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "user" => Ok(ObjectKind::User),
                    "group" => Ok(ObjectKind::Group),
                    "serviceprincipal" => Ok(ObjectKind::ServicePrincipal),
                    _ => Err(bad(format!(
                        "'{}' is not a supported type: use user, group or servicePrincipal.",
                        t.chars().take(64).collect::<String>()
                    ))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((ids, types))
    })();
    let (ids, types) = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_get_by_ids(&caller, &ids, &types).await {
        Ok(objects) => objects_page(&state, objects.iter().map(wire::directory_object).collect()),
        Err(f) => fail(f),
    }
}
