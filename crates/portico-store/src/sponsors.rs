//! A user's sponsors (Graph `users/{id}/sponsors`: the users or groups responsible for a
//! guest, at most [`MAX_SPONSORS`]) and the objects a user owns (`ownedObjects`).

use crate::StoreError;
use portico_domain::audit::AuditEvent;
use portico_domain::directory_object::ObjectRef;
use portico_domain::{GroupId, TenantId, UserId};
use time::OffsetDateTime;

/// Most sponsors a user may have, as in Entra.
pub const MAX_SPONSORS: i64 = 5;

/// Sponsors and owned objects.
#[async_trait::async_trait]
pub trait SponsorStore {
    /// The user's live sponsors, in a stable order.
    async fn list_sponsors(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<ObjectRef>, StoreError>;
    /// Adds a sponsor. NotFound("user") / NotFound("sponsor"); conflict
    /// [`crate::constraint::USER_SPONSOR`] when it already is one, and
    /// [`crate::constraint::MAX_SPONSORS`] when the user has 5 (checked under a lock, so
    /// concurrent adds cannot exceed it).
    async fn add_sponsor(
        &self,
        tenant: TenantId,
        user: UserId,
        sponsor: ObjectRef,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes a sponsor. NotFound("sponsor") when it is not one.
    async fn remove_sponsor(
        &self,
        tenant: TenantId,
        user: UserId,
        sponsor: uuid::Uuid,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The groups the object owns.
    async fn owned_groups(
        &self,
        tenant: TenantId,
        owner: uuid::Uuid,
    ) -> Result<Vec<GroupId>, StoreError>;
}

macro_rules! sponsor_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::sponsors::SponsorStore for $store {
            async fn list_sponsors(&self, tenant: portico_domain::TenantId, user: portico_domain::UserId) -> Result<Vec<portico_domain::directory_object::ObjectRef>, $crate::StoreError> {
                let rows = sqlx::query(concat!("SELECT sponsor_id, sponsor_kind FROM user_sponsors WHERE tenant_id = $1 AND user_id = $2 AND ", $crate::groups::live_object_sql!("sponsor_id", "sponsor_kind"), " ORDER BY created_at, sponsor_id"))
                    .bind(tenant.0)
                    .bind(user.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| $crate::groups::object_ref_from_row(r, "sponsor_id", "sponsor_kind")).collect()
            }

            async fn add_sponsor(&self, tenant: portico_domain::TenantId, user: portico_domain::UserId, sponsor: portico_domain::directory_object::ObjectRef, at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let lock = if matches!(Self::BACKEND, $crate::Backend::Postgres) { " FOR UPDATE" } else { "" };
                let found = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT 1 AS found FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL{lock}")))
                    .bind(tenant.0)
                    .bind(user.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err($crate::StoreError::NotFound("user"));
                }
                Self::ensure_object_exists(&mut tx, tenant, sponsor, "sponsor").await?;
                let n: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*) FROM user_sponsors WHERE tenant_id = $1 AND user_id = $2 AND ", $crate::groups::live_object_sql!("sponsor_id", "sponsor_kind")))
                    .bind(tenant.0)
                    .bind(user.0)
                    .fetch_one(&mut *tx)
                    .await?;
                if n >= $crate::sponsors::MAX_SPONSORS {
                    return Err($crate::StoreError::Conflict { constraint: $crate::constraint::MAX_SPONSORS.into() });
                }
                sqlx::query("INSERT INTO user_sponsors (tenant_id, user_id, sponsor_id, sponsor_kind, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(tenant.0)
                    .bind(user.0)
                    .bind(sponsor.id)
                    .bind(sponsor.kind.as_str())
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_sponsor(&self, tenant: portico_domain::TenantId, user: portico_domain::UserId, sponsor: uuid::Uuid, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM user_sponsors WHERE tenant_id = $1 AND user_id = $2 AND sponsor_id = $3")
                    .bind(tenant.0)
                    .bind(user.0)
                    .bind(sponsor)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("sponsor"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn owned_groups(&self, tenant: portico_domain::TenantId, owner: uuid::Uuid) -> Result<Vec<portico_domain::GroupId>, $crate::StoreError> {
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as("SELECT group_id FROM group_owners WHERE tenant_id = $1 AND owner_id = $2 ORDER BY group_id")
                    .bind(tenant.0)
                    .bind(owner)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|r| portico_domain::GroupId(r.0)).collect())
            }
        }
    };
}
pub(crate) use sponsor_store_impl;
