//! App role assignments (`…/appRoleAssignments`, `/servicePrincipals/{id}/appRoleAssignedTo`)
//! and delegated permission grants (`/oauth2PermissionGrants`) handlers.

use super::body::{GraphBody, Props};
use super::odata;
use super::{GraphPrincipal, base, created, fail, next_link, no_content, refusal, wire_apps};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::{AssignmentSide, Caller, GraphAction};
use portico_domain::UserId;
use portico_domain::directory_object::ObjectKind;
use portico_domain::grant::ConsentType;
use portico_domain::odata::schema::PERMISSION_GRANTS;

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn guid(p: &Props<'_>, name: &str) -> Result<uuid::Uuid, GraphError> {
    p.required_string(name)?
        .parse()
        .map_err(|_| bad(format!("Property '{name}' must be a GUID.")))
}

const ASSIGNMENT_WRITABLE: &[&str] = &["principalId", "resourceId", "appRoleId"];
const ASSIGNMENT_READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "deletedDateTime",
    "principalDisplayName",
    "principalType",
    "resourceDisplayName",
];

async fn list_assignments(
    state: &AppState,
    caller: &Caller,
    kind: ObjectKind,
    key: &str,
    side: AssignmentSide,
    query: Option<&str>,
) -> Response {
    if let Err(e) = odata::no_options(query) {
        return e.into_response();
    }
    match state
        .app
        .graph_list_assignments(caller, kind, key, side)
        .await
    {
        Ok(list) => axum::Json(super::wire::collection(
            format!("{}/v1.0/$metadata#appRoleAssignments", base(state)),
            list.iter().map(wire_apps::assignment).collect(),
            None,
            None,
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

async fn add_assignment(
    state: &AppState,
    caller: &Caller,
    kind: ObjectKind,
    key: &str,
    side: AssignmentSide,
    query: Option<&str>,
    body: &GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(caller, GraphAction::WriteAppRoleAssignments)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query)?;
        let p = Props::new(
            body,
            "AppRoleAssignment",
            ASSIGNMENT_WRITABLE,
            ASSIGNMENT_READ_ONLY,
        )?;
        Ok((
            guid(&p, "principalId")?,
            guid(&p, "resourceId")?,
            guid(&p, "appRoleId")?,
        ))
    })();
    let (principal, resource, role) = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_assign(
            caller,
            kind,
            key,
            side,
            portico_app::graph_api::NewAssignment {
                principal_id: principal,
                resource_id: resource,
                app_role_id: role,
            },
        )
        .await
    {
        Ok(v) => {
            let base = base(state);
            let segment = match side {
                AssignmentSide::Held => "appRoleAssignments",
                AssignmentSide::AssignedTo => "appRoleAssignedTo",
            };
            let owner = match kind {
                ObjectKind::User => "users",
                ObjectKind::Group => "groups",
                ObjectKind::ServicePrincipal => "servicePrincipals",
            };
            created(
                &format!("{base}/v1.0/{owner}/{key}/{segment}/{}", v.assignment.id),
                super::wire::with_context(
                    format!("{base}/v1.0/$metadata#appRoleAssignments/$entity"),
                    wire_apps::assignment(&v),
                ),
            )
        }
        Err(f) => fail(f),
    }
}

async fn remove_assignment(
    state: &AppState,
    caller: &Caller,
    kind: ObjectKind,
    key: &str,
    side: AssignmentSide,
    id: &str,
    query: Option<&str>,
) -> Response {
    if let Err(e) = odata::no_options(query) {
        return e.into_response();
    }
    match state.app.graph_unassign(caller, kind, key, side, id).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

macro_rules! assignment_routes {
    ($list:ident, $add:ident, $remove:ident, $kind:expr, $side:expr) => {
        /// `GET` of the collection.
        pub async fn $list(
            State(state): State<AppState>,
            GraphPrincipal(caller): GraphPrincipal,
            Path(key): Path<String>,
            RawQuery(query): RawQuery,
        ) -> Response {
            list_assignments(&state, &caller, $kind, &key, $side, query.as_deref()).await
        }

        /// `POST` to the collection → 201.
        pub async fn $add(
            State(state): State<AppState>,
            GraphPrincipal(caller): GraphPrincipal,
            Path(key): Path<String>,
            RawQuery(query): RawQuery,
            body: GraphBody,
        ) -> Response {
            add_assignment(&state, &caller, $kind, &key, $side, query.as_deref(), &body).await
        }

        /// `DELETE` of one assignment → 204.
        pub async fn $remove(
            State(state): State<AppState>,
            GraphPrincipal(caller): GraphPrincipal,
            Path((key, id)): Path<(String, String)>,
            RawQuery(query): RawQuery,
        ) -> Response {
            remove_assignment(&state, &caller, $kind, &key, $side, &id, query.as_deref()).await
        }
    };
}

assignment_routes!(
    sp_held,
    sp_held_add,
    sp_held_remove,
    ObjectKind::ServicePrincipal,
    AssignmentSide::Held
);
assignment_routes!(
    sp_assigned_to,
    sp_assigned_to_add,
    sp_assigned_to_remove,
    ObjectKind::ServicePrincipal,
    AssignmentSide::AssignedTo
);
assignment_routes!(
    user_held,
    user_held_add,
    user_held_remove,
    ObjectKind::User,
    AssignmentSide::Held
);
assignment_routes!(
    group_held,
    group_held_add,
    group_held_remove,
    ObjectKind::Group,
    AssignmentSide::Held
);

/// `GET /v1.0/oauth2PermissionGrants` (`$filter` on clientId, resourceId, principalId,
/// consentType; `$top`).
pub async fn grants_list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match odata::list_options(&PERMISSION_GRANTS, query.as_deref(), &headers) {
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    if opts.count {
        return bad("$count is not supported on oauth2PermissionGrants.").into_response();
    }
    let page = match state
        .app
        .graph_list_permission_grants(&caller, &opts.query, opts.top, opts.skiptoken.as_deref())
        .await
    {
        Ok(p) => p,
        Err(f) => return fail(f),
    };
    let base = base(&state);
    let next = page
        .next
        .map(|t| next_link(base, "oauth2PermissionGrants", &opts.carry, &t));
    axum::Json(super::wire::collection(
        format!("{base}/v1.0/$metadata#oauth2PermissionGrants"),
        page.items.iter().map(wire_apps::permission_grant).collect(),
        None,
        next,
    ))
    .into_response()
}

/// `GET /v1.0/servicePrincipals/{id}/oauth2PermissionGrants`: the grants the client holds.
pub async fn sp_grants(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(e) = odata::no_options(query.as_deref()) {
        return e.into_response();
    }
    let view = match state.app.graph_get_service_principal(&caller, &key).await {
        Ok(v) => v,
        Err(f) => return fail(f),
    };
    let filter = format!("clientId eq '{}'", view.sp.id);
    let q = match portico_domain::odata::filter(&PERMISSION_GRANTS, &filter) {
        Ok(f) => portico_domain::odata::ListQuery {
            filter: Some(f),
            ..portico_domain::odata::ListQuery::default()
        },
        Err(e) => return bad(e.message).into_response(),
    };
    match state
        .app
        .graph_list_permission_grants(&caller, &q, Some(999), None)
        .await
    {
        Ok(p) => axum::Json(super::wire::collection(
            format!("{}/v1.0/$metadata#oauth2PermissionGrants", base(&state)),
            p.items.iter().map(wire_apps::permission_grant).collect(),
            None,
            None,
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

fn grant_entity(state: &AppState, g: &portico_domain::grant::PermissionGrant) -> serde_json::Value {
    super::wire::with_context(
        format!(
            "{}/v1.0/$metadata#oauth2PermissionGrants/$entity",
            base(state)
        ),
        wire_apps::permission_grant(g),
    )
}

/// `GET /v1.0/oauth2PermissionGrants/{id}`
pub async fn grant_get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(e) = odata::no_options(query.as_deref()) {
        return e.into_response();
    }
    match state.app.graph_get_permission_grant(&caller, &key).await {
        Ok(g) => axum::Json(grant_entity(&state, &g)).into_response(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/oauth2PermissionGrants` → 201.
pub async fn grant_create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WritePermissionGrants)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(
            &body,
            "OAuth2PermissionGrant",
            &[
                "clientId",
                "resourceId",
                "consentType",
                "principalId",
                "scope",
            ],
            &["id"],
        )?;
        let client = guid(&p, "clientId")?;
        let resource = guid(&p, "resourceId")?;
        let scope = p.required_string("scope")?;
        let principal = p.string("principalId")?.flatten();
        let consent = match (p.required_string("consentType")?.as_str(), principal) {
            ("AllPrincipals", None) => ConsentType::AllPrincipals,
            ("AllPrincipals", Some(_)) => {
                return Err(bad(
                    "principalId must be null when consentType is AllPrincipals.",
                ));
            }
            ("Principal", Some(id)) => ConsentType::Principal(UserId(
                id.parse()
                    .map_err(|_| bad("Property 'principalId' must be a user's id (a GUID)."))?,
            )),
            ("Principal", None) => {
                return Err(bad(
                    "principalId is required when consentType is Principal.",
                ));
            }
            _ => return Err(bad("consentType must be AllPrincipals or Principal.")),
        };
        Ok((client, resource, consent, scope))
    })();
    let (client, resource, consent, scope) = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_create_permission_grant(&caller, client, resource, consent, &scope)
        .await
    {
        Ok(g) => created(
            &format!("{}/v1.0/oauth2PermissionGrants/{}", base(&state), g.id),
            grant_entity(&state, &g),
        ),
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/oauth2PermissionGrants/{id}` (`scope`) → 204.
pub async fn grant_update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WritePermissionGrants)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<_, GraphError> {
        odata::no_options(query.as_deref())?;
        let p = Props::new(
            &body,
            "OAuth2PermissionGrant",
            &["scope"],
            &["id", "clientId", "resourceId", "consentType", "principalId"],
        )?;
        p.required_string("scope")
    })();
    let scope = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_permission_grant(&caller, &key, &scope)
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/oauth2PermissionGrants/{id}` → 204.
pub async fn grant_delete(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(e) = odata::no_options(query.as_deref()) {
        return e.into_response();
    }
    match state.app.graph_delete_permission_grant(&caller, &key).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}
