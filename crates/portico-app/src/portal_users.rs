//! The portal's users pages: the list (search, member/guest and enabled filters, paging), one
//! user's page (properties, sign-in identities, groups, app assignments) and its actions —
//! block or unblock sign-in, resend the invitation, reset the redemption, delete. Each action
//! is the use case Graph calls, run as the signed-in administrator (role checks and audit
//! included); the portal only gathers what the pages show.

use crate::portal::PortalUser;
use crate::{App, AppError};
use portico_domain::UserId;
use portico_domain::invitation::NewInvitation;
use portico_domain::paging::{Page, PageRequest};
use portico_domain::tenant::Tenant;
use portico_domain::user::{ExternalUserState, User, UserFilter, UserPatch, UserType};

/// The portal's page size for users.
pub const USERS_PAGE: u32 = 25;

/// One user as their page shows them.
#[derive(Debug, Clone)]
pub struct UserDetail {
    /// The user.
    pub user: User,
    /// The groups they are a direct member of (display names).
    pub groups: Vec<String>,
    /// The apps assigned to them directly (display names).
    pub apps: Vec<String>,
}

/// What an administrator can do to a user from their page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    /// Block sign-in (`accountEnabled: false`; sessions end).
    Block,
    /// Allow sign-in again.
    Unblock,
    /// Send a pending guest's invitation again.
    ResendInvitation,
    /// Reset a guest's redemption: they redeem again, with whatever method applies now.
    ResetRedemption,
    /// Delete (restorable for 30 days).
    Delete,
}

impl UserAction {
    /// The form value naming it.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "block" => Self::Block,
            "unblock" => Self::Unblock,
            "resend" => Self::ResendInvitation,
            "reset" => Self::ResetRedemption,
            "delete" => Self::Delete,
            _ => return None,
        })
    }
}

fn admins_only(who: &PortalUser) -> Result<(), AppError> {
    if who.is_administrator() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "The admin portal is for people with an administrator role.".into(),
        ))
    }
}

impl App {
    /// A page of users.
    pub async fn portal_users(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        filter: &UserFilter,
        after: Option<uuid::Uuid>,
    ) -> Result<Page<User>, AppError> {
        admins_only(who)?;
        self.list_users(
            &who.ctx,
            tenant.id,
            filter,
            &PageRequest {
                top: Some(USERS_PAGE),
                after,
            },
        )
        .await
    }

    /// One user's page.
    pub async fn portal_user_detail(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: UserId,
    ) -> Result<UserDetail, AppError> {
        admins_only(who)?;
        let user = self.find_user(&who.ctx, tenant.id, &id.to_string()).await?;
        let mut groups = Vec::new();
        for g in self.store.member_of(tenant.id, user.id.0).await? {
            if let Ok(g) = self.store.get_group(tenant.id, g).await {
                groups.push(g.display_name);
            }
        }
        groups.sort_by_key(|g| g.to_lowercase());
        let mut apps = Vec::new();
        for a in self
            .store
            .app_role_assignments_of(tenant.id, user.id.0, None)
            .await?
        {
            if let Ok(sp) = self
                .store
                .get_service_principal(tenant.id, a.resource_id)
                .await
                && !apps.contains(&sp.display_name)
            {
                apps.push(sp.display_name);
            }
        }
        apps.sort_by_key(|a| a.to_lowercase());
        Ok(UserDetail { user, groups, apps })
    }

    /// The deleted users (restorable for 30 days), newest deletion first.
    pub async fn portal_deleted_users(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
    ) -> Result<Vec<User>, AppError> {
        admins_only(who)?;
        let mut users = self.store.list_deleted_users(tenant.id).await?;
        users.sort_by_key(|u| std::cmp::Reverse(u.deleted_date_time));
        Ok(users)
    }

    /// Restores a deleted user; returns what to say.
    pub async fn portal_restore_user(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: UserId,
    ) -> Result<String, AppError> {
        admins_only(who)?;
        let u = self.restore_user(&who.ctx, tenant.id, id).await?;
        Ok(format!("{} was restored.", u.display_name))
    }

    /// Does `action` to a user; returns what to tell the administrator.
    pub async fn portal_user_action(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: UserId,
        action: UserAction,
    ) -> Result<String, AppError> {
        admins_only(who)?;
        let user = self.find_user(&who.ctx, tenant.id, &id.to_string()).await?;
        let name = user.display_name.clone();
        match action {
            UserAction::Block | UserAction::Unblock => {
                let enable = action == UserAction::Unblock;
                self.update_user(
                    &who.ctx,
                    tenant.id,
                    user.id,
                    UserPatch {
                        account_enabled: Some(enable),
                        ..UserPatch::default()
                    },
                )
                .await?;
                Ok(if enable {
                    format!("{name} can sign in again.")
                } else {
                    format!("{name} can no longer sign in; their sessions have ended.")
                })
            }
            UserAction::ResendInvitation | UserAction::ResetRedemption => {
                if user.user_type != UserType::Guest {
                    return Err(portico_domain::ValidationError::new(
                        "user",
                        format!("{name} is a member, not a guest: there is no invitation"),
                    )
                    .into());
                }
                let reset = action == UserAction::ResetRedemption;
                if !reset && user.external_user_state != Some(ExternalUserState::PendingAcceptance)
                {
                    return Err(portico_domain::ValidationError::new(
                        "user",
                        format!("{name} already accepted the invitation: reset the redemption to invite them again"),
                    )
                    .into());
                }
                let Some(mail) = user.mail.clone() else {
                    return Err(portico_domain::ValidationError::new(
                        "user",
                        format!("{name} has no email address to send the invitation to"),
                    )
                    .into());
                };
                self.invite(
                    &who.ctx,
                    tenant.id,
                    NewInvitation {
                        invited_user_email_address: mail.clone(),
                        invite_redirect_url: self.area_url(tenant, crate::portal::Area::MyApps),
                        send_invitation_message: true,
                        // A pending guest is invited again by address; a reset names the user.
                        invited_user: reset.then_some(user.id),
                        reset_redemption: reset,
                        ..NewInvitation::default()
                    },
                )
                .await?;
                Ok(if reset {
                    format!(
                        "{name}'s redemption was reset; a new invitation is on its way to {mail}."
                    )
                } else {
                    format!("The invitation was sent to {mail} again.")
                })
            }
            UserAction::Delete => {
                self.delete_user(&who.ctx, tenant.id, user.id).await?;
                Ok(format!(
                    "{name} was deleted. They can be restored for 30 days."
                ))
            }
        }
    }
}
