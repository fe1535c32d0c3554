//! Graph request bodies: read with a size limit (413 beyond it), parsed as one JSON object, and
//! read property by property so that each bad input gets Graph's error naming the property —
//! unknown properties, read-only ones, wrong types and missing required ones are all refused
//! before anything changes.

use crate::AppState;
use crate::error::GraphError;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Largest body accepted on the Graph API.
pub const MAX_BODY: usize = 1024 * 1024;

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// A body read within the size limit; parsed as a JSON object when a handler asks (after it
/// has authorized the caller).
#[derive(Debug)]
pub struct GraphBody(pub Result<Map<String, Value>, String>);

impl GraphBody {
    /// The JSON object, or Graph's 400 for a malformed body.
    pub fn object(&self) -> Result<&Map<String, Value>, GraphError> {
        self.0.as_ref().map_err(|m| bad(m.clone()))
    }
}

impl FromRequest<AppState> for GraphBody {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return Err(GraphError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request_EntityTooLarge",
                    format!("The request body is larger than {MAX_BODY} bytes."),
                )
                .into_response());
            }
        };
        Ok(Self(match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err("The request body must be a JSON object.".to_owned()),
            Err(e) => Err(format!(
                "Unable to read JSON request payload: {e}. Please ensure the payload is valid JSON."
            )),
        }))
    }
}

/// Reads the properties of one resource type from a body.
pub struct Props<'a> {
    map: &'a Map<String, Value>,
    type_name: &'static str,
}

/// A property read: absent, explicit `null`, or a value.
pub type Field<T> = Option<Option<T>>;

impl<'a> Props<'a> {
    /// Checks every property is known and writable: `writable` may be set, `read_only` are
    /// refused as read-only, anything else as unknown. `@odata.type` is allowed.
    pub fn new(
        body: &'a GraphBody,
        type_name: &'static str,
        writable: &[&str],
        read_only: &[&str],
    ) -> Result<Self, GraphError> {
        let map = body.object()?;
        for key in map.keys() {
            if key == "@odata.type" || writable.contains(&key.as_str()) {
                continue;
            }
            let shown: String = key.chars().take(64).collect();
            return Err(if read_only.contains(&key.as_str()) {
                bad(format!(
                    "Property '{shown}' is read-only and cannot be set on resource '{type_name}'."
                ))
            } else {
                bad(format!(
                    "Property '{shown}' does not exist as a declared property or extension property on resource '{type_name}'."
                ))
            });
        }
        Ok(Self { map, type_name })
    }

    fn wrong(&self, name: &str, expected: &str) -> GraphError {
        bad(format!(
            "Invalid value specified for property '{name}' of resource '{}': expected {expected}.",
            self.type_name
        ))
    }

    /// A string property.
    pub fn string(&self, name: &str) -> Result<Field<String>, GraphError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    /// A boolean property.
    pub fn boolean(&self, name: &str) -> Result<Field<bool>, GraphError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Bool(b)) => Ok(Some(Some(*b))),
            Some(_) => Err(self.wrong(name, "true or false")),
        }
    }

    /// A collection of strings.
    pub fn strings(&self, name: &str) -> Result<Field<Vec<String>>, GraphError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(|v| Some(Some(v)))
                .ok_or_else(|| self.wrong(name, "a collection of strings")),
            Some(_) => Err(self.wrong(name, "a collection of strings")),
        }
    }

    /// A nested object or collection, as raw JSON.
    #[must_use]
    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    /// A required, non-null string.
    pub fn required_string(&self, name: &str) -> Result<String, GraphError> {
        match self.string(name)? {
            Some(Some(s)) => Ok(s),
            _ => Err(bad(format!(
                "Property '{name}' is required when creating a {}.",
                self.type_name
            ))),
        }
    }

    /// A required, non-null boolean.
    pub fn required_bool(&self, name: &str) -> Result<bool, GraphError> {
        match self.boolean(name)? {
            Some(Some(b)) => Ok(b),
            _ => Err(bad(format!(
                "Property '{name}' is required when creating a {}.",
                self.type_name
            ))),
        }
    }

    /// A string that may be absent but not null.
    pub fn non_null_string(&self, name: &str) -> Result<Option<String>, GraphError> {
        match self.string(name)? {
            Some(None) => Err(self.wrong(name, "a string, not null")),
            other => Ok(other.flatten()),
        }
    }

    /// A boolean that may be absent but not null.
    pub fn non_null_bool(&self, name: &str) -> Result<Option<bool>, GraphError> {
        match self.boolean(name)? {
            Some(None) => Err(self.wrong(name, "true or false, not null")),
            other => Ok(other.flatten()),
        }
    }
}

/// The object id named by a `$ref` body: `{"@odata.id": "https://…/v1.0/directoryObjects/{id}"}`
/// (any host; also `/users/{id}`, `/groups/{id}`, `/servicePrincipals/{id}`).
pub fn reference_id(body: &GraphBody) -> Result<uuid::Uuid, GraphError> {
    let map = body.object()?;
    let Some(Value::String(url)) = map.get("@odata.id") else {
        return Err(bad(
            "The request body must name the object as {\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\"}.",
        ));
    };
    if map.len() != 1 {
        return Err(bad("A $ref body holds only '@odata.id'."));
    }
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let id = segments.next().unwrap_or_default();
    let collection = segments.next().unwrap_or_default();
    let known = ["directoryObjects", "users", "groups", "servicePrincipals"];
    match (known.contains(&collection), id.parse::<uuid::Uuid>()) {
        (true, Ok(id)) => Ok(id),
        _ => Err(bad(format!(
            "Invalid object identifier '{}': @odata.id must be a URL ending in directoryObjects/{{id}}.",
            url.chars().take(200).collect::<String>()
        ))),
    }
}
