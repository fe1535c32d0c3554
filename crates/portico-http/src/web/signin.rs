//! `GET|POST /{tenant}/oauth2/v2.0/authorize` and `POST /{tenant}/login/{step}`.

use super::{ClientAddr, MAX_FORM, Visit, cookies, error_page, pages, visit};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::AppError;
use portico_app::signin::{AuthorizeParams, Next, ResponseMode, Step};
use portico_domain::tenant::Tenant;
use std::collections::HashMap;

fn to_params(mut map: HashMap<String, String>) -> AuthorizeParams {
    let mut get = |k: &str| map.remove(k);
    AuthorizeParams {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        response_mode: get("response_mode"),
        scope: get("scope"),
        state: get("state"),
        nonce: get("nonce"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        prompt: get("prompt"),
        login_hint: get("login_hint"),
        domain_hint: get("domain_hint"),
        max_age: get("max_age"),
    }
}

/// `GET /{tenant}/oauth2/v2.0/authorize`
pub async fn authorize_get(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    authorize(
        &state,
        &segment,
        query.unwrap_or_default().as_bytes(),
        &headers,
        addr,
    )
    .await
}

/// `POST /{tenant}/oauth2/v2.0/authorize` (form-encoded parameters).
pub async fn authorize_post(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: Bytes,
) -> Response {
    if !super::is_form(&headers) {
        let v = visit(&state, &headers, addr);
        return error_page(
            StatusCode::BAD_REQUEST,
            None,
            "The authorization request must be sent as a query string or a form.",
            Some(&v),
        );
    }
    authorize(&state, &segment, &body, &headers, addr).await
}

async fn authorize(
    state: &AppState,
    segment: &str,
    raw: &[u8],
    headers: &HeaderMap,
    addr: ClientAddr,
) -> Response {
    let v = visit(state, headers, addr);
    let tenant = match super::page_scope(state, segment).await {
        Ok(t) => t,
        Err((status, m)) => return error_page(status, None, &m, Some(&v)),
    };
    let params = match super::single_params(raw) {
        Ok(p) => to_params(p),
        Err(m) => return error_page(StatusCode::BAD_REQUEST, tenant.as_ref(), &m, Some(&v)),
    };
    let step = match &tenant {
        Some(tenant) => {
            let session = cookies::read(headers, &cookies::session_name(tenant.id, v.secure));
            state
                .app
                .authorize_request(tenant, &params, &v.browser, session.as_deref())
                .await
        }
        None => {
            let sessions = cookies::sessions(headers, v.secure);
            state
                .app
                .authorize_request_common(&params, &v.browser, &sessions)
                .await
        }
    };
    render(state, tenant.as_ref(), segment, &v, step)
}

/// `POST /{tenant}/login/{step}`: a sign-in page's form.
pub async fn login_step(
    State(state): State<AppState>,
    Path((segment, step)): Path<(String, String)>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: Bytes,
) -> Response {
    let v = visit(&state, &headers, addr);
    let scope = match super::page_scope(&state, &segment).await {
        Ok(t) => t,
        Err((status, m)) => return error_page(status, None, &m, Some(&v)),
    };
    if body.len() > MAX_FORM || !super::is_form(&headers) {
        return error_page(
            StatusCode::BAD_REQUEST,
            scope.as_ref(),
            "The form could not be read. Go back to the application and sign in again.",
            Some(&v),
        );
    }
    let form = match super::single_params(&body) {
        Ok(f) => f,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, scope.as_ref(), &m, Some(&v)),
    };
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    if v.new_csrf.is_some()
        || !state
            .app
            .csrf_valid(&v.browser.csrf_cookie, field("csrf_token"))
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            scope.as_ref(),
            "Your browser's sign-in cookies are missing or this form has expired. Make sure cookies are allowed, go back to the application and sign in again.",
            Some(&v),
        );
    }
    let Some(tenant) = scope else {
        // Before home realm discovery only the username page exists.
        if step != "username" {
            return error_page(
                StatusCode::NOT_FOUND,
                None,
                "There is no such sign-in page.",
                Some(&v),
            );
        }
        let sessions = cookies::sessions(&headers, v.secure);
        let step = state
            .app
            .signin_username_common(field("flow"), field("username"), &v.browser, &sessions)
            .await;
        return render(&state, None, &segment, &v, step);
    };
    let session = cookies::read(&headers, &cookies::session_name(tenant.id, v.secure));
    let app = &state.app;
    let flow = field("flow");
    let step = match step.as_str() {
        "username" => {
            app.signin_username(
                &tenant,
                flow,
                field("username"),
                &v.browser,
                session.as_deref(),
            )
            .await
        }
        "password" => {
            app.signin_password(
                &tenant,
                flow,
                field("password"),
                &v.browser,
                session.as_deref(),
            )
            .await
        }
        "change-password" => {
            app.signin_change_password(
                &tenant,
                flow,
                field("new_password"),
                field("confirm_password"),
                &v.browser,
                session.as_deref(),
            )
            .await
        }
        "send-code" => app.signin_send_code(&tenant, flow, &v.browser).await,
        "code" => {
            app.signin_code(&tenant, flow, field("code"), &v.browser, session.as_deref())
                .await
        }
        "home-password" => {
            app.signin_home_password(
                &tenant,
                flow,
                field("password"),
                &v.browser,
                session.as_deref(),
            )
            .await
        }
        "redeem" => match field("consent") {
            "accept" => {
                app.signin_redeem(&tenant, flow, true, &v.browser, session.as_deref())
                    .await
            }
            "deny" => {
                app.signin_redeem(&tenant, flow, false, &v.browser, session.as_deref())
                    .await
            }
            _ => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    Some(&tenant),
                    "Choose Accept or Cancel.",
                    Some(&v),
                );
            }
        },
        "consent" => match field("consent") {
            "accept" => {
                app.signin_consent(&tenant, flow, true, &v.browser, session.as_deref())
                    .await
            }
            "deny" => {
                app.signin_consent(&tenant, flow, false, &v.browser, session.as_deref())
                    .await
            }
            _ => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    Some(&tenant),
                    "Choose Accept or Cancel.",
                    Some(&v),
                );
            }
        },
        _ => {
            return error_page(
                StatusCode::NOT_FOUND,
                Some(&tenant),
                "There is no such sign-in page.",
                Some(&v),
            );
        }
    };
    render(&state, Some(&tenant), &segment, &v, step)
}

pub(super) fn render(
    state: &AppState,
    tenant: Option<&Tenant>,
    segment: &str,
    v: &Visit,
    step: Result<Step, AppError>,
) -> Response {
    let step = match step {
        Ok(s) => s,
        Err(AppError::Unavailable(e)) => {
            tracing::warn!(error = %e, "sign-in step unavailable");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                tenant,
                "The service is temporarily unavailable. Try again in a few minutes.",
                Some(v),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in step failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                tenant,
                "An internal error occurred. Try again; if it keeps happening, give your administrator the correlation id below.",
                Some(v),
            );
        }
    };
    let mut res = match &step.next {
        Next::Show(screen) => {
            // After home realm discovery the forms post to the user's tenant.
            let action_base = match screen.tenant {
                Some(t) => format!("/{t}/login"),
                None => format!("/{segment}/login"),
            };
            pages::screen(
                screen,
                &action_base,
                &state.app.csrf_token(&v.browser.csrf_cookie),
            )
        }
        Next::Respond(r) => match r.mode {
            ResponseMode::FormPost => pages::form_post(&r.redirect_uri, &r.params),
            ResponseMode::Query => match url::Url::parse(&r.redirect_uri) {
                Ok(mut url) => {
                    {
                        let mut q = url.query_pairs_mut();
                        for (k, val) in &r.params {
                            q.append_pair(k, val);
                        }
                    }
                    let mut res = StatusCode::FOUND.into_response();
                    if let Ok(loc) = HeaderValue::from_str(url.as_str()) {
                        res.headers_mut().insert(header::LOCATION, loc);
                    }
                    res.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    res
                }
                Err(_) => error_page(
                    StatusCode::BAD_REQUEST,
                    tenant,
                    "The application's redirect URI is not a valid URL.",
                    Some(v),
                ),
            },
        },
        Next::Redirect(to) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(loc) = HeaderValue::from_str(to) {
                res.headers_mut().insert(header::LOCATION, loc);
            }
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Next::Error(m) => error_page(StatusCode::BAD_REQUEST, tenant, m, None),
    };
    super::finish(&mut res, v);
    if let Some(s) = &step.session {
        super::attach(
            &mut res,
            cookies::set(
                &cookies::session_name(s.tenant, v.secure),
                &s.token,
                Some(s.expires_at),
                v.secure,
            ),
        );
    }
    res
}
