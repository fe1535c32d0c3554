//! Users: create, list, password changes, soft delete and restore.

use crate::{Actor, App, AppError, Context};
use portico_domain::audit::AuditCategory;
use portico_domain::paging::{Page, PageRequest};
use portico_domain::user::{NewUser, User, UserFilter, UserPatch};
use portico_domain::validate::{self, DomainName};
use portico_domain::{TenantId, UserId, ValidationError};
use portico_policy::directory::{Action, may_manage_user, may_reset_password};

impl App {
    /// Creates a member (or guest) with an optional password. The UPN's domain must be one of
    /// the tenant's verified domains, as Entra requires.
    pub async fn create_user(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewUser,
        password: Option<&str>,
        force_change: bool,
    ) -> Result<User, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageUsers,
                AuditCategory::UserManagement,
                "Add user",
                "Add",
            )
            .await?;
        let now = self.clock.now();
        let mut user = new.build(now)?;
        self.check_upn_domain(tenant, &user.user_principal_name)
            .await?;
        let hash = match password {
            Some(p) => {
                validate::password_strength(p)?;
                user.has_password = true;
                user.force_change_password_next_sign_in = force_change;
                user.last_password_change_date_time = Some(now);
                Some(self.passwords.hash(p).await?)
            }
            None => None,
        };
        let audit = op
            .audit
            .target_user(user.id, &user.user_principal_name, &user.display_name)
            .modified("UserType", None, Some(user.user_type.as_str().into()))
            .modified(
                "AccountEnabled",
                None,
                Some(user.account_enabled.to_string()),
            );
        self.store
            .create_user(tenant, &user, hash.as_deref(), &audit)
            .await?;
        Ok(user)
    }

    async fn check_upn_domain(&self, tenant: TenantId, upn: &str) -> Result<(), AppError> {
        let domain_part = upn.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        let domain = DomainName::parse("userPrincipalName", domain_part)?;
        let verified = self
            .store
            .list_domains(tenant)
            .await?
            .into_iter()
            .any(|d| d.is_verified && d.name == domain);
        if verified {
            Ok(())
        } else {
            Err(ValidationError::new(
                "userPrincipalName",
                format!("The domain portion of the userPrincipalName property is invalid: '{domain}' is not a verified domain of this organization."),
            )
            .into())
        }
    }

    /// Checks the actor may read the tenant's directory (any user of the tenant, or an operator).
    pub fn authorize_read(&self, ctx: &Context, tenant: TenantId) -> Result<(), AppError> {
        match &ctx.actor {
            Actor::User { tenant: home, .. } | Actor::App { tenant: home, .. }
                if *home != tenant =>
            {
                Err(AppError::NotFound("tenant"))
            }
            _ => Ok(()),
        }
    }

    /// Lists users.
    pub async fn list_users(
        &self,
        ctx: &Context,
        tenant: TenantId,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>, AppError> {
        self.authorize_read(ctx, tenant)?;
        validate::optional_text("$search", filter.starts_with.as_deref(), 256)?;
        Ok(self.store.list_users(tenant, filter, page).await?)
    }

    /// Finds a user by object id or UPN.
    pub async fn find_user(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id_or_upn: &str,
    ) -> Result<User, AppError> {
        self.authorize_read(ctx, tenant)?;
        let found = match id_or_upn.parse::<UserId>() {
            Ok(id) => self.store.get_user(tenant, id).await,
            // Something that is not a valid UPN cannot name a user; don't send it to the database.
            Err(_) if validate::user_principal_name("userPrincipalName", id_or_upn).is_err() => {
                return Err(AppError::NotFound("user"));
            }
            Err(_) => self.store.find_user_by_upn(tenant, id_or_upn).await,
        };
        Ok(found?)
    }

    /// Sets a user's password (administrators, by role and target rules).
    pub async fn set_password(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
        password: &str,
        force_change: bool,
    ) -> Result<(), AppError> {
        let op_audit = self
            .begin_on_user(
                ctx,
                tenant,
                user,
                Action::ResetPassword,
                may_reset_password,
                ("Reset user password", "Update"),
            )
            .await?;
        let target = self.store.get_user(tenant, user).await?;
        validate::password_strength(password)?;
        let hash = self.passwords.hash(password).await?;
        let audit =
            op_audit.target_user(target.id, &target.user_principal_name, &target.display_name);
        let now = self.clock.now();
        self.store
            .set_password(tenant, user, &hash, force_change, now, &audit)
            .await?;
        // A reset ends every session and refresh token the old password opened.
        self.store.revoke_user_sessions(tenant, user, now).await?;
        Ok(())
    }

    /// Soft-deletes a user (restorable for 30 days).
    pub async fn delete_user(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
    ) -> Result<(), AppError> {
        let op_audit = self
            .begin_on_user(
                ctx,
                tenant,
                user,
                Action::ManageUsers,
                may_manage_user,
                ("Delete user", "Delete"),
            )
            .await?;
        let target = self.store.get_user(tenant, user).await?;
        if let Actor::User { id, .. } = &ctx.actor
            && *id == user
        {
            return Err(AppError::Conflict {
                message: "You cannot delete your own account.".into(),
            });
        }
        let audit =
            op_audit.target_user(target.id, &target.user_principal_name, &target.display_name);
        let now = self.clock.now();
        self.store
            .soft_delete_user(tenant, user, now, &audit)
            .await?;
        // A restored user starts with no sessions or refresh tokens.
        self.store.revoke_user_sessions(tenant, user, now).await?;
        Ok(())
    }

    /// Restores a soft-deleted user (privileged users only by a Global Administrator: their
    /// role assignments survive the deletion and come back with them).
    pub async fn restore_user(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
    ) -> Result<User, AppError> {
        let op_audit = self
            .begin_on_user(
                ctx,
                tenant,
                user,
                Action::ManageUsers,
                may_manage_user,
                ("Restore user", "Update"),
            )
            .await?;
        let audit = op_audit.target("User", user, None);
        Ok(self.store.restore_user(tenant, user, &audit).await?)
    }
}

impl App {
    /// Updates a user's properties (Graph `PATCH /users/{id}`): every change validated, a new
    /// UPN must be in a verified domain of the tenant, privileged users only by a Global
    /// Administrator. Blocking sign-in ends the user's sessions and refresh tokens.
    pub async fn update_user(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
        patch: UserPatch,
    ) -> Result<User, AppError> {
        let op_audit = self
            .begin_on_user(
                ctx,
                tenant,
                user,
                Action::ManageUsers,
                may_manage_user,
                ("Update user", "Update"),
            )
            .await?;
        let before = self.store.get_user(tenant, user).await?;
        let after = patch.apply(&before)?;
        if after.user_principal_name != before.user_principal_name {
            self.check_upn_domain(tenant, &after.user_principal_name)
                .await?;
        }
        if after == before {
            return Ok(after);
        }
        let mut audit =
            op_audit.target_user(after.id, &after.user_principal_name, &after.display_name);
        for (name, old, new) in [
            (
                "DisplayName",
                before.display_name.clone(),
                after.display_name.clone(),
            ),
            (
                "UserPrincipalName",
                before.user_principal_name.clone(),
                after.user_principal_name.clone(),
            ),
            (
                "UserType",
                before.user_type.as_str().to_owned(),
                after.user_type.as_str().to_owned(),
            ),
            (
                "AccountEnabled",
                before.account_enabled.to_string(),
                after.account_enabled.to_string(),
            ),
            (
                "Mail",
                before.mail.clone().unwrap_or_default(),
                after.mail.clone().unwrap_or_default(),
            ),
        ] {
            if old != new {
                audit = audit.modified(name, Some(old), Some(new));
            }
        }
        self.store.update_user(tenant, &after, &audit).await?;
        if before.account_enabled && !after.account_enabled {
            self.store
                .revoke_user_sessions(tenant, user, self.clock.now())
                .await?;
        }
        Ok(after)
    }

    /// Seeds `count` synthetic members for load tests and demos, in batches of one
    /// transaction each: `<prefix>NNNNNNN@<initial domain>` (7 digits, numbered after `start`),
    /// displayName `Seed User NNNNNNN`, mail and an emailAddress identity at `seed.example`,
    /// no password. Returns how many were created.
    pub async fn seed_users(
        &self,
        ctx: &Context,
        tenant: TenantId,
        prefix: &str,
        start: u64,
        count: u64,
    ) -> Result<u64, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageUsers,
                AuditCategory::UserManagement,
                "Import users",
                "Add",
            )
            .await?;
        let t = self.store.get_tenant(tenant).await?;
        let domain = t.initial_domain.as_str().to_owned();
        let now = self.clock.now();
        let mut done = 0;
        while done < count {
            let batch = (count - done).min(5000);
            let mut users = Vec::with_capacity(usize::try_from(batch).unwrap_or(5000));
            for i in 0..batch {
                let n = start + done + i + 1;
                let mail = format!("{prefix}{n:07}@seed.example");
                users.push(
                    NewUser {
                        display_name: format!("Seed User {n:07}"),
                        user_principal_name: format!("{prefix}{n:07}@{domain}"),
                        mail: Some(mail.clone()),
                        identities: vec![portico_domain::user::ObjectIdentity {
                            sign_in_type: "emailAddress".into(),
                            issuer: "seed.example".into(),
                            issuer_assigned_id: Some(mail),
                        }],
                        ..NewUser::default()
                    }
                    .build(now)?,
                );
            }
            let audit = op
                .audit
                .clone()
                .modified("Count", None, Some(batch.to_string()));
            let mut audit = audit;
            audit.id = portico_domain::AuditEventId::new();
            self.store.import_users(tenant, &users, &audit).await?;
            done += batch;
        }
        // A bulk load leaves the planner's statistics far from the data (SQLite has none until
        // the first ANALYZE): without this, indexed lookups degrade to scans as the table grows.
        self.store.refresh_statistics(true).await?;
        Ok(done)
    }

    /// Permanently deletes a soft-deleted user.
    pub async fn purge_deleted_user(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
    ) -> Result<(), AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageUsers,
                AuditCategory::UserManagement,
                "Hard delete user",
                "Delete",
            )
            .await?;
        let audit = op.audit.target("User", user, None);
        Ok(self.store.purge_user(tenant, user, &audit).await?)
    }

    /// Authorizes `action` against one user: the actor needs the action and, by
    /// `allowed(actor roles, target roles)`, the right to act on a user holding the target's
    /// roles (privileged users are for Global Administrators). `(activity, operation)` name the
    /// audit event, which is returned to be completed and written with the change.
    pub(crate) async fn begin_on_user(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
        action: Action,
        allowed: fn(
            &[portico_domain::role::DirectoryRole],
            &[portico_domain::role::DirectoryRole],
        ) -> bool,
        (activity, operation): (&str, &str),
    ) -> Result<portico_domain::audit::AuditEvent, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                action,
                AuditCategory::UserManagement,
                activity,
                operation,
            )
            .await?;
        if !allowed(&op.roles, &self.roles_of(tenant, user).await?) {
            return Err(AppError::Forbidden(
                "Insufficient privileges to complete the operation.".into(),
            ));
        }
        Ok(op.audit)
    }

    /// Assigns a directory role (Global Administrators and operators only).
    pub async fn assign_role(
        &self,
        ctx: &Context,
        tenant: TenantId,
        assignment: &portico_domain::role::RoleAssignment,
    ) -> Result<(), AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageRoles,
                AuditCategory::RoleManagement,
                "Add member to role",
                "Assign",
            )
            .await?;
        let audit = op
            .audit
            .target("User", assignment.principal.id, None)
            .modified(
                "Role.DisplayName",
                None,
                Some(assignment.role.display_name().into()),
            );
        Ok(self.store.assign_role(tenant, assignment, &audit).await?)
    }
}
