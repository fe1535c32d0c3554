//! The portal's bulk invitation: `GET /portal/{tenant}/bulk-invite` (the upload form) and
//! `POST` (multipart: the CSV file, a default redirect URL, whether to send emails). The file
//! is checked whole first (`portico_app::bulk_csv`): an unusable file is refused with the
//! reason next to the file field and nothing is invited. Then every row is invited on its own
//! (`App::run_bulk_invite`, audited as Entra's "Bulk invite users"), and the page lists each
//! row's result with a CSV download of the results (which hold the invitation links).

use super::portal::{Frame, enter, frame, not_for_you, with_cookie};
use super::{ClientAddr, error_page};
use crate::AppState;
use crate::web::pages::html_page;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use portico_app::AppError;
use portico_app::bulk_invite::results_csv;
use portico_app::portal::{Area, PortalUser};
use portico_domain::tenant::Tenant;

/// The largest upload read (10 000 rows with long messages fit well within it).
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;

#[derive(Template)]
#[template(path = "portal_bulk.html")]
struct BulkPage<'a> {
    frame: Frame<'a>,
    csrf: String,
    redirect_url: String,
    send_email: bool,
    file_error: Option<String>,
    redirect_error: Option<String>,
    form_error: Option<String>,
    summary: Option<String>,
    download: String,
    /// (line, email, invited, result text)
    results: Vec<(u64, String, bool, String)>,
}

fn blank<'a>(
    state: &AppState,
    tenant: &'a Tenant,
    who: &'a PortalUser,
    csrf_cookie: &str,
) -> BulkPage<'a> {
    let f = frame(tenant, who, "bulk");
    BulkPage {
        frame: f,
        csrf: state.app.csrf_token(csrf_cookie),
        redirect_url: state.app.area_url(tenant, Area::MyApps),
        send_email: true,
        file_error: None,
        redirect_error: None,
        form_error: None,
        summary: None,
        download: String::new(),
        results: Vec::new(),
    }
}

/// `GET /portal/{tenant}/bulk-invite`
pub async fn form(
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
    let page = blank(&state, &tenant, &who, &v.browser.csrf_cookie);
    with_cookie(html_page(StatusCode::OK, page.render()), &v)
}

/// The form's fields as posted.
#[derive(Default)]
struct Upload {
    csrf: String,
    redirect_url: String,
    send_email: bool,
    file_name: String,
    file: Vec<u8>,
}

async fn read_upload(mut m: Multipart) -> Result<Upload, String> {
    let mut u = Upload::default();
    while let Some(field) = m
        .next_field()
        .await
        .map_err(|e| format!("The upload could not be read ({e}); try again."))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                u.file_name = field
                    .file_name()
                    .unwrap_or("upload.csv")
                    .chars()
                    .take(128)
                    .collect();
                u.file = field
                    .bytes()
                    .await
                    .map_err(|_| {
                        format!(
                            "The file is larger than {} MiB: split it.",
                            MAX_UPLOAD / (1024 * 1024)
                        )
                    })?
                    .to_vec();
            }
            "csrf_token" | "redirect_url" | "send_email" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| format!("The upload could not be read ({e}); try again."))?;
                match name.as_str() {
                    "csrf_token" => u.csrf = text,
                    "redirect_url" => u.redirect_url = text.trim().to_owned(),
                    _ => u.send_email = text == "true",
                }
            }
            _ => {}
        }
    }
    Ok(u)
}

/// `POST /portal/{tenant}/bulk-invite` (multipart/form-data).
pub async fn upload(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (tenant, v, who) = match enter(&state, &tenant, &headers, addr, Area::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if !who.may_invite() {
        return not_for_you(&tenant, &who, &v);
    }
    let mut page = blank(&state, &tenant, &who, &v.browser.csrf_cookie);
    let Ok(multipart) = multipart else {
        page.form_error = Some("Send the form from this page (a file upload).".into());
        return with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v);
    };
    let u = match read_upload(multipart).await {
        Ok(u) => u,
        Err(m) => {
            page.file_error = Some(m);
            return with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v);
        }
    };
    if !state.app.csrf_valid(&v.browser.csrf_cookie, &u.csrf) {
        return error_page(
            StatusCode::BAD_REQUEST,
            Some(&tenant),
            "This form has expired or was not sent from this browser. Open the page again and retry.",
            Some(&v),
        );
    }
    page.redirect_url.clone_from(&u.redirect_url);
    page.send_email = u.send_email;
    let default_redirect = (!u.redirect_url.is_empty()).then_some(u.redirect_url.as_str());
    if let Some(url) = default_redirect
        && let Err(e) = portico_domain::validate::absolute_url("redirect_url", url, false)
    {
        page.redirect_error = Some(e.message);
        return with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v);
    }
    let rows = if u.file.is_empty() {
        Err("Choose a CSV file to upload.".to_owned())
    } else {
        portico_app::bulk_csv::decode(&u.file, &u.file_name)
            .and_then(|text| portico_app::bulk_csv::parse(text, &u.file_name))
    };
    let rows = match rows {
        Ok(r) => r,
        Err(m) => {
            page.file_error = Some(m);
            return with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v);
        }
    };
    match state
        .app
        .run_bulk_invite(
            &who.ctx,
            tenant.id,
            &u.file_name,
            &rows,
            (default_redirect, u.send_email),
        )
        .await
    {
        Ok(outcomes) => {
            let invited = outcomes.iter().filter(|o| o.result.is_ok()).count();
            page.summary = Some(format!(
                "Invited {invited} of {} rows; {} failed.",
                outcomes.len(),
                outcomes.len() - invited
            ));
            page.download = format!(
                "data:text/csv;charset=utf-8;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(results_csv(&outcomes))
            );
            page.results = outcomes
                .into_iter()
                .map(|o| match o.result {
                    Ok(_) => (o.line, o.email, true, "Invited".to_owned()),
                    Err(why) => (o.line, o.email, false, why),
                })
                .collect();
            with_cookie(html_page(StatusCode::OK, page.render()), &v)
        }
        Err(AppError::Validation(e)) => {
            page.file_error = Some(e.message);
            with_cookie(html_page(StatusCode::BAD_REQUEST, page.render()), &v)
        }
        Err(AppError::Forbidden(m)) => {
            page.form_error = Some(m);
            with_cookie(html_page(StatusCode::FORBIDDEN, page.render()), &v)
        }
        Err(e) => super::redeem::render(&state, Some(&tenant), &v, Err(e)),
    }
}
