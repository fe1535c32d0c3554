//! Resolving the `{tenant}` path segment of protocol endpoints.

use crate::AppState;
use crate::error::OAuthError;
use axum::http::StatusCode;
use portico_app::AppError;
use portico_domain::tenant::Tenant;

/// Which tenants a protocol request speaks for.
#[derive(Debug, Clone)]
pub enum TenantScope {
    /// One tenant.
    Tenant(Box<Tenant>),
    /// `common`: any tenant (and, in Entra, personal accounts).
    Common,
    /// `organizations`: any tenant's work accounts.
    Organizations,
}

impl TenantScope {
    /// Resolves the segment; unknown tenants get Entra's `invalid_tenant` error.
    pub async fn resolve(state: &AppState, segment: &str) -> Result<Self, OAuthError> {
        match segment.to_ascii_lowercase().as_str() {
            "common" => return Ok(Self::Common),
            "organizations" => return Ok(Self::Organizations),
            _ => {}
        }
        match state.app.resolve_tenant(segment).await {
            Ok(t) => Ok(Self::Tenant(Box::new(t))),
            Err(AppError::NotFound(_) | AppError::Validation(_)) => Err(OAuthError {
                status: StatusCode::BAD_REQUEST,
                error: "invalid_tenant",
                description: format!(
                    "Tenant '{}' not found. Use the tenant id, one of its verified domains, 'common' or 'organizations'.",
                    segment.chars().take(100).collect::<String>()
                ),
            }),
            Err(e) => Err(OAuthError::from(e)),
        }
    }

    /// The issuer of tokens for this scope: the tenant's, or Entra's `{tenantid}` template.
    #[must_use]
    pub fn issuer(&self, public_url: &str) -> String {
        match self {
            Self::Tenant(t) => format!("{public_url}/{}/v2.0", t.id),
            Self::Common | Self::Organizations => format!("{public_url}/{{tenantid}}/v2.0"),
        }
    }
}
