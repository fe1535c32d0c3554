//! OData query options of a Graph request, read from the raw query string (Graph clients send
//! `$filter` with a literal `$`) and validated against the resource's schema. Options Portico
//! does not serve on a route are refused (`Request_UnsupportedQuery`), never ignored.

use crate::error::GraphError;
use axum::http::{HeaderMap, StatusCode};
use portico_domain::odata::{self, ListQuery, QueryError, Resource};

/// Validated options of a collection request.
#[derive(Debug, Default)]
pub struct ListOptions {
    /// `$filter`, `$orderby`, `$search`.
    pub query: ListQuery,
    /// `$top`.
    pub top: Option<u32>,
    /// `$skiptoken`.
    pub skiptoken: Option<String>,
    /// `$count=true`.
    pub count: bool,
    /// `$select`.
    pub select: Option<Vec<String>>,
    /// The options to repeat in `@odata.nextLink` (everything but `$skiptoken`).
    pub carry: Vec<(String, String)>,
    /// `$expand` (users and groups).
    pub expand: Option<super::expand::Expand>,
}

fn error(e: &QueryError) -> GraphError {
    let code = if e.unsupported {
        "Request_UnsupportedQuery"
    } else {
        "Request_BadRequest"
    };
    GraphError::new(StatusCode::BAD_REQUEST, code, e.message.clone())
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn unsupported(option: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!(
            "The query option '{}' is not supported on this request.",
            option.chars().take(32).collect::<String>()
        ),
    )
}

/// Whether the request sent `ConsistencyLevel: eventual`, which Graph requires for counts and
/// `$search`.
#[must_use]
pub fn eventual(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

/// Validates `$select` against the resource's properties.
pub fn select(resource: &Resource, v: &str) -> Result<Vec<String>, GraphError> {
    let mut props = Vec::new();
    for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match resource
            .properties
            .iter()
            .find(|known| known.eq_ignore_ascii_case(p))
        {
            Some(known) => props.push((*known).to_owned()),
            None => {
                return Err(bad(format!(
                    "Could not find a property named '{}' on type 'microsoft.graph.{}'.",
                    p.chars().take(64).collect::<String>(),
                    resource.type_name
                )));
            }
        }
    }
    if props.is_empty() {
        return Err(bad("$select names no property."));
    }
    Ok(props)
}

/// Reads the options of a collection request on `resource`.
pub fn list_options(
    resource: &Resource,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<ListOptions, GraphError> {
    let mut out = ListOptions::default();
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let key = k.as_ref();
        match key {
            "$filter" => {
                out.query.filter = Some(odata::filter(resource, &v).map_err(|e| error(&e))?)
            }
            "$orderby" => {
                out.query.order_by = Some(odata::order_by(resource, &v).map_err(|e| error(&e))?);
            }
            "$search" => {
                if !eventual(headers) {
                    return Err(bad(
                        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                    ));
                }
                out.query.search = Some(odata::search(resource, &v).map_err(|e| error(&e))?);
            }
            "$top" => match v.parse::<u32>() {
                Ok(n) if (1..=999).contains(&n) => out.top = Some(n),
                _ => {
                    return Err(bad(format!(
                        "Invalid page size specified: '{}'. Must be between 1 and 999 inclusive.",
                        v.chars().take(20).collect::<String>()
                    )));
                }
            },
            "$skiptoken" => {
                out.skiptoken = Some(v.into_owned());
                continue;
            }
            "$count" => match v.as_ref() {
                "true" => out.count = true,
                "false" => {}
                _ => return Err(bad("$count must be true or false.")),
            },
            "$select" => out.select = Some(select(resource, &v)?),
            "$expand" if !super::expand::expandable(resource.type_name).is_empty() => {
                out.expand = Some(super::expand::parse(resource.type_name, &v)?);
            }
            other if other.starts_with('$') => return Err(unsupported(other)),
            _ => continue,
        }
        out.carry.push((k.into_owned(), v.into_owned()));
    }
    if out.count && !eventual(headers) {
        return Err(count_needs_eventual());
    }
    Ok(out)
}

/// The 400 Graph gives a count without `ConsistencyLevel: eventual`.
#[must_use]
pub fn count_needs_eventual() -> GraphError {
    bad("Counting requires the header 'ConsistencyLevel: eventual'.")
}

/// The options of a single-object request: `$select` only.
pub fn single_options(
    resource: &Resource,
    query: Option<&str>,
) -> Result<Option<Vec<String>>, GraphError> {
    let mut sel = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "$select" => sel = Some(select(resource, &v)?),
            other if other.starts_with('$') => return Err(unsupported(other)),
            _ => {}
        }
    }
    Ok(sel)
}

/// The options of a single-object request that may expand a relationship: `$select` and
/// `$expand`.
pub fn entity_options(
    resource: &Resource,
    query: Option<&str>,
) -> Result<(Option<Vec<String>>, Option<super::expand::Expand>), GraphError> {
    let mut sel = None;
    let mut exp = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "$select" => sel = Some(select(resource, &v)?),
            "$expand" if !super::expand::expandable(resource.type_name).is_empty() => {
                exp = Some(super::expand::parse(resource.type_name, &v)?);
            }
            other if other.starts_with('$') => return Err(unsupported(other)),
            _ => {}
        }
    }
    Ok((sel, exp))
}

/// Only `$filter`-free, option-free requests (writes, `$ref`): any `$` option is refused.
pub fn no_options(query: Option<&str>) -> Result<(), GraphError> {
    for (k, _) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k.starts_with('$') {
            return Err(unsupported(&k));
        }
    }
    Ok(())
}
