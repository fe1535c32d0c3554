//! Groups, their members and owners, and transitive membership.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::audit::AuditEvent;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::group::Group;
use portico_domain::paging::{Page, PageRequest};
use portico_domain::{GroupId, TenantId};
use time::OffsetDateTime;
use uuid::Uuid;

/// Group storage.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Creates a group, with initial owners (each must exist in the tenant).
    async fn create_group(
        &self,
        tenant: TenantId,
        group: &Group,
        owners: &[ObjectRef],
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads a group.
    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<Group, StoreError>;
    /// Lists groups in id order.
    async fn list_groups(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<Group>, StoreError>;
    /// One page of groups matching a validated OData query, with the next page's cursor.
    async fn query_groups(
        &self,
        tenant: TenantId,
        query: &portico_domain::odata::ListQuery,
        after: Option<&portico_domain::odata::Cursor>,
        limit: u32,
    ) -> Result<(Vec<Group>, Option<portico_domain::odata::Cursor>), StoreError>;
    /// How many groups match a validated OData query.
    async fn count_query_groups(
        &self,
        tenant: TenantId,
        query: &portico_domain::odata::ListQuery,
    ) -> Result<u64, StoreError>;
    /// Writes a group's mutable properties.
    async fn update_group(
        &self,
        tenant: TenantId,
        group: &Group,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Deletes a security group with its memberships, ownerships and role assignments
    /// (security groups are not soft-deleted, as in Entra).
    async fn delete_group(
        &self,
        tenant: TenantId,
        id: GroupId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Adds a direct member. NotFound("group") / NotFound("member"); conflict `pk_group_members`.
    async fn add_group_member(
        &self,
        tenant: TenantId,
        group: GroupId,
        member: ObjectRef,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes a direct member. NotFound("member") when it is not one.
    async fn remove_group_member(
        &self,
        tenant: TenantId,
        group: GroupId,
        member: Uuid,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Adds an owner (a user or service principal). Conflict `pk_group_owners`.
    async fn add_group_owner(
        &self,
        tenant: TenantId,
        group: GroupId,
        owner: ObjectRef,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes an owner.
    async fn remove_group_owner(
        &self,
        tenant: TenantId,
        group: GroupId,
        owner: Uuid,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Direct members that are live, by id.
    async fn list_group_members(
        &self,
        tenant: TenantId,
        group: GroupId,
    ) -> Result<Vec<ObjectRef>, StoreError>;
    /// Owners that are live, by id.
    async fn list_group_owners(
        &self,
        tenant: TenantId,
        group: GroupId,
    ) -> Result<Vec<ObjectRef>, StoreError>;
    /// What kind of live directory object `id` is in the tenant (users, groups, service
    /// principals). NotFound("directory object").
    async fn object_kind(&self, tenant: TenantId, id: Uuid) -> Result<ObjectKind, StoreError>;
    /// Groups the object is a direct member of.
    async fn member_of(&self, tenant: TenantId, object: Uuid) -> Result<Vec<GroupId>, StoreError>;
    /// Groups the object is a member of directly or through nested groups (cycles are safe).
    async fn transitive_member_of(
        &self,
        tenant: TenantId,
        object: Uuid,
    ) -> Result<Vec<GroupId>, StoreError>;
    /// Every live object reachable as a member, through nested groups.
    async fn transitive_members(
        &self,
        tenant: TenantId,
        group: GroupId,
    ) -> Result<Vec<ObjectRef>, StoreError>;
}

pub(crate) fn group_from_row(r: &impl RowExt) -> Result<Group, StoreError> {
    Ok(Group {
        id: GroupId(r.uuid("id")?),
        display_name: r.text("display_name")?,
        description: r.opt_text("description")?,
        mail_nickname: r.text("mail_nickname")?,
        security_enabled: r.flag("security_enabled")?,
        mail_enabled: r.flag("mail_enabled")?,
        created_date_time: r.ts("created_at")?,
        deleted_date_time: r.opt_ts("deleted_at")?,
    })
}

pub(crate) fn object_ref_from_row(
    r: &impl RowExt,
    id_col: &str,
    kind_col: &str,
) -> Result<ObjectRef, StoreError> {
    let kind = r.text(kind_col)?;
    Ok(ObjectRef {
        kind: ObjectKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("object kind {kind}")))?,
        id: r.uuid(id_col)?,
    })
}

/// Condition keeping only live objects, for a query whose object id and kind columns are named.
macro_rules! live_object_sql {
    ($id:literal, $kind:literal) => {
        concat!(
            "((", $kind, " = 'user' AND EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = $1 AND u.id = ", $id, " AND u.deleted_at IS NULL))",
            " OR (", $kind, " = 'group' AND EXISTS (SELECT 1 FROM directory_groups g WHERE g.tenant_id = $1 AND g.id = ", $id, "))",
            " OR (", $kind, " = 'servicePrincipal' AND EXISTS (SELECT 1 FROM service_principals s WHERE s.tenant_id = $1 AND s.id = ", $id, ")))"
        )
    };
}
pub(crate) use live_object_sql;

macro_rules! group_store_impl {
    ($store:ty) => {
        impl $store {
            async fn ensure_object_exists(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                obj: portico_domain::directory_object::ObjectRef,
                what: &'static str,
            ) -> Result<(), $crate::StoreError> {
                use portico_domain::directory_object::ObjectKind;
                let sql = match obj.kind {
                    ObjectKind::User => "SELECT 1 AS found FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
                    ObjectKind::Group => "SELECT 1 AS found FROM directory_groups WHERE tenant_id = $1 AND id = $2",
                    ObjectKind::ServicePrincipal => "SELECT 1 AS found FROM service_principals WHERE tenant_id = $1 AND id = $2",
                };
                let found = sqlx::query(sql).bind(tenant.0).bind(obj.id).fetch_optional(&mut **tx).await?;
                if found.is_none() {
                    return Err($crate::StoreError::NotFound(what));
                }
                Ok(())
            }

            async fn ensure_group_exists(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                group: portico_domain::GroupId,
            ) -> Result<(), $crate::StoreError> {
                let obj = portico_domain::directory_object::ObjectRef { kind: portico_domain::directory_object::ObjectKind::Group, id: group.0 };
                Self::ensure_object_exists(tx, tenant, obj, "group").await
            }

            async fn insert_link(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                sql: &'static str,
                tenant: portico_domain::TenantId,
                group: portico_domain::GroupId,
                obj: portico_domain::directory_object::ObjectRef,
                at: time::OffsetDateTime,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(sql)
                    .bind(tenant.0)
                    .bind(group.0)
                    .bind(obj.id)
                    .bind(obj.kind.as_str())
                    .bind($crate::ts::Ts(at))
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::GroupStore for $store {
            async fn create_group(&self, tenant: portico_domain::TenantId, g: &portico_domain::group::Group, owners: &[portico_domain::directory_object::ObjectRef], audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO directory_groups (tenant_id, id, display_name, description, mail_nickname, security_enabled, mail_enabled, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)")
                    .bind(tenant.0)
                    .bind(g.id.0)
                    .bind(&g.display_name)
                    .bind(&g.description)
                    .bind(&g.mail_nickname)
                    .bind(g.security_enabled)
                    .bind(g.mail_enabled)
                    .bind($crate::ts::Ts(g.created_date_time))
                    .execute(&mut *tx)
                    .await?;
                for owner in owners {
                    Self::ensure_object_exists(&mut tx, tenant, *owner, "owner").await?;
                    Self::insert_link(&mut tx, "INSERT INTO group_owners (tenant_id, group_id, owner_id, owner_kind, created_at) VALUES ($1, $2, $3, $4, $5)", tenant, g.id, *owner, g.created_date_time).await?;
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_group(&self, tenant: portico_domain::TenantId, id: portico_domain::GroupId) -> Result<portico_domain::group::Group, $crate::StoreError> {
                let row = sqlx::query("SELECT id, display_name, description, mail_nickname, security_enabled, mail_enabled, created_at, deleted_at FROM directory_groups WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("group"))?;
                $crate::groups::group_from_row(&row)
            }

            async fn object_kind(&self, tenant: portico_domain::TenantId, id: uuid::Uuid) -> Result<portico_domain::directory_object::ObjectKind, $crate::StoreError> {
                let kind: Option<String> = sqlx::query_scalar("SELECT 'user' FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL UNION ALL SELECT 'group' FROM directory_groups WHERE tenant_id = $1 AND id = $2 UNION ALL SELECT 'servicePrincipal' FROM service_principals WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let kind = kind.ok_or($crate::StoreError::NotFound("directory object"))?;
                portico_domain::directory_object::ObjectKind::parse(&kind)
                    .ok_or_else(|| $crate::StoreError::corrupt(format!("object kind {kind}")))
            }

            async fn query_groups(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery, after: Option<&portico_domain::odata::Cursor>, limit: u32) -> Result<(Vec<portico_domain::group::Group>, Option<portico_domain::odata::Cursor>), $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::group_column);
                sql.conditions(query)?;
                let key = sql.sort_key(query)?;
                sql.page(query, after, limit)?;
                let head = format!(
                    "SELECT id, display_name, description, mail_nickname, security_enabled, mail_enabled, created_at, deleted_at{} FROM directory_groups WHERE tenant_id = $1",
                    key.as_deref().map(|k| format!(", {k} AS sort_key")).unwrap_or_default()
                );
                Ok($crate::query_sql::fetch_page!(&self.pool, head, sql, key.is_some(), limit, $crate::groups::group_from_row, |g: &portico_domain::group::Group| g.id.0))
            }

            async fn count_query_groups(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery) -> Result<u64, $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::group_column);
                sql.conditions(query)?;
                let text = format!("SELECT COUNT(*) FROM directory_groups WHERE tenant_id = $1{}", sql.text);
                let n: i64 = $crate::query_sql::bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(text)), &sql.binds)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn list_groups(&self, tenant: portico_domain::TenantId, page: &portico_domain::paging::PageRequest) -> Result<portico_domain::paging::Page<portico_domain::group::Group>, $crate::StoreError> {
                let limit = page.limit();
                let rows = sqlx::query("SELECT id, display_name, description, mail_nickname, security_enabled, mail_enabled, created_at, deleted_at FROM directory_groups WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3")
                    .bind(tenant.0)
                    .bind(page.after)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?;
                let mut items = rows.iter().map($crate::groups::group_from_row).collect::<Result<Vec<_>, _>>()?;
                let next = if items.len() > limit as usize {
                    items.truncate(limit as usize);
                    items.last().map(|g| g.id.0)
                } else {
                    None
                };
                Ok(portico_domain::paging::Page { items, next })
            }

            async fn update_group(&self, tenant: portico_domain::TenantId, g: &portico_domain::group::Group, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE directory_groups SET display_name = $3, description = $4, mail_nickname = $5 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(g.id.0)
                    .bind(&g.display_name)
                    .bind(&g.description)
                    .bind(&g.mail_nickname)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("group"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_group(&self, tenant: portico_domain::TenantId, id: portico_domain::GroupId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM directory_groups WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("group"));
                }
                Self::delete_object_links(&mut tx, tenant, id.0).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_group_member(&self, tenant: portico_domain::TenantId, group: portico_domain::GroupId, member: portico_domain::directory_object::ObjectRef, at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::ensure_group_exists(&mut tx, tenant, group).await?;
                Self::ensure_object_exists(&mut tx, tenant, member, "member").await?;
                Self::insert_link(&mut tx, "INSERT INTO group_members (tenant_id, group_id, member_id, member_kind, created_at) VALUES ($1, $2, $3, $4, $5)", tenant, group, member, at).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_group_member(&self, tenant: portico_domain::TenantId, group: portico_domain::GroupId, member: uuid::Uuid, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::ensure_group_exists(&mut tx, tenant, group).await?;
                let n = sqlx::query("DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND member_id = $3")
                    .bind(tenant.0)
                    .bind(group.0)
                    .bind(member)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("member"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_group_owner(&self, tenant: portico_domain::TenantId, group: portico_domain::GroupId, owner: portico_domain::directory_object::ObjectRef, at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::ensure_group_exists(&mut tx, tenant, group).await?;
                Self::ensure_object_exists(&mut tx, tenant, owner, "owner").await?;
                Self::insert_link(&mut tx, "INSERT INTO group_owners (tenant_id, group_id, owner_id, owner_kind, created_at) VALUES ($1, $2, $3, $4, $5)", tenant, group, owner, at).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_group_owner(&self, tenant: portico_domain::TenantId, group: portico_domain::GroupId, owner: uuid::Uuid, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::ensure_group_exists(&mut tx, tenant, group).await?;
                let n = sqlx::query("DELETE FROM group_owners WHERE tenant_id = $1 AND group_id = $2 AND owner_id = $3")
                    .bind(tenant.0)
                    .bind(group.0)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("owner"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_group_members(&self, tenant: portico_domain::TenantId, group: portico_domain::GroupId) -> Result<Vec<portico_domain::directory_object::ObjectRef>, $crate::StoreError> {
                let rows = sqlx::query(concat!("SELECT member_id, member_kind FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND ", $crate::groups::live_object_sql!("member_id", "member_kind"), " ORDER BY member_id"))
                    .bind(tenant.0)
                    .bind(group.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| $crate::groups::object_ref_from_row(r, "member_id", "member_kind")).collect()
            }

            async fn list_group_owners(&self, tenant: portico_domain::TenantId, group: portico_domain::GroupId) -> Result<Vec<portico_domain::directory_object::ObjectRef>, $crate::StoreError> {
                let rows = sqlx::query(concat!("SELECT owner_id, owner_kind FROM group_owners WHERE tenant_id = $1 AND group_id = $2 AND ", $crate::groups::live_object_sql!("owner_id", "owner_kind"), " ORDER BY owner_id"))
                    .bind(tenant.0)
                    .bind(group.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| $crate::groups::object_ref_from_row(r, "owner_id", "owner_kind")).collect()
            }

            async fn member_of(&self, tenant: portico_domain::TenantId, object: uuid::Uuid) -> Result<Vec<portico_domain::GroupId>, $crate::StoreError> {
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as("SELECT group_id FROM group_members WHERE tenant_id = $1 AND member_id = $2 ORDER BY group_id")
                    .bind(tenant.0)
                    .bind(object)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|r| portico_domain::GroupId(r.0)).collect())
            }

            async fn transitive_member_of(&self, tenant: portico_domain::TenantId, object: uuid::Uuid) -> Result<Vec<portico_domain::GroupId>, $crate::StoreError> {
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as("WITH RECURSIVE anc(group_id) AS (SELECT group_id FROM group_members WHERE tenant_id = $1 AND member_id = $2 UNION SELECT gm.group_id FROM group_members gm JOIN anc ON gm.member_id = anc.group_id WHERE gm.tenant_id = $1) SELECT group_id FROM anc ORDER BY group_id")
                    .bind(tenant.0)
                    .bind(object)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|r| portico_domain::GroupId(r.0)).collect())
            }

            async fn transitive_members(&self, tenant: portico_domain::TenantId, group: portico_domain::GroupId) -> Result<Vec<portico_domain::directory_object::ObjectRef>, $crate::StoreError> {
                let rows = sqlx::query(concat!("WITH RECURSIVE mem(member_id, member_kind) AS (SELECT member_id, member_kind FROM group_members WHERE tenant_id = $1 AND group_id = $2 UNION SELECT gm.member_id, gm.member_kind FROM group_members gm JOIN mem ON gm.group_id = mem.member_id WHERE gm.tenant_id = $1 AND mem.member_kind = 'group') SELECT member_id, member_kind FROM mem WHERE member_id <> $2 AND ", $crate::groups::live_object_sql!("member_id", "member_kind"), " ORDER BY member_id"))
                    .bind(tenant.0)
                    .bind(group.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| $crate::groups::object_ref_from_row(r, "member_id", "member_kind")).collect()
            }
        }
    };
}
pub(crate) use group_store_impl;
