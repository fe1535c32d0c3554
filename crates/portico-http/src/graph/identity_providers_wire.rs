//! The JSON of identity providers: `socialIdentityProvider` and `oidcIdentityProvider` as Graph
//! spells them (secrets always `******`), plus Portico's `domains` on OIDC federations; and the
//! reading of their request bodies, each bad property named.

use super::body::{GraphBody, Props};
use crate::error::GraphError;
use axum::http::StatusCode;
use portico_domain::identity_provider::{
    IdentityProvider, IdentityProviderPatch, MASKED_SECRET, NewSocialProvider,
    SocialIdentityProvider, SocialProviderPatch,
};
use portico_domain::oidc_provider::{
    ClaimMapping, NewOidcProvider, OidcIdentityProvider, OidcProviderPatch,
};
use serde_json::{Map, Value};

/// Graph's type name of social providers.
pub(crate) const SOCIAL_TYPE: &str = "#microsoft.graph.socialIdentityProvider";
/// Graph's type name of OIDC federations.
pub(crate) const OIDC_TYPE: &str = "#microsoft.graph.oidcIdentityProvider";
/// Graph's type name of the client secret authentication of an OIDC federation.
const SECRET_AUTH_TYPE: &str = "#microsoft.graph.oidcClientSecretAuthentication";

const SOCIAL_CREATE: &[&str] = &[
    "displayName",
    "identityProviderType",
    "clientId",
    "clientSecret",
];
const OIDC_CREATE: &[&str] = &[
    "displayName",
    "issuer",
    "wellKnownEndpoint",
    "clientId",
    "clientAuthentication",
    "responseType",
    "scope",
    "inboundClaimMapping",
    "domains",
];
/// What a PATCH may name (the use case refuses what the provider's type lacks).
const PATCHABLE: &[&str] = &[
    "displayName",
    "clientId",
    "clientSecret",
    "issuer",
    "wellKnownEndpoint",
    "clientAuthentication",
    "responseType",
    "scope",
    "inboundClaimMapping",
    "domains",
];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// Every property of a provider as Graph returns it.
pub(crate) fn fields(p: &IdentityProvider) -> (Map<String, Value>, &'static str) {
    match p {
        IdentityProvider::Social(p) => (social_fields(p), SOCIAL_TYPE),
        IdentityProvider::Oidc(p) => (oidc_fields(p), OIDC_TYPE),
        IdentityProvider::Saml(p) => (
            super::saml_federations_wire::fields(p),
            super::saml_federations_wire::SAML_TYPE,
        ),
    }
}

fn social_fields(p: &SocialIdentityProvider) -> Map<String, Value> {
    let mut all = Map::new();
    all.insert("@odata.type".into(), Value::from(SOCIAL_TYPE));
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

fn oidc_fields(p: &OidcIdentityProvider) -> Map<String, Value> {
    let mut all = Map::new();
    all.insert("@odata.type".into(), Value::from(OIDC_TYPE));
    all.insert("id".into(), Value::from(p.id.clone()));
    all.insert("displayName".into(), Value::from(p.display_name.clone()));
    all.insert("issuer".into(), Value::from(p.issuer.clone()));
    all.insert(
        "wellKnownEndpoint".into(),
        Value::from(p.well_known_endpoint.clone()),
    );
    all.insert("clientId".into(), Value::from(p.client_id.clone()));
    all.insert(
        "clientAuthentication".into(),
        serde_json::json!({"@odata.type": SECRET_AUTH_TYPE, "clientSecret": MASKED_SECRET}),
    );
    all.insert("responseType".into(), Value::from("code"));
    all.insert("scope".into(), Value::from(p.scope.clone()));
    let mapping: Map<String, Value> = ClaimMapping::KEYS
        .iter()
        .map(|k| {
            (
                (*k).to_owned(),
                Value::from(p.claim_mapping.get(k).unwrap_or_default()),
            )
        })
        .collect();
    all.insert("inboundClaimMapping".into(), Value::Object(mapping));
    all.insert(
        "domains".into(),
        Value::from(
            p.domains
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect::<Vec<_>>(),
        ),
    );
    all
}

/// The type a body names with `@odata.type` (`None` when absent); anything else is refused.
fn named_type(body: &GraphBody) -> Result<Option<&'static str>, GraphError> {
    let Some(t) = body.object()?.get("@odata.type") else {
        return Ok(None);
    };
    let t = t
        .as_str()
        .map(|s| s.trim_start_matches('#').to_ascii_lowercase());
    for known in [SOCIAL_TYPE, OIDC_TYPE] {
        if t.as_deref() == Some(&known[1..].to_ascii_lowercase()) {
            return Ok(Some(known));
        }
    }
    Err(bad(format!(
        "@odata.type must be '{SOCIAL_TYPE}' or '{OIDC_TYPE}' (SAML federations are configured at /directory/federationConfigurations)."
    )))
}

/// A new provider to create.
pub(crate) enum NewProvider {
    /// `socialIdentityProvider` (the default without `@odata.type`).
    Social(NewSocialProvider),
    /// `oidcIdentityProvider`.
    Oidc(NewOidcProvider),
}

/// Reads a POST body.
pub(crate) fn new_provider(body: &GraphBody) -> Result<NewProvider, GraphError> {
    if named_type(body)? == Some(OIDC_TYPE) {
        let p = Props::new(body, "oidcIdentityProvider", OIDC_CREATE, &["id"])?;
        return Ok(NewProvider::Oidc(NewOidcProvider {
            display_name: p.required_string("displayName")?,
            issuer: p.required_string("issuer")?,
            well_known_endpoint: p.string("wellKnownEndpoint")?.flatten(),
            client_id: p.required_string("clientId")?,
            client_secret: client_secret(&p)?.ok_or_else(|| {
                bad("Property 'clientAuthentication' is required when creating a oidcIdentityProvider: {\"@odata.type\": \"#microsoft.graph.oidcClientSecretAuthentication\", \"clientSecret\": \"...\"}.")
            })?,
            scope: p.string("scope")?.flatten(),
            response_type: p.string("responseType")?.flatten(),
            claim_mapping: claim_mapping(&p)?,
            domains: p.strings("domains")?.flatten().unwrap_or_default(),
        }));
    }
    let p = Props::new(body, "socialIdentityProvider", SOCIAL_CREATE, &["id"])?;
    Ok(NewProvider::Social(NewSocialProvider {
        display_name: p.string("displayName")?.flatten(),
        provider_type: p.required_string("identityProviderType")?,
        client_id: p.required_string("clientId")?,
        client_secret: p.required_string("clientSecret")?,
    }))
}

/// Reads a PATCH body.
pub(crate) fn patch(body: &GraphBody) -> Result<IdentityProviderPatch, GraphError> {
    let named = named_type(body)?;
    let p = Props::new(
        body,
        "identityProvider",
        PATCHABLE,
        &["id", "identityProviderType"],
    )?;
    let mut present: Vec<String> = body.object()?.keys().cloned().collect();
    // The type named must be the stored one: the use case checks it like any property.
    if let Some(t) = named {
        present.retain(|k| k != "@odata.type");
        present.push(if t == OIDC_TYPE {
            "@odata.type:oidcIdentityProvider".into()
        } else {
            "@odata.type:socialIdentityProvider".into()
        });
    }
    let display_name = p.non_null_string("displayName")?;
    let client_id = p.non_null_string("clientId")?;
    let social_secret = p.non_null_string("clientSecret")?;
    let oidc_secret = client_secret(&p)?;
    Ok(IdentityProviderPatch {
        present,
        social: SocialProviderPatch {
            display_name: display_name.clone(),
            client_id: client_id.clone(),
            client_secret: social_secret,
        },
        oidc: OidcProviderPatch {
            display_name,
            issuer: p.non_null_string("issuer")?,
            well_known_endpoint: p.non_null_string("wellKnownEndpoint")?,
            client_id,
            client_secret: oidc_secret,
            scope: p.non_null_string("scope")?,
            response_type: p.non_null_string("responseType")?,
            claim_mapping: claim_mapping(&p)?,
            domains: match p.strings("domains")? {
                Some(None) => {
                    return Err(bad(
                        "Invalid value specified for property 'domains': expected a collection of strings, not null.",
                    ));
                }
                other => other.flatten(),
            },
        },
    })
}

/// `clientAuthentication`: `{"@odata.type": "#microsoft.graph.oidcClientSecretAuthentication",
/// "clientSecret": "…"}`.
fn client_secret(p: &Props<'_>) -> Result<Option<String>, GraphError> {
    let Some(v) = p.raw("clientAuthentication") else {
        return Ok(None);
    };
    let shape = || {
        bad(
            "Invalid value specified for property 'clientAuthentication': expected {\"@odata.type\": \"#microsoft.graph.oidcClientSecretAuthentication\", \"clientSecret\": \"...\"} (private_key_jwt is not supported).",
        )
    };
    let Value::Object(m) = v else {
        return Err(shape());
    };
    if m.keys().any(|k| k != "@odata.type" && k != "clientSecret") {
        return Err(shape());
    }
    if let Some(t) = m.get("@odata.type")
        && t.as_str()
            .map(|s| s.trim_start_matches('#').to_ascii_lowercase())
            != Some(SECRET_AUTH_TYPE[1..].to_ascii_lowercase())
    {
        return Err(shape());
    }
    match m.get("clientSecret") {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        _ => Err(shape()),
    }
}

/// `inboundClaimMapping`: property → claim name (`null` restores the default).
fn claim_mapping(p: &Props<'_>) -> Result<Vec<(String, Option<String>)>, GraphError> {
    match p.raw("inboundClaimMapping") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "@odata.type")
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), Some(s.clone()))),
                Value::Null => Ok((k.clone(), None)),
                _ => Err(bad(format!(
                    "Invalid value specified for 'inboundClaimMapping/{}': expected a claim name.",
                    k.chars().take(64).collect::<String>()
                ))),
            })
            .collect(),
        Some(_) => Err(bad(
            "Invalid value specified for property 'inboundClaimMapping': expected an object mapping properties to claim names.",
        )),
    }
}
