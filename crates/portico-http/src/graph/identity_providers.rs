//! `/v1.0/identity/identityProviders`: the tenant's social identity providers
//! (`socialIdentityProvider`: Google, Facebook, Microsoft account), one of each under Graph's
//! fixed ids (`Google-OAUTH`, ...), and its OpenID Connect federations (`oidcIdentityProvider`,
//! GUID ids, with Portico's `domains`). Secrets are write-only: reads answer `******`.
//! `availableProviderTypes` lists the types that can be added.

use super::body::GraphBody;
use super::identity_providers_wire::{NewProvider, fields, new_provider, patch};
use super::{GraphPrincipal, base, created, fail, no_content, refusal, wire};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::GraphAction;
use portico_domain::identity_provider::IdentityProvider;
use portico_domain::odata::Resource;
use serde_json::Value;

/// Every property Portico returns (what `$select` may name).
static PROVIDERS: Resource = Resource {
    type_name: "identityProviderBase",
    fields: &[],
    properties: &[
        "id",
        "displayName",
        "identityProviderType",
        "clientId",
        "clientSecret",
        "issuer",
        "wellKnownEndpoint",
        "clientAuthentication",
        "responseType",
        "scope",
        "inboundClaimMapping",
        "domains",
    ],
    order_by: &[],
    search: &[],
};

fn selected(p: &IdentityProvider, select: Option<&[String]>) -> Value {
    let (all, odata_type) = fields(p);
    wire::project_typed(all, select, odata_type)
}

fn entity(base: &str, p: &IdentityProvider, select: Option<&[String]>) -> Value {
    wire::with_context(
        format!("{base}/v1.0/$metadata#identity/identityProviders/$entity"),
        selected(p, select),
    )
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
            let value = types.iter().map(|t| Value::from(*t)).collect();
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
    let parsed = (|| -> Result<NewProvider, GraphError> {
        super::odata::no_options(query.as_deref())?;
        new_provider(&body)
    })();
    let new = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    let made = match new {
        NewProvider::Social(n) => state
            .app
            .graph_create_social_provider(&caller, n)
            .await
            .map(IdentityProvider::Social),
        NewProvider::Oidc(n) => state
            .app
            .graph_create_oidc_provider(&caller, n)
            .await
            .map(IdentityProvider::Oidc),
    };
    match made {
        Ok(p) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/identity/identityProviders/{}", p.id()),
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
    let parsed = (|| -> Result<_, GraphError> {
        super::odata::no_options(query.as_deref())?;
        patch(&body)
    })();
    let patch = match parsed {
        Ok(v) => v,
        Err(res) => return res.into_response(),
    };
    match state
        .app
        .graph_update_identity_provider(&caller, &id, patch)
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
