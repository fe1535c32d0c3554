//! Graph `appRoleAssignments` (what a user, group or service principal holds),
//! `appRoleAssignedTo` (who holds a resource's roles) and `oauth2PermissionGrants` (delegated
//! consent), reading and changing them through the application use cases.

use super::users::GraphPage;
use super::{Caller, GraphRefusal, GraphResult};
use crate::App;
use portico_domain::application::AppRoleAssignment;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::grant::{ConsentType, PermissionGrant};
use portico_domain::odata::ListQuery;
use portico_domain::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use portico_domain::{PermissionGrantId, ServicePrincipalId, UserId};
use portico_policy::graph::GraphAction;
use portico_store::StoreError;

/// Whose assignments a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentSide {
    /// `/{users|groups|servicePrincipals}/{id}/appRoleAssignments`: what the principal holds.
    Held,
    /// `/servicePrincipals/{id}/appRoleAssignedTo`: who holds the resource's roles.
    AssignedTo,
}

/// The body of a new app role assignment.
#[derive(Debug, Clone, Copy)]
pub struct NewAssignment {
    /// `principalId`: who gets the role.
    pub principal_id: uuid::Uuid,
    /// `resourceId`: the resource service principal.
    pub resource_id: uuid::Uuid,
    /// `appRoleId`.
    pub app_role_id: uuid::Uuid,
}

/// An app role assignment with the names Graph returns beside the ids.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    /// The assignment.
    pub assignment: AppRoleAssignment,
    /// `principalDisplayName`.
    pub principal_display_name: Option<String>,
    /// `resourceDisplayName`.
    pub resource_display_name: Option<String>,
}

fn not_found(key: &str) -> GraphRefusal {
    GraphRefusal::NotFound(key.chars().take(200).collect())
}

fn bad(message: impl Into<String>) -> GraphRefusal {
    GraphRefusal::BadRequest(message.into())
}

impl App {
    /// The object a path names, as a reference, after checking the caller may read it.
    async fn graph_path_object(
        &self,
        caller: &Caller,
        kind: ObjectKind,
        key: &str,
        action: GraphAction,
    ) -> GraphResult<ObjectRef> {
        caller.require(action)?;
        let id = match kind {
            ObjectKind::ServicePrincipal => {
                self.graph_find_service_principal(caller, key, action)
                    .await?
                    .id
                    .0
            }
            ObjectKind::User | ObjectKind::Group => {
                let Ok(id) = key.parse::<uuid::Uuid>() else {
                    return Err(not_found(key).into());
                };
                match self.store.object_kind(caller.tenant.id, id).await {
                    Ok(k) if k == kind => id,
                    Ok(_) | Err(StoreError::NotFound(_)) => return Err(not_found(key).into()),
                    Err(e) => return Err(e.into()),
                }
            }
        };
        Ok(ObjectRef { kind, id })
    }

    async fn display_name_of(&self, caller: &Caller, id: uuid::Uuid) -> Option<String> {
        let t = caller.tenant.id;
        match self.store.object_kind(t, id).await.ok()? {
            ObjectKind::User => self
                .store
                .get_user(t, UserId(id))
                .await
                .ok()
                .map(|u| u.display_name),
            ObjectKind::Group => self
                .store
                .get_group(t, portico_domain::GroupId(id))
                .await
                .ok()
                .map(|g| g.display_name),
            ObjectKind::ServicePrincipal => self
                .store
                .get_service_principal(t, ServicePrincipalId(id))
                .await
                .ok()
                .map(|s| s.display_name),
        }
    }

    async fn assignment_views(
        &self,
        caller: &Caller,
        list: Vec<AppRoleAssignment>,
    ) -> Vec<AssignmentView> {
        let mut names = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(list.len());
        for a in list {
            for id in [a.principal.id, a.resource_id.0] {
                if let std::collections::hash_map::Entry::Vacant(e) = names.entry(id) {
                    e.insert(self.display_name_of(caller, id).await);
                }
            }
            out.push(AssignmentView {
                principal_display_name: names.get(&a.principal.id).cloned().flatten(),
                resource_display_name: names.get(&a.resource_id.0).cloned().flatten(),
                assignment: a,
            });
        }
        out
    }

    async fn assignments_on_path(
        &self,
        caller: &Caller,
        kind: ObjectKind,
        key: &str,
        side: AssignmentSide,
        action: GraphAction,
    ) -> GraphResult<(ObjectRef, Vec<AppRoleAssignment>)> {
        let object = self.graph_path_object(caller, kind, key, action).await?;
        let t = caller.tenant.id;
        let list = match side {
            AssignmentSide::Held => {
                self.store
                    .app_role_assignments_of(t, object.id, None)
                    .await?
            }
            AssignmentSide::AssignedTo => {
                self.store
                    .app_role_assigned_to(t, ServicePrincipalId(object.id))
                    .await?
            }
        };
        Ok((object, list))
    }

    /// `GET …/appRoleAssignments` and `GET /servicePrincipals/{id}/appRoleAssignedTo`.
    pub async fn graph_list_assignments(
        &self,
        caller: &Caller,
        kind: ObjectKind,
        key: &str,
        side: AssignmentSide,
    ) -> GraphResult<Vec<AssignmentView>> {
        let (_, list) = self
            .assignments_on_path(caller, kind, key, side, GraphAction::ReadApplications)
            .await?;
        Ok(self.assignment_views(caller, list).await)
    }

    /// `POST …/appRoleAssignments` and `POST /servicePrincipals/{id}/appRoleAssignedTo`: the
    /// path's object must be the body's `principalId` (or, for `appRoleAssignedTo`, its
    /// `resourceId`).
    pub async fn graph_assign(
        &self,
        caller: &Caller,
        kind: ObjectKind,
        key: &str,
        side: AssignmentSide,
        new: NewAssignment,
    ) -> GraphResult<AssignmentView> {
        let NewAssignment {
            principal_id,
            resource_id,
            app_role_id,
        } = new;
        let ctx = self
            .graph_context(caller, GraphAction::WriteAppRoleAssignments)
            .await?;
        let object = self
            .graph_path_object(caller, kind, key, GraphAction::WriteAppRoleAssignments)
            .await?;
        match side {
            AssignmentSide::Held if object.id != principal_id => {
                return Err(bad(format!(
                    "principalId must be the id in the request path ({}).",
                    object.id
                ))
                .into());
            }
            AssignmentSide::AssignedTo if object.id != resource_id => {
                return Err(bad(format!(
                    "resourceId must be the id in the request path ({}).",
                    object.id
                ))
                .into());
            }
            _ => {}
        }
        let principal_kind = match self.store.object_kind(caller.tenant.id, principal_id).await {
            Ok(k) => k,
            Err(StoreError::NotFound(_)) => {
                return Err(not_found(&principal_id.to_string()).into());
            }
            Err(e) => return Err(e.into()),
        };
        let principal = ObjectRef {
            kind: principal_kind,
            id: principal_id,
        };
        let resource = ServicePrincipalId(resource_id);
        match self
            .store
            .get_service_principal(caller.tenant.id, resource)
            .await
        {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => {
                return Err(not_found(&resource_id.to_string()).into());
            }
            Err(e) => return Err(e.into()),
        }
        let a = self
            .assign_app_role(&ctx, caller.tenant.id, principal, resource, app_role_id)
            .await?;
        Ok(self
            .assignment_views(caller, vec![a])
            .await
            .pop()
            .ok_or_else(|| crate::AppError::Internal("assignment view".into()))?)
    }

    /// `DELETE …/appRoleAssignments/{id}` and `…/appRoleAssignedTo/{id}`: the assignment
    /// must belong to the path's object.
    pub async fn graph_unassign(
        &self,
        caller: &Caller,
        kind: ObjectKind,
        key: &str,
        side: AssignmentSide,
        assignment: &str,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteAppRoleAssignments)
            .await?;
        let (_, list) = self
            .assignments_on_path(
                caller,
                kind,
                key,
                side,
                GraphAction::WriteAppRoleAssignments,
            )
            .await?;
        let found = assignment
            .parse::<uuid::Uuid>()
            .ok()
            .and_then(|id| list.into_iter().find(|a| a.id == id))
            .ok_or_else(|| not_found(assignment))?;
        Ok(self
            .remove_app_role_assignment(&ctx, caller.tenant.id, &found)
            .await?)
    }

    /// `GET /oauth2PermissionGrants` (and a service principal's, with `client` set).
    pub async fn graph_list_permission_grants(
        &self,
        caller: &Caller,
        query: &ListQuery,
        top: Option<u32>,
        skiptoken: Option<&str>,
    ) -> GraphResult<GraphPage<PermissionGrant>> {
        caller.require(GraphAction::ReadApplications)?;
        let after = match skiptoken {
            Some(t) => Some(self.open_cursor(caller, "oauth2PermissionGrants", query, t)?),
            None => None,
        };
        let limit = top.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let (items, next) = self
            .store
            .query_permission_grants(caller.tenant.id, query, after.as_ref(), limit)
            .await?;
        let next = match next {
            Some(c) => Some(self.seal_cursor(caller, "oauth2PermissionGrants", query, &c)?),
            None => None,
        };
        Ok(GraphPage { items, next })
    }

    async fn graph_find_grant(
        &self,
        caller: &Caller,
        key: &str,
        action: GraphAction,
    ) -> GraphResult<PermissionGrant> {
        caller.require(action)?;
        let Ok(id) = key.parse::<uuid::Uuid>() else {
            return Err(not_found(key).into());
        };
        match self
            .store
            .get_permission_grant(caller.tenant.id, PermissionGrantId(id))
            .await
        {
            Ok(g) => Ok(g),
            Err(StoreError::NotFound(_)) => Err(not_found(key).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /oauth2PermissionGrants/{id}`.
    pub async fn graph_get_permission_grant(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<PermissionGrant> {
        self.graph_find_grant(caller, key, GraphAction::ReadApplications)
            .await
    }

    /// `POST /oauth2PermissionGrants`.
    pub async fn graph_create_permission_grant(
        &self,
        caller: &Caller,
        client: uuid::Uuid,
        resource: uuid::Uuid,
        consent: ConsentType,
        scope: &str,
    ) -> GraphResult<PermissionGrant> {
        let ctx = self
            .graph_context(caller, GraphAction::WritePermissionGrants)
            .await?;
        for id in [client, resource] {
            match self
                .store
                .get_service_principal(caller.tenant.id, ServicePrincipalId(id))
                .await
            {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => return Err(not_found(&id.to_string()).into()),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self
            .create_permission_grant(
                &ctx,
                caller.tenant.id,
                ServicePrincipalId(client),
                ServicePrincipalId(resource),
                consent,
                scope,
            )
            .await?)
    }

    /// `PATCH /oauth2PermissionGrants/{id}` (the scope).
    pub async fn graph_update_permission_grant(
        &self,
        caller: &Caller,
        key: &str,
        scope: &str,
    ) -> GraphResult<PermissionGrant> {
        let ctx = self
            .graph_context(caller, GraphAction::WritePermissionGrants)
            .await?;
        let g = self
            .graph_find_grant(caller, key, GraphAction::WritePermissionGrants)
            .await?;
        Ok(self
            .update_permission_grant(&ctx, caller.tenant.id, g.id, scope)
            .await?)
    }

    /// `DELETE /oauth2PermissionGrants/{id}`.
    pub async fn graph_delete_permission_grant(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WritePermissionGrants)
            .await?;
        let g = self
            .graph_find_grant(caller, key, GraphAction::WritePermissionGrants)
            .await?;
        Ok(self
            .delete_permission_grant(&ctx, caller.tenant.id, g.id)
            .await?)
    }
}
