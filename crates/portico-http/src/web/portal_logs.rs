//! The portal's audit log (`/portal/{tenant}/audit`, filters; `/audit/{id}` the detail),
//! sign-in log (`/portal/{tenant}/sign-ins`) and external identities page
//! (`/portal/{tenant}/external-identities`: guests' email passcodes on or off, the identity
//! providers). Thin handlers over `portico_app::portal_logs`.

use super::portal::{Frame, enter, frame, not_for_you, posted, with_cookie};
use super::{ClientAddr, Visit, error_page};
use crate::AppState;
use crate::web::pages::html_page;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portico_app::AppError;
use portico_app::portal::{Area, PortalUser};
use portico_app::portal_logs::{AuditFilter, CATEGORIES, ProviderRow};
use portico_domain::AuditEventId;
use portico_domain::audit::{AuditEvent, Initiator};
use portico_domain::tenant::Tenant;

fn when(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
        .chars()
        .take(19)
        .collect::<String>()
        .replace('T', " ")
}

fn initiator(i: &Initiator) -> String {
    match i {
        Initiator::User {
            user_principal_name,
            ..
        } => user_principal_name.clone(),
        Initiator::App { display_name, .. } => display_name.clone(),
        Initiator::System { name } => name.clone(),
    }
}

/// A changed property: (name, old value, new value).
type Change = (String, String, String);

struct AuditRow {
    id: String,
    when: String,
    activity: String,
    category: &'static str,
    by: String,
    target: String,
    result: &'static str,
}

#[derive(Template)]
#[template(path = "portal_audit.html")]
struct AuditPage<'a> {
    frame: Frame<'a>,
    categories: Vec<&'static str>,
    category: String,
    activity: String,
    by: String,
    rows: Vec<AuditRow>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_audit_event.html")]
struct AuditEventPage<'a> {
    frame: Frame<'a>,
    activity: String,
    props: Vec<(&'static str, String)>,
    /// (target name, its changed properties)
    targets: Vec<(String, Vec<Change>)>,
}

#[derive(Template)]
#[template(path = "portal_sign_ins.html")]
struct SignInsPage<'a> {
    frame: Frame<'a>,
    /// (when, user, app, ip, result, failed)
    rows: Vec<(String, String, String, String, String, bool)>,
}

#[derive(Template)]
#[template(path = "portal_external.html")]
struct ExternalPage<'a> {
    frame: Frame<'a>,
    guest_otp: bool,
    may_switch_otp: bool,
    providers: Option<Vec<ProviderRow>>,
    csrf: String,
    done: Option<String>,
    error: Option<String>,
}

/// What to answer for an error of a page's use case.
fn failed(state: &AppState, tenant: &Tenant, who: &PortalUser, v: &Visit, e: AppError) -> Response {
    match e {
        AppError::Forbidden(_) => not_for_you(tenant, who, v),
        AppError::NotFound(what) => error_page(
            StatusCode::NOT_FOUND,
            Some(tenant),
            &format!("There is no such {what}."),
            Some(v),
        ),
        e => super::redeem::render(state, Some(tenant), v, Err(e)),
    }
}

/// `GET /portal/{tenant}/audit?category=&activity=&by=`
pub async fn audit(
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
    let filter = AuditFilter {
        category: get("category"),
        activity: get("activity"),
        initiated_by: get("by"),
    };
    let f = frame(&tenant, &who, "audit");
    let mut page = AuditPage {
        frame: f,
        categories: CATEGORIES.iter().map(|c| c.as_str()).collect(),
        category: filter.category.clone(),
        activity: filter.activity.clone(),
        by: filter.initiated_by.clone(),
        rows: Vec::new(),
        error: None,
    };
    match state.app.portal_audit(&who, &tenant, &filter).await {
        Ok(events) => {
            page.rows = events
                .iter()
                .map(|e| AuditRow {
                    id: e.id.to_string(),
                    when: when(e.activity_date_time),
                    activity: e.activity_display_name.clone(),
                    category: e.category.as_str(),
                    by: initiator(&e.initiated_by),
                    target: e
                        .target_resources
                        .first()
                        .map(|t| {
                            t.user_principal_name
                                .clone()
                                .or_else(|| t.display_name.clone())
                                .unwrap_or_else(|| t.id.clone())
                        })
                        .unwrap_or_default(),
                    result: e.result.as_str(),
                })
                .collect();
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(AppError::Validation(e)) => {
            page.error = Some(e.message);
            with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
        }
        Err(e) => failed(&state, &tenant, &who, &v, e),
    }
}

fn event_page<'a>(tenant: &'a Tenant, who: &'a PortalUser, e: &AuditEvent) -> AuditEventPage<'a> {
    let f = frame(tenant, who, "audit");
    let mut props = vec![
        ("When (UTC)", when(e.activity_date_time)),
        ("Category", e.category.as_str().to_owned()),
        ("Operation", e.operation_type.clone()),
        ("Result", e.result.as_str().to_owned()),
        ("Initiated by", initiator(&e.initiated_by)),
        ("Service", e.logged_by_service.clone()),
        ("Correlation id", e.correlation_id.to_string()),
    ];
    if let Some(r) = &e.result_reason {
        props.insert(4, ("Reason", r.clone()));
    }
    AuditEventPage {
        frame: f,
        activity: e.activity_display_name.clone(),
        props,
        targets: e
            .target_resources
            .iter()
            .map(|t| {
                (
                    format!(
                        "{} ({})",
                        t.user_principal_name
                            .clone()
                            .or_else(|| t.display_name.clone())
                            .unwrap_or_else(|| t.id.clone()),
                        t.kind
                    ),
                    t.modified_properties
                        .iter()
                        .map(|m| {
                            (
                                m.display_name.clone(),
                                m.old_value.clone().unwrap_or_default(),
                                m.new_value.clone().unwrap_or_default(),
                            )
                        })
                        .collect(),
                )
            })
            .collect(),
    }
}

/// `GET /portal/{tenant}/audit/{id}`
pub async fn audit_event(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Ok(id) = id.parse::<AuditEventId>() else {
        return failed(&state, &tenant, &who, &v, AppError::NotFound("audit event"));
    };
    match state.app.portal_audit_event(&who, &tenant, id).await {
        Ok(e) => with_cookie(
            html_page(StatusCode::OK, event_page(&tenant, &who, &e).render()),
            &v,
        ),
        Err(e) => failed(&state, &tenant, &who, &v, e),
    }
}

/// `GET /portal/{tenant}/sign-ins`
pub async fn sign_ins(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match state.app.portal_sign_ins(&who, &tenant).await {
        Ok(events) => {
            let f = frame(&tenant, &who, "sign-ins");
            let page = SignInsPage {
                frame: f,
                rows: events
                    .iter()
                    .map(|e| {
                        let failed = e.status.error_code != 0;
                        (
                            when(e.created_date_time),
                            e.user_principal_name.clone().unwrap_or_default(),
                            e.app_display_name.clone().unwrap_or_default(),
                            e.ip_address.clone().unwrap_or_default(),
                            if failed {
                                format!(
                                    "{}: {}",
                                    e.status.error_code,
                                    e.status.failure_reason.clone().unwrap_or_default()
                                )
                            } else {
                                "Success".into()
                            },
                            failed,
                        )
                    })
                    .collect(),
            };
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(e) => failed(&state, &tenant, &who, &v, e),
    }
}

async fn external_page<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
) -> Result<ExternalPage<'a>, AppError> {
    let x = state.app.portal_external_identities(who, tenant).await?;
    let f = frame(tenant, who, "external");
    Ok(ExternalPage {
        frame: f,
        guest_otp: x.guest_otp,
        may_switch_otp: x.may_switch_otp,
        providers: x.providers,
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        done: None,
        error: None,
    })
}

/// `GET /portal/{tenant}/external-identities`
pub async fn external(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match external_page(&state, &tenant, &who, &v).await {
        Ok(page) => with_cookie(html_page(StatusCode::OK, page.render()), &v),
        Err(e) => failed(&state, &tenant, &who, &v, e),
    }
}

/// `POST /portal/{tenant}/external-identities`: `otp=on|off`.
pub async fn external_post(
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
    let on = match field("otp").as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                Some(&tenant),
                "Unknown setting.",
                Some(&v),
            );
        }
    };
    let outcome = state.app.portal_set_guest_otp(&who, &tenant, on).await;
    let mut page = match external_page(&state, &tenant, &who, &v).await {
        Ok(p) => p,
        Err(e) => return failed(&state, &tenant, &who, &v, e),
    };
    let status = match outcome {
        Ok(()) => {
            page.done = Some(if on {
                "Guests can sign in with email passcodes again.".into()
            } else {
                "Email passcodes for guests are off: guests who redeemed with a passcode cannot sign in until their redemption is reset.".into()
            });
            StatusCode::OK
        }
        Err(AppError::Forbidden(m)) => {
            page.error = Some(m);
            StatusCode::FORBIDDEN
        }
        Err(e) => return failed(&state, &tenant, &who, &v, e),
    };
    with_cookie(html_page(status, page.render()), &v)
}
