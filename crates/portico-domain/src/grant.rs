//! What an authorization code or refresh token stands for, and recorded consent
//! (Graph's `oAuth2PermissionGrant`).

use crate::{AppId, PermissionGrantId, ServicePrincipalId, SessionId, UserId};
use time::OffsetDateTime;

/// The authorization behind a code or a refresh token: who, for which client, which scopes
/// on which resource. Kept as JSON with the (hashed) code or token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorizationGrant {
    /// The client.
    pub client_app_id: AppId,
    /// The user.
    pub user_id: UserId,
    /// The browser session it came from.
    pub session_id: Option<SessionId>,
    /// The resource the access token is for (its appId).
    pub resource_app_id: AppId,
    /// Granted scopes on that resource (values, e.g. `User.Read`).
    pub resource_scopes: Vec<String>,
    /// OpenID scopes granted (`openid`, `profile`, `email`, `offline_access`).
    pub oidc_scopes: Vec<String>,
    /// `redirect_uri` of the authorization request (codes only).
    pub redirect_uri: Option<String>,
    /// PKCE `code_challenge` (S256), codes only.
    pub code_challenge: Option<String>,
    /// `nonce` of the authorization request, echoed in the first ID token.
    pub nonce: Option<String>,
    /// When the user entered credentials (unix seconds).
    pub auth_time: i64,
    /// How (`amr`).
    pub amr: Vec<String>,
}

impl AuthorizationGrant {
    /// Whether a refresh token goes with the tokens.
    #[must_use]
    pub fn offline(&self) -> bool {
        self.oidc_scopes.iter().any(|s| s == "offline_access")
    }
    /// Whether an ID token goes with the tokens.
    #[must_use]
    pub fn openid(&self) -> bool {
        self.oidc_scopes.iter().any(|s| s == "openid")
    }
}

/// Whose consent a grant records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentType {
    /// An administrator consented for every user of the tenant.
    AllPrincipals,
    /// One user consented for themself.
    Principal(UserId),
}

/// Graph's `oAuth2PermissionGrant`: a client may use these delegated scopes of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionGrant {
    /// Grant id.
    pub id: PermissionGrantId,
    /// The client's service principal.
    pub client_id: ServicePrincipalId,
    /// Whose consent.
    pub consent_type: ConsentType,
    /// The resource's service principal.
    pub resource_id: ServicePrincipalId,
    /// Space-separated scope values.
    pub scope: String,
    /// When first granted.
    pub created_at: OffsetDateTime,
}

impl PermissionGrant {
    /// The scope values granted.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }
}
