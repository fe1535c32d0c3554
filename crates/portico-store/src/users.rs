//! Users: create, read, list, update, passwords, soft delete, restore and purge.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::audit::AuditEvent;
use portico_domain::odata::{Cursor, ListQuery};
use portico_domain::paging::{Page, PageRequest};
use portico_domain::user::{
    CreationType, ExternalUserState, ObjectIdentity, User, UserFilter, UserType,
};
use portico_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// User storage. Every call is scoped to one tenant; a user of another tenant is "not found".
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user with an optional password hash. Conflicts: `ux_users_upn`, `pk_user_identity_keys`.
    async fn create_user(
        &self,
        tenant: TenantId,
        user: &User,
        password_hash: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Creates many users (no passwords) in one transaction with one audit event: bulk
    /// seeding and imports. Conflicts as for `create_user`; on any error nothing is created.
    async fn import_users(
        &self,
        tenant: TenantId,
        users: &[User],
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads a live user.
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError>;
    /// Finds a live user by UPN, case-insensitively.
    async fn find_user_by_upn(&self, tenant: TenantId, upn: &str) -> Result<User, StoreError>;
    /// Live users whose primary email address is `mail` (case-insensitive), at most two.
    async fn find_users_by_mail(
        &self,
        tenant: TenantId,
        mail: &str,
    ) -> Result<Vec<User>, StoreError>;
    /// Finds a live user by one of their identities.
    async fn find_user_by_identity(
        &self,
        tenant: TenantId,
        identity: &ObjectIdentity,
    ) -> Result<User, StoreError>;
    /// Lists live users in id order.
    async fn list_users(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError>;
    /// One page of live users matching a validated OData query, in the query's order (by id
    /// when it names none), continuing after `after`; with the cursor of the next page.
    async fn query_users(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<(Vec<User>, Option<Cursor>), StoreError>;
    /// How many live users match a validated OData query.
    async fn count_query_users(
        &self,
        tenant: TenantId,
        query: &ListQuery,
    ) -> Result<u64, StoreError>;
    /// Counts live users matching the filter.
    async fn count_users(&self, tenant: TenantId, filter: &UserFilter) -> Result<u64, StoreError>;
    /// Writes every mutable property of a live user (not the password).
    async fn update_user(
        &self,
        tenant: TenantId,
        user: &User,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The stored password hash of a live user, if any.
    async fn password_hash(
        &self,
        tenant: TenantId,
        id: UserId,
    ) -> Result<Option<String>, StoreError>;
    /// Replaces a live user's password hash.
    async fn set_password(
        &self,
        tenant: TenantId,
        id: UserId,
        hash: &str,
        force_change: bool,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Soft-deletes a live user: hidden everywhere, restorable until purged.
    async fn soft_delete_user(
        &self,
        tenant: TenantId,
        id: UserId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Lists soft-deleted users, most recently deleted first.
    async fn list_deleted_users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError>;
    /// Restores a soft-deleted user. Conflict when its UPN or an identity was taken meanwhile.
    async fn restore_user(
        &self,
        tenant: TenantId,
        id: UserId,
        audit: &AuditEvent,
    ) -> Result<User, StoreError>;
    /// Permanently deletes a soft-deleted user with its memberships, ownerships and roles.
    async fn purge_user(
        &self,
        tenant: TenantId,
        id: UserId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Permanently deletes, in every tenant, users soft-deleted before `cutoff`, writing for each
    /// a copy of `audit` (fresh id, the user as target) in the same transaction. Returns how many.
    async fn purge_users_deleted_before(
        &self,
        cutoff: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<u64, StoreError>;
}

pub(crate) fn user_from_row(r: &impl RowExt) -> Result<User, StoreError> {
    let user_type = r.text("user_type")?;
    let creation_type = r.opt_text("creation_type")?;
    let state = r.opt_text("external_user_state")?;
    let identities: Vec<ObjectIdentity> = r.json("identities")?;
    Ok(User {
        id: UserId(r.uuid("id")?),
        display_name: r.text("display_name")?,
        given_name: r.opt_text("given_name")?,
        surname: r.opt_text("surname")?,
        mail: r.opt_text("mail")?,
        other_mails: r.json("other_mails")?,
        mail_nickname: r.opt_text("mail_nickname")?,
        user_principal_name: r.text("user_principal_name")?,
        user_type: UserType::parse(&user_type)
            .ok_or_else(|| StoreError::corrupt(format!("userType {user_type}")))?,
        account_enabled: r.flag("account_enabled")?,
        creation_type: match creation_type {
            Some(c) => Some(
                CreationType::parse(&c)
                    .ok_or_else(|| StoreError::corrupt(format!("creationType {c}")))?,
            ),
            None => None,
        },
        external_user_state: match state {
            Some(s) => Some(
                ExternalUserState::parse(&s)
                    .ok_or_else(|| StoreError::corrupt(format!("externalUserState {s}")))?,
            ),
            None => None,
        },
        external_user_state_change_date_time: r.opt_ts("external_user_state_changed_at")?,
        identities,
        company_name: r.opt_text("company_name")?,
        job_title: r.opt_text("job_title")?,
        preferred_language: r.opt_text("preferred_language")?,
        has_password: r.flag("has_password")?,
        force_change_password_next_sign_in: r.flag("force_change_password")?,
        last_password_change_date_time: r.opt_ts("password_changed_at")?,
        created_date_time: r.ts("created_at")?,
        deleted_date_time: r.opt_ts("deleted_at")?,
    })
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` prefix pattern.
pub(crate) fn like_prefix(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

macro_rules! user_columns {
    () => {
        "id, display_name, given_name, surname, mail, other_mails, mail_nickname, user_principal_name, user_type, account_enabled, creation_type, external_user_state, external_user_state_changed_at, identities, company_name, job_title, preferred_language, password_hash IS NOT NULL AS has_password, force_change_password, password_changed_at, created_at, deleted_at"
    };
}
pub(crate) use user_columns;

macro_rules! user_filter_sql {
    () => {
        " AND ($2 IS NULL OR user_type = $2) AND ($3 IS NULL OR account_enabled = $3) AND ($4 IS NULL OR lower(display_name) LIKE $4 ESCAPE '\\' OR lower(user_principal_name) LIKE $4 ESCAPE '\\' OR lower(mail) LIKE $4 ESCAPE '\\')"
    };
}
pub(crate) use user_filter_sql;

macro_rules! user_store_impl {
    ($store:ty) => {
        impl $store {
            async fn insert_user_rows(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                u: &portico_domain::user::User,
                password_hash: Option<&str>,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO users (tenant_id, id, display_name, given_name, surname, mail, other_mails, mail_nickname, user_principal_name, user_type, account_enabled, creation_type, external_user_state, external_user_state_changed_at, identities, company_name, job_title, preferred_language, password_hash, force_change_password, password_changed_at, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, NULL)")
                    .bind(tenant.0)
                    .bind(u.id.0)
                    .bind(&u.display_name)
                    .bind(&u.given_name)
                    .bind(&u.surname)
                    .bind(&u.mail)
                    .bind($crate::row::to_json(&u.other_mails)?)
                    .bind(&u.mail_nickname)
                    .bind(&u.user_principal_name)
                    .bind(u.user_type.as_str())
                    .bind(u.account_enabled)
                    .bind(u.creation_type.map(|c| c.as_str()))
                    .bind(u.external_user_state.map(|s| s.as_str()))
                    .bind($crate::ts::opt(u.external_user_state_change_date_time))
                    .bind($crate::row::to_json(&u.identities)?)
                    .bind(&u.company_name)
                    .bind(&u.job_title)
                    .bind(&u.preferred_language)
                    .bind(password_hash)
                    .bind(u.force_change_password_next_sign_in)
                    .bind($crate::ts::opt(u.last_password_change_date_time))
                    .bind($crate::ts::Ts(u.created_date_time))
                    .execute(&mut **tx)
                    .await?;
                Self::insert_identity_keys(tx, tenant, u).await
            }

            async fn insert_identity_keys(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                u: &portico_domain::user::User,
            ) -> Result<(), $crate::StoreError> {
                for identity in &u.identities {
                    sqlx::query("INSERT INTO user_identity_keys (tenant_id, identity_key, user_id) VALUES ($1, $2, $3)")
                        .bind(tenant.0)
                        .bind(identity.unique_key())
                        .bind(u.id.0)
                        .execute(&mut **tx)
                        .await?;
                    sqlx::query("INSERT INTO user_identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id) VALUES ($1, $2, $3, $4, $5)")
                        .bind(tenant.0)
                        .bind(u.id.0)
                        .bind(&identity.sign_in_type)
                        .bind(identity.issuer.to_lowercase())
                        .bind(identity.issuer_assigned_id.as_deref().map(str::to_lowercase))
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            async fn delete_identity_keys(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                id: portico_domain::UserId,
            ) -> Result<(), $crate::StoreError> {
                for sql in [
                    "DELETE FROM user_identity_keys WHERE tenant_id = $1 AND user_id = $2",
                    "DELETE FROM user_identities WHERE tenant_id = $1 AND user_id = $2",
                ] {
                    sqlx::query(sql).bind(tenant.0).bind(id.0).execute(&mut **tx).await?;
                }
                Ok(())
            }

            async fn delete_object_links(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                id: uuid::Uuid,
            ) -> Result<(), $crate::StoreError> {
                for sql in [
                    "DELETE FROM group_members WHERE tenant_id = $1 AND member_id = $2",
                    "DELETE FROM group_owners WHERE tenant_id = $1 AND owner_id = $2",
                    "DELETE FROM role_assignments WHERE tenant_id = $1 AND principal_id = $2",
                    "DELETE FROM app_role_assignments WHERE tenant_id = $1 AND principal_id = $2",
                    "DELETE FROM user_sponsors WHERE tenant_id = $1 AND sponsor_id = $2",
                ] {
                    sqlx::query(sql).bind(tenant.0).bind(id).execute(&mut **tx).await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::UserStore for $store {
            async fn create_user(&self, tenant: portico_domain::TenantId, user: &portico_domain::user::User, password_hash: Option<&str>, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::insert_user_rows(&mut tx, tenant, user, password_hash).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn import_users(&self, tenant: portico_domain::TenantId, users: &[portico_domain::user::User], audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                for u in users {
                    Self::insert_user_rows(&mut tx, tenant, u, None).await?;
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_user(&self, tenant: portico_domain::TenantId, id: portico_domain::UserId) -> Result<portico_domain::user::User, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::users::user_columns!(), " FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL"))
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("user"))?;
                $crate::users::user_from_row(&row)
            }

            async fn find_user_by_upn(&self, tenant: portico_domain::TenantId, upn: &str) -> Result<portico_domain::user::User, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::users::user_columns!(), " FROM users WHERE tenant_id = $1 AND lower(user_principal_name) = lower($2) AND deleted_at IS NULL"))
                    .persistent($crate::backend::plan_once(Self::BACKEND))
                    .bind(tenant.0)
                    .bind(upn)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("user"))?;
                $crate::users::user_from_row(&row)
            }

            async fn find_users_by_mail(&self, tenant: portico_domain::TenantId, mail: &str) -> Result<Vec<portico_domain::user::User>, $crate::StoreError> {
                let rows = sqlx::query(concat!("SELECT ", $crate::users::user_columns!(), " FROM users WHERE tenant_id = $1 AND lower(mail) = lower($2) AND deleted_at IS NULL ORDER BY id LIMIT 2"))
                    .persistent($crate::backend::plan_once(Self::BACKEND))
                    .bind(tenant.0)
                    .bind(mail)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::users::user_from_row).collect()
            }

            async fn find_user_by_identity(&self, tenant: portico_domain::TenantId, identity: &portico_domain::user::ObjectIdentity) -> Result<portico_domain::user::User, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::users::user_columns!(), " FROM users WHERE tenant_id = $1 AND deleted_at IS NULL AND id = (SELECT user_id FROM user_identity_keys WHERE tenant_id = $1 AND identity_key = $2)"))
                    .bind(tenant.0)
                    .bind(identity.unique_key())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("user"))?;
                $crate::users::user_from_row(&row)
            }

            async fn list_users(&self, tenant: portico_domain::TenantId, filter: &portico_domain::user::UserFilter, page: &portico_domain::paging::PageRequest) -> Result<portico_domain::paging::Page<portico_domain::user::User>, $crate::StoreError> {
                let limit = page.limit();
                let rows = sqlx::query(concat!("SELECT ", $crate::users::user_columns!(), " FROM users WHERE tenant_id = $1 AND deleted_at IS NULL", $crate::users::user_filter_sql!(), " AND ($5 IS NULL OR id > $5) ORDER BY id LIMIT $6"))
                    .bind(tenant.0)
                    .bind(filter.user_type.map(|t| t.as_str()))
                    .bind(filter.account_enabled)
                    .bind(filter.starts_with.as_deref().map($crate::users::like_prefix))
                    .bind(page.after)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?;
                let mut items = rows.iter().map($crate::users::user_from_row).collect::<Result<Vec<_>, _>>()?;
                let next = if items.len() > limit as usize {
                    items.truncate(limit as usize);
                    items.last().map(|u| u.id.0)
                } else {
                    None
                };
                Ok(portico_domain::paging::Page { items, next })
            }

            async fn count_users(&self, tenant: portico_domain::TenantId, filter: &portico_domain::user::UserFilter) -> Result<u64, $crate::StoreError> {
                let n: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND deleted_at IS NULL", $crate::users::user_filter_sql!()))
                    .bind(tenant.0)
                    .bind(filter.user_type.map(|t| t.as_str()))
                    .bind(filter.account_enabled)
                    .bind(filter.starts_with.as_deref().map($crate::users::like_prefix))
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn query_users(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery, after: Option<&portico_domain::odata::Cursor>, limit: u32) -> Result<(Vec<portico_domain::user::User>, Option<portico_domain::odata::Cursor>), $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::user_column);
                sql.conditions(query)?;
                let key = sql.sort_key(query)?;
                sql.page(query, after, limit)?;
                let head = format!(
                    "SELECT {}{} FROM users WHERE tenant_id = $1 AND deleted_at IS NULL",
                    $crate::users::user_columns!(),
                    key.as_deref().map(|k| format!(", {k} AS sort_key")).unwrap_or_default()
                );
                Ok($crate::query_sql::fetch_page!(&self.pool, head, sql, key.is_some(), limit, $crate::users::user_from_row, |u: &portico_domain::user::User| u.id.0))
            }

            async fn count_query_users(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery) -> Result<u64, $crate::StoreError> {
                if query.filter.is_none() && query.search.is_none() {
                    // the trigger-kept count of live users (migration 0009)
                    let n: Option<i64> = sqlx::query_scalar("SELECT n FROM directory_counts WHERE tenant_id = $1 AND kind = 'users'")
                        .bind(tenant.0)
                        .fetch_optional(&self.pool)
                        .await?;
                    return Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0));
                }
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::user_column);
                sql.conditions(query)?;
                let text = format!("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND deleted_at IS NULL{}", sql.text);
                let n: i64 = $crate::query_sql::bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(text)), &sql.binds)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn update_user(&self, tenant: portico_domain::TenantId, u: &portico_domain::user::User, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE users SET display_name = $3, given_name = $4, surname = $5, mail = $6, other_mails = $7, mail_nickname = $8, user_principal_name = $9, user_type = $10, account_enabled = $11, creation_type = $12, external_user_state = $13, external_user_state_changed_at = $14, identities = $15, company_name = $16, job_title = $17, preferred_language = $18, force_change_password = $19 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(tenant.0)
                    .bind(u.id.0)
                    .bind(&u.display_name)
                    .bind(&u.given_name)
                    .bind(&u.surname)
                    .bind(&u.mail)
                    .bind($crate::row::to_json(&u.other_mails)?)
                    .bind(&u.mail_nickname)
                    .bind(&u.user_principal_name)
                    .bind(u.user_type.as_str())
                    .bind(u.account_enabled)
                    .bind(u.creation_type.map(|c| c.as_str()))
                    .bind(u.external_user_state.map(|s| s.as_str()))
                    .bind($crate::ts::opt(u.external_user_state_change_date_time))
                    .bind($crate::row::to_json(&u.identities)?)
                    .bind(&u.company_name)
                    .bind(&u.job_title)
                    .bind(&u.preferred_language)
                    .bind(u.force_change_password_next_sign_in)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("user"));
                }
                Self::delete_identity_keys(&mut tx, tenant, u.id).await?;
                Self::insert_identity_keys(&mut tx, tenant, u).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn password_hash(&self, tenant: portico_domain::TenantId, id: portico_domain::UserId) -> Result<Option<String>, $crate::StoreError> {
                let row: Option<(Option<String>,)> = sqlx::query_as("SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| r.0).ok_or($crate::StoreError::NotFound("user"))
            }

            async fn set_password(&self, tenant: portico_domain::TenantId, id: portico_domain::UserId, hash: &str, force_change: bool, at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE users SET password_hash = $3, force_change_password = $4, password_changed_at = $5 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind(hash)
                    .bind(force_change)
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("user"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn soft_delete_user(&self, tenant: portico_domain::TenantId, id: portico_domain::UserId, at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE users SET deleted_at = $3 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("user"));
                }
                Self::delete_identity_keys(&mut tx, tenant, id).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_deleted_users(&self, tenant: portico_domain::TenantId) -> Result<Vec<portico_domain::user::User>, $crate::StoreError> {
                let rows = sqlx::query(concat!("SELECT ", $crate::users::user_columns!(), " FROM users WHERE tenant_id = $1 AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, id"))
                    .bind(tenant.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::users::user_from_row).collect()
            }

            async fn restore_user(&self, tenant: portico_domain::TenantId, id: portico_domain::UserId, audit: &portico_domain::audit::AuditEvent) -> Result<portico_domain::user::User, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE users SET deleted_at = NULL WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NOT NULL")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("deleted user"));
                }
                let row = sqlx::query(concat!("SELECT ", $crate::users::user_columns!(), " FROM users WHERE tenant_id = $1 AND id = $2"))
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                let user = $crate::users::user_from_row(&row)?;
                Self::insert_identity_keys(&mut tx, tenant, &user).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn purge_user(&self, tenant: portico_domain::TenantId, id: portico_domain::UserId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NOT NULL")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("deleted user"));
                }
                Self::delete_object_links(&mut tx, tenant, id.0).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn purge_users_deleted_before(&self, cutoff: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<u64, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                // Sorted here, not in SQL: an ORDER BY on the primary key would make SQLite walk
                // every user instead of searching the index of deleted ones.
                let mut expired: Vec<(uuid::Uuid, uuid::Uuid, String, String)> = sqlx::query_as("SELECT tenant_id, id, user_principal_name, display_name FROM users WHERE deleted_at < $1")
                    .bind($crate::ts::Ts(cutoff))
                    .fetch_all(&mut *tx)
                    .await?;
                expired.sort_by_key(|(tenant, id, _, _)| (*tenant, *id));
                for (tenant, id, upn, name) in &expired {
                    let tenant = portico_domain::TenantId(*tenant);
                    Self::delete_object_links(&mut tx, tenant, *id).await?;
                    sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant.0)
                        .bind(*id)
                        .execute(&mut *tx)
                        .await?;
                    let mut event = audit.clone().target_user(id, upn, name);
                    event.id = portico_domain::AuditEventId::new();
                    Self::insert_audit_row(&mut tx, tenant, &event).await?;
                }
                tx.commit().await?;
                Ok(expired.len() as u64)
            }
        }
    };
}
pub(crate) use user_store_impl;

#[cfg(test)]
mod tests {
    #[test]
    fn like_prefix_escapes_wildcards() {
        assert_eq!(super::like_prefix("A_b%c\\"), "a\\_b\\%c\\\\%");
    }
}
