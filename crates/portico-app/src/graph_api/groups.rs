//! Graph `groups` (with members and owners), memberships of users (`memberOf`,
//! `transitiveMemberOf`), and `directoryObjects` (by id and `getByIds`).

use super::users::GraphPage;
use super::{Caller, CallerKind, GraphRefusal, GraphResult};
use crate::App;
use portico_domain::application::ServicePrincipal;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::group::{Group, GroupPatch, NewGroup};
use portico_domain::odata::ListQuery;
use portico_domain::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use portico_domain::user::User;
use portico_domain::{GroupId, ServicePrincipalId, UserId};
use portico_policy::graph::GraphAction;
use portico_store::StoreError;

/// A directory object of any kind, as Graph returns it in mixed collections.
#[derive(Debug, Clone)]
pub enum DirectoryObject {
    /// `#microsoft.graph.user`
    User(Box<User>),
    /// `#microsoft.graph.group`
    Group(Group),
    /// `#microsoft.graph.servicePrincipal`
    ServicePrincipal(Box<ServicePrincipal>),
}

/// Most ids `getByIds` takes, as in Graph.
pub const MAX_GET_BY_IDS: usize = 1000;

fn not_found(key: &str) -> GraphRefusal {
    GraphRefusal::NotFound(key.chars().take(200).collect())
}

fn group_id(key: &str) -> Result<GroupId, GraphRefusal> {
    key.parse::<uuid::Uuid>()
        .map(GroupId)
        .map_err(|_| not_found(key))
}

impl App {
    /// `GET /groups`.
    pub async fn graph_list_groups(
        &self,
        caller: &Caller,
        query: &ListQuery,
        top: Option<u32>,
        skiptoken: Option<&str>,
    ) -> GraphResult<GraphPage<Group>> {
        caller.require(GraphAction::ReadGroups)?;
        let after = match skiptoken {
            Some(t) => Some(self.open_cursor(caller, "groups", query, t)?),
            None => None,
        };
        let limit = top.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let (items, next) = self
            .store
            .query_groups(caller.tenant.id, query, after.as_ref(), limit)
            .await?;
        let next = match next {
            Some(c) => Some(self.seal_cursor(caller, "groups", query, &c)?),
            None => None,
        };
        Ok(GraphPage { items, next })
    }

    /// `GET /groups/$count`.
    pub async fn graph_count_groups(&self, caller: &Caller, query: &ListQuery) -> GraphResult<u64> {
        caller.require(GraphAction::ReadGroups)?;
        Ok(self
            .store
            .count_query_groups(caller.tenant.id, query)
            .await?)
    }

    /// Reads a group after checking `action` (so an unauthorized caller learns nothing).
    async fn graph_find_group(
        &self,
        caller: &Caller,
        key: &str,
        action: GraphAction,
    ) -> GraphResult<Group> {
        caller.require(action)?;
        match self.store.get_group(caller.tenant.id, group_id(key)?).await {
            Ok(g) => Ok(g),
            Err(StoreError::NotFound(_)) => Err(not_found(key).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /groups/{id}`.
    pub async fn graph_get_group(&self, caller: &Caller, key: &str) -> GraphResult<Group> {
        self.graph_find_group(caller, key, GraphAction::ReadGroups)
            .await
    }

    /// `POST /groups`: a security group; `owners` (ids) become its owners.
    pub async fn graph_create_group(
        &self,
        caller: &Caller,
        new: NewGroup,
        owners: &[UserId],
    ) -> GraphResult<Group> {
        let ctx = self.graph_context(caller, GraphAction::WriteGroups).await?;
        Ok(self
            .create_group(&ctx, caller.tenant.id, new, owners)
            .await?)
    }

    /// `PATCH /groups/{id}`.
    pub async fn graph_update_group(
        &self,
        caller: &Caller,
        key: &str,
        patch: GroupPatch,
    ) -> GraphResult<Group> {
        let ctx = self.graph_context(caller, GraphAction::WriteGroups).await?;
        let g = self
            .graph_find_group(caller, key, GraphAction::WriteGroups)
            .await?;
        Ok(self
            .update_group(&ctx, caller.tenant.id, g.id, patch)
            .await?)
    }

    /// `DELETE /groups/{id}`.
    pub async fn graph_delete_group(&self, caller: &Caller, key: &str) -> GraphResult<()> {
        let ctx = self.graph_context(caller, GraphAction::WriteGroups).await?;
        let g = self
            .graph_find_group(caller, key, GraphAction::WriteGroups)
            .await?;
        Ok(self.delete_group(&ctx, caller.tenant.id, g.id).await?)
    }

    /// Turns references into objects, skipping any that vanished meanwhile.
    pub(crate) async fn hydrate(
        &self,
        caller: &Caller,
        refs: Vec<ObjectRef>,
    ) -> GraphResult<Vec<DirectoryObject>> {
        let tenant = caller.tenant.id;
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            let got = match r.kind {
                ObjectKind::User => self
                    .store
                    .get_user(tenant, UserId(r.id))
                    .await
                    .map(|u| DirectoryObject::User(Box::new(u))),
                ObjectKind::Group => self
                    .store
                    .get_group(tenant, GroupId(r.id))
                    .await
                    .map(DirectoryObject::Group),
                ObjectKind::ServicePrincipal => self
                    .store
                    .get_service_principal(tenant, ServicePrincipalId(r.id))
                    .await
                    .map(|s| DirectoryObject::ServicePrincipal(Box::new(s))),
            };
            match got {
                Ok(o) => out.push(o),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// `GET /groups/{id}/members` (or `transitiveMembers`), `GET /groups/{id}/owners`.
    pub async fn graph_group_links(
        &self,
        caller: &Caller,
        key: &str,
        link: GroupLink,
    ) -> GraphResult<Vec<DirectoryObject>> {
        self.graph_group_links_up_to(caller, key, link, usize::MAX)
            .await
    }

    /// The first `limit` objects of a group relationship (`$expand`): only those are loaded.
    pub async fn graph_group_links_up_to(
        &self,
        caller: &Caller,
        key: &str,
        link: GroupLink,
        limit: usize,
    ) -> GraphResult<Vec<DirectoryObject>> {
        let g = self
            .graph_find_group(caller, key, GraphAction::ReadGroups)
            .await?;
        let tenant = caller.tenant.id;
        let refs = match link {
            GroupLink::Members => self.store.list_group_members(tenant, g.id).await?,
            GroupLink::TransitiveMembers => self.store.transitive_members(tenant, g.id).await?,
            GroupLink::Owners => self.store.list_group_owners(tenant, g.id).await?,
        };
        self.hydrate(caller, refs.into_iter().take(limit).collect())
            .await
    }

    /// `POST /groups/{id}/members/$ref` or `/owners/$ref`: `object` is the id named by the
    /// `@odata.id` URL. Owners or group administrators (directory roles) only.
    pub async fn graph_add_group_link(
        &self,
        caller: &Caller,
        key: &str,
        link: GroupLink,
        object: uuid::Uuid,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteGroupMembers)
            .await?;
        let g = self
            .graph_find_group(caller, key, GraphAction::WriteGroupMembers)
            .await?;
        let kind = match self.store.object_kind(caller.tenant.id, object).await {
            Ok(k) => k,
            Err(StoreError::NotFound(_)) => {
                return Err(not_found(&object.to_string()).into());
            }
            Err(e) => return Err(e.into()),
        };
        let r = ObjectRef { kind, id: object };
        match link {
            GroupLink::Owners => {
                self.add_group_owner(&ctx, caller.tenant.id, g.id, r)
                    .await?;
            }
            GroupLink::Members | GroupLink::TransitiveMembers => {
                self.add_group_member(&ctx, caller.tenant.id, g.id, r)
                    .await?;
            }
        }
        Ok(())
    }

    /// `DELETE /groups/{id}/members/{member}/$ref` or `/owners/{owner}/$ref`.
    pub async fn graph_remove_group_link(
        &self,
        caller: &Caller,
        key: &str,
        link: GroupLink,
        object: &str,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteGroupMembers)
            .await?;
        let g = self
            .graph_find_group(caller, key, GraphAction::WriteGroupMembers)
            .await?;
        let id = object
            .parse::<uuid::Uuid>()
            .map_err(|_| not_found(object))?;
        let done = match link {
            GroupLink::Owners => {
                self.remove_group_owner(&ctx, caller.tenant.id, g.id, id)
                    .await
            }
            GroupLink::Members | GroupLink::TransitiveMembers => {
                self.remove_group_member(&ctx, caller.tenant.id, g.id, id)
                    .await
            }
        };
        match done {
            Ok(()) => Ok(()),
            Err(crate::AppError::NotFound(_)) => Err(not_found(object).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /users/{id}/memberOf` or `transitiveMemberOf`: the groups a user is in. A user
    /// may list their own; others need group read permissions.
    pub async fn graph_member_of(
        &self,
        caller: &Caller,
        user_key: &str,
        transitive: bool,
    ) -> GraphResult<Vec<Group>> {
        self.graph_member_of_up_to(caller, user_key, transitive, usize::MAX)
            .await
    }

    /// The first `limit` groups of `graph_member_of` (`$expand`): only those are loaded.
    pub async fn graph_member_of_up_to(
        &self,
        caller: &Caller,
        user_key: &str,
        transitive: bool,
        limit: usize,
    ) -> GraphResult<Vec<Group>> {
        let user = self
            .graph_find_user_for_memberships(caller, user_key)
            .await?;
        let tenant = caller.tenant.id;
        let ids = if transitive {
            self.store.transitive_member_of(tenant, user.id.0).await?
        } else {
            self.store.member_of(tenant, user.id.0).await?
        };
        let mut out = Vec::with_capacity(ids.len().min(limit));
        for id in ids {
            if out.len() >= limit {
                break;
            }
            match self.store.get_group(tenant, id).await {
                Ok(g) => out.push(g),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    async fn graph_find_user_for_memberships(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<User> {
        let own = match &caller.kind {
            CallerKind::User { user, .. } => {
                key == user.id.to_string() || key.eq_ignore_ascii_case(&user.user_principal_name)
            }
            CallerKind::App { .. } => false,
        };
        if own {
            caller.require(GraphAction::ReadOwnProfile)?;
            return Ok(caller.user().cloned().ok_or_else(|| not_found(key))?);
        }
        caller.require(GraphAction::ReadGroups)?;
        let found = match key.parse::<uuid::Uuid>() {
            Ok(id) => self.store.get_user(caller.tenant.id, UserId(id)).await,
            Err(_) => self.store.find_user_by_upn(caller.tenant.id, key).await,
        };
        match found {
            Ok(u) => Ok(u),
            Err(StoreError::NotFound(_)) => Err(not_found(key).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /directoryObjects/{id}`: a user, group or service principal, each needing its
    /// own read permission.
    pub async fn graph_directory_object(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<DirectoryObject> {
        let id = key.parse::<uuid::Uuid>().map_err(|_| not_found(key))?;
        let mut found = self.graph_get_by_ids(caller, &[id], &[]).await?;
        found.pop().ok_or_else(|| not_found(key).into())
    }

    /// `POST /directoryObjects/getByIds`: the objects among `ids` the caller may read, of the
    /// requested `types` (all when empty), in the order asked. Unknown ids are left out.
    pub async fn graph_get_by_ids(
        &self,
        caller: &Caller,
        ids: &[uuid::Uuid],
        types: &[ObjectKind],
    ) -> GraphResult<Vec<DirectoryObject>> {
        if ids.len() > MAX_GET_BY_IDS {
            return Err(GraphRefusal::BadRequest(format!(
                "getByIds takes at most {MAX_GET_BY_IDS} ids."
            ))
            .into());
        }
        let may = |kind: ObjectKind| {
            let action = match kind {
                ObjectKind::User => GraphAction::ReadUsers,
                ObjectKind::Group => GraphAction::ReadGroups,
                ObjectKind::ServicePrincipal => GraphAction::ReadUsers,
            };
            caller.require(action).is_ok()
        };
        if !(may(ObjectKind::User) || may(ObjectKind::Group)) {
            return Err(GraphRefusal::Forbidden.into());
        }
        let mut refs = Vec::new();
        for id in ids {
            match self.store.object_kind(caller.tenant.id, *id).await {
                Ok(kind) if (types.is_empty() || types.contains(&kind)) && may(kind) => {
                    refs.push(ObjectRef { kind, id: *id });
                }
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.hydrate(caller, refs).await
    }
}

/// Which link of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupLink {
    /// Direct members.
    Members,
    /// Members through nested groups.
    TransitiveMembers,
    /// Owners.
    Owners,
}
