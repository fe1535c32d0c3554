//! The Microsoft-Graph-compatible API under `/v1.0`. Every request is authenticated with a
//! bearer access token issued for Graph; the tenant is the token's; other tenants' objects
//! are not found. Errors are Graph-shaped.

pub mod wire;

use crate::AppState;
use crate::error::GraphError;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::{Caller, GraphRefusal};

fn refusal(r: GraphRefusal) -> Response {
    match r {
        GraphRefusal::Unauthenticated(m) => {
            let mut res = GraphError::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", m).into_response();
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"portico\""));
            res
        }
        GraphRefusal::Forbidden => GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
        .into_response(),
        GraphRefusal::DelegatedOnly => GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        )
        .into_response(),
        GraphRefusal::BadRequest(m) => {
            GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", m).into_response()
        }
        GraphRefusal::NotFound(key) => GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{key}' does not exist or one of its queried reference-property objects are not present."),
        )
        .into_response(),
    }
}

fn unavailable(e: portico_app::AppError) -> Response {
    GraphError::from(e).into_response()
}

/// The authenticated caller of a Graph request.
pub struct GraphPrincipal(pub Caller);

impl FromRequestParts<AppState> for GraphPrincipal {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = crate::bearer::bearer_token(&parts.headers);
        match state.app.graph_caller(bearer).await {
            Ok(Ok(c)) => Ok(Self(c)),
            Ok(Err(r)) => Err(refusal(r)),
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn base(state: &AppState) -> &str {
    state.app.config.public_url.trim_end_matches('/')
}

/// `GET /v1.0/me`
pub async fn me(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let select = match single_user_query(query.as_deref()) {
        Ok(s) => s,
        Err(res) => return *res,
    };
    match state.app.graph_me(&caller) {
        Ok(u) => user_response(base(&state), &u, select.as_deref()),
        Err(r) => refusal(r),
    }
}

/// A validated `$select` of user properties.
fn parse_select(v: &str) -> Result<Vec<String>, Box<Response>> {
    let props: Vec<String> = v
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    match props.iter().find(|p| !wire::is_user_property(p)) {
        Some(p) => Err(Box::new(
            GraphError::new(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                format!(
                    "Could not find a property named '{}' on type 'microsoft.graph.user'.",
                    p.chars().take(64).collect::<String>()
                ),
            )
            .into_response(),
        )),
        None => Ok(props),
    }
}

/// The query of a single-user request: `$select`, and nothing else from OData yet.
fn single_user_query(query: Option<&str>) -> Result<Option<Vec<String>>, Box<Response>> {
    let mut select = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "$select" => select = Some(parse_select(&v)?),
            other if other.starts_with('$') => {
                return Err(Box::new(
                    GraphError::new(
                        StatusCode::BAD_REQUEST,
                        "Request_UnsupportedQuery",
                        format!(
                            "The query option '{}' is not supported here by Portico yet.",
                            other.chars().take(32).collect::<String>()
                        ),
                    )
                    .into_response(),
                ));
            }
            _ => {}
        }
    }
    Ok(select)
}

/// One user as an entity response, whole or `$select`ed.
fn user_response(
    base: &str,
    u: &portico_domain::user::User,
    select: Option<&[String]>,
) -> Response {
    match select {
        None => axum::Json(wire::user_entity(base, u)).into_response(),
        Some(s) => {
            let mut v = wire::user_selected(u, s);
            if let Some(map) = v.as_object_mut() {
                map.insert(
                    "@odata.context".into(),
                    serde_json::Value::from(format!(
                        "{base}/v1.0/$metadata#users({})/$entity",
                        s.join(",")
                    )),
                );
            }
            axum::Json(v).into_response()
        }
    }
}

/// `GET /v1.0/users`: `$top` (1–999), `$select`, paging by `@odata.nextLink`. The other query
/// options are refused as unsupported rather than ignored.
pub async fn list_users(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let mut count = false;
    let bad = |code: &'static str, m: String| {
        GraphError::new(StatusCode::BAD_REQUEST, code, m).into_response()
    };
    let mut top = None;
    let mut skiptoken = None;
    let mut select: Option<Vec<String>> = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "$top" => match v.parse::<u32>() {
                Ok(n) if (1..=999).contains(&n) => top = Some(n),
                _ => {
                    return bad(
                        "Request_BadRequest",
                        format!(
                            "Invalid page size specified: '{}'. Must be between 1 and 999 inclusive.",
                            v.chars().take(20).collect::<String>()
                        ),
                    );
                }
            },
            "$skiptoken" => skiptoken = Some(v.into_owned()),
            "$count" => match v.as_ref() {
                "true" => count = true,
                "false" => {}
                _ => return bad("Request_BadRequest", "$count must be true or false.".into()),
            },
            "$select" => match parse_select(&v) {
                Ok(props) => select = Some(props),
                Err(res) => return *res,
            },
            other if other.starts_with('$') => {
                return bad(
                    "Request_UnsupportedQuery",
                    format!(
                        "The query option '{}' is not supported by Portico yet.",
                        other.chars().take(32).collect::<String>()
                    ),
                );
            }
            _ => {}
        }
    }
    if count && !eventual(&headers) {
        return count_needs_eventual();
    }
    let total = if count {
        match state.app.graph_count_users(&caller).await {
            Ok(Ok(n)) => Some(n),
            Ok(Err(r)) => return refusal(r),
            Err(e) => return unavailable(e),
        }
    } else {
        None
    };
    let base = base(&state).to_owned();
    match state
        .app
        .graph_list_users(&caller, top, skiptoken.as_deref())
        .await
    {
        Ok(Ok((users, next))) => {
            let value: Vec<serde_json::Value> = users
                .iter()
                .map(|u| match &select {
                    Some(s) => wire::user_selected(u, s),
                    None => wire::user(u),
                })
                .collect();
            let context = match &select {
                Some(s) => format!("{base}/v1.0/$metadata#users({})", s.join(",")),
                None => format!("{base}/v1.0/$metadata#users"),
            };
            let mut body = serde_json::json!({ "@odata.context": context, "value": value });
            if let (Some(n), Some(map)) = (total, body.as_object_mut()) {
                map.insert("@odata.count".into(), serde_json::Value::from(n));
            }
            if let (Some(next), Some(map)) = (next, body.as_object_mut()) {
                let mut q = form_urlencoded::Serializer::new(String::new());
                if let Some(t) = top {
                    q.append_pair("$top", &t.to_string());
                }
                if let Some(s) = &select {
                    q.append_pair("$select", &s.join(","));
                }
                q.append_pair("$skiptoken", &next);
                map.insert(
                    "@odata.nextLink".into(),
                    serde_json::Value::from(format!("{base}/v1.0/users?{}", q.finish())),
                );
            }
            axum::Json(body).into_response()
        }
        Ok(Err(r)) => refusal(r),
        Err(e) => unavailable(e),
    }
}

/// Whether the request sent `ConsistencyLevel: eventual`, which Graph requires for counts.
fn eventual(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

fn count_needs_eventual() -> Response {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "Counting requires the header 'ConsistencyLevel: eventual'.",
    )
    .into_response()
}

/// `GET /v1.0/users/$count` (plain text, with `ConsistencyLevel: eventual`).
pub async fn count_users(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: axum::http::HeaderMap,
) -> Response {
    if !eventual(&headers) {
        return count_needs_eventual();
    }
    match state.app.graph_count_users(&caller).await {
        Ok(Ok(n)) => (
            [(header::CONTENT_TYPE, "text/plain;charset=utf-8")],
            n.to_string(),
        )
            .into_response(),
        Ok(Err(r)) => refusal(r),
        Err(e) => unavailable(e),
    }
}

/// `GET /v1.0/users/{id | userPrincipalName}`
pub async fn get_user(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let select = match single_user_query(query.as_deref()) {
        Ok(s) => s,
        Err(res) => return *res,
    };
    match state.app.graph_get_user(&caller, &key).await {
        Ok(Ok(u)) => user_response(base(&state), &u, select.as_deref()),
        Ok(Err(r)) => refusal(r),
        Err(e) => unavailable(e),
    }
}

/// `GET /v1.0/organization`
pub async fn organization(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
) -> Response {
    match state.app.graph_organization(&caller).await {
        Ok(Ok((t, domains))) => {
            axum::Json(wire::organization(base(&state), &t, &domains)).into_response()
        }
        Ok(Err(r)) => refusal(r),
        Err(e) => unavailable(e),
    }
}
