//! Directory role assignments.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::audit::AuditEvent;
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_domain::{RoleAssignmentId, TenantId};
use uuid::Uuid;

/// Role assignment storage.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Assigns a role. NotFound("principal") when the principal does not exist; conflict
    /// `ux_role_assignments` when it already holds the role over the scope.
    async fn assign_role(
        &self,
        tenant: TenantId,
        assignment: &RoleAssignment,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes an assignment.
    async fn remove_role_assignment(
        &self,
        tenant: TenantId,
        id: RoleAssignmentId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Lists assignments, optionally of one principal.
    async fn list_role_assignments(
        &self,
        tenant: TenantId,
        principal: Option<Uuid>,
    ) -> Result<Vec<RoleAssignment>, StoreError>;
}

pub(crate) fn role_assignment_from_row(r: &impl RowExt) -> Result<RoleAssignment, StoreError> {
    let template = r.uuid("role_template_id")?;
    Ok(RoleAssignment {
        id: RoleAssignmentId(r.uuid("id")?),
        role: DirectoryRole::from_template_id(template)
            .ok_or_else(|| StoreError::corrupt(format!("role template {template}")))?,
        principal: crate::groups::object_ref_from_row(r, "principal_id", "principal_kind")?,
        directory_scope_id: r.text("directory_scope_id")?,
        created_at: r.ts("created_at")?,
    })
}

macro_rules! role_store_impl {
    ($store:ty) => {
        impl $store {
            async fn insert_role_row(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                a: &portico_domain::role::RoleAssignment,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO role_assignments (tenant_id, id, role_template_id, principal_id, principal_kind, directory_scope_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(tenant.0)
                    .bind(a.id.0)
                    .bind(a.role.template_id())
                    .bind(a.principal.id)
                    .bind(a.principal.kind.as_str())
                    .bind(&a.directory_scope_id)
                    .bind($crate::ts::Ts(a.created_at))
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::RoleStore for $store {
            async fn assign_role(&self, tenant: portico_domain::TenantId, a: &portico_domain::role::RoleAssignment, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::ensure_object_exists(&mut tx, tenant, a.principal, "principal").await?;
                Self::insert_role_row(&mut tx, tenant, a).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_role_assignment(&self, tenant: portico_domain::TenantId, id: portico_domain::RoleAssignmentId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM role_assignments WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("roleAssignment"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_role_assignments(&self, tenant: portico_domain::TenantId, principal: Option<uuid::Uuid>) -> Result<Vec<portico_domain::role::RoleAssignment>, $crate::StoreError> {
                let rows = sqlx::query("SELECT id, role_template_id, principal_id, principal_kind, directory_scope_id, created_at FROM role_assignments WHERE tenant_id = $1 AND ($2 IS NULL OR principal_id = $2) ORDER BY created_at, id")
                    .bind(tenant.0)
                    .bind(principal)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::roles::role_assignment_from_row).collect()
            }
        }
    };
}
pub(crate) use role_store_impl;

/// App role assignment storage (Graph `appRoleAssignments` / `appRoleAssignedTo`).
#[async_trait]
pub trait AppRoleStore: Send + Sync {
    /// Assigns an app role. NotFound("principal") / NotFound("resource"); conflict
    /// `ux_app_role_assignments` when already held.
    async fn assign_app_role(
        &self,
        tenant: TenantId,
        assignment: &portico_domain::application::AppRoleAssignment,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes an app role assignment.
    async fn remove_app_role_assignment(
        &self,
        tenant: TenantId,
        id: Uuid,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The app roles a principal holds, optionally only those of one resource.
    async fn app_role_assignments_of(
        &self,
        tenant: TenantId,
        principal: Uuid,
        resource: Option<portico_domain::ServicePrincipalId>,
    ) -> Result<Vec<portico_domain::application::AppRoleAssignment>, StoreError>;
    /// Every assignment of a resource's roles.
    async fn app_role_assigned_to(
        &self,
        tenant: TenantId,
        resource: portico_domain::ServicePrincipalId,
    ) -> Result<Vec<portico_domain::application::AppRoleAssignment>, StoreError>;
}

pub(crate) fn app_role_assignment_from_row(
    r: &impl RowExt,
) -> Result<portico_domain::application::AppRoleAssignment, StoreError> {
    Ok(portico_domain::application::AppRoleAssignment {
        id: r.uuid("id")?,
        principal: crate::groups::object_ref_from_row(r, "principal_id", "principal_kind")?,
        resource_id: portico_domain::ServicePrincipalId(r.uuid("resource_id")?),
        app_role_id: r.uuid("app_role_id")?,
        created_date_time: r.ts("created_at")?,
    })
}

macro_rules! app_role_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::AppRoleStore for $store {
            async fn assign_app_role(&self, tenant: portico_domain::TenantId, a: &portico_domain::application::AppRoleAssignment, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::ensure_object_exists(&mut tx, tenant, a.principal, "principal").await?;
                let resource = portico_domain::directory_object::ObjectRef { kind: portico_domain::directory_object::ObjectKind::ServicePrincipal, id: a.resource_id.0 };
                Self::ensure_object_exists(&mut tx, tenant, resource, "resource").await?;
                sqlx::query("INSERT INTO app_role_assignments (tenant_id, id, principal_id, principal_kind, resource_id, app_role_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(tenant.0)
                    .bind(a.id)
                    .bind(a.principal.id)
                    .bind(a.principal.kind.as_str())
                    .bind(a.resource_id.0)
                    .bind(a.app_role_id)
                    .bind($crate::ts::Ts(a.created_date_time))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_app_role_assignment(&self, tenant: portico_domain::TenantId, id: uuid::Uuid, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM app_role_assignments WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("appRoleAssignment"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn app_role_assignments_of(&self, tenant: portico_domain::TenantId, principal: uuid::Uuid, resource: Option<portico_domain::ServicePrincipalId>) -> Result<Vec<portico_domain::application::AppRoleAssignment>, $crate::StoreError> {
                let rows = sqlx::query("SELECT id, principal_id, principal_kind, resource_id, app_role_id, created_at FROM app_role_assignments WHERE tenant_id = $1 AND principal_id = $2 AND ($3 IS NULL OR resource_id = $3) ORDER BY created_at, id")
                    .bind(tenant.0)
                    .bind(principal)
                    .bind(resource.map(|r| r.0))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::roles::app_role_assignment_from_row).collect()
            }

            async fn app_role_assigned_to(&self, tenant: portico_domain::TenantId, resource: portico_domain::ServicePrincipalId) -> Result<Vec<portico_domain::application::AppRoleAssignment>, $crate::StoreError> {
                let rows = sqlx::query("SELECT id, principal_id, principal_kind, resource_id, app_role_id, created_at FROM app_role_assignments WHERE tenant_id = $1 AND resource_id = $2 ORDER BY created_at, id")
                    .bind(tenant.0)
                    .bind(resource.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::roles::app_role_assignment_from_row).collect()
            }
        }
    };
}
pub(crate) use app_role_store_impl;
