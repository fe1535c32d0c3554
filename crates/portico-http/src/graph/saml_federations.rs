//! `/v1.0/directory/federationConfigurations`: the tenant's SAML 2.0 direct federations
//! (`samlOrWsFedExternalDomainFederation`), each serving one or more partner domains. Served
//! at the paths Graph documents and the Graph SDKs use: the type-cast collection
//! (`graph.` or `microsoft.graph.samlOrWsFedExternalDomainFederation`, with the documented
//! `$filter=domains/any(x: x/id eq '…')`), items by id (with or without the type cast), and
//! the `domains` of one configuration. WS-Federation is not supported.

use super::body::GraphBody;
use super::saml_federations_wire::{
    SAML_TYPE, domain_filter, domain_value, fields, new_domain, new_federation, patch,
};
use super::{GraphPrincipal, base, created, fail, no_content, refusal, wire};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::GraphAction;
use portico_domain::odata::Resource;
use portico_domain::saml_federation::SamlFederation;
use serde_json::Value;

/// Every property Portico returns (what `$select` may name).
static FEDERATIONS: Resource = Resource {
    type_name: "samlOrWsFedExternalDomainFederation",
    fields: &[],
    properties: &[
        "id",
        "displayName",
        "issuerUri",
        "metadataExchangeUri",
        "passiveSignInUri",
        "preferredAuthenticationProtocol",
        "signingCertificate",
        "domains",
    ],
    order_by: &[],
    search: &[],
};

/// The query options: `$select`, `$expand=domains` (domains are always returned) and, for
/// collections, the domain `$filter`.
struct Options {
    select: Option<Vec<String>>,
    domain: Option<String>,
}

fn options(query: Option<&str>, collection: bool) -> Result<Options, GraphError> {
    let mut out = Options {
        select: None,
        domain: None,
    };
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "$select" => out.select = Some(super::odata::select(&FEDERATIONS, &v)?),
            "$expand" if v.trim() == "domains" => {}
            "$filter" if collection => out.domain = Some(domain_filter(&v)?),
            other if other.starts_with('$') => {
                let shown: String = other.chars().take(32).collect();
                return Err(GraphError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    format!("The query option '{shown}' is not supported here."),
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn selected(p: &SamlFederation, select: Option<&[String]>) -> Value {
    wire::project_typed(fields(p), select, SAML_TYPE)
}

fn context(base: &str) -> String {
    format!(
        "{base}/v1.0/$metadata#directory/federationConfigurations/{}",
        &SAML_TYPE[1..]
    )
}

/// `GET …/federationConfigurations/graph.samlOrWsFedExternalDomainFederation`
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
    let opts = match options(query.as_deref(), true) {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .graph_list_saml_federations(&caller, opts.domain.as_deref())
        .await
    {
        Ok(feds) => {
            let value = feds
                .iter()
                .map(|p| selected(p, opts.select.as_deref()))
                .collect();
            axum::Json(wire::collection(context(base(&state)), value, None, None)).into_response()
        }
        Err(f) => fail(f),
    }
}

/// `GET …/federationConfigurations/{id}` (also under the type cast).
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
    let opts = match options(query.as_deref(), false) {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    match state.app.graph_saml_federation(&caller, &id).await {
        Ok(p) => axum::Json(wire::with_context(
            format!("{}/$entity", context(base(&state))),
            selected(&p, opts.select.as_deref()),
        ))
        .into_response(),
        Err(f) => fail(f),
    }
}

/// `POST …/federationConfigurations[/microsoft.graph.samlOrWsFedExternalDomainFederation]` →
/// 201.
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
    let parsed = (|| -> Result<_, GraphError> {
        super::odata::no_options(query.as_deref())?;
        new_federation(&body)
    })();
    let new = match parsed {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match state.app.graph_create_saml_federation(&caller, new).await {
        Ok(p) => {
            let base = base(&state);
            created(
                &format!("{base}/v1.0/directory/federationConfigurations/{}", p.id),
                wire::with_context(format!("{}/$entity", context(base)), selected(&p, None)),
            )
        }
        Err(f) => fail(f),
    }
}

/// `PATCH …/federationConfigurations/{id}[/microsoft.graph.samlOrWsFedExternalDomainFederation]`
/// → 204.
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
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .graph_update_saml_federation(&caller, &id, patch)
        .await
    {
        Ok(_) => no_content(),
        Err(f) => fail(f),
    }
}

/// `DELETE …/federationConfigurations/{id}` → 204.
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
    match state.app.graph_delete_saml_federation(&caller, &id).await {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}

/// `GET …/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains`
pub async fn domains(
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
    if let Err(e) = super::odata::no_options(query.as_deref()) {
        return e.into_response();
    }
    match state.app.graph_saml_federation(&caller, &id).await {
        Ok(p) => {
            let value = p.domains.iter().map(|d| domain_value(d.as_str())).collect();
            let ctx = format!(
                "{}/v1.0/$metadata#directory/federationConfigurations('{}')/microsoft.graph.samlOrWsFedExternalDomainFederation/domains",
                base(&state),
                p.id
            );
            axum::Json(wire::collection(ctx, value, None, None)).into_response()
        }
        Err(f) => fail(f),
    }
}

/// `POST …/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains` → 201.
pub async fn add_domain(
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
        new_domain(&body)
    })();
    let domain = match parsed {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .graph_add_saml_federation_domain(&caller, &id, &domain)
        .await
    {
        Ok(d) => {
            let base = base(&state);
            let mut v = domain_value(d.as_str());
            if let Some(m) = v.as_object_mut() {
                m.insert(
                    "@odata.context".into(),
                    Value::from(format!("{base}/v1.0/$metadata#directory/federationConfigurations('{id}')/microsoft.graph.samlOrWsFedExternalDomainFederation/domains/$entity")),
                );
            }
            created(
                &format!(
                    "{base}/v1.0/directory/federationConfigurations/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains/{d}"
                ),
                v,
            )
        }
        Err(f) => fail(f),
    }
}

/// `DELETE …/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains/{domain}` → 204.
pub async fn remove_domain(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    Path((id, domain)): Path<(String, String)>,
) -> Response {
    if let Err(r) = state
        .app
        .graph_require(&caller, GraphAction::WriteIdentityProviders)
    {
        return refusal(r);
    }
    match state
        .app
        .graph_remove_saml_federation_domain(&caller, &id, &domain)
        .await
    {
        Ok(()) => no_content(),
        Err(f) => fail(f),
    }
}
