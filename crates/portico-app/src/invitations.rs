//! B2B invitations: `invite` creates (or, for a pending guest, re-invites) the guest user and
//! an invitation whose redeem ticket is a bearer secret stored only as a keyed hash. The guest
//! exists from this moment, so groups and app roles can be given before redemption.

use crate::{Actor, App, AppError, Context};
use portico_domain::audit::AuditCategory;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::invitation::{Invitation, NewInvitation, guest_upn, guest_user};
use portico_domain::user::{User, UserType};
use portico_domain::{TenantId, ValidationError};
use portico_policy::directory::Action;
use portico_store::{StoreError, constraint};

/// The result of an invitation.
#[derive(Debug, Clone)]
pub struct Invited {
    /// The stored invitation.
    pub invitation: Invitation,
    /// The guest user (new or existing).
    pub user: User,
    /// The URL that redeems it (carries the ticket: shown to the caller once).
    pub redeem_url: String,
}

fn who(ctx: &Context) -> String {
    match &ctx.actor {
        Actor::System { name } => name.clone(),
        Actor::User {
            user_principal_name,
            ..
        } => user_principal_name.clone(),
        Actor::App { display_name, .. } => display_name.clone(),
    }
}

impl App {
    /// Invites an external person (Graph `POST /invitations`).
    pub async fn invite(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewInvitation,
    ) -> Result<Invited, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::InviteGuests,
                AuditCategory::UserManagement,
                "Invite external user",
                "Invite",
            )
            .await?;
        let new = new.validated()?;
        if new.invited_user_type == Some(UserType::Member) {
            self.authorize(
                ctx,
                tenant,
                Action::ManageUsers,
                "Invite external user",
                AuditCategory::UserManagement,
            )
            .await?;
        }
        if new.reset_redemption || new.invited_user.is_some() {
            return Err(ValidationError::new(
                "invitedUser",
                "resetting a redemption and inviting an existing internal user are not supported yet",
            )
            .into());
        }
        let t = self.store.get_tenant(tenant).await?;
        let email = new.invited_user_email_address.clone();
        let email_domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        let domains = self.store.list_domains(tenant).await?;
        if domains
            .iter()
            .any(|d| d.is_verified && d.name.as_str().eq_ignore_ascii_case(email_domain))
        {
            return Err(ValidationError::new(
                "invitedUserEmailAddress",
                format!(
                    "{email_domain} is a verified domain of this organization: add its people as members, not guests"
                ),
            )
            .into());
        }
        let initial = t.initial_domain.as_str().to_owned();
        let upn = guest_upn(&email, &initial);
        let existing = match self.store.find_user_by_upn(tenant, &upn).await {
            Ok(u) => Some(u),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let existing = match existing {
            Some(u) => Some(u),
            None => {
                let same_mail = self.store.find_users_by_mail(tenant, &email).await?;
                if let Some(m) = same_mail.iter().find(|u| u.user_type == UserType::Member) {
                    return Err(AppError::Conflict {
                        message: format!(
                            "{email} already belongs to a member of this organization ({}).",
                            m.user_principal_name
                        ),
                    });
                }
                same_mail.into_iter().next()
            }
        };
        let now = self.clock.now();
        let ticket = portico_crypto::secret::random_token(32);
        let invitation = |user: &User| Invitation {
            id: uuid::Uuid::new_v4(),
            user_id: user.id,
            ticket_hash: self.keys.hash_secret(&ticket),
            invited_email: email.clone(),
            redirect_url: new.invite_redirect_url.clone(),
            send_message: new.send_invitation_message,
            message_info: new.message_info.clone(),
            invited_by: who(ctx),
            created_at: now,
            redeemed_at: None,
            revoked_at: None,
        };
        let invite_audit = |user: &User| {
            let mut a = op.audit.clone().target_user(
                user.id,
                &user.user_principal_name,
                &user.display_name,
            );
            a.id = portico_domain::AuditEventId::new();
            a
        };
        let (user, inv) = match existing {
            Some(user) => {
                let inv = invitation(&user);
                self.store
                    .create_invitation(tenant, None, &[], &inv, &[invite_audit(&user)])
                    .await?;
                (user, inv)
            }
            None => {
                let user = guest_user(&new, &initial, now)?;
                let mut sponsors = Vec::new();
                for id in &new.sponsors {
                    match self.store.object_kind(tenant, *id).await {
                        Ok(kind @ (ObjectKind::User | ObjectKind::Group)) => {
                            sponsors.push(ObjectRef { kind, id: *id });
                        }
                        Ok(ObjectKind::ServicePrincipal) | Err(StoreError::NotFound(_)) => {
                            return Err(ValidationError::new(
                                "invitedUserSponsors",
                                format!("{id} is not a user or group of this organization"),
                            )
                            .into());
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                if sponsors.is_empty()
                    && let Actor::User { id, .. } = &ctx.actor
                {
                    sponsors.push(ObjectRef {
                        kind: ObjectKind::User,
                        id: id.0,
                    });
                }
                let inv = invitation(&user);
                let mut add = ctx.audit(self, AuditCategory::UserManagement, "Add user", "Add");
                add = add.target_user(user.id, &user.user_principal_name, &user.display_name);
                match self
                    .store
                    .create_invitation(
                        tenant,
                        Some(&user),
                        &sponsors,
                        &inv,
                        &[add, invite_audit(&user)],
                    )
                    .await
                {
                    Ok(()) => {}
                    Err(e) if e.is_conflict_on(constraint::USER_UPN) => {
                        return Err(AppError::Conflict {
                            message: format!(
                                "{email} is being invited by another request; try again."
                            ),
                        });
                    }
                    Err(e) => return Err(e.into()),
                }
                (user, inv)
            }
        };
        // the ticket is base64url: safe in a query string as it is
        let redeem_url = format!(
            "{}/redeem?tenant={}&user={}&ticket={}&ver=2.0",
            self.config.public_url.trim_end_matches('/'),
            tenant,
            inv.id,
            ticket
        );
        Ok(Invited {
            invitation: inv,
            user,
            redeem_url,
        })
    }
}
