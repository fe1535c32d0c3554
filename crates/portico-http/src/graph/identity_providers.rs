//! `/v1.0/identity/identityProviders`: the tenant's social identity providers
//! (`socialIdentityProvider`: Google, Facebook, Microsoft account), one of each under Graph's
//! fixed ids (`Google-OAUTH`, ...). `clientSecret` is write-only: reads answer `******`.
//! `availableProviderTypes` lists the types that can be added.

use super::body::{GraphBody, Props};
use super::{GraphPrincipal, base, created, fail, no_content, refusal, wire};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::GraphAction;
use portico_domain::identity_provider::{
    MASKED_SECRET, NewSocialProvider, SocialIdentityProvider, SocialProviderPatch,
};
use portico_domain::odata::Resource;
use serde_json::{Map, Value};

/// Graph's type name of the resource.
const ODATA_TYPE: &str = "#microsoft.graph.socialIdentityProvider";

/// Every property Portico returns (what `$select` may name).
static PROVIDERS: Resource = Resource {
    type_name: "socialIdentityProvider",
    fields: &[],
    properties: &[
        "id",
        "displayName",
        "identityProviderType",
        "clientId",
        "clientSecret",
    ],
    order_by: &[],
    search: &[],
};

const CREATE_WRITABLE: &[&str] = &[
    "displayName",
    "identityProviderType",
    "clientId",
    "clientSecret",
];
const UPDATE_WRITABLE: &[&str] = &["displayName", "clientId", "clientSecret"];
const CREATE_READ_ONLY: &[&str] = &["id"];
const UPDATE_READ_ONLY: &[&str] = &["id", "identityProviderType"];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn fields(p: &SocialIdentityProvider) -> Map<String, Value> {
    let mut all = Map::new();
    all.insert("@odata.type".into(), Value::from(ODATA_TYPE));
    all.insert("id".into(), Value::from(p.id.clone()));
    all.insert("displayName".into(), Value::from(p.display_name.clone()));
    all.insert(
        "identityProviderType".into(),
        Value::from(p.provider_type.as_str()),
    );
    all.insert("clientId".into(), Value::from(p.client_id.clone()));
    all.insert("clientSecret".into(), Value::from(MASKED_SECRET));
    all
}

fn selected(p: &SocialIdentityProvider, select: Option<&[String]>) -> Value {
    wire::project_typed(fields(p), select, ODATA_TYPE)
}

fn entity(base: &str, p: &SocialIdentityProvider, select: Option<&[String]>) -> Value {
    wire::with_context(
        format!("{base}/v1.0/$metadata#identity/identityProviders/$entity"),
        selected(p, select),
    )
}

/// Refuses an `@odata.type` other than `socialIdentityProvider`.
fn social_only(p: &Props<'_>) -> Result<(), GraphError> {
    match p.raw("@odata.type") {
        None => Ok(()),
        Some(t) if t.as_str().map(|s| s.trim_start_matches('#')) == Some(&ODATA_TYPE[1..]) => {
            Ok(())
        }
        Some(_) => Err(bad(format!(
            "@odata.type must be '{ODATA_TYPE}': Portico configures social identity providers here (OIDC and SAML federations are not available yet)."
        ))),
    }
}

/// `GET /v1.0/identity/identityProviders`
pub async fn list(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::ReadIdentityProviders)
    {
        return refusal(r);
    }
    let select = match super::odata::single_options(&PROVIDERS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_list_identity_providers(&caller).await {
        Ok(providers) => {
            let base = base(&state);
            let context = format!("{base}/v1.0/$metadata#identity/identityProviders");
            let value = providers
                .iter()
                .map(|p| selected(p, select.as_deref()))
                .collect();
            axum::Json(wire::collection(context, value, None, None)).into_response()
        }
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/identity/identityProviders/availableProviderTypes`
pub async fn available_types(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::ReadIdentityProviders)
    {
        return refusal(r);
    }
    if let Err(e) = super::odata::no_options(query.as_deref()) {
        return e.into_response();
    }
    match state
        .app
        .graph_available_identity_provider_types(&caller)
        .await
    {
        Ok(types) => {
            let value = types.iter().map(|t| Value::from(t.as_str())).collect();
            let context = format!("{}/v1.0/$metadata#Collection(Edm.String)", base(&state));
            axum::Json(wire::collection(context, value, None, None)).into_response()
        }
        Err(f) => fail(f),
    }
}

/// `GET /v1.0/identity/identityProviders/{id}`
pub async fn get(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::ReadIdentityProviders)
    {
        return refusal(r);
    }
    let select = match super::odata::single_options(&PROVIDERS, query.as_deref()) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_identity_provider(&caller, &id).await {
        Ok(p) => axum::Json(entity(base(&state), &p, select.as_deref())).into_response(),
        Err(f) => fail(f),
    }
}

/// `POST /v1.0/identity/identityProviders` → 201 with the provider (secret masked).
pub async fn create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteIdentityProviders)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<NewSocialProvider, GraphError> {
        super::odata::no_options(query.as_deref())?;
        let p = Props::new(
            &body,
            "socialIdentityProvider",
            CREATE_WRITABLE,
            CREATE_READ_ONLY,
        )?;
        social_only(&p)?;
        Ok(NewSocialProvider {
            display_name: p.string("displayName")?.flatten(),
            provider_type: p.required_string("identityProviderType")?,
            client_id: p.required_string("clientId")?,
            client_secret: p.required_string("clientSecret")?,
        })
    })();
    let new = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state.app.graph_create_social_provider(&caller, new).await {
        Ok(p) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/identity/identityProviders/{}", p.id),
                entity(base, &p, None),
            )
        }
        Err(f) => fail(f),
    }
}

/// `PATCH /v1.0/identity/identityProviders/{id}` → 204: `displayName`, `clientId`,
/// `clientSecret`; the type cannot change.
pub async fn update(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteIdentityProviders)
    {
        return refusal(r);
    }
    let parsed = (|| -> Result<SocialProviderPatch, GraphError> {
        super::odata::no_options(query.as_deref())?;
        let p = Props::new(
            &body,
            "socialIdentityProvider",
            UPDATE_WRITABLE,
            UPDATE_READ_ONLY,
        )?;
        social_only(&p)?;
        Ok(SocialProviderPatch {
            display_name: p.non_null_string("displayName")?,
            client_id: p.non_null_string("clientId")?,
            client_secret: p.non_null_string("clientSecret")?,
        })
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_social_provider(&caller, &id, patch)
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE /v1.0/identity/identityProviders/{id}` → 204.
pub async fn delete(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteIdentityProviders)
    {
        return refusal(r);
    }
    match state.app.graph_delete_identity_provider(&caller, &id).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}
