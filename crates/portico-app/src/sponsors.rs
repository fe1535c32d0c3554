//! A user's sponsors: the users or groups responsible for them (typically for a guest), at
//! most five, as in Entra. Managing them is managing the user (User Administrator).

use crate::{App, AppError, Context};
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::{TenantId, UserId, ValidationError};
use portico_policy::directory::Action;
use portico_store::{StoreError, constraint};

impl App {
    /// Adds a user or group as a sponsor of `user`.
    pub async fn add_sponsor(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
        sponsor: uuid::Uuid,
    ) -> Result<(), AppError> {
        let audit = self
            .begin_on_user(
                ctx,
                tenant,
                user,
                Action::ManageUsers,
                portico_policy::directory::may_manage_user,
                ("Add sponsor to user", "Add"),
            )
            .await?;
        let kind = match self.store.object_kind(tenant, sponsor).await {
            Ok(k) => k,
            Err(StoreError::NotFound(_)) => return Err(AppError::NotFound("sponsor")),
            Err(e) => return Err(e.into()),
        };
        if kind == ObjectKind::ServicePrincipal {
            return Err(ValidationError::new(
                "sponsors",
                "a sponsor must be a user or a group, not a service principal",
            )
            .into());
        }
        if sponsor == user.0 {
            return Err(ValidationError::new("sponsors", "a user cannot sponsor themself").into());
        }
        let audit =
            audit
                .target("User", user, None)
                .modified("Sponsors", None, Some(sponsor.to_string()));
        match self
            .store
            .add_sponsor(
                tenant,
                user,
                ObjectRef { kind, id: sponsor },
                self.clock.now(),
                &audit,
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.is_conflict_on(constraint::USER_SPONSOR) => Err(AppError::Conflict {
                message: "One or more added object references already exist for the following modified properties: 'sponsors'.".into(),
            }),
            Err(e) if e.is_conflict_on(constraint::MAX_SPONSORS) => Err(ValidationError::new(
                "sponsors",
                format!(
                    "a user may have at most {} sponsors; remove one first",
                    portico_store::MAX_SPONSORS
                ),
            )
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a sponsor of `user`.
    pub async fn remove_sponsor(
        &self,
        ctx: &Context,
        tenant: TenantId,
        user: UserId,
        sponsor: uuid::Uuid,
    ) -> Result<(), AppError> {
        let audit = self
            .begin_on_user(
                ctx,
                tenant,
                user,
                Action::ManageUsers,
                portico_policy::directory::may_manage_user,
                ("Remove sponsor from user", "Remove"),
            )
            .await?;
        let audit =
            audit
                .target("User", user, None)
                .modified("Sponsors", Some(sponsor.to_string()), None);
        Ok(self
            .store
            .remove_sponsor(tenant, user, sponsor, &audit)
            .await?)
    }
}
