//! Reset redemption (`POST /invitations` with `resetRedemption: true` and `invitedUser.id`),
//! as Entra does it: the guest keeps its object id, UPN, groups and app assignments; its
//! recorded sign-in identity is cleared, it is PendingAcceptance again with a new redeem
//! link (older links stop working), its sessions and refresh tokens end, and the address
//! invited must be one of the user's `mail`/`otherMails`.

use crate::invitations::Invited;
use crate::{Actor, App, AppError, Context};
use portico_domain::invitation::{Invitation, NewInvitation};
use portico_domain::user::{CreationType, ExternalUserState, User, UserType};
use portico_domain::{TenantId, UserId, ValidationError};
use portico_policy::directory::{Action, may_reset_password};

/// Entra's error when the address is not on the user object.
pub const EMAIL_NOT_ON_USER: &str = "The email you're using to invite this user doesn't match any emails on the user object. Please add this email to the user object and try again.";

impl App {
    /// Resets a guest's redemption and re-invites it (`new` is validated).
    pub(crate) async fn reset_redemption(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewInvitation,
    ) -> Result<Invited, AppError> {
        let Some(id) = new.invited_user else {
            return Err(ValidationError::new(
                "invitedUser",
                "is required when resetRedemption is true",
            )
            .into());
        };
        let user_id: UserId = id;
        let audit = self
            .begin_on_user(
                ctx,
                tenant,
                user_id,
                Action::ResetPassword,
                may_reset_password,
                (
                    "Invite external user with reset invitation status",
                    "Invite",
                ),
            )
            .await?;
        if matches!(ctx.actor, Actor::App { .. })
            && !self.roles_of(tenant, user_id).await?.is_empty()
        {
            return Err(AppError::Forbidden(
                "An application can't reset the redemption of a user who holds a directory role; a signed-in administrator must do it.".into(),
            ));
        }
        let target = self.store.get_user(tenant, user_id).await?;
        if target.user_type != UserType::Guest
            && target.creation_type != Some(CreationType::Invitation)
        {
            return Err(ValidationError::new(
                "invitedUser",
                "is an internal user: converting internal users to B2B collaboration is not supported yet",
            )
            .into());
        }
        let email = new.invited_user_email_address.clone();
        let on_user = target
            .mail
            .iter()
            .chain(target.other_mails.iter())
            .any(|m| m.eq_ignore_ascii_case(&email));
        if !on_user {
            return Err(AppError::Precondition(EMAIL_NOT_ON_USER.into()));
        }
        let t = self.store.get_tenant(tenant).await?;
        let now = self.clock.now();
        let ticket = portico_crypto::secret::random_token(32);
        let invitation_id = uuid::Uuid::new_v4();
        let redeem_url = self.redeem_link(tenant, invitation_id, &ticket);
        let blocked = self.store.invitations_blocked(tenant, &email).await?;
        let mail = if new.send_invitation_message && !blocked {
            Some(
                self.invitation_mail(
                    ctx,
                    &t,
                    &new,
                    invitation_id,
                    &redeem_url,
                    Some(&target),
                    now,
                )
                .await?,
            )
        } else {
            None
        };
        let reset = User {
            external_user_state: Some(ExternalUserState::PendingAcceptance),
            external_user_state_change_date_time: Some(now),
            identities: target
                .identities
                .iter()
                .filter(|i| i.sign_in_type != "federated")
                .cloned()
                .collect(),
            ..target
        };
        let invitation = Invitation {
            id: invitation_id,
            user_id,
            ticket_hash: self.keys.hash_secret(&ticket),
            invited_email: email,
            redirect_url: new.invite_redirect_url.clone(),
            send_message: new.send_invitation_message,
            message_info: new.message_info.clone(),
            invited_by: crate::invitations::who(ctx),
            created_at: now,
            redeemed_at: None,
            revoked_at: None,
        };
        let audits = self.invite_audits(
            ctx,
            &audit,
            &reset,
            blocked && new.send_invitation_message,
            None,
        );
        self.store
            .reset_redemption(tenant, &reset, &invitation, mail.as_ref(), &audits)
            .await?;
        if mail.is_some() {
            self.mail_committed();
        }
        self.store
            .revoke_user_sessions(tenant, user_id, now)
            .await?;
        Ok(Invited {
            invitation,
            user: reset,
            redeem_url,
            reset_redemption: true,
        })
    }
}
