//! The Microsoft-Graph-compatible API's use cases: who is calling (an access token this
//! deployment issued for Graph), what they may do (`portico_policy::graph`, then the directory
//! roles of the ordinary use cases for changes), and the operations per resource.

mod app_grants;
mod applications;
mod audit_logs;
mod domains;
mod groups;
mod identity_providers;
mod invitations;
mod paging;
mod policies;
mod saml_federations;
mod users;

pub use app_grants::{AssignmentSide, AssignmentView, NewAssignment};
pub use applications::{AppKey, ServicePrincipalView};
pub use domains::{BrandingPatch, OrganizationPatch};

pub use groups::{DirectoryObject, GroupLink, MAX_GET_BY_IDS};
pub use portico_policy::directory::{Action as DirectoryAction, role_allows};
pub use portico_policy::graph::{GraphAction, directory_action, permissions};
pub use users::GraphPage;

use crate::{Actor, App, AppError, Context};
use portico_domain::tenant::{Domain, Tenant};
use portico_domain::user::{User, UserType};
use portico_domain::well_known::is_graph_resource;
use portico_domain::{AppId, TenantId, UserId};
use portico_policy::graph::{GraphCaller, graph_allows};
use portico_store::StoreError;
use serde_json::Value;

/// An authenticated Graph caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's tenant (the token's `tid`): every object it reaches is in it.
    pub tenant: Tenant,
    /// The client application.
    pub client: AppId,
    /// App-only or on behalf of a user.
    pub kind: CallerKind,
}

/// How the caller acts.
#[derive(Debug, Clone)]
pub enum CallerKind {
    /// With application permissions.
    App {
        /// Graph app roles.
        roles: Vec<String>,
    },
    /// On behalf of a signed-in user.
    User {
        /// The user (enabled, present).
        user: Box<User>,
        /// Delegated scopes.
        scopes: Vec<String>,
    },
}

/// Why a Graph request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphRefusal {
    /// No usable token: 401 `InvalidAuthenticationToken`.
    Unauthenticated(String),
    /// The caller lacks the permission: 403 `Authorization_RequestDenied`.
    Forbidden,
    /// No such object in the caller's tenant: 404 `Request_ResourceNotFound`.
    NotFound(String),
    /// A malformed request: 400 `Request_BadRequest`.
    BadRequest(String),
    /// `/me` with an app-only token: 400 `BadRequest`, as Graph answers.
    DelegatedOnly,
}

/// Why a Graph operation did not complete: refused at the Graph layer, or failed in the use
/// case it called.
#[derive(Debug)]
pub enum GraphFailure {
    /// A Graph refusal (authentication, permission, malformed request).
    Refused(GraphRefusal),
    /// A use-case error (validation, conflict, not found, outage).
    Failed(AppError),
}

impl From<GraphRefusal> for GraphFailure {
    fn from(r: GraphRefusal) -> Self {
        Self::Refused(r)
    }
}

impl From<AppError> for GraphFailure {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

impl From<StoreError> for GraphFailure {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// The result of a Graph operation.
pub type GraphResult<T> = Result<T, GraphFailure>;

impl Caller {
    fn policy_view(&self) -> GraphCaller<'_> {
        match &self.kind {
            CallerKind::App { roles } => GraphCaller::App { roles },
            CallerKind::User { user, scopes } => GraphCaller::User {
                scopes,
                member: user.user_type == UserType::Member,
            },
        }
    }

    /// The signed-in user of a delegated call.
    #[must_use]
    pub fn user(&self) -> Option<&User> {
        match &self.kind {
            CallerKind::User { user, .. } => Some(user),
            CallerKind::App { .. } => None,
        }
    }

    fn require(&self, action: GraphAction) -> Result<(), GraphRefusal> {
        if graph_allows(self.policy_view(), action) {
            Ok(())
        } else {
            Err(GraphRefusal::Forbidden)
        }
    }
}

fn words(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

impl App {
    /// The use-case context of a Graph caller, after checking the Graph permission for
    /// `action`: the signed-in user, or the app with the directory roles its application
    /// permissions amount to.
    pub(crate) async fn graph_context(
        &self,
        caller: &Caller,
        action: GraphAction,
    ) -> GraphResult<Context> {
        caller.require(action)?;
        let actor = match &caller.kind {
            CallerKind::User { user, .. } => Actor::User {
                tenant: caller.tenant.id,
                id: user.id,
                user_principal_name: user.user_principal_name.clone(),
            },
            CallerKind::App { roles } => {
                let key = (caller.tenant.id, caller.client);
                let (sp, name) = match self.caches.app_actors.get(&key) {
                    Some(found) => found.as_ref().clone(),
                    None => {
                        let found = match self
                            .store
                            .find_service_principal_by_app_id(caller.tenant.id, caller.client)
                            .await
                        {
                            Ok(sp) => (sp.id.0, sp.display_name),
                            Err(StoreError::NotFound(_)) => {
                                (uuid::Uuid::nil(), caller.client.to_string())
                            }
                            Err(e) => return Err(e.into()),
                        };
                        self.caches
                            .app_actors
                            .put(key, std::sync::Arc::new(found.clone()));
                        found
                    }
                };
                Actor::App {
                    tenant: caller.tenant.id,
                    app_id: caller.client.0,
                    service_principal_id: sp,
                    display_name: name,
                    roles: portico_policy::graph::app_equivalent_roles(roles),
                }
            }
        };
        Ok(Context {
            actor,
            correlation_id: portico_domain::CorrelationId::new(),
        })
    }

    /// Checks the caller holds the Graph permission for `action` (handlers call it before
    /// reading a request body, so that an unauthorized caller learns nothing from validation).
    pub fn graph_require(&self, caller: &Caller, action: GraphAction) -> Result<(), GraphRefusal> {
        caller.require(action)
    }

    /// Authenticates a Graph request's bearer token.
    pub async fn graph_caller(
        &self,
        bearer: Option<&str>,
    ) -> Result<Result<Caller, GraphRefusal>, AppError> {
        let unauth = |m: &str| Ok(Err(GraphRefusal::Unauthenticated(m.to_owned())));
        let Some(token) = bearer.filter(|t| !t.is_empty() && t.len() <= 16 * 1024) else {
            return unauth("Access token is empty.");
        };
        let Some(claims) = self.verify_own_jwt(token).await else {
            return unauth("Access token validation failure. Invalid signature or token format.");
        };
        let now = self.clock.now().unix_timestamp();
        let num = |k: &str| claims.get(k).and_then(Value::as_i64);
        if num("exp").is_none_or(|e| e <= now) {
            return unauth("Lifetime validation failed, the token is expired.");
        }
        if num("nbf").is_some_and(|n| n > now + 300) {
            return unauth("Lifetime validation failed, the token is not yet valid.");
        }
        let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
        if !is_graph_resource(aud, &self.config.public_url) {
            return unauth("Invalid audience: request a token for https://graph.microsoft.com.");
        }
        let id = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<uuid::Uuid>().ok())
        };
        let (Some(tid), Some(oid), Some(azp)) = (id("tid"), id("oid"), id("azp")) else {
            return unauth("Access token validation failure: tid, oid or azp is missing.");
        };
        let tenant = match self.tenant(TenantId(tid)).await {
            Ok(t) => t,
            Err(AppError::NotFound(_)) => return unauth("The token's tenant does not exist."),
            Err(e) => return Err(e),
        };
        let kind = match claims.get("idtyp").and_then(Value::as_str) {
            Some("app") => CallerKind::App {
                roles: words(claims.get("roles")),
            },
            Some("user") => match self.store.get_user(tenant.id, UserId(oid)).await {
                Ok(u) if u.account_enabled => CallerKind::User {
                    user: Box::new(u),
                    scopes: words(claims.get("scp")),
                },
                Ok(_) | Err(StoreError::NotFound(_)) => {
                    return unauth("The signed-in user no longer exists or is disabled.");
                }
                Err(e) => return Err(e.into()),
            },
            _ => return unauth("Access token validation failure: unknown token type."),
        };
        Ok(Ok(Caller {
            tenant,
            client: AppId(azp),
            kind,
        }))
    }

    /// `GET /me`.
    pub fn graph_me(&self, caller: &Caller) -> Result<User, GraphRefusal> {
        if matches!(caller.kind, CallerKind::App { .. }) {
            return Err(GraphRefusal::DelegatedOnly);
        }
        caller.require(GraphAction::ReadOwnProfile)?;
        match &caller.kind {
            CallerKind::User { user, .. } => Ok(user.as_ref().clone()),
            CallerKind::App { .. } => Err(GraphRefusal::Forbidden),
        }
    }

    /// `GET /organization`: the caller's tenant and its domains.
    pub async fn graph_organization(
        &self,
        caller: &Caller,
    ) -> Result<Result<(Tenant, Vec<Domain>), GraphRefusal>, AppError> {
        if let Err(r) = caller.require(GraphAction::ReadOrganization) {
            return Ok(Err(r));
        }
        let domains = self.store.list_domains(caller.tenant.id).await?;
        Ok(Ok((caller.tenant.clone(), domains)))
    }
}
