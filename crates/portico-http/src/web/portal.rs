//! The admin portal (`/portal/{tenant}/`) and My Apps (`/myapps/{tenant}/`): server-rendered
//! pages over `portico_app::portal`, for the person the tenant's session cookie signs in.
//! Without a session, the ordinary sign-in pages run first (as Portico's first-party client)
//! and come back here. Forms carry the browser's CSRF token; every action is a use case run as
//! the signed-in user, so the API's authorization, validation and audit apply.

use super::{ClientAddr, Visit, cookies, error_page, visit};
use crate::AppState;
use crate::web::pages::html_page;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::AppError;
use portico_app::portal::{AppTile, Area, PortalUser};
use portico_domain::invitation::{MessageInfo, NewInvitation};
use portico_domain::tenant::Tenant;
use portico_domain::user::UserType;

/// What every portal page shows around its content.
pub(super) struct Frame<'a> {
    pub(super) tenant_name: &'a str,
    pub(super) tenant_id: String,
    pub(super) user_name: &'a str,
    pub(super) is_admin: bool,
    pub(super) may_invite: bool,
    pub(super) current: &'static str,
}

pub(super) fn frame<'a>(
    tenant: &'a Tenant,
    who: &'a PortalUser,
    current: &'static str,
) -> Frame<'a> {
    Frame {
        tenant_name: &tenant.display_name,
        tenant_id: tenant.id.to_string(),
        user_name: &who.user.display_name,
        is_admin: who.is_administrator(),
        may_invite: who.may_invite(),
        current,
    }
}

#[derive(Template)]
#[template(path = "portal_overview.html")]
struct OverviewPage<'a> {
    frame: Frame<'a>,
    members: u64,
    guests: u64,
    pending: u64,
    domains: Vec<(String, bool)>,
    recent: Option<Vec<(String, String, String, String)>>,
}

#[derive(Template)]
#[template(path = "portal_invite.html")]
struct InvitePage<'a> {
    frame: Frame<'a>,
    csrf: String,
    email: String,
    display_name: String,
    message: String,
    redirect_url: String,
    send_email: bool,
    email_error: Option<String>,
    name_error: Option<String>,
    message_error: Option<String>,
    redirect_error: Option<String>,
    form_error: Option<String>,
    done: Option<String>,
    redeem_link: Option<String>,
}

#[derive(Template)]
#[template(path = "myapps.html")]
struct MyAppsPage<'a> {
    frame: Frame<'a>,
    tiles: Vec<AppTile>,
    groups: Vec<(String, String)>,
    upn: &'a str,
    mail: Option<&'a str>,
    is_guest: bool,
}

/// The tenant, the visit and the signed-in person; or the response to send instead (an
/// unknown tenant, or the sign-in pages).
pub(super) async fn enter(
    state: &AppState,
    tenant: &str,
    headers: &HeaderMap,
    addr: ClientAddr,
    area: Area,
) -> Result<(Tenant, Visit, PortalUser), Response> {
    let v = visit(state, headers, addr);
    let tenant = match state.app.resolve_tenant(tenant).await {
        Ok(t) => t,
        // Not a tenant id nor one of a tenant's domains.
        Err(AppError::NotFound(_) | AppError::Validation(_)) => {
            return Err(error_page(
                StatusCode::NOT_FOUND,
                None,
                "There is no such organization.",
                Some(&v),
            ));
        }
        Err(e) => return Err(super::redeem::render(state, None, &v, Err(e))),
    };
    let session = cookies::read(headers, &cookies::session_name(tenant.id, v.secure));
    match state
        .app
        .portal_user(&tenant, session.as_deref(), &v.browser)
        .await
    {
        Ok(Some(who)) => Ok((tenant, v, who)),
        Ok(None) => {
            let step = state
                .app
                .portal_sign_in(&tenant, area, &v.browser, session.as_deref())
                .await;
            Err(super::signin::render(
                state,
                Some(&tenant),
                &tenant.id.to_string(),
                &v,
                step,
            ))
        }
        Err(e) => Err(super::redeem::render(state, Some(&tenant), &v, Err(e))),
    }
}

/// The fields of a form posted to a portal page, once its CSRF token is this browser's; else
/// the page to answer (a malformed body, or a form from elsewhere or from an expired page).
pub(super) fn posted(
    state: &AppState,
    tenant: &Tenant,
    v: &Visit,
    body: &[u8],
) -> Result<std::collections::HashMap<String, String>, Box<Response>> {
    let params = super::single_params(body).map_err(|m| {
        Box::new(error_page(
            StatusCode::BAD_REQUEST,
            Some(tenant),
            &m,
            Some(v),
        ))
    })?;
    let token = params.get("csrf_token").map_or("", String::as_str);
    if !state.app.csrf_valid(&v.browser.csrf_cookie, token) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            Some(tenant),
            "This form has expired or was not sent from this browser. Open the page again and retry.",
            Some(v),
        )));
    }
    Ok(params)
}

/// Adds the visit's new CSRF cookie, if any, to a page.
pub(super) fn with_cookie(mut res: Response, v: &Visit) -> Response {
    if let Some(c) = &v.new_csrf {
        res.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn to_slash(area: &str, tenant: &str) -> Response {
    let tenant: String = url::form_urlencoded::byte_serialize(tenant.as_bytes()).collect();
    let mut res = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/{area}/{tenant}/")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `GET /portal/{tenant}`: to the landing page with its slash.
pub async fn portal_slash(Path(tenant): Path<String>) -> Response {
    to_slash("portal", &tenant)
}

/// `GET /myapps/{tenant}`: to the landing page with its slash.
pub async fn myapps_slash(Path(tenant): Path<String>) -> Response {
    to_slash("myapps", &tenant)
}

/// `GET /portal/{tenant}/`: the overview.
pub async fn overview(
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
    let o = match state.app.portal_overview(&who, &tenant).await {
        Ok(o) => o,
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    let f = frame(&tenant, &who, "overview");
    let page = OverviewPage {
        frame: f,
        members: o.members,
        guests: o.guests,
        pending: o.pending,
        domains: o.domains,
        recent: o.recent.map(|events| {
            events
                .iter()
                .map(|e| {
                    (
                        e.activity_date_time
                            .format(&time::format_description::well_known::Rfc3339)
                            .unwrap_or_default()
                            .chars()
                            .take(19)
                            .collect::<String>()
                            .replace('T', " "),
                        e.activity_display_name.clone(),
                        initiator(&e.initiated_by),
                        e.result.as_str().to_owned(),
                    )
                })
                .collect()
        }),
    };
    with_cookie(html_page(StatusCode::OK, page.render()), &v)
}

fn initiator(i: &portico_domain::audit::Initiator) -> String {
    use portico_domain::audit::Initiator as I;
    match i {
        I::User {
            user_principal_name,
            ..
        } => user_principal_name.clone(),
        I::App { display_name, .. } => display_name.clone(),
        I::System { name } => name.clone(),
    }
}

#[derive(Template)]
#[template(path = "portal_denied.html")]
struct DeniedPage<'a> {
    frame: Frame<'a>,
}

/// A page of the portal the person's roles do not open (403), pointing to My Apps.
pub(super) fn not_for_you(tenant: &Tenant, who: &PortalUser, v: &Visit) -> Response {
    let f = frame(tenant, who, "");
    let page = DeniedPage { frame: f };
    with_cookie(html_page(StatusCode::FORBIDDEN, page.render()), v)
}

fn blank_invite<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    v: &Visit,
) -> InvitePage<'a> {
    let f = frame(tenant, who, "invite");
    InvitePage {
        frame: f,
        csrf: state.app.csrf_token(&v.browser.csrf_cookie),
        email: String::new(),
        display_name: String::new(),
        message: String::new(),
        redirect_url: state.app.area_url(tenant, Area::MyApps),
        send_email: true,
        email_error: None,
        name_error: None,
        message_error: None,
        redirect_error: None,
        form_error: None,
        done: None,
        redeem_link: None,
    }
}

/// `GET /portal/{tenant}/invite`: the invitation form.
pub async fn invite_form(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if !who.may_invite() {
        return not_for_you(&tenant, &who, &v);
    }
    let page = blank_invite(&state, &tenant, &who, &v);
    with_cookie(html_page(StatusCode::OK, page.render()), &v)
}

/// `POST /portal/{tenant}/invite`: invites (the same use case as Graph's `POST /invitations`),
/// then shows the result, or the form again with each error next to its field.
pub async fn invite_post(
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
    let mut page = blank_invite(&state, &tenant, &who, &v);
    page.email = field("email").trim().to_owned();
    page.display_name = field("display_name").trim().to_owned();
    page.message = field("message");
    page.redirect_url = field("redirect_url").trim().to_owned();
    page.send_email = field("send_email") == "true";
    let new = NewInvitation {
        invited_user_email_address: page.email.clone(),
        invite_redirect_url: page.redirect_url.clone(),
        invited_user_display_name: (!page.display_name.is_empty())
            .then(|| page.display_name.clone()),
        send_invitation_message: page.send_email,
        message_info: MessageInfo {
            customized_message_body: (!page.message.trim().is_empty())
                .then(|| page.message.clone()),
            ..MessageInfo::default()
        },
        invited_user_type: Some(UserType::Guest),
        ..NewInvitation::default()
    };
    match state.app.invite(&who.ctx, tenant.id, new).await {
        Ok(invited) => {
            page.done = Some(if page.send_email {
                format!(
                    "{} is invited: the invitation email is on its way.",
                    invited.user.display_name
                )
            } else {
                format!("{} is invited.", invited.user.display_name)
            });
            page.redeem_link = (!page.send_email).then_some(invited.redeem_url);
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(AppError::Validation(e)) => {
            let slot = match e.field {
                "invitedUserEmailAddress" => &mut page.email_error,
                "invitedUserDisplayName" => &mut page.name_error,
                "inviteRedirectUrl" => &mut page.redirect_error,
                "customizedMessageBody" => &mut page.message_error,
                _ => &mut page.form_error,
            };
            *slot = Some(e.message);
            with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
        }
        Err(AppError::Forbidden(m) | AppError::Conflict { message: m }) => {
            page.form_error = Some(m);
            with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
        }
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}

/// `GET /myapps/{tenant}/`: the apps the person is assigned, and their profile.
pub async fn my_apps(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::MyApps).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let tiles = match state.app.my_apps(&tenant, &who.user).await {
        Ok(t) => t,
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    let groups = match state.app.owned_groups(&tenant, &who).await {
        Ok(g) => g
            .into_iter()
            .map(|g| (g.id.to_string(), g.display_name))
            .collect(),
        Err(e) => return super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    };
    let f = frame(&tenant, &who, "myapps");
    let page = MyAppsPage {
        frame: f,
        tiles,
        groups,
        upn: &who.user.user_principal_name,
        mail: who.user.mail.as_deref(),
        is_guest: who.user.user_type == UserType::Guest,
    };
    with_cookie(html_page(StatusCode::OK, page.render()), &v)
}
