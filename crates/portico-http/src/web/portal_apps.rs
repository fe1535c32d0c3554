//! The portal's applications pages: `GET|POST /portal/{tenant}/apps` (the list and a
//! registration form) and `GET|POST /portal/{tenant}/apps/{id}` (one app: ids, redirect URIs,
//! client secrets with a new one shown once, assignments). Thin handlers over
//! `portico_app::portal_apps`.

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
use portico_app::portal_apps::AppView;
use portico_domain::ApplicationId;
use portico_domain::tenant::Tenant;

#[derive(Template)]
#[template(path = "portal_apps.html")]
struct AppsPage<'a> {
    frame: Frame<'a>,
    rows: Vec<(String, String, String)>,
    next: Option<String>,
    csrf: String,
    name: String,
    redirect_uri: String,
    name_error: Option<String>,
    redirect_error: Option<String>,
    form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_app.html")]
struct AppPage<'a> {
    frame: Frame<'a>,
    id: String,
    name: String,
    app_id: String,
    redirects: Vec<String>,
    /// (description, hint, expiry)
    secrets: Vec<(String, String, String)>,
    /// (assignment id, name, kind)
    assigned: Vec<(String, String, &'static str)>,
    csrf: String,
    email: String,
    email_error: Option<String>,
    done: Option<String>,
    new_secret: Option<String>,
    error: Option<String>,
}

fn failed(state: &AppState, tenant: &Tenant, who: &PortalUser, v: &Visit, e: AppError) -> Response {
    match e {
        AppError::Forbidden(_) => not_for_you(tenant, who, v),
        AppError::NotFound(_) => error_page(
            StatusCode::NOT_FOUND,
            Some(tenant),
            "There is no such application.",
            Some(v),
        ),
        e => super::redeem::render(state, Some(tenant), v, Err(e)),
    }
}

async fn apps_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
    after: Option<uuid::Uuid>,
) -> Result<AppsPage<'a>, AppError> {
    let found = state.app.portal_apps(who, tenant, after).await?;
    let f = frame(tenant, who, "apps");
    Ok(AppsPage {
        frame: f,
        rows: found
            .items
            .iter()
            .map(|a| {
                (
                    a.id.to_string(),
                    a.display_name.clone(),
                    a.app_id.to_string(),
                )
            })
            .collect(),
        next: found
            .next
            .map(|n| format!("/portal/{}/apps?after={n}", tenant.id)),
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        name: String::new(),
        redirect_uri: String::new(),
        name_error: None,
        redirect_error: None,
        form_error: None,
    })
}

/// `GET /portal/{tenant}/apps[?after=]`
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
    match apps_page(&state, &tenant, &who, &v, after).await {
        Ok(page) => with_cookie(html_page(StatusCode::OK, page.render()), &v),
        Err(e) => failed(&state, &tenant, &who, &v, e),
    }
}

/// `POST /portal/{tenant}/apps`: registers a web application, then shows it.
pub async fn register(
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
    let params = match posted(&state, &tenant, &v, &body) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    match state
        .app
        .portal_register_app(&who, &tenant, &field("name"), &field("redirect_uri"))
        .await
    {
        Ok(app) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(loc) =
                HeaderValue::from_str(&format!("/portal/{}/apps/{}", tenant.id, app.id))
            {
                res.headers_mut().insert(header::LOCATION, loc);
            }
            res
        }
        Err(AppError::Validation(e)) => match apps_page(&state, &tenant, &who, &v, None).await {
            Ok(mut page) => {
                page.name = field("name");
                page.redirect_uri = field("redirect_uri");
                if e.field.to_ascii_lowercase().contains("redirect") {
                    page.redirect_error = Some(e.message);
                } else if e.field == "displayName" {
                    page.name_error = Some(e.message);
                } else {
                    page.form_error = Some(e.to_string());
                }
                with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
            }
            Err(e) => failed(&state, &tenant, &who, &v, e),
        },
        Err(e) => failed(&state, &tenant, &who, &v, e),
    }
}

fn app_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
    view: AppView,
) -> AppPage<'a> {
    let f = frame(tenant, who, "apps");
    let a = &view.app;
    AppPage {
        frame: f,
        id: a.id.to_string(),
        name: a.display_name.clone(),
        app_id: a.app_id.to_string(),
        redirects: a
            .redirect_uris
            .web
            .iter()
            .chain(&a.redirect_uris.spa)
            .chain(&a.redirect_uris.public_client)
            .cloned()
            .collect(),
        secrets: a
            .password_credentials
            .iter()
            .map(|p| {
                (
                    p.display_name.clone().unwrap_or_default(),
                    p.hint.clone(),
                    p.end_date_time.date().to_string(),
                )
            })
            .collect(),
        assigned: view
            .assigned
            .into_iter()
            .map(|(id, name, kind)| (id.to_string(), name, kind))
            .collect(),
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        email: String::new(),
        email_error: None,
        done: None,
        new_secret: None,
        error: None,
    }
}

/// `GET /portal/{tenant}/apps/{id}`
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
    let Ok(id) = id.parse::<ApplicationId>() else {
        return failed(&state, &tenant, &who, &v, AppError::NotFound("application"));
    };
    match state.app.portal_app(&who, &tenant, id).await {
        Ok(view) => with_cookie(
            html_page(
                StatusCode::OK,
                app_page(&state, &tenant, &who, &v, view).render(),
            ),
            &v,
        ),
        Err(e) => failed(&state, &tenant, &who, &v, e),
    }
}

/// `POST /portal/{tenant}/apps/{id}`: `action=secret&description=…`,
/// `action=assign&email=…` or `action=unassign&assignment=…`.
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
    let Ok(id) = id.parse::<ApplicationId>() else {
        return failed(&state, &tenant, &who, &v, AppError::NotFound("application"));
    };
    let params = match posted(&state, &tenant, &v, &body) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    let mut secret = None;
    let outcome = match field("action").as_str() {
        "secret" => state
            .app
            .portal_new_secret(&who, &tenant, id, &field("description"))
            .await
            .map(|(cred, text)| {
                secret = Some(text);
                format!(
                    "A new client secret was added; it expires on {}.",
                    cred.end_date_time.date()
                )
            }),
        "assign" => {
            state
                .app
                .portal_assign(&who, &tenant, id, &field("email"))
                .await
        }
        "unassign" => match field("assignment").parse::<uuid::Uuid>() {
            Ok(a) => state.app.portal_unassign(&who, &tenant, id, a).await,
            Err(_) => Err(AppError::NotFound("assignment")),
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
    let view = match state.app.portal_app(&who, &tenant, id).await {
        Ok(view) => view,
        Err(e) => return failed(&state, &tenant, &who, &v, e),
    };
    let mut page = app_page(&state, &tenant, &who, &v, view);
    let status = match outcome {
        Ok(m) => {
            page.done = Some(m);
            page.new_secret = secret;
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
            page.error = Some(format!("That {what} does not exist any more."));
            StatusCode::NOT_FOUND
        }
        Err(e) => return failed(&state, &tenant, &who, &v, e),
    };
    with_cookie(html_page(status, page.render()), &v)
}
