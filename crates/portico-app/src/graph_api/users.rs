//! Graph `users` and `directory/deletedItems` (of users): reads with OData queries, and the
//! changes, which go through the ordinary user use cases (directory roles, audit, one
//! transaction each).

use super::{Caller, CallerKind, GraphRefusal, GraphResult};
use crate::App;
use portico_domain::UserId;
use portico_domain::odata::ListQuery;
use portico_domain::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use portico_domain::user::{NewUser, User, UserPatch};
use portico_policy::graph::GraphAction;
use portico_store::StoreError;

/// A page of a collection: its items and the `$skiptoken` of the next page.
#[derive(Debug, Clone)]
pub struct GraphPage<T> {
    /// Items in the query's order.
    pub items: Vec<T>,
    /// Sealed cursor of the next page.
    pub next: Option<String>,
}

fn not_found(key: &str) -> GraphRefusal {
    GraphRefusal::NotFound(key.chars().take(200).collect())
}

impl App {
    /// Finds a live user by id or UPN. A caller without `action` is refused before being
    /// told whether the user exists.
    async fn graph_find_user(
        &self,
        caller: &Caller,
        key: &str,
        action: GraphAction,
    ) -> GraphResult<User> {
        let found = match key.parse::<uuid::Uuid>() {
            Ok(id) => self.store.get_user(caller.tenant.id, UserId(id)).await,
            Err(_) if key.len() > 256 || !key.contains('@') => Err(StoreError::NotFound("user")),
            Err(_) => self.store.find_user_by_upn(caller.tenant.id, key).await,
        };
        match found {
            Ok(u) => Ok(u),
            Err(StoreError::NotFound(_)) => {
                caller.require(action)?;
                Err(not_found(key).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /users/{id | userPrincipalName}`. A user may always read themself.
    pub async fn graph_get_user(&self, caller: &Caller, key: &str) -> GraphResult<User> {
        let user = self
            .graph_find_user(caller, key, GraphAction::ReadUsers)
            .await?;
        let own = matches!(&caller.kind, CallerKind::User { user: me, .. } if me.id == user.id);
        caller.require(if own {
            GraphAction::ReadOwnProfile
        } else {
            GraphAction::ReadUsers
        })?;
        Ok(user)
    }

    /// `GET /users`: one page of the users matching `query`, in its order (by id when it
    /// names none; stable under concurrent inserts), with the next page's `$skiptoken`.
    pub async fn graph_list_users(
        &self,
        caller: &Caller,
        query: &ListQuery,
        top: Option<u32>,
        skiptoken: Option<&str>,
    ) -> GraphResult<GraphPage<User>> {
        caller.require(GraphAction::ReadUsers)?;
        let after = match skiptoken {
            Some(t) => Some(self.open_cursor(caller, "users", query, t)?),
            None => None,
        };
        let limit = top.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let (items, next) = self
            .store
            .query_users(caller.tenant.id, query, after.as_ref(), limit)
            .await?;
        let next = match next {
            Some(c) => Some(self.seal_cursor(caller, "users", query, &c)?),
            None => None,
        };
        Ok(GraphPage { items, next })
    }

    /// `GET /users/$count` and `$count=true`: how many users match `query`.
    pub async fn graph_count_users(&self, caller: &Caller, query: &ListQuery) -> GraphResult<u64> {
        caller.require(GraphAction::ReadUsers)?;
        Ok(self
            .store
            .count_query_users(caller.tenant.id, query)
            .await?)
    }

    /// `POST /users`: a member (or guest) with a password, in a verified domain.
    pub async fn graph_create_user(
        &self,
        caller: &Caller,
        new: NewUser,
        password: &str,
        force_change: bool,
    ) -> GraphResult<User> {
        let ctx = self.graph_context(caller, GraphAction::WriteUsers).await?;
        Ok(self
            .create_user(&ctx, caller.tenant.id, new, Some(password), force_change)
            .await?)
    }

    /// `PATCH /users/{id | userPrincipalName}`, with an optional new password
    /// (`passwordProfile.password`), which ends the user's sessions.
    pub async fn graph_update_user(
        &self,
        caller: &Caller,
        key: &str,
        patch: UserPatch,
        password: Option<&str>,
    ) -> GraphResult<User> {
        let ctx = self.graph_context(caller, GraphAction::WriteUsers).await?;
        let user = self
            .graph_find_user(caller, key, GraphAction::WriteUsers)
            .await?;
        let force = patch.force_change_password_next_sign_in;
        let updated = if patch.is_empty() {
            user
        } else {
            self.update_user(&ctx, caller.tenant.id, user.id, patch)
                .await?
        };
        if let Some(p) = password {
            self.set_password(
                &ctx,
                caller.tenant.id,
                updated.id,
                p,
                force.unwrap_or(updated.force_change_password_next_sign_in),
            )
            .await?;
        }
        Ok(updated)
    }

    /// `DELETE /users/{id | userPrincipalName}`: soft delete (restorable for 30 days).
    pub async fn graph_delete_user(&self, caller: &Caller, key: &str) -> GraphResult<()> {
        let ctx = self.graph_context(caller, GraphAction::WriteUsers).await?;
        let user = self
            .graph_find_user(caller, key, GraphAction::WriteUsers)
            .await?;
        Ok(self.delete_user(&ctx, caller.tenant.id, user.id).await?)
    }

    /// `GET /directory/deletedItems/microsoft.graph.user`: soft-deleted users, most recently
    /// deleted first.
    pub async fn graph_deleted_users(&self, caller: &Caller) -> GraphResult<Vec<User>> {
        caller.require(GraphAction::ReadUsers)?;
        Ok(self.store.list_deleted_users(caller.tenant.id).await?)
    }

    /// `GET /directory/deletedItems/{id}`.
    pub async fn graph_deleted_user(&self, caller: &Caller, id: &str) -> GraphResult<User> {
        caller.require(GraphAction::ReadUsers)?;
        let wanted = id.parse::<uuid::Uuid>().map_err(|_| not_found(id))?;
        self.store
            .list_deleted_users(caller.tenant.id)
            .await?
            .into_iter()
            .find(|u| u.id.0 == wanted)
            .ok_or_else(|| not_found(id).into())
    }

    /// `POST /directory/deletedItems/{id}/restore`.
    pub async fn graph_restore_user(&self, caller: &Caller, id: &str) -> GraphResult<User> {
        let ctx = self.graph_context(caller, GraphAction::WriteUsers).await?;
        let user = self.graph_deleted_user(caller, id).await?;
        Ok(self.restore_user(&ctx, caller.tenant.id, user.id).await?)
    }

    /// `DELETE /directory/deletedItems/{id}`: permanent.
    pub async fn graph_purge_user(&self, caller: &Caller, id: &str) -> GraphResult<()> {
        let ctx = self.graph_context(caller, GraphAction::WriteUsers).await?;
        let user = self.graph_deleted_user(caller, id).await?;
        Ok(self
            .purge_deleted_user(&ctx, caller.tenant.id, user.id)
            .await?)
    }
}

impl App {
    /// `GET /users/{id}/sponsors`.
    pub async fn graph_sponsors(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<Vec<super::DirectoryObject>> {
        let user = self
            .graph_find_user(caller, key, GraphAction::ReadUsers)
            .await?;
        caller.require(GraphAction::ReadUsers)?;
        let refs = self.store.list_sponsors(caller.tenant.id, user.id).await?;
        self.hydrate(caller, refs).await
    }

    /// `GET /users/{id}/ownedObjects`: the groups the user owns (Portico's applications and
    /// service principals have no owners).
    pub async fn graph_owned_objects(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<Vec<super::DirectoryObject>> {
        let user = self
            .graph_find_user(caller, key, GraphAction::ReadUsers)
            .await?;
        caller.require(GraphAction::ReadUsers)?;
        let refs = self
            .store
            .owned_groups(caller.tenant.id, user.id.0)
            .await?
            .into_iter()
            .map(|g| portico_domain::directory_object::ObjectRef {
                kind: portico_domain::directory_object::ObjectKind::Group,
                id: g.0,
            })
            .collect();
        self.hydrate(caller, refs).await
    }

    /// `POST /users/{id}/sponsors/$ref`.
    pub async fn graph_add_sponsor(
        &self,
        caller: &Caller,
        key: &str,
        sponsor: uuid::Uuid,
    ) -> GraphResult<()> {
        let ctx = self.graph_context(caller, GraphAction::WriteUsers).await?;
        let user = self
            .graph_find_user(caller, key, GraphAction::WriteUsers)
            .await?;
        match self
            .add_sponsor(&ctx, caller.tenant.id, user.id, sponsor)
            .await
        {
            Err(crate::AppError::NotFound(_)) => Err(not_found(&sponsor.to_string()).into()),
            other => Ok(other?),
        }
    }

    /// `DELETE /users/{id}/sponsors/{sponsor}/$ref`.
    pub async fn graph_remove_sponsor(
        &self,
        caller: &Caller,
        key: &str,
        sponsor: &str,
    ) -> GraphResult<()> {
        let ctx = self.graph_context(caller, GraphAction::WriteUsers).await?;
        let user = self
            .graph_find_user(caller, key, GraphAction::WriteUsers)
            .await?;
        let Ok(id) = sponsor.parse::<uuid::Uuid>() else {
            return Err(not_found(sponsor).into());
        };
        match self
            .remove_sponsor(&ctx, caller.tenant.id, user.id, id)
            .await
        {
            Err(crate::AppError::NotFound(_)) => Err(not_found(sponsor).into()),
            other => Ok(other?),
        }
    }
}
