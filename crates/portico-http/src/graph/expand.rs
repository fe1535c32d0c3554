//! `$expand` of directory relationships: `members` and `owners` of groups, `sponsors` and
//! `memberOf` of users, on single objects and on collections. As in Graph, one relationship
//! per request and at most [`MAX_EXPANDED`] related objects per item; the expanded objects may
//! carry their own `$select` (`members($select=id,displayName)`).

use super::{fail, wire};
use crate::AppState;
use crate::error::GraphError;
use axum::http::StatusCode;
use axum::response::Response;
use portico_app::graph_api::{Caller, DirectoryObject, GroupLink};
use serde_json::{Map, Value};

/// Most related objects returned per item, as in Graph.
pub const MAX_EXPANDED: usize = 20;

/// A validated `$expand`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expand {
    /// The relationship (`members`, `owners`, `sponsors`, `memberOf`).
    pub link: &'static str,
    /// Properties to keep on each related object.
    pub select: Option<Vec<String>>,
}

fn unsupported(message: String) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
}

/// The relationships a resource type expands.
#[must_use]
pub fn expandable(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "user" => &["sponsors", "memberOf"],
        "group" => &["members", "owners"],
        _ => &[],
    }
}

/// Parses `$expand=link` or `$expand=link($select=a,b)` for a resource type.
pub fn parse(type_name: &str, v: &str) -> Result<Expand, GraphError> {
    let v = v.trim();
    let (name, inner) = match v.split_once('(') {
        Some((n, rest)) => {
            let Some(inner) = rest.strip_suffix(')') else {
                return Err(unsupported(format!(
                    "Invalid $expand '{}': unbalanced parentheses.",
                    v.chars().take(100).collect::<String>()
                )));
            };
            (n.trim(), Some(inner))
        }
        None => (v, None),
    };
    if name.contains(',') {
        return Err(unsupported(
            "Only one relationship can be expanded per request.".into(),
        ));
    }
    let Some(link) = expandable(type_name)
        .iter()
        .find(|l| l.eq_ignore_ascii_case(name))
    else {
        return Err(unsupported(format!(
            "Could not expand '{}' on {type_name}: expandable relationships are {}.",
            name.chars().take(64).collect::<String>(),
            expandable(type_name).join(", ")
        )));
    };
    let select = match inner {
        None => None,
        Some(inner) => {
            let Some(list) = inner.trim().strip_prefix("$select=") else {
                return Err(unsupported(
                    "Only $select is supported inside $expand.".into(),
                ));
            };
            let props: Vec<String> = list
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            if props.is_empty()
                || props
                    .iter()
                    .any(|p| p.len() > 64 || !p.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                return Err(unsupported(
                    "$select inside $expand takes property names separated by commas.".into(),
                ));
            }
            Some(props)
        }
    };
    Ok(Expand { link, select })
}

fn shaped(o: &DirectoryObject, select: Option<&[String]>) -> Value {
    let full = wire::directory_object(o);
    let Some(select) = select else {
        return full;
    };
    let mut out = Map::new();
    if let Value::Object(m) = &full {
        for key in ["@odata.type", "id"] {
            if let Some(v) = m.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
        for p in select {
            out.insert(p.clone(), m.get(p).cloned().unwrap_or(Value::Null));
        }
    }
    Value::Object(out)
}

/// The related objects of the object `id`, shaped for the response.
pub async fn related(
    state: &AppState,
    caller: &Caller,
    id: &str,
    e: &Expand,
) -> Result<Value, Response> {
    let app = &state.app;
    let objects = match e.link {
        "members" => {
            app.graph_group_links_up_to(caller, id, GroupLink::Members, MAX_EXPANDED)
                .await
        }
        "owners" => {
            app.graph_group_links_up_to(caller, id, GroupLink::Owners, MAX_EXPANDED)
                .await
        }
        "sponsors" => app.graph_sponsors(caller, id).await,
        _ => app
            .graph_member_of_up_to(caller, id, false, MAX_EXPANDED)
            .await
            .map(|gs| gs.into_iter().map(DirectoryObject::Group).collect()),
    }
    .map_err(fail)?;
    Ok(Value::Array(
        objects
            .iter()
            .take(MAX_EXPANDED)
            .map(|o| shaped(o, e.select.as_deref()))
            .collect(),
    ))
}

/// Adds the expanded relationship to each item (by its `id`).
pub async fn expand_all(
    state: &AppState,
    caller: &Caller,
    items: &mut [Value],
    e: &Expand,
) -> Result<(), Response> {
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let related = related(state, caller, &id, e).await?;
        if let Some(m) = item.as_object_mut() {
            m.insert(e.link.to_owned(), related);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_one_relationship_with_an_optional_select() {
        assert_eq!(
            parse("group", "members").ok(),
            Some(Expand {
                link: "members",
                select: None
            })
        );
        assert_eq!(
            parse("group", "owners($select=id,displayName)")
                .ok()
                .and_then(|e| e.select),
            Some(vec!["id".to_owned(), "displayName".to_owned()])
        );
        assert_eq!(
            parse("user", "MEMBEROF").ok().map(|e| e.link),
            Some("memberOf")
        );
        for bad in [
            "members,owners",
            "manager",
            "members($filter=x)",
            "members($select=)",
            "members(",
            "members($select=a;b)",
        ] {
            assert!(parse("group", bad).is_err(), "{bad}");
        }
        assert!(parse("application", "owners").is_err());
    }
}
