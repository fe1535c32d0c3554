//! Groups on Portico's pages: `GET|POST /portal/{tenant}/groups` (the list and a creation
//! form) and `GET|POST /myapps/{tenant}/groups/{id}` (one group for its owners and group
//! administrators: members, add by email — inviting guests —, remove). Thin handlers over
//! `portico_app::portal_groups`.

use super::portal::{Frame, enter, frame, not_for_you, posted, with_cookie};
use super::{ClientAddr, Visit, error_page};
use crate::AppState;
use crate::web::pages::html_page;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::AppError;
use portico_app::portal::{Area, PortalUser};
use portico_app::portal_groups::{GroupView, MemberRow};
use portico_domain::GroupId;
use portico_domain::tenant::Tenant;

#[derive(Template)]
#[template(path = "portal_groups.html")]
struct GroupsPage<'a> {
    frame: Frame<'a>,
    rows: Vec<(String, String, String)>,
    next: Option<String>,
    error: Option<String>,
    may_create: bool,
    csrf: String,
    name: String,
    description: String,
    name_error: Option<String>,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage<'a> {
    frame: Frame<'a>,
    group_id: String,
    group_name: String,
    description: String,
    members: Vec<MemberRow>,
    may_manage: bool,
    csrf: String,
    email: String,
    email_error: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

async fn groups_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
    after: Option<uuid::Uuid>,
) -> Result<GroupsPage<'a>, AppError> {
    let found = state.app.portal_groups(who, tenant, after).await?;
    let f = frame(tenant, who, "groups");
    Ok(GroupsPage {
        frame: f,
        rows: found
            .items
            .iter()
            .map(|g| {
                (
                    g.id.to_string(),
                    g.display_name.clone(),
                    g.description.clone().unwrap_or_default(),
                )
            })
            .collect(),
        next: found
            .next
            .map(|n| format!("/portal/{}/groups?after={n}", tenant.id)),
        error: None,
        may_create: who.may_manage_groups(),
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        name: String::new(),
        description: String::new(),
        name_error: None,
    })
}

/// `GET /portal/{tenant}/groups[?after=]`
pub async fn list(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if !who.is_administrator() {
        return not_for_you(&tenant, &who, &v);
    }
    let params = super::single_params(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    let after = match params.get("after").map(|a| a.parse::<uuid::Uuid>()) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(_)) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                Some(&tenant),
                "This page link is not valid. Start from the first page.",
                Some(&v),
            );
        }
    };
    match groups_page(&state, &tenant, &who, &v, after).await {
        Ok(page) => with_cookie(html_page(StatusCode::OK, page.render()), &v),
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

/// `POST /portal/{tenant}/groups`: creates a security group, then shows it.
pub async fn create(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: axum::body::Bytes,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if !who.may_manage_groups() {
        return not_for_you(&tenant, &who, &v);
    }
    let params = match posted(&state, &tenant, &v, &body) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    match state
        .app
        .portal_create_group(&who, &tenant, &field("name"), &field("description"))
        .await
    {
        Ok(g) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(loc) =
                HeaderValue::from_str(&format!("/myapps/{}/groups/{}", tenant.id, g.id))
            {
                res.headers_mut().insert(header::LOCATION, loc);
            }
            res
        }
        Err(AppError::Validation(e)) => match groups_page(&state, &tenant, &who, &v, None).await {
            Ok(mut page) => {
                page.name = field("name");
                page.description = field("description");
                page.name_error = Some(e.message);
                with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
            }
            Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
        },
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

fn group_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
    view: GroupView,
) -> GroupPage<'a> {
    let f = frame(
        tenant,
        who,
        if who.is_administrator() {
            "groups"
        } else {
            "myapps"
        },
    );
    GroupPage {
        frame: f,
        group_id: view.group.id.to_string(),
        group_name: view.group.display_name,
        description: view.group.description.unwrap_or_default(),
        members: view.members,
        may_manage: view.may_manage,
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        email: String::new(),
        email_error: None,
        done: None,
        error: None,
    }
}

fn no_such_group(tenant: &Tenant, v: &Visit) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        Some(tenant),
        "There is no such group.",
        Some(v),
    )
}

/// `GET /myapps/{tenant}/groups/{id}`
pub async fn show(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::MyApps).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Ok(id) = id.parse::<uuid::Uuid>().map(GroupId) else {
        return no_such_group(&tenant, &v);
    };
    match state.app.group_view(&who, &tenant, id).await {
        Ok(view) => {
            let page = group_page(&state, &tenant, &who, &v, view);
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(AppError::NotFound(_)) => no_such_group(&tenant, &v),
        Err(AppError::Forbidden(_)) => not_for_you(&tenant, &who, &v),
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

/// `POST /myapps/{tenant}/groups/{id}`: `action=add&email=…` or `action=remove&member=…`.
pub async fn act(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: axum::body::Bytes,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::MyApps).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Ok(id) = id.parse::<uuid::Uuid>().map(GroupId) else {
        return no_such_group(&tenant, &v);
    };
    let params = match posted(&state, &tenant, &v, &body) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    let outcome = match field("action").as_str() {
        "add" => {
            state
                .app
                .group_add_by_email(&who, &tenant, id, &field("email"))
                .await
        }
        "remove" => match field("member").parse::<uuid::Uuid>() {
            Ok(m) => state.app.group_remove(&who, &tenant, id, m).await,
            Err(_) => Err(AppError::NotFound("member")),
        },
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                Some(&tenant),
                "Unknown action.",
                Some(&v),
            );
        }
    };
    let view = match state.app.group_view(&who, &tenant, id).await {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => return no_such_group(&tenant, &v),
        Err(AppError::Forbidden(_)) => return not_for_you(&tenant, &who, &v),
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    let mut page = group_page(&state, &tenant, &who, &v, view);
    let status = match outcome {
        Ok(m) => {
            page.done = Some(m);
            StatusCode::OK
        }
        Err(AppError::Validation(e)) => {
            page.email = field("email");
            page.email_error = Some(e.message);
            StatusCode::BAD_REQUEST
        }
        Err(AppError::Forbidden(m) | AppError::Conflict { message: m }) => {
            page.error = Some(m);
            StatusCode::FORBIDDEN
        }
        Err(AppError::NotFound(what)) => {
            page.error = Some(format!("That {what} is not in this group any more."));
            StatusCode::NOT_FOUND
        }
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    with_cookie(html_page(status, page.render()), &v)
}
