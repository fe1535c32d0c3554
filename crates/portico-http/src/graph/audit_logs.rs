//! `/v1.0/auditLogs/directoryAudits`: the tenant's audit log as Graph's `directoryAudit`
//! (`$filter`, `$orderby` on `activityDateTime`, `$select`, `$top`, `$skiptoken` paging).

use super::{GraphPrincipal, base, fail, odata, wire};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_domain::audit::{AuditEvent, Initiator, TargetResource};
use portico_domain::odata::schema::DIRECTORY_AUDITS;
use serde_json::{Map, Value, json};

/// The collection's path under `/v1.0` (and its `@odata.context` name).
const COLLECTION: &str = "auditLogs/directoryAudits";

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Graph's `auditActivityInitiator`: exactly one of `user` and `app` is set. Portico itself
/// and operators on the command line appear as an app known by name only.
fn initiated_by(i: &Initiator) -> Value {
    match i {
        Initiator::User {
            id,
            user_principal_name,
        } => json!({
            "user": {
                "id": id.to_string(),
                "displayName": null,
                "userPrincipalName": user_principal_name,
                "ipAddress": null,
            },
            "app": null,
        }),
        Initiator::App {
            app_id,
            service_principal_id,
            display_name,
        } => json!({
            "user": null,
            "app": {
                "appId": app_id.to_string(),
                "displayName": display_name,
                "servicePrincipalId": (!service_principal_id.is_nil()).then(|| service_principal_id.to_string()),
                "servicePrincipalName": null,
            },
        }),
        Initiator::System { name } => json!({
            "user": null,
            "app": {
                "appId": null,
                "displayName": name,
                "servicePrincipalId": null,
                "servicePrincipalName": null,
            },
        }),
    }
}

/// Graph's `targetResource`. Portico's groups are security groups (`azureAD`).
fn target(t: &TargetResource) -> Value {
    let modified: Vec<Value> = t
        .modified_properties
        .iter()
        .map(|m| {
            json!({
                "displayName": m.display_name,
                "oldValue": m.old_value,
                "newValue": m.new_value,
            })
        })
        .collect();
    json!({
        "id": t.id,
        "displayName": t.display_name,
        "type": t.kind,
        "userPrincipalName": t.user_principal_name,
        "groupType": (t.kind == "Group").then_some("azureAD"),
        "modifiedProperties": modified,
    })
}

fn all(e: &AuditEvent) -> Map<String, Value> {
    let v = json!({
        "id": e.id.to_string(),
        "category": e.category.as_str(),
        "correlationId": e.correlation_id.0.to_string(),
        "result": e.result.as_str(),
        "resultReason": e.result_reason.as_deref().unwrap_or(""),
        "activityDisplayName": e.activity_display_name,
        "activityDateTime": rfc3339(e.activity_date_time),
        "loggedByService": e.logged_by_service,
        "operationType": e.operation_type,
        "initiatedBy": initiated_by(&e.initiated_by),
        "targetResources": e.target_resources.iter().map(target).collect::<Vec<_>>(),
        "additionalDetails": [],
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A `directoryAudit`, whole or `$select`ed.
fn directory_audit(e: &AuditEvent, select: Option<&[String]>) -> Value {
    let all = all(e);
    match select {
        Some(s) => wire::project(&all, s),
        None => Value::Object(all),
    }
}

/// `GET /v1.0/auditLogs/directoryAudits`
pub async fn list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let opts = match odata::list_options(&DIRECTORY_AUDITS, query.as_deref(), &headers) {
        Ok(o) if o.count => {
            return GraphError::new(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                "The query option '$count' is not supported on this request.",
            )
            .into_response();
        }
        Ok(o) => o,
        Err(res) => return res.into_response(),
    };
    let page = match state
        .app
        .graph_list_directory_audits(&caller, &opts.query, opts.top, opts.skiptoken.as_deref())
        .await
    {
        Ok(p) => p,
        Err(f) => return fail(f),
    };
    let value: Vec<Value> = page
        .items
        .iter()
        .map(|e| directory_audit(e, opts.select.as_deref()))
        .collect();
    super::list_page(&state, COLLECTION, &opts, value, None, page.next)
}

/// `GET /v1.0/auditLogs/directoryAudits/{id}`
pub async fn get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let select = match odata::single_options(&DIRECTORY_AUDITS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    let e = match state.app.graph_get_directory_audit(&caller, &key).await {
        Ok(e) => e,
        Err(f) => return fail(f),
    };
    let context = match &select {
        Some(s) => format!(
            "{}/v1.0/$metadata#{COLLECTION}({})/$entity",
            base(&state),
            s.join(",")
        ),
        None => format!("{}/v1.0/$metadata#{COLLECTION}/$entity", base(&state)),
    };
    axum::Json(wire::with_context(
        context,
        directory_audit(&e, select.as_deref()),
    ))
    .into_response()
}
