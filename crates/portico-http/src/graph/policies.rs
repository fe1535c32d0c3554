//! `/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email`: the
//! tenant's email one-time passcode method (Graph's `emailAuthenticationMethodConfiguration`).
//! `allowExternalIdToUseEmailOtp` = `disabled` stops guests redeeming and signing in with
//! passcodes; `default` and `enabled` allow it. `includeTargets`/`excludeTargets` are returned
//! as Graph's defaults (all users) and cannot be changed.

use super::body::{GraphBody, Props};
use super::{GraphPrincipal, base, fail, no_content, refusal, wire};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::GraphAction;
use portico_domain::odata::Resource;
use portico_domain::policy::{EMAIL_OTP_CONFIGURATION_ID, EmailOtpPolicy, EmailOtpPolicyPatch};
use serde_json::{Map, Value, json};

/// Graph's type name of the resource.
const ODATA_TYPE: &str = "#microsoft.graph.emailAuthenticationMethodConfiguration";

/// Every property Portico returns (what `$select` may name).
static EMAIL_OTP: Resource = Resource {
    type_name: "emailAuthenticationMethodConfiguration",
    fields: &[],
    properties: &[
        "id",
        "state",
        "allowExternalIdToUseEmailOtp",
        "includeTargets",
        "excludeTargets",
    ],
    order_by: &[],
    search: &[],
};

const WRITABLE: &[&str] = &[
    "state",
    "allowExternalIdToUseEmailOtp",
    "includeTargets",
    "excludeTargets",
];
const UNSUPPORTED: &[&str] = &["includeTargets", "excludeTargets"];
const READ_ONLY: &[&str] = &["id"];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn entity(base: &str, p: &EmailOtpPolicy, select: Option<&[String]>) -> Value {
    let mut all = Map::new();
    all.insert("@odata.type".into(), Value::from(ODATA_TYPE));
    all.insert("id".into(), Value::from(EMAIL_OTP_CONFIGURATION_ID));
    all.insert("state".into(), Value::from(p.state.as_str()));
    all.insert(
        "allowExternalIdToUseEmailOtp".into(),
        Value::from(p.allow_external_id_to_use_email_otp.as_str()),
    );
    all.insert(
        "includeTargets".into(),
        json!([{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}]),
    );
    all.insert("excludeTargets".into(), json!([]));
    let v = wire::project_typed(all, select, ODATA_TYPE);
    wire::with_context(
        format!(
            "{base}/v1.0/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity"
        ),
        v,
    )
}

/// `GET .../authenticationMethodConfigurations/email`
pub async fn get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::ReadAuthenticationMethodsPolicy)
    {
        return refusal(r);
    }
    let select = match super::odata::single_options(&EMAIL_OTP, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_email_otp_policy(&caller).await {
        Ok(p) => axum::Json(entity(base(&state), &p, select.as_deref())).into_response(),
        Err(f) => fail(f),
    }
}

/// `PATCH .../authenticationMethodConfigurations/email` → 204: `state` and
/// `allowExternalIdToUseEmailOtp`.
pub async fn update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteAuthenticationMethodsPolicy)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<EmailOtpPolicyPatch, GraphError> {
        super::odata::no_options(query.as_deref())?;
        let p = Props::new(
            &body,
            "emailAuthenticationMethodConfiguration",
            WRITABLE,
            READ_ONLY,
        )?;
        if let Some(t) = p.raw("@odata.type")
            && t.as_str() != Some(ODATA_TYPE)
        {
            return Err(bad(format!(
                "@odata.type must be '{ODATA_TYPE}' for this resource."
            )));
        }
        if let Some(n) = UNSUPPORTED.iter().find(|n| p.raw(n).is_some()) {
            return Err(bad(format!(
                "Property '{n}' of resource 'emailAuthenticationMethodConfiguration' is not supported by Portico and cannot be set: the policy applies to all users."
            )));
        }
        Ok(EmailOtpPolicyPatch {
            state: p.non_null_string("state")?,
            allow_external_id_to_use_email_otp: p
                .non_null_string("allowExternalIdToUseEmailOtp")?,
        })
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_email_otp_policy(&caller, patch)
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}
