//! Groups: create with owners, members (nested groups without cycles), owners.

use crate::context::user_ref;
use crate::{Actor, App, AppError, Context};
use portico_domain::audit::AuditCategory;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::group::{Group, GroupPatch, NewGroup};
use portico_domain::paging::{Page, PageRequest};
use portico_domain::{GroupId, TenantId, UserId};
use portico_policy::directory::Action;

impl App {
    /// Creates a security group; the creating user (if any) and `owners` become its owners.
    pub async fn create_group(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewGroup,
        owners: &[UserId],
    ) -> Result<Group, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageGroups,
                AuditCategory::GroupManagement,
                "Add group",
                "Add",
            )
            .await?;
        let group = new.build(self.clock.now())?;
        let mut owner_refs: Vec<ObjectRef> = owners.iter().map(|o| user_ref(*o)).collect();
        if let Actor::User { id, .. } = &ctx.actor {
            owner_refs.push(user_ref(*id));
        }
        owner_refs.sort();
        owner_refs.dedup();
        let audit = op
            .audit
            .target("Group", group.id, Some(&group.display_name));
        self.store
            .create_group(tenant, &group, &owner_refs, &audit)
            .await?;
        Ok(group)
    }

    /// Lists groups.
    pub async fn list_groups(
        &self,
        ctx: &Context,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<Group>, AppError> {
        self.authorize_read(ctx, tenant)?;
        Ok(self.store.list_groups(tenant, page).await?)
    }

    /// Group administrators, or the group's owners, may change its members.
    async fn authorize_group_change(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
        activity: &str,
    ) -> Result<(), AppError> {
        if let Actor::User {
            id, tenant: home, ..
        } = &ctx.actor
            && *home == tenant
            && self
                .store
                .list_group_owners(tenant, group)
                .await?
                .contains(&user_ref(*id))
            && self
                .store
                .get_user(tenant, *id)
                .await
                .is_ok_and(|u| u.account_enabled)
        {
            return Ok(());
        }
        self.authorize(
            ctx,
            tenant,
            Action::ManageGroups,
            activity,
            AuditCategory::GroupManagement,
        )
        .await
        .map(|_| ())
    }

    /// Adds a member. A group cannot contain itself, directly or through nesting.
    pub async fn add_group_member(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
        member: ObjectRef,
    ) -> Result<(), AppError> {
        self.authorize_group_change(ctx, tenant, group, "Add member to group")
            .await?;
        if member.kind == ObjectKind::Group {
            if member.id == group.0 {
                return Err(AppError::Conflict {
                    message: "A group cannot be a member of itself.".into(),
                });
            }
            if self
                .store
                .transitive_member_of(tenant, group.0)
                .await?
                .contains(&GroupId(member.id))
            {
                return Err(AppError::Conflict {
                    message: "Adding this group would create a circular membership.".into(),
                });
            }
        }
        let g = self.store.get_group(tenant, group).await?;
        let audit = ctx
            .audit(
                self,
                AuditCategory::GroupManagement,
                "Add member to group",
                "Assign",
            )
            .target("Group", g.id, Some(&g.display_name))
            .target(kind_name(member.kind), member.id, None);
        Ok(self
            .store
            .add_group_member(tenant, group, member, self.clock.now(), &audit)
            .await?)
    }

    /// Removes a member.
    pub async fn remove_group_member(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
        member: uuid::Uuid,
    ) -> Result<(), AppError> {
        self.authorize_group_change(ctx, tenant, group, "Remove member from group")
            .await?;
        let audit = ctx
            .audit(
                self,
                AuditCategory::GroupManagement,
                "Remove member from group",
                "Unassign",
            )
            .target("Group", group, None)
            .target("DirectoryObject", member, None);
        Ok(self
            .store
            .remove_group_member(tenant, group, member, &audit)
            .await?)
    }

    /// Adds an owner (a user or service principal).
    pub async fn add_group_owner(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
        owner: ObjectRef,
    ) -> Result<(), AppError> {
        self.authorize_group_change(ctx, tenant, group, "Add owner to group")
            .await?;
        if owner.kind == ObjectKind::Group {
            return Err(AppError::Validation(portico_domain::ValidationError::new(
                "owners",
                "a group cannot own a group; use a user or service principal",
            )));
        }
        let audit = ctx
            .audit(
                self,
                AuditCategory::GroupManagement,
                "Add owner to group",
                "Assign",
            )
            .target("Group", group, None)
            .target(kind_name(owner.kind), owner.id, None);
        Ok(self
            .store
            .add_group_owner(tenant, group, owner, self.clock.now(), &audit)
            .await?)
    }

    /// Updates a group's name, description or mail nickname.
    pub async fn update_group(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
        patch: GroupPatch,
    ) -> Result<Group, AppError> {
        self.authorize_group_change(ctx, tenant, group, "Update group")
            .await?;
        let before = self.store.get_group(tenant, group).await?;
        let after = patch.apply(&before)?;
        if after == before {
            return Ok(after);
        }
        let mut audit = ctx
            .audit(
                self,
                AuditCategory::GroupManagement,
                "Update group",
                "Update",
            )
            .target("Group", after.id, Some(&after.display_name));
        if before.display_name != after.display_name {
            audit = audit.modified(
                "DisplayName",
                Some(before.display_name.clone()),
                Some(after.display_name.clone()),
            );
        }
        self.store.update_group(tenant, &after, &audit).await?;
        Ok(after)
    }

    /// Deletes a group (owners and group administrators).
    pub async fn delete_group(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
    ) -> Result<(), AppError> {
        self.authorize_group_change(ctx, tenant, group, "Delete group")
            .await?;
        let g = self.store.get_group(tenant, group).await?;
        let audit = ctx
            .audit(
                self,
                AuditCategory::GroupManagement,
                "Delete group",
                "Delete",
            )
            .target("Group", g.id, Some(&g.display_name));
        Ok(self.store.delete_group(tenant, group, &audit).await?)
    }

    /// Removes an owner.
    pub async fn remove_group_owner(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
        owner: uuid::Uuid,
    ) -> Result<(), AppError> {
        self.authorize_group_change(ctx, tenant, group, "Remove owner from group")
            .await?;
        let audit = ctx
            .audit(
                self,
                AuditCategory::GroupManagement,
                "Remove owner from group",
                "Unassign",
            )
            .target("Group", group, None)
            .target("DirectoryObject", owner, None);
        Ok(self
            .store
            .remove_group_owner(tenant, group, owner, &audit)
            .await?)
    }

    /// Lists a group's direct members.
    pub async fn list_group_members(
        &self,
        ctx: &Context,
        tenant: TenantId,
        group: GroupId,
    ) -> Result<Vec<ObjectRef>, AppError> {
        self.authorize_read(ctx, tenant)?;
        self.store.get_group(tenant, group).await?;
        Ok(self.store.list_group_members(tenant, group).await?)
    }
}

fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::User => "User",
        ObjectKind::Group => "Group",
        ObjectKind::ServicePrincipal => "ServicePrincipal",
    }
}
