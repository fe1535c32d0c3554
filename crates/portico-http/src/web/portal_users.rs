//! The portal's users pages: `GET /portal/{tenant}/users` (search, filters, paging),
//! `GET /portal/{tenant}/users/{id}` (one user) and `POST` to it (block, unblock, resend the
//! invitation, reset the redemption, delete after a confirmation). Thin handlers over
//! `portico_app::portal_users`.

use super::portal::{Frame, enter, frame, not_for_you, posted, with_cookie};
use super::{ClientAddr, error_page};
use crate::AppState;
use crate::web::pages::html_page;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portico_app::AppError;
use portico_app::portal::{Area, PortalUser};
use portico_app::portal_users::{UserAction, UserDetail};
use portico_domain::UserId;
use portico_domain::tenant::Tenant;
use portico_domain::user::{UserFilter, UserType};

/// One row of the list.
struct Row {
    id: String,
    name: String,
    upn: String,
    kind: &'static str,
    state: &'static str,
    enabled: &'static str,
}

#[derive(Template)]
#[template(path = "portal_users.html")]
struct UsersPage<'a> {
    frame: Frame<'a>,
    q: String,
    kind: String,
    enabled: String,
    rows: Vec<Row>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_user.html")]
struct UserPage<'a> {
    frame: Frame<'a>,
    id: String,
    name: String,
    props: Vec<(&'static str, String)>,
    identities: Vec<String>,
    groups: Vec<String>,
    apps: Vec<String>,
    actions: Vec<(&'static str, &'static str)>,
    deleted: bool,
    confirm_delete: bool,
    csrf: String,
    done: Option<String>,
    error: Option<String>,
}

/// `GET /portal/{tenant}/users?q=&type=member|guest&enabled=yes|no&after=`
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
    let params = match super::single_params(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, Some(&tenant), &m, Some(&v)),
    };
    let get = |k: &str| {
        params
            .get(k)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let (q, kind, enabled) = (get("q"), get("type"), get("enabled"));
    let filter = UserFilter {
        user_type: match kind.as_str() {
            "member" => Some(UserType::Member),
            "guest" => Some(UserType::Guest),
            _ => None,
        },
        account_enabled: match enabled.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        starts_with: (!q.is_empty()).then(|| q.clone()),
    };
    let after = match params.get("after") {
        Some(a) => match a.parse::<uuid::Uuid>() {
            Ok(u) => Some(u),
            Err(_) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    Some(&tenant),
                    "This page link is not valid. Start from the first page.",
                    Some(&v),
                );
            }
        },
        None => None,
    };
    let f = frame(&tenant, &who, "users");
    let mut page = UsersPage {
        frame: f,
        q: q.clone(),
        kind: kind.clone(),
        enabled: enabled.clone(),
        rows: Vec::new(),
        next: None,
        error: None,
    };
    match state.app.portal_users(&who, &tenant, &filter, after).await {
        Ok(found) => {
            page.rows = found
                .items
                .iter()
                .map(|u| Row {
                    id: u.id.to_string(),
                    name: u.display_name.clone(),
                    upn: u.user_principal_name.clone(),
                    kind: u.user_type.as_str(),
                    state: u.external_user_state.map_or("", |s| s.as_str()),
                    enabled: if u.account_enabled {
                        "Allowed"
                    } else {
                        "Blocked"
                    },
                })
                .collect();
            page.next = found.next.map(|n| {
                let qs = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", &q)
                    .append_pair("type", &kind)
                    .append_pair("enabled", &enabled)
                    .append_pair("after", &n.to_string())
                    .finish();
                format!("/portal/{}/users?{qs}", tenant.id)
            });
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(AppError::Validation(e)) => {
            page.error = Some(e.message);
            with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
        }
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

fn user_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    csrf_cookie: &str,
    d: &UserDetail,
) -> UserPage<'a> {
    let f: Frame<'a> = frame(tenant, who, "users");
    let u = &d.user;
    let mut props = vec![
        ("User principal name", u.user_principal_name.clone()),
        ("Email", u.mail.clone().unwrap_or_default()),
        ("Type", u.user_type.as_str().to_owned()),
        (
            "Sign-in",
            if u.account_enabled {
                "Allowed"
            } else {
                "Blocked"
            }
            .to_owned(),
        ),
        ("Object id", u.id.to_string()),
        ("Created (UTC)", u.created_date_time.date().to_string()),
    ];
    if let Some(s) = u.external_user_state {
        props.insert(3, ("Invitation", s.as_str().to_owned()));
    }
    let mut actions = vec![if u.account_enabled {
        ("block", "Block sign-in")
    } else {
        ("unblock", "Allow sign-in")
    }];
    if u.user_type == UserType::Guest {
        if u.external_user_state == Some(portico_domain::user::ExternalUserState::PendingAcceptance)
        {
            actions.push(("resend", "Resend invitation"));
        }
        actions.push(("reset", "Reset redemption status"));
    }
    actions.push(("delete", "Delete"));
    UserPage {
        frame: f,
        id: u.id.to_string(),
        name: u.display_name.clone(),
        props,
        identities: u
            .identities
            .iter()
            .map(|i| {
                format!(
                    "{} — {}{}",
                    i.sign_in_type,
                    i.issuer,
                    i.issuer_assigned_id
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                )
            })
            .collect(),
        groups: d.groups.clone(),
        apps: d.apps.clone(),
        actions,
        deleted: u.deleted_date_time.is_some(),
        confirm_delete: false,
        csrf: state.app.csrf_token(csrf_cookie),
        done: None,
        error: None,
    }
}

fn no_such_user(tenant: &Tenant, v: &super::Visit) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        Some(tenant),
        "There is no such user.",
        Some(v),
    )
}

/// `GET /portal/{tenant}/users/{id}`
pub async fn show(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
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
    let Ok(id) = id.parse::<UserId>() else {
        return no_such_user(&tenant, &v);
    };
    match state.app.portal_user_detail(&who, &tenant, id).await {
        Ok(d) => {
            let page = user_page(&state, &tenant, &who, &v.browser.csrf_cookie, &d);
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(AppError::NotFound(_)) => no_such_user(&tenant, &v),
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

/// `POST /portal/{tenant}/users/{id}`: `action` = block, unblock, resend, reset or delete
/// (delete asks for a confirmation first).
pub async fn act(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: axum::body::Bytes,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if !who.is_administrator() {
        return not_for_you(&tenant, &who, &v);
    }
    let Ok(id) = id.parse::<UserId>() else {
        return no_such_user(&tenant, &v);
    };
    let params = match posted(&state, &tenant, &v, &body) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    let Some(action) = UserAction::parse(&field("action")) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            Some(&tenant),
            "Unknown action.",
            Some(&v),
        );
    };
    let detail = match state.app.portal_user_detail(&who, &tenant, id).await {
        Ok(d) => d,
        Err(AppError::NotFound(_)) => return no_such_user(&tenant, &v),
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    if action == UserAction::Delete && field("confirm") != "yes" {
        let mut page = user_page(&state, &tenant, &who, &v.browser.csrf_cookie, &detail);
        page.confirm_delete = true;
        return with_cookie(html_page(StatusCode::OK, page.render()), &v);
    }
    let outcome = state
        .app
        .portal_user_action(&who, &tenant, id, action)
        .await;
    // Show the user as they are now (a deleted user: as they were, without actions).
    let now = match state.app.portal_user_detail(&who, &tenant, id).await {
        Ok(d) => d,
        Err(_) => UserDetail {
            user: portico_domain::user::User {
                deleted_date_time: Some(time::OffsetDateTime::now_utc()),
                ..detail.user.clone()
            },
            ..detail
        },
    };
    let mut page = user_page(&state, &tenant, &who, &v.browser.csrf_cookie, &now);
    let status = match outcome {
        Ok(m) => {
            page.done = Some(m);
            StatusCode::OK
        }
        Err(AppError::Validation(e)) => {
            page.error = Some(e.message);
            StatusCode::BAD_REQUEST
        }
        Err(AppError::Forbidden(m) | AppError::Conflict { message: m }) => {
            page.error = Some(m);
            StatusCode::FORBIDDEN
        }
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    with_cookie(html_page(status, page.render()), &v)
}
