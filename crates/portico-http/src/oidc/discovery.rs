//! OpenID Provider metadata and the JSON Web Key Set. The metadata lists exactly what Portico
//! serves today; entries are added as endpoints land.

use super::tenant::TenantScope;
use crate::AppState;
use crate::error::OAuthError;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

const CACHE: HeaderValue = HeaderValue::from_static("public, max-age=3600");

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`
pub async fn openid_configuration(
    State(state): State<AppState>,
    Path(segment): Path<String>,
) -> Result<Response, OAuthError> {
    let scope = TenantScope::resolve(&state, &segment).await?;
    let base = state.app.config.public_url.trim_end_matches('/');
    // The algorithms of the published keys (RS256 unless ES256 keys were configured).
    let jwks = state.app.jwks().await.map_err(OAuthError::from)?;
    let mut algs: Vec<String> = jwks
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .map(|ks| {
            ks.iter()
                .filter_map(|k| {
                    k.get("alg")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    algs.sort();
    algs.dedup();
    if algs.is_empty() {
        algs.push("RS256".into());
    }
    let path_tenant = match &scope {
        TenantScope::Tenant(t) => t.id.to_string(),
        TenantScope::Common => "common".to_owned(),
        TenantScope::Organizations => "organizations".to_owned(),
    };
    let mut doc = json!({
        "issuer": scope.issuer(base),
        "jwks_uri": format!("{base}/{path_tenant}/discovery/v2.0/keys"),
        "token_endpoint": format!("{base}/{path_tenant}/oauth2/v2.0/token"),
        "authorization_endpoint": format!("{base}/{path_tenant}/oauth2/v2.0/authorize"),
        "end_session_endpoint": format!("{base}/{path_tenant}/oauth2/v2.0/logout"),
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["login", "none", "consent", "select_account"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "name", "preferred_username", "email", "given_name", "family_name", "oid", "tid", "ver", "sid", "amr"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "id_token_signing_alg_values_supported": algs,
        "subject_types_supported": ["pairwise"],
        "request_uri_parameter_supported": false,
        "cloud_instance_name": host_of(base),
        "msgraph_host": host_of(base),
    });
    if let (TenantScope::Tenant(t), Some(map)) = (&scope, doc.as_object_mut()) {
        map.insert("tenant_id".into(), json!(t.id.to_string()));
    } else if let Some(map) = doc.as_object_mut() {
        // Signing out needs the tenant (sessions are per tenant).
        map.remove("end_session_endpoint");
    }
    Ok(([(header::CACHE_CONTROL, CACHE)], axum::Json(doc)).into_response())
}

/// `GET /{tenant}/discovery/v2.0/keys`
pub async fn keys(
    State(state): State<AppState>,
    Path(segment): Path<String>,
) -> Result<Response, OAuthError> {
    TenantScope::resolve(&state, &segment).await?;
    let jwks = state.app.jwks().await.map_err(OAuthError::from)?;
    Ok((
        [(header::CACHE_CONTROL, CACHE)],
        axum::Json(jwks.as_ref().clone()),
    )
        .into_response())
}

fn host_of(base: &str) -> String {
    base.split_once("://")
        .map_or(base, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}
