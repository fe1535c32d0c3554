//! Issuing tokens. Today: the client credentials grant (app-only access tokens for daemons),
//! with `scope=<resource>/.default` granting the app roles assigned to the client's service
//! principal on the resource, as Entra does. Client authentication by secret (basic or post).

use crate::{App, AppError};
use portico_domain::AppId;
use portico_domain::tenant::Tenant;
use serde_json::{Value, json};

/// Lifetime of access tokens, in seconds (Entra's default is 60–90 minutes).
pub const ACCESS_TOKEN_SECONDS: i64 = 3599;
/// Longest accepted client id or secret, and scope string (oversized input is refused).
const MAX_PARAM: usize = 2048;

/// OAuth 2.0 token error codes (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorCode {
    /// Malformed or missing parameter.
    InvalidRequest,
    /// Client authentication failed (unknown client, bad secret, no credentials).
    InvalidClient,
    /// The client may not use this grant (disabled, or no service principal).
    UnauthorizedClient,
    /// Grant type not supported.
    UnsupportedGrantType,
    /// The code or refresh token is invalid, expired, revoked, or for another client.
    InvalidGrant,
    /// Scope malformed, or names an unknown resource.
    InvalidScope,
    /// The database or another dependency failed.
    TemporarilyUnavailable,
    /// A bug.
    ServerError,
}

impl TokenErrorCode {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidScope => "invalid_scope",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
        }
    }
}

/// Why no token was issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct TokenError {
    /// The OAuth error code.
    pub code: TokenErrorCode,
    /// What was wrong, for the developer reading it.
    pub description: String,
}

impl TokenError {
    pub(crate) fn new(code: TokenErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

impl From<AppError> for TokenError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unavailable(_) => Self::new(
                TokenErrorCode::TemporarilyUnavailable,
                "The service is temporarily unavailable. Retry the request later.",
            ),
            other => {
                tracing::error!(error = %other, "token request failed");
                Self::new(
                    TokenErrorCode::ServerError,
                    "An internal server error occurred.",
                )
            }
        }
    }
}

/// A client's credentials as presented.
#[derive(Clone)]
pub struct ClientCredentials<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// `client_secret` (basic or post).
    pub client_secret: Option<&'a str>,
    /// `client_assertion` (`private_key_jwt`).
    pub client_assertion: Option<&'a str>,
}

impl std::fmt::Debug for ClientCredentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.map(|_| "[redacted]"))
            .field(
                "client_assertion",
                &self.client_assertion.map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// A successful token response.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedToken {
    /// The signed access token.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

impl App {
    /// The client credentials grant for `tenant`.
    pub async fn client_credentials_token(
        &self,
        tenant: &Tenant,
        client: &ClientCredentials<'_>,
        scope: Option<&str>,
    ) -> Result<IssuedToken, TokenError> {
        use TokenErrorCode as C;
        let scope = scope.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            TokenError::new(C::InvalidRequest, "The request body must contain the 'scope' parameter, e.g. scope=api://my-api/.default.")
        })?;
        if scope.len() > MAX_PARAM
            || client.client_id.len() > MAX_PARAM
            || client.client_secret.is_some_and(|s| s.len() > MAX_PARAM)
        {
            return Err(TokenError::new(
                C::InvalidRequest,
                "A parameter is too long.",
            ));
        }
        let client_app_id = match client.client_assertion {
            Some(assertion) => {
                self.verify_client_assertion(tenant, client.client_id, assertion)
                    .await?
            }
            None => self.verify_client_secret(tenant, client).await?,
        };
        let now = self.clock.now();
        let bundle = self.client_bundle(tenant, client_app_id, false).await?;
        let client_sp = match bundle.and_then(|b| b.service_principal.clone()) {
            Some(sp) if sp.account_enabled => sp,
            Some(_) => {
                return Err(TokenError::new(
                    C::UnauthorizedClient,
                    format!("Application '{client_app_id}' is disabled in this tenant."),
                ));
            }
            None => {
                return Err(TokenError::new(
                    C::UnauthorizedClient,
                    format!(
                        "Application '{client_app_id}' has no service principal in this tenant."
                    ),
                ));
            }
        };
        let resource_name = parse_default_scope(scope)?;
        let cache_key = (tenant.id, client_sp.id, resource_name.to_owned());
        let resolved = match self.caches.resources.get(&cache_key) {
            Some(r) => r,
            None => {
                let r = std::sync::Arc::new(
                    self.resolve_for_client(tenant, client_sp.id, resource_name)
                        .await?,
                );
                self.caches.resources.put(cache_key, r.clone());
                r
            }
        };
        let roles: Vec<&str> = resolved.roles.iter().map(String::as_str).collect();
        let iat = now.unix_timestamp();
        let mut claims = json!({
            "aud": audience(resolved.app_id),
            "iss": format!("{}/{}/v2.0", self.config.public_url.trim_end_matches('/'), tenant.id),
            "iat": iat,
            "nbf": iat,
            "exp": iat + ACCESS_TOKEN_SECONDS,
            "azp": client_app_id.to_string(),
            "azpacr": if client.client_assertion.is_some() { "2" } else { "1" },
            "idtyp": "app",
            "oid": client_sp.id.to_string(),
            "sub": client_sp.id.to_string(),
            "tid": tenant.id.to_string(),
            "uti": portico_crypto::secret::random_token(16),
            "ver": "2.0",
        });
        if !roles.is_empty()
            && let Some(map) = claims.as_object_mut()
        {
            map.insert("roles".into(), Value::from(roles));
        }
        let key = self.signing_key().await?;
        let access_token = key
            .sign_jwt(&claims)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(IssuedToken {
            access_token,
            expires_in: ACCESS_TOKEN_SECONDS,
        })
    }

    /// The client's secrets and service principal, from the cache unless `fresh`.
    async fn client_bundle(
        &self,
        tenant: &Tenant,
        app_id: AppId,
        fresh: bool,
    ) -> Result<Option<std::sync::Arc<crate::caches::ClientBundle>>, AppError> {
        let key = (tenant.id, app_id);
        if !fresh && let Some(b) = self.caches.clients.get(&key) {
            return Ok(Some(b));
        }
        // Secrets live with the registration, in the app's home tenant (a multi-tenant app
        // gets tokens in every tenant it has a service principal in). Unknown apps are not
        // cached, so random client ids cannot crowd out real ones.
        let home = match self.store.application_home(app_id).await {
            Ok(h) => h,
            Err(portico_store::StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let secrets = self
            .store
            .application_secrets_by_app_id(home, app_id)
            .await?;
        let service_principal = match self
            .store
            .find_service_principal_by_app_id(tenant.id, app_id)
            .await
        {
            Ok(sp) => Some(sp),
            Err(portico_store::StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let b = std::sync::Arc::new(crate::caches::ClientBundle {
            secrets,
            service_principal,
        });
        self.caches.clients.put(key, b.clone());
        Ok(Some(b))
    }

    /// Checks a client secret (basic or post) and returns the authenticated client.
    pub(crate) async fn verify_client_secret(
        &self,
        tenant: &Tenant,
        client: &ClientCredentials<'_>,
    ) -> Result<AppId, TokenError> {
        use TokenErrorCode as C;
        let client_app_id: AppId = client.client_id.trim().parse().map_err(|_| {
            TokenError::new(
                C::InvalidClient,
                format!(
                    "Client '{}' is not a valid application (client) id; use the appId GUID.",
                    truncate(client.client_id)
                ),
            )
        })?;
        let Some(secret) = client.client_secret else {
            return Err(TokenError::new(
                C::InvalidClient,
                "The request must include client authentication: client_secret (in the body or with HTTP Basic) or a client_assertion.",
            ));
        };
        let now = self.clock.now();
        let matches = |b: &crate::caches::ClientBundle| {
            b.secrets
                .iter()
                .filter(|s| s.credential.start_date_time <= now && now < s.credential.end_date_time)
                .any(|s| self.keys.verify_secret(secret, &s.secret_hash))
        };
        // The cached secrets first; on a mismatch the store's (a secret added a moment ago).
        let Some(cached) = self.client_bundle(tenant, client_app_id, false).await? else {
            return Err(TokenError::new(
                C::InvalidClient,
                format!(
                    "AADSTS700016: Application with identifier '{client_app_id}' was not found in the directory '{}'.",
                    tenant.display_name
                ),
            ));
        };
        if matches(&cached)
            || self
                .client_bundle(tenant, client_app_id, true)
                .await?
                .is_some_and(|fresh| matches(&fresh))
        {
            return Ok(client_app_id);
        }
        Err(TokenError::new(
            C::InvalidClient,
            format!(
                "AADSTS7000215: Invalid client secret provided for application '{client_app_id}'. Use a current secret, not its id."
            ),
        ))
    }

    /// The resource named by a scope and the roles `client` holds on it.
    async fn resolve_for_client(
        &self,
        tenant: &Tenant,
        client: portico_domain::ServicePrincipalId,
        resource_name: &str,
    ) -> Result<crate::caches::ResolvedResource, TokenError> {
        let resource_app = self.resolve_resource(tenant, resource_name).await?;
        let found = if resource_app.app_id == portico_domain::well_known::GRAPH_APP_ID {
            // Microsoft Graph's service principal exists in every tenant (made on first use).
            Ok(self.graph_service_principal(tenant).await?)
        } else {
            self.store
                .find_service_principal_by_app_id(tenant.id, resource_app.app_id)
                .await
        };
        let resource_sp = match found {
            Ok(sp) => sp,
            Err(portico_store::StoreError::NotFound(_)) => {
                return Err(TokenError::new(
                    TokenErrorCode::InvalidScope,
                    format!(
                        "The resource principal named {resource_name} was not found in the tenant named {}.",
                        tenant.display_name
                    ),
                ));
            }
            Err(e) => return Err(AppError::from(e).into()),
        };
        if !resource_sp.account_enabled {
            return Err(TokenError::new(
                TokenErrorCode::InvalidScope,
                format!(
                    "The resource '{resource_name}' is disabled in the tenant named {}.",
                    tenant.display_name
                ),
            ));
        }
        let assigned = self
            .store
            .app_role_assignments_of(tenant.id, client.0, Some(resource_sp.id))
            .await
            .map_err(AppError::from)?;
        let mut roles: Vec<String> = resource_app
            .app_roles
            .iter()
            .filter(|r| r.is_enabled && r.allowed_member_types.iter().any(|t| t == "Application"))
            .filter(|r| assigned.iter().any(|a| a.app_role_id == r.id))
            .filter_map(|r| r.value.clone())
            .collect();
        roles.sort_unstable();
        roles.dedup();
        if resource_sp.app_role_assignment_required && roles.is_empty() {
            return Err(TokenError::new(
                TokenErrorCode::UnauthorizedClient,
                format!(
                    "AADSTS501051: Application is not assigned to a role for the resource '{resource_name}', which requires an assignment."
                ),
            ));
        }
        Ok(crate::caches::ResolvedResource {
            app_id: resource_app.app_id,
            roles,
        })
    }

    /// Finds the resource application named by a scope: its appId, or one of its identifier URIs.
    async fn resolve_resource(
        &self,
        tenant: &Tenant,
        name: &str,
    ) -> Result<portico_domain::application::Application, TokenError> {
        self.find_resource_by_name(tenant, name)
            .await?
            .ok_or_else(|| {
                TokenError::new(
                    TokenErrorCode::InvalidScope,
                    format!(
                        "The resource principal named {name} was not found in the tenant named {}.",
                        tenant.display_name
                    ),
                )
            })
    }

    /// The resource a scope prefix names: Microsoft Graph (its URI, appId or Portico's own
    /// URL), or an application of the tenant by appId or identifier URI (with or without a
    /// trailing `/`).
    pub(crate) async fn find_resource_by_name(
        &self,
        tenant: &Tenant,
        name: &str,
    ) -> Result<Option<portico_domain::application::Application>, AppError> {
        use portico_store::StoreError::NotFound;
        if portico_domain::well_known::is_graph_resource(name, &self.config.public_url) {
            return Ok(Some(portico_domain::well_known::microsoft_graph()));
        }
        if let Ok(app_id) = name.parse::<AppId>() {
            return match self
                .store
                .find_application_by_app_id(tenant.id, app_id)
                .await
            {
                Ok(a) => Ok(Some(a)),
                Err(NotFound(_)) => Ok(None),
                Err(e) => Err(e.into()),
            };
        }
        for candidate in [name.to_owned(), format!("{name}/")] {
            match self
                .store
                .find_application_by_identifier_uri(tenant.id, &candidate)
                .await
            {
                Ok(a) => return Ok(Some(a)),
                Err(NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }
}

/// `X/.default` (possibly repeated for the same X) → X. Client credentials only take `.default`.
fn parse_default_scope(scope: &str) -> Result<&str, TokenError> {
    let mut resource: Option<&str> = None;
    for item in scope.split_whitespace() {
        let Some(r) = item.strip_suffix("/.default").filter(|r| !r.is_empty()) else {
            return Err(TokenError::new(
                TokenErrorCode::InvalidScope,
                format!(
                    "The provided value '{}' for scope is not valid. Client credential flows must use a scope value with /.default suffixed to the resource identifier (application ID URI).",
                    truncate(item)
                ),
            ));
        };
        let r = r.trim_end_matches('/');
        match resource {
            Some(prev) if prev != r => {
                return Err(TokenError::new(
                    TokenErrorCode::InvalidScope,
                    "A token can be issued for one resource at a time; request each resource's /.default separately.",
                ));
            }
            _ => resource = Some(r),
        }
    }
    resource.ok_or_else(|| {
        TokenError::new(
            TokenErrorCode::InvalidRequest,
            "The 'scope' parameter is empty.",
        )
    })
}

/// The `aud` of an access token for a resource: Graph's URI for Graph (as Entra issues
/// them), the resource's appId otherwise.
pub(crate) fn audience(resource: AppId) -> String {
    if resource == portico_domain::well_known::GRAPH_APP_ID {
        portico_domain::well_known::GRAPH_URI.to_owned()
    } else {
        resource.to_string()
    }
}

pub(crate) fn truncate(s: &str) -> String {
    s.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scopes() {
        assert_eq!(
            parse_default_scope("api://payroll/.default").unwrap(),
            "api://payroll"
        );
        assert_eq!(
            parse_default_scope("api://payroll//.default api://payroll/.default").unwrap(),
            "api://payroll"
        );
        assert_eq!(
            parse_default_scope("0b5d1c3e-0000-4000-8000-000000000001/.default").unwrap(),
            "0b5d1c3e-0000-4000-8000-000000000001"
        );
        for bad in [
            "api://payroll/read",
            "/.default",
            "openid",
            "api://a/.default api://b/.default",
        ] {
            assert_eq!(
                parse_default_scope(bad).unwrap_err().code,
                TokenErrorCode::InvalidScope,
                "{bad}"
            );
        }
    }
}
