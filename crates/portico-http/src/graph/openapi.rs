//! The OpenAPI document of the Graph API and its permission table, generated from the
//! operation catalog and the authorization table in `portico-policy`. Both are committed
//! (`docs/openapi.json`, `docs/GRAPH-PERMISSIONS.md`); a test fails when they drift.

use super::catalog::{OPERATIONS, Op, Verb};
use portico_app::graph_api::{
    DirectoryAction, GraphAction, directory_action, permissions, role_allows,
};
use portico_domain::role::DirectoryRole;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// Path relative to the service root (`/users/{id}`).
fn relative(path: &str) -> &str {
    path.strip_prefix("/v1.0").unwrap_or(path)
}

fn operation_id(op: &Op) -> String {
    let mut id = String::from(op.verb.as_str());
    for seg in relative(op.path).split('/').filter(|s| !s.is_empty()) {
        let clean: String = seg
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let mut chars = clean.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.push_str(chars.as_str());
        }
    }
    id.replace('.', "_")
}

fn parameter(name: &str) -> Value {
    let description = match name {
        "id" => {
            "Object id (users also by userPrincipalName; domains by name; organization by tenant id)."
        }
        "link" => {
            "users: memberOf, transitiveMemberOf, sponsors, ownedObjects; groups: members, owners, transitiveMembers."
        }
        "keyed" => "applications(appId='{appId}') or servicePrincipals(appId='{appId}').",
        "assignment" => "The appRoleAssignment id.",
        "sponsor" | "object" => "The directory object id.",
        _ => "Identifier.",
    };
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn query(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}})
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ODataError"}}}})
}

fn permission_names(actions: &[GraphAction]) -> (Vec<&'static str>, Vec<&'static str>, bool) {
    let mut app = Vec::new();
    let mut delegated = Vec::new();
    let mut guests = false;
    for a in actions {
        let (x, y, g) = permissions(*a);
        for p in x {
            if !app.contains(p) {
                app.push(*p);
            }
        }
        for p in y {
            if !delegated.contains(p) {
                delegated.push(*p);
            }
        }
        guests |= g;
    }
    (app, delegated, guests)
}

fn operation(op: &Op) -> Value {
    let mut params: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(parameter)
        .collect();
    let list = op.verb == Verb::Get && op.summary.starts_with("List");
    // the audit log is ordered by time and neither searched nor counted
    let audit = op.path.starts_with("/v1.0/auditLogs/");
    if list {
        for (n, d) in [
            (
                "$filter",
                "OData filter (see docs/GRAPH-API.md for properties and operators).",
            ),
            ("$select", "Comma-separated properties."),
            ("$top", "Page size, 1 to 999."),
            ("$orderby", "displayName or userPrincipalName, asc or desc."),
            (
                "$search",
                "\"property:term\" (needs ConsistencyLevel: eventual).",
            ),
            (
                "$count",
                "true: include @odata.count (needs ConsistencyLevel: eventual).",
            ),
            ("$skiptoken", "Opaque; from @odata.nextLink."),
        ] {
            match n {
                "$search" | "$count" if audit => {}
                "$orderby" if audit => params.push(query(
                    n,
                    "activityDateTime, asc or desc (default: newest first).",
                )),
                _ => params.push(query(n, d)),
            }
        }
    } else if op.verb == Verb::Get && !op.path.ends_with("$count") {
        params.push(query("$select", "Comma-separated properties."));
    }
    if op.verb == Verb::Get
        && matches!(
            op.path,
            "/v1.0/users" | "/v1.0/users/{id}" | "/v1.0/groups" | "/v1.0/groups/{id}"
        )
    {
        params.push(query(
            "$expand",
            "One relationship (users: sponsors, memberOf; groups: members, owners), optionally with ($select=...); at most 20 related objects each.",
        ));
    }
    if (list && !audit) || op.path.ends_with("$count") {
        params.push(json!({"name": "ConsistencyLevel", "in": "header", "required": op.path.ends_with("$count"), "schema": {"type": "string", "enum": ["eventual"]}}));
    }
    let (app, delegated, guests) = permission_names(op.actions);
    let success = match op.status {
        204 => json!({"description": "Success, no content."}),
        _ if op.path.ends_with("$count") => {
            json!({"description": "The count, as text.", "content": {"text/plain": {"schema": {"type": "integer"}}}})
        }
        s => {
            json!({"description": if s == 201 { "Created (Location names the new object)." } else { "Success." }, "content": {"application/json": {"schema": {"type": "object"}}}})
        }
    };
    let mut responses = Map::new();
    responses.insert(op.status.to_string(), success);
    responses.insert(
        "400".into(),
        error_response("Request_BadRequest or Request_UnsupportedQuery."),
    );
    responses.insert("401".into(), error_response("InvalidAuthenticationToken."));
    responses.insert("403".into(), error_response("Authorization_RequestDenied."));
    responses.insert(
        "404".into(),
        error_response("Request_ResourceNotFound (also for other tenants' objects)."),
    );
    let mut v = json!({
        "operationId": operation_id(op),
        "summary": op.summary,
        "tags": [relative(op.path).split('/').nth(1).unwrap_or_default()],
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": responses,
        "x-permissions": {
            "application": app,
            "delegated": delegated,
            "guests": guests,
        },
    });
    if matches!(op.verb, Verb::Post | Verb::Patch)
        && let Some(m) = v.as_object_mut()
    {
        m.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}),
        );
    }
    v
}

/// The OpenAPI 3.0 document of the Graph API Portico serves.
#[must_use]
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for op in OPERATIONS {
        let entry = paths
            .entry(relative(op.path).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = entry.as_object_mut() {
            m.insert(op.verb.as_str().into(), operation(op));
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Portico Microsoft-Graph-compatible API",
            "version": "v1.0",
            "description": "The subset of Microsoft Graph v1.0 that Portico serves. Generated from the code (`portico export-openapi`); see docs/GRAPH-API.md for behaviour and deviations and docs/GRAPH-PERMISSIONS.md for who may call what.",
        },
        "servers": [{"url": "/v1.0", "description": "Portico's Graph service root (https://<portico host>/v1.0)."}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token from Portico's token endpoint for https://graph.microsoft.com."},
            },
            "schemas": {
                "ODataError": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "innerError": {
                                    "type": "object",
                                    "properties": {
                                        "date": {"type": "string"},
                                        "request-id": {"type": "string"},
                                        "client-request-id": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    })
}

/// The document as committed: pretty JSON with a final newline.
#[must_use]
pub fn document_text() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}

fn directory_roles(action: DirectoryAction) -> String {
    DirectoryRole::ALL
        .iter()
        .filter(|r| role_allows(**r, action))
        .map(|r| r.display_name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The committed role × action × resource table (`docs/GRAPH-PERMISSIONS.md`).
#[must_use]
pub fn permissions_markdown() -> String {
    let mut s = String::from(
        "# Graph API permissions\n\n\
         Generated from the code (`portico export-openapi --permissions`): the authorization table in\n\
         `portico-policy` (`graph.rs`, `directory.rs`) and the operation catalog of `portico-http`. A test\n\
         fails when this file and the code disagree.\n\n\
         An **app-only** token needs one of the application permissions (app roles of Microsoft Graph\n\
         granted to the client). A **delegated** token needs one of the delegated scopes, and for changes\n\
         (and for reading the audit log) the signed-in user must also hold a directory role that allows\n\
         them (Global Administrator always does). Guests get only the rows marked so (Entra's restricted\n\
         default guest view). Apps making changes act with the directory role their permissions amount\n\
         to (User.ReadWrite.All: User Administrator; Group.ReadWrite.All and GroupMember.ReadWrite.All:\n\
         Groups Administrator; Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All,\n\
         DelegatedPermissionGrant.ReadWrite.All: Application Administrator; Domain.ReadWrite.All: Domain\n\
         Name Administrator; Organization.ReadWrite.All: Organizational Branding Administrator;\n\
         Directory.ReadWrite.All: User, Groups and Application Administrator). An app with\n\
         AuditLog.Read.All reads the audit log without any directory role.\n\n\
         | action | application permissions | delegated permissions | guests | directory roles for delegated changes |\n\
         |---|---|---|---|---|\n",
    );
    for action in GraphAction::ALL {
        let (app, delegated, guests) = permissions(action);
        let roles = directory_action(action).map_or_else(|| "—".to_owned(), directory_roles);
        let _ = writeln!(
            s,
            "| {action:?} | {} | {} | {} | {roles} |",
            if app.is_empty() {
                "—".to_owned()
            } else {
                app.join(", ")
            },
            delegated.join(", "),
            if guests { "yes" } else { "no" },
        );
    }
    s.push_str("\n## Operations\n\n| method | path | actions (any one) |\n|---|---|---|\n");
    for op in OPERATIONS {
        let actions = op
            .actions
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            s,
            "| {} | `{}` | {actions} |",
            op.verb.as_str().to_uppercase(),
            op.path
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed(name: &str, generated: &str) {
        let path = format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("PORTICO_UPDATE_DOCS").is_some() {
            std::fs::write(&path, generated).unwrap();
            return;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/{name} is out of date: run `PORTICO_UPDATE_DOCS=1 cargo test -p portico-http openapi` (or `portico export-openapi`) and commit it"
        );
    }

    #[test]
    fn the_committed_openapi_document_matches_the_code() {
        committed("openapi.json", &document_text());
    }

    #[test]
    fn the_committed_permission_table_matches_the_code() {
        committed("GRAPH-PERMISSIONS.md", &permissions_markdown());
    }

    #[test]
    fn every_operation_is_documented_once_with_permissions() {
        let mut seen = std::collections::HashSet::new();
        for op in OPERATIONS {
            assert!(
                seen.insert((op.verb, op.path)),
                "{} {} twice",
                op.verb.as_str(),
                op.path
            );
            assert!(!op.actions.is_empty(), "{}", op.path);
            let (app, delegated, _) = permission_names(op.actions);
            assert!(!(app.is_empty() && delegated.is_empty()), "{}", op.path);
        }
        let doc = document();
        let n: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(n, OPERATIONS.len());
    }
}
