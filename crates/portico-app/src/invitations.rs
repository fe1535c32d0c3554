//! B2B invitations: `invite` creates (or, for a pending guest, re-invites) the guest user and
//! an invitation whose redeem ticket is a bearer secret stored only as a keyed hash. The guest
//! exists from this moment, so groups and app roles can be given before redemption.

use crate::{Actor, App, AppError, Context};
use portico_domain::audit::AuditCategory;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::invitation::{Invitation, NewInvitation, guest_upn, guest_user};
use portico_domain::user::{User, UserType};
use portico_domain::validate::DomainName;
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
    /// Whether this invitation reset the guest's redemption.
    pub reset_redemption: bool,
}

pub(crate) fn who(ctx: &Context) -> String {
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
        if new.reset_redemption {
            return self.reset_redemption(ctx, tenant, new).await;
        }
        if new.invited_user.is_some() {
            return Err(ValidationError::new(
                "invitedUser",
                "inviting an existing internal user (converting it to B2B collaboration) is not supported yet; to re-invite a guest with a new sign-in, set resetRedemption",
            )
            .into());
        }
        let t = self.tenant(tenant).await?;
        let email = new.invited_user_email_address.clone();
        let email_domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        // Domains are stored canonical (lower case, IDN as punycode): compare the same form.
        let canonical_domain = DomainName::parse("invitedUserEmailAddress", email_domain)
            .map(|d| d.as_str().to_owned())
            .unwrap_or_else(|_| email_domain.to_ascii_lowercase());
        let initial = t.initial_domain.as_str().to_owned();
        let upn = guest_upn(&email, &initial);
        let found = self
            .store
            .invitee_lookup(tenant, &upn, &email, &canonical_domain)
            .await?;
        if found.own_domain {
            return Err(ValidationError::new(
                "invitedUserEmailAddress",
                format!(
                    "{email_domain} is a verified domain of this organization: add its people as members, not guests"
                ),
            )
            .into());
        }
        let existing = match found.by_upn {
            Some(u) => Some(u),
            None => {
                let same_mail = found.by_mail;
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
        let invitation_id = uuid::Uuid::new_v4();
        let redeem_url = self.redeem_link(tenant, invitation_id, &ticket);
        let blocked = found.blocked;
        let mail = if new.send_invitation_message && !blocked {
            Some(
                self.invitation_mail(
                    ctx,
                    &t,
                    &new,
                    invitation_id,
                    &redeem_url,
                    existing.as_ref(),
                    now,
                )
                .await?,
            )
        } else {
            None
        };
        let invitation = |user: &User| Invitation {
            id: invitation_id,
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
        let (user, inv) = match existing {
            Some(user) => {
                let inv = invitation(&user);
                self.store
                    .create_invitation(
                        tenant,
                        None,
                        &[],
                        &inv,
                        mail.as_ref(),
                        &self.invite_audits(
                            ctx,
                            &op.audit,
                            &user,
                            blocked && new.send_invitation_message,
                            None,
                        ),
                    )
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
                        mail.as_ref(),
                        &self.invite_audits(
                            ctx,
                            &op.audit,
                            &user,
                            blocked && new.send_invitation_message,
                            Some(add),
                        ),
                    )
                    .await
                {
                    Ok(()) => {}
                    Err(e) if e.is_conflict_on(constraint::USER_UPN) => {
                        return Err(self.concurrent_invitation(&email));
                    }
                    // A concurrent invitation of the same address meets the identity first on
                    // PostgreSQL; anything else holding the identity is a lasting conflict.
                    Err(e) if e.is_conflict_on(constraint::USER_IDENTITY) => {
                        let now_taken = self
                            .store
                            .invitee_lookup(tenant, &upn, &email, &canonical_domain)
                            .await?
                            .by_upn
                            .is_some();
                        return Err(if now_taken {
                            self.concurrent_invitation(&email)
                        } else {
                            e.into()
                        });
                    }
                    Err(e) => return Err(e.into()),
                }
                (user, inv)
            }
        };
        if mail.is_some() {
            self.mail_committed();
        }
        if self.config.log_redeem_links {
            // Development only (no SMTP server configured): the link is the way in.
            tracing::info!(tenant = %tenant, user = %user.id, redeem_url = %redeem_url, "invitation created; no SMTP server is configured, so its redeem link is logged here and its mail written to the outbox folder");
        }
        Ok(Invited {
            invitation: inv,
            user,
            redeem_url,
            reset_redemption: false,
        })
    }

    /// The answer to an invitation that lost a race with another invitation of `email`.
    fn concurrent_invitation(&self, email: &str) -> AppError {
        AppError::Conflict {
            message: format!("{email} is being invited by another request; try again."),
        }
    }

    /// The audit events of an invitation: "Add user" for a new guest, "Invite external user",
    /// and "Email not sent, user unsubscribed" when the address blocked invitations.
    pub(crate) fn invite_audits(
        &self,
        ctx: &Context,
        invite: &portico_domain::audit::AuditEvent,
        user: &User,
        unsubscribed: bool,
        add: Option<portico_domain::audit::AuditEvent>,
    ) -> Vec<portico_domain::audit::AuditEvent> {
        let mut out: Vec<_> = add.into_iter().collect();
        let mut a =
            invite
                .clone()
                .target_user(user.id, &user.user_principal_name, &user.display_name);
        a.id = portico_domain::AuditEventId::new();
        out.push(a);
        if unsubscribed {
            out.push(
                ctx.audit(
                    self,
                    AuditCategory::UserManagement,
                    "Email not sent, user unsubscribed",
                    "Other",
                )
                .target_user(
                    user.id,
                    &user.user_principal_name,
                    &user.display_name,
                ),
            );
        }
        out
    }

    /// Renders and seals the invitation mail (queued with the invitation).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn invitation_mail(
        &self,
        ctx: &Context,
        t: &portico_domain::tenant::Tenant,
        new: &NewInvitation,
        invitation: uuid::Uuid,
        redeem_url: &str,
        existing: Option<&User>,
        now: time::OffsetDateTime,
    ) -> Result<portico_domain::mail::OutboxMail, AppError> {
        let (inviter_name, inviter_email) = match &ctx.actor {
            Actor::User { id, .. } => match self.store.get_user(t.id, *id).await {
                Ok(u) => (Some(u.display_name), u.mail),
                Err(StoreError::NotFound(_)) => (None, None),
                Err(e) => return Err(e.into()),
            },
            _ => (None, None),
        };
        let org = crate::redeem::org_name(t);
        let languages = [
            new.message_info.message_language.as_deref(),
            existing.and_then(|u| u.preferred_language.as_deref()),
            Some(t.default_language.as_str()),
        ];
        let destination = url::Url::parse(&new.invite_redirect_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| new.invite_redirect_url.clone());
        let rendered = portico_mail::InvitationMail {
            lang: portico_mail::pick_language(&languages),
            org_name: org.clone(),
            org_domain: t.initial_domain.as_str().to_owned(),
            inviter_name,
            inviter_email: inviter_email.clone(),
            custom_message: new.message_info.customized_message_body.clone(),
            accept_url: redeem_url.to_owned(),
            destination,
            privacy_url: t.branding.privacy_statement_url.clone(),
            block_url: self.block_url(t.id, invitation),
            brand_color: t.branding.accent_color.clone(),
            logo_url: t.branding.logo_url.clone(),
        }
        .render()
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let msg = portico_mail::Message {
            from: self.mail_from(&org),
            to: new.invited_user_email_address.clone(),
            cc: new
                .message_info
                .cc_recipients
                .iter()
                .map(|r| r.address.clone())
                .collect(),
            reply_to: inviter_email,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        };
        self.outbox_mail(t.id, portico_domain::mail::MailKind::Invitation, &msg, now)
    }

    /// The redeem URL of an invitation (the ticket is base64url: safe in a query as it is).
    pub(crate) fn redeem_link(
        &self,
        tenant: TenantId,
        invitation: uuid::Uuid,
        ticket: &str,
    ) -> String {
        format!(
            "{}/redeem?tenant={tenant}&user={invitation}&ticket={ticket}&ver=2.0",
            self.config.public_url.trim_end_matches('/'),
        )
    }

    /// The "block future invitations" link of an invitation mail: names the invitation and
    /// carries a MAC, so nobody can make links for other addresses.
    #[must_use]
    pub fn block_url(&self, tenant: TenantId, invitation: uuid::Uuid) -> String {
        format!(
            "{}/redeem/block?tenant={tenant}&invitation={invitation}&sig={}",
            self.config.public_url.trim_end_matches('/'),
            self.block_sig(tenant, invitation)
        )
    }

    /// The MAC of a block link.
    #[must_use]
    pub fn block_sig(&self, tenant: TenantId, invitation: uuid::Uuid) -> String {
        self.keys
            .derive("block-invitations", &format!("{tenant}:{invitation}"))
    }
}
