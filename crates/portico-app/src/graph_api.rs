//! The start of the Microsoft-Graph-compatible API: who is calling (an access token this
//! deployment issued for Graph), and the first read operations (`me`, a user by id or UPN,
//! the organization), each authorized by `portico_policy::graph`.

use crate::{App, AppError};
use portico_domain::tenant::{Domain, Tenant};
use portico_domain::user::{User, UserType};
use portico_domain::well_known::is_graph_resource;
use portico_domain::{AppId, TenantId, UserId};
use portico_policy::graph::{GraphAction, GraphCaller, graph_allows};
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
        let tenant = match self.store.get_tenant(TenantId(tid)).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return unauth("The token's tenant does not exist."),
            Err(e) => return Err(e.into()),
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

    /// `GET /users/{id | userPrincipalName}`. A user may always read themself.
    pub async fn graph_get_user(
        &self,
        caller: &Caller,
        key: &str,
    ) -> Result<Result<User, GraphRefusal>, AppError> {
        let found = match key.parse::<uuid::Uuid>() {
            Ok(id) => self.store.get_user(caller.tenant.id, UserId(id)).await,
            Err(_) => self.store.find_user_by_upn(caller.tenant.id, key).await,
        };
        let user = match found {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => {
                // Refuse a caller without the permission before saying what exists.
                if let Err(r) = caller.require(GraphAction::ReadUsers) {
                    return Ok(Err(r));
                }
                return Ok(Err(GraphRefusal::NotFound(key.chars().take(200).collect())));
            }
            Err(e) => return Err(e.into()),
        };
        let own = matches!(&caller.kind, CallerKind::User { user: me, .. } if me.id == user.id);
        let action = if own {
            GraphAction::ReadOwnProfile
        } else {
            GraphAction::ReadUsers
        };
        Ok(caller.require(action).map(|()| user))
    }

    /// `GET /users`: a page of the tenant's users in a stable order (by id), with an opaque,
    /// tamper-proof token for the next page (sealed under the master key, bound to the tenant).
    pub async fn graph_list_users(
        &self,
        caller: &Caller,
        top: Option<u32>,
        skiptoken: Option<&str>,
    ) -> Result<Result<(Vec<User>, Option<String>), GraphRefusal>, AppError> {
        if let Err(r) = caller.require(GraphAction::ReadUsers) {
            return Ok(Err(r));
        }
        let context = format!("graph-skiptoken:{}:users", caller.tenant.id);
        let after = match skiptoken {
            None => None,
            Some(t) => {
                let opened = (t.len() <= 1024)
                    .then(|| self.keys.open(t, &context))
                    .flatten()
                    .and_then(|raw| uuid::Uuid::from_slice(&raw).ok());
                match opened {
                    Some(id) => Some(id),
                    None => return Ok(Err(GraphRefusal::BadRequest("The $skiptoken is not valid: use the @odata.nextLink of the previous page.".into()))),
                }
            }
        };
        let page = self
            .store
            .list_users(
                caller.tenant.id,
                &portico_domain::user::UserFilter::default(),
                &portico_domain::paging::PageRequest { top, after },
            )
            .await?;
        let next = match page.next {
            Some(id) => Some(self.keys.seal(id.as_bytes(), &context)?),
            None => None,
        };
        Ok(Ok((page.items, next)))
    }

    /// `GET /users/$count` and `$count=true`: how many users the tenant has.
    pub async fn graph_count_users(
        &self,
        caller: &Caller,
    ) -> Result<Result<u64, GraphRefusal>, AppError> {
        if let Err(r) = caller.require(GraphAction::ReadUsers) {
            return Ok(Err(r));
        }
        Ok(Ok(self
            .store
            .count_users(
                caller.tenant.id,
                &portico_domain::user::UserFilter::default(),
            )
            .await?))
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
