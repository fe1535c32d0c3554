//! Liveness and readiness. `/healthz` answers while the process runs; `/readyz` only when the
//! database answers and its schema is current, so load balancers send traffic only then.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when the database is reachable and migrated, 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = &state.app.store;
    if let Err(e) = store.ping().await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
        );
    }
    match store.schema_status().await {
        Ok(s) if s.is_current() => (
            StatusCode::OK,
            Json(
                json!({ "status": "ready", "database": store.backend().as_str(), "schemaVersion": s.applied }),
            ),
        ),
        Ok(s) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "reason": "migrations pending", "schemaVersion": s.applied, "requiredSchemaVersion": s.latest }),
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: cannot read schema status");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
            )
        }
    }
}
