//! The portal's company branding page (`/portal/{tenant}/branding`: the organization's name,
//! the name shown at sign-in, logo, accent colour, privacy statement URL) and deleted users
//! (`/portal/{tenant}/users/deleted`: restore within 30 days). Thin handlers over the use cases
//! Graph calls.

use super::portal::{Frame, enter, frame, not_for_you, posted, with_cookie};
use super::{ClientAddr, Visit};
use crate::AppState;
use crate::web::pages::html_page;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portico_app::AppError;
use portico_app::portal::{Area, PortalUser};
use portico_domain::UserId;
use portico_domain::tenant::{Branding, Tenant};

/// A field of the branding form: (input name, label, value, error).
type Field = (&'static str, &'static str, String, Option<String>);

#[derive(Template)]
#[template(path = "portal_branding.html")]
struct BrandingPage<'a> {
    frame: Frame<'a>,
    csrf: String,
    fields: Vec<Field>,
    done: Option<String>,
    form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_deleted.html")]
struct DeletedPage<'a> {
    frame: Frame<'a>,
    csrf: String,
    /// (id, name, upn, deleted)
    rows: Vec<(String, String, String, String)>,
    done: Option<String>,
    error: Option<String>,
}

/// The form's fields: input name, label, and the domain property its errors name.
const FIELDS: [(&str, &str, &str); 5] = [
    ("display_name", "Organization name", "displayName"),
    ("sign_in_name", "Name shown at sign-in", "branding.name"),
    ("logo_url", "Logo URL (https)", "branding.bannerLogo"),
    (
        "accent_color",
        "Accent colour (#RRGGBB)",
        "branding.backgroundColor",
    ),
    (
        "privacy_url",
        "Privacy statement URL",
        "privacyProfile.statementUrl",
    ),
];

fn branding_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
    values: [String; 5],
) -> BrandingPage<'a> {
    let f = frame(tenant, who, "branding");
    BrandingPage {
        frame: f,
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        fields: FIELDS
            .iter()
            .zip(values)
            .map(|((name, label, _), value)| (*name, *label, value, None))
            .collect(),
        done: None,
        form_error: None,
    }
}

fn current_values(t: &Tenant) -> [String; 5] {
    let b = &t.branding;
    [
        t.display_name.clone(),
        b.name.clone().unwrap_or_default(),
        b.logo_url.clone().unwrap_or_default(),
        b.accent_color.clone().unwrap_or_default(),
        b.privacy_statement_url.clone().unwrap_or_default(),
    ]
}

/// `GET /portal/{tenant}/branding`
pub async fn branding(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
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
    let page = branding_page(&state, &tenant, &who, &v, current_values(&tenant));
    with_cookie(html_page(StatusCode::OK, page.render()), &v)
}

/// `POST /portal/{tenant}/branding`
pub async fn branding_post(
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
    if !who.is_administrator() {
        return not_for_you(&tenant, &who, &v);
    }
    let params = match posted(&state, &tenant, &v, &body) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let field = |k: &str| {
        params
            .get(k)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let values = FIELDS.map(|(name, _, _)| field(name));
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let branding = Branding {
        name: opt(&values[1]),
        logo_url: opt(&values[2]),
        accent_color: opt(&values[3]),
        privacy_statement_url: opt(&values[4]),
    };
    let outcome = state
        .app
        .portal_update_branding(&who, &tenant, &values[0], branding)
        .await;
    match outcome {
        Ok(t) => {
            let mut page = branding_page(&state, &t, &who, &v, current_values(&t));
            page.done = Some("Saved.".into());
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(AppError::Validation(e)) => {
            let mut page = branding_page(&state, &tenant, &who, &v, values);
            match page
                .fields
                .iter_mut()
                .zip(FIELDS)
                .find(|(_, (_, _, property))| *property == e.field)
            {
                Some((slot, _)) => slot.3 = Some(e.message),
                None => page.form_error = Some(e.to_string()),
            }
            with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
        }
        Err(AppError::Forbidden(m)) => {
            let mut page = branding_page(&state, &tenant, &who, &v, values);
            page.form_error = Some(m);
            with_cookie(html_page(StatusCode::FORBIDDEN, page.render()), &v)
        }
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

async fn deleted_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
) -> Result<DeletedPage<'a>, AppError> {
    let users = state.app.portal_deleted_users(who, tenant).await?;
    let f = frame(tenant, who, "users");
    Ok(DeletedPage {
        frame: f,
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        rows: users
            .iter()
            .map(|u| {
                (
                    u.id.to_string(),
                    u.display_name.clone(),
                    u.user_principal_name.clone(),
                    u.deleted_date_time
                        .map(|d| d.date().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        done: None,
        error: None,
    })
}

/// `GET /portal/{tenant}/users/deleted`
pub async fn deleted(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match deleted_page(&state, &tenant, &who, &v).await {
        Ok(page) => with_cookie(html_page(StatusCode::OK, page.render()), &v),
        Err(AppError::Forbidden(_)) => not_for_you(&tenant, &who, &v),
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

/// `POST /portal/{tenant}/users/deleted`: `user=<id>` is restored.
pub async fn restore(
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
    let outcome = match field("user").parse::<UserId>() {
        Ok(id) => state.app.portal_restore_user(&who, &tenant, id).await,
        Err(_) => Err(AppError::NotFound("user")),
    };
    let mut page = match deleted_page(&state, &tenant, &who, &v).await {
        Ok(p) => p,
        Err(AppError::Forbidden(_)) => return not_for_you(&tenant, &who, &v),
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    let status = match outcome {
        Ok(m) => {
            page.done = Some(m);
            StatusCode::OK
        }
        Err(AppError::NotFound(_)) => {
            page.error = Some(
                "That user is not among the deleted users (restored already, or removed for good)."
                    .into(),
            );
            StatusCode::NOT_FOUND
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
