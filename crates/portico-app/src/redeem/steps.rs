//! The redemption steps, one public method per page the browser opens or posts.

use super::flow::{Method, Proven, RESTART, RedeemFlow};
use super::realm::{GuestRealm, home_identity, mail_identity};
use super::{RedeemNext, RedeemPage, RedeemScreen, RedeemStep, org_name, update_user_event};
use crate::otp::Sent;
use crate::signin::Browser;
use crate::{Actor, App, AppError, Context};
use portico_domain::audit::AuditCategory;
use portico_domain::otp::OtpPurpose;
use portico_domain::signin::codes;
use portico_domain::tenant::Tenant;
use portico_domain::user::{ExternalUserState, User};
use portico_domain::{TenantId, UserId};
use portico_store::{StoreError, constraint};

/// Longest ticket looked up.
const MAX_TICKET: usize = 128;

const NOT_VALID: &str = "This invitation link is not valid. Check that you opened the whole link from the invitation email, or ask the person who invited you to send a new invitation.";
const REPLACED: &str = "This invitation link is no longer valid: a newer invitation was sent to you, or your invitation was reset. Use the link in the most recent invitation email, or ask the person who invited you to send a new one.";
const REDEEMED: &str = "You already accepted this invitation. Sign in to the application you were invited to with the same account you used to accept it.";
const BLOCKED: &str = "Your account in this organization is blocked from signing in. Contact the person who invited you.";
const NO_WAY: &str = "There is no way for you to sign in to this organization with your email address: it does not accept one-time passcodes from guests and your organization is not connected to it. Contact the person who invited you.";
const THROTTLED: &str = "Too many codes were requested. Wait 15 minutes, then ask for a new code.";
const WRONG_PASSWORD: &str = "Your account or password is incorrect.";
const LOCKED: &str =
    "Your account is temporarily locked to prevent unauthorized use. Try again later.";

fn guest_ctx(tenant: TenantId, user: &User, browser: &Browser) -> Context {
    Context {
        actor: Actor::User {
            tenant,
            id: user.id,
            user_principal_name: user.user_principal_name.clone(),
        },
        correlation_id: browser.correlation_id,
    }
}

impl App {
    pub(super) fn redeem_screen(
        &self,
        tenant: &Tenant,
        flow: &RedeemFlow,
        page: RedeemPage,
    ) -> Result<RedeemStep, AppError> {
        Ok(RedeemStep::next(RedeemNext::Show(RedeemScreen {
            tenant: tenant.id,
            tenant_name: org_name(tenant),
            flow: self.seal_redeem(tenant.id, flow)?,
            page,
        })))
    }

    pub(super) fn consent_page(&self, tenant: &Tenant, flow: &RedeemFlow) -> RedeemPage {
        RedeemPage::Consent {
            email: flow.email.clone(),
            org_name: org_name(tenant),
            org_domain: tenant.initial_domain.as_str().to_owned(),
            privacy_url: tenant.branding.privacy_statement_url.clone(),
        }
    }

    /// The pending guest an invitation names, or the page explaining why there is none.
    pub(super) async fn pending_guest(
        &self,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<Result<User, &'static str>, AppError> {
        let user = match self.store.get_user(tenant.id, user).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => return Ok(Err(REPLACED)),
            Err(e) => return Err(e.into()),
        };
        if !user.account_enabled {
            return Ok(Err(BLOCKED));
        }
        if user.external_user_state != Some(ExternalUserState::PendingAcceptance) {
            return Ok(Err(REDEEMED));
        }
        Ok(Ok(user))
    }

    /// `GET /redeem?tenant=…&user=…&ticket=…`: checks the ticket and starts the redemption.
    /// `sessions` are the browser's session cookies (any tenant).
    pub async fn redeem_start(
        &self,
        tenant: &str,
        invitation: &str,
        ticket: &str,
        browser: &Browser,
        sessions: &[(TenantId, String)],
    ) -> Result<RedeemStep, AppError> {
        let (Ok(tenant_id), Ok(invitation_id)) = (
            tenant.parse::<TenantId>(),
            uuid::Uuid::try_parse(invitation),
        ) else {
            return Ok(RedeemStep::error(NOT_VALID));
        };
        if ticket.is_empty() || ticket.len() > MAX_TICKET {
            return Ok(RedeemStep::error(NOT_VALID));
        }
        let tenant = match self.store.get_tenant(tenant_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Ok(RedeemStep::error(NOT_VALID)),
            Err(e) => return Err(e.into()),
        };
        let hash = self.keys.hash_secret(ticket);
        let inv = match self.store.invitation_by_ticket(tenant.id, &hash).await {
            Ok(i)
                if i.id == invitation_id
                    && portico_crypto::secret::constant_time_eq(
                        i.ticket_hash.as_bytes(),
                        hash.as_bytes(),
                    ) =>
            {
                i
            }
            Ok(_) | Err(StoreError::NotFound(_)) => {
                tracing::info!(tenant = %tenant.id, "redeem link with an unknown ticket");
                return Ok(RedeemStep::error(NOT_VALID));
            }
            Err(e) => return Err(e.into()),
        };
        if inv.redeemed_at.is_some() {
            return Ok(RedeemStep::error(REDEEMED));
        }
        if inv.revoked_at.is_some() {
            return Ok(RedeemStep::error(REPLACED));
        }
        let user = match self.pending_guest(&tenant, inv.user_id).await? {
            Ok(u) => u,
            Err(m) => return Ok(RedeemStep::error(m)),
        };
        let email = inv.invited_email.clone();
        match self.guest_realm(&tenant, &email).await? {
            GuestRealm::HomeTenant {
                tenant: home,
                user: member,
            } => {
                let mut flow = self.new_redeem_flow(
                    browser,
                    inv.id,
                    user.id,
                    email.clone(),
                    Method::Home {
                        tenant: home.id,
                        user: member.id,
                    },
                );
                // Already signed in at home: single sign-on.
                if let Some((_, token)) = sessions.iter().find(|(t, _)| *t == home.id)
                    && let Some((_, holder)) =
                        self.session_from_cookie(home.id, Some(token)).await?
                    && holder.id == member.id
                {
                    flow.proven = Some(Proven {
                        identity: home_identity(&home, member.id),
                        amr: "pwd".into(),
                        upstream: None,
                    });
                    let page = self.consent_page(&tenant, &flow);
                    return self.redeem_screen(&tenant, &flow, page);
                }
                self.redeem_screen(
                    &tenant,
                    &flow,
                    RedeemPage::Password {
                        username: email,
                        home_org: org_name(&home),
                        error: None,
                    },
                )
            }
            GuestRealm::EmailOtp => {
                let flow =
                    self.new_redeem_flow(browser, inv.id, user.id, email.clone(), Method::Otp);
                self.redeem_screen(&tenant, &flow, RedeemPage::SendCode { email })
            }
            GuestRealm::External(up) => {
                let flow = self.new_redeem_flow(
                    browser,
                    inv.id,
                    user.id,
                    email.clone(),
                    Method::External {
                        provider: up.id.clone(),
                    },
                );
                let cont = crate::federation::Continuation::Redeem(Box::new(flow));
                Ok(
                    match self
                        .federate(&tenant, &up, cont, Some(&email), browser)
                        .await?
                    {
                        Ok(url) => RedeemStep::next(RedeemNext::Redirect(url)),
                        Err(page) => RedeemStep::error(&page),
                    },
                )
            }
            _ => Ok(RedeemStep::error(NO_WAY)),
        }
    }

    /// "Send code" was pressed (also "send a new code").
    pub async fn redeem_send_code(
        &self,
        tenant: &Tenant,
        sealed: &str,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let Some(mut flow) = self.open_redeem(tenant.id, sealed, browser) else {
            return Ok(RedeemStep::error(RESTART));
        };
        if flow.method != Method::Otp || flow.proven.is_some() {
            return Ok(RedeemStep::error(RESTART));
        }
        let user = match self.pending_guest(tenant, flow.user).await? {
            Ok(u) => u,
            Err(m) => return Ok(RedeemStep::error(m)),
        };
        // The page may have been shown before passcodes were turned off.
        if !self.email_otp_for_guests(tenant.id).await? {
            return Ok(RedeemStep::error(NO_WAY));
        }
        let languages = [
            user.preferred_language.as_deref(),
            Some(tenant.default_language.as_str()),
        ];
        match self
            .send_passcode(tenant, OtpPurpose::SignIn, &flow.email, &languages, browser)
            .await?
        {
            Sent::Code(id) => {
                flow.otp = Some(id);
                let email = flow.email.clone();
                self.redeem_screen(tenant, &flow, RedeemPage::EnterCode { email, error: None })
            }
            Sent::Throttled => {
                let email = flow.email.clone();
                let page = if flow.otp.is_some() {
                    RedeemPage::EnterCode {
                        email,
                        error: Some(THROTTLED.into()),
                    }
                } else {
                    return Ok(RedeemStep::error(THROTTLED));
                };
                self.redeem_screen(tenant, &flow, page)
            }
        }
    }

    /// The passcode was entered.
    pub async fn redeem_code(
        &self,
        tenant: &Tenant,
        sealed: &str,
        code: &str,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let Some(mut flow) = self.open_redeem(tenant.id, sealed, browser) else {
            return Ok(RedeemStep::error(RESTART));
        };
        let (Method::Otp, Some(otp), None) = (&flow.method, flow.otp, &flow.proven) else {
            return Ok(RedeemStep::error(RESTART));
        };
        let user = match self.pending_guest(tenant, flow.user).await? {
            Ok(u) => u,
            Err(m) => return Ok(RedeemStep::error(m)),
        };
        // A code sent before passcodes were turned off no longer counts.
        if !self.email_otp_for_guests(tenant.id).await? {
            return Ok(RedeemStep::error(NO_WAY));
        }
        let email = flow.email.clone();
        let again = |error: &str| RedeemPage::EnterCode {
            email: email.clone(),
            error: Some(error.to_owned()),
        };
        if let Err(m) = self
            .check_guest_passcode(
                tenant,
                otp,
                &flow.email,
                code,
                browser,
                &user,
                Some(&flow.email),
                None,
            )
            .await?
        {
            return self.redeem_screen(tenant, &flow, again(&m));
        }
        if !self.consume_redeem(tenant.id, &flow, "code").await? {
            return Ok(RedeemStep::error(RESTART));
        }
        flow.proven = Some(Proven {
            identity: mail_identity(&flow.email),
            amr: "otp".into(),
            upstream: None,
        });
        let page = self.consent_page(tenant, &flow);
        self.redeem_screen(tenant, &flow, page)
    }

    /// The home organization's password was entered.
    pub async fn redeem_password(
        &self,
        tenant: &Tenant,
        sealed: &str,
        password: &str,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let Some(mut flow) = self.open_redeem(tenant.id, sealed, browser) else {
            return Ok(RedeemStep::error(RESTART));
        };
        let (
            Method::Home {
                tenant: home_id,
                user: member_id,
            },
            None,
        ) = (&flow.method, &flow.proven)
        else {
            return Ok(RedeemStep::error(RESTART));
        };
        if let Err(m) = self.pending_guest(tenant, flow.user).await? {
            return Ok(RedeemStep::error(m));
        }
        let home = match self.store.get_tenant(*home_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Ok(RedeemStep::error(RESTART)),
            Err(e) => return Err(e.into()),
        };
        let member = match self.store.get_user(home.id, *member_id).await {
            Ok(u) if u.account_enabled => u,
            Ok(_) | Err(StoreError::NotFound(_)) => return Ok(RedeemStep::error(RESTART)),
            Err(e) => return Err(e.into()),
        };
        let page = |error: &str| RedeemPage::Password {
            username: flow.email.clone(),
            home_org: org_name(&home),
            error: Some(error.to_owned()),
        };
        let attempt = self.begin_password_attempt(&home, &member, browser).await?;
        if attempt.locked {
            self.log_sign_in(&home, browser, Some(&member), None, None, true, codes::LOCKED, Some("Account is locked because the user tried to sign in too many times with an incorrect user ID or password.")).await?;
            let p = page(LOCKED);
            return self.redeem_screen(tenant, &flow, p);
        }
        // Passwords longer than any Portico accepts are wrong without hashing them.
        let ok = match (
            self.store.password_hash(home.id, member.id).await?,
            password.chars().count(),
        ) {
            (Some(hash), 1..=256) => self.passwords.verify(password, &hash).await?,
            _ => false,
        };
        if !ok {
            self.log_sign_in(
                &home,
                browser,
                Some(&member),
                None,
                None,
                true,
                codes::INVALID_PASSWORD,
                Some("Invalid username or password."),
            )
            .await?;
            self.password_failed(attempt).await;
            let p = page(WRONG_PASSWORD);
            return self.redeem_screen(tenant, &flow, p);
        }
        self.password_succeeded(&home, &member, browser, attempt)
            .await?;
        if member.force_change_password_next_sign_in {
            let p = page(
                "Your organization requires you to change your password first: sign in to one of its applications, change it, then open this invitation again.",
            );
            return self.redeem_screen(tenant, &flow, p);
        }
        if !self.consume_redeem(tenant.id, &flow, "password").await? {
            return Ok(RedeemStep::error(RESTART));
        }
        let (_, home_session) = self.start_session(&home, &member, browser).await?;
        self.log_sign_in(
            &home,
            browser,
            Some(&member),
            None,
            None,
            true,
            codes::SUCCESS,
            None,
        )
        .await?;
        flow.proven = Some(Proven {
            identity: home_identity(&home, member.id),
            amr: "pwd".into(),
            upstream: None,
        });
        let consent = self.consent_page(tenant, &flow);
        let mut step = self.redeem_screen(tenant, &flow, consent)?;
        step.sessions.push(home_session);
        Ok(step)
    }

    /// Accept or Cancel on the review-permissions page.
    pub async fn redeem_consent(
        &self,
        tenant: &Tenant,
        sealed: &str,
        accept: bool,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let Some(flow) = self.open_redeem(tenant.id, sealed, browser) else {
            return Ok(RedeemStep::error(RESTART));
        };
        let Some(proven) = flow.proven.clone() else {
            return Ok(RedeemStep::error(RESTART));
        };
        let user = match self.pending_guest(tenant, flow.user).await? {
            Ok(u) => u,
            Err(m) => return Ok(RedeemStep::error(m)),
        };
        if !accept {
            self.log_sign_in(
                tenant,
                browser,
                Some(&user),
                Some(&flow.email),
                None,
                true,
                codes::CONSENT_DECLINED,
                Some("The guest declined the invitation."),
            )
            .await?;
            return Ok(RedeemStep::error(
                "You declined the invitation; nothing was shared. If you change your mind, open the link in the invitation again.",
            ));
        }
        let now = self.clock.now();
        let mut identities: Vec<_> = user
            .identities
            .iter()
            .filter(|i| i.sign_in_type != "federated")
            .cloned()
            .collect();
        identities.push(proven.identity.clone());
        let redeemed = User {
            external_user_state: Some(ExternalUserState::Accepted),
            external_user_state_change_date_time: Some(now),
            identities,
            ..user
        };
        let audit = guest_ctx(tenant.id, &redeemed, browser)
            .audit(
                self,
                AuditCategory::UserManagement,
                "Redeem external user invite",
                "Update",
            )
            .target_user(
                redeemed.id,
                &redeemed.user_principal_name,
                &redeemed.display_name,
            );
        match self
            .store
            .redeem_invitation(
                tenant.id,
                Some(flow.invitation),
                &redeemed,
                &[update_user_event(&audit), audit],
            )
            .await
        {
            Ok(()) => {}
            Err(e) if e.is_conflict_on(constraint::INVITATION_CLOSED) => {
                return Ok(RedeemStep::error(REDEEMED));
            }
            Err(e) if e.is_conflict_on(constraint::USER_IDENTITY) => {
                return Ok(RedeemStep::error(
                    "Your account is already a guest of this organization under another invitation. Sign in with it, or ask the person who invited you to reset your invitation.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let (_, session) = self
            .start_session_with(
                tenant,
                &redeemed,
                browser,
                &proven.amr,
                proven.upstream.as_ref(),
            )
            .await?;
        self.log_sign_in(
            tenant,
            browser,
            Some(&redeemed),
            Some(&flow.email),
            None,
            true,
            codes::SUCCESS,
            None,
        )
        .await?;
        let inv = self
            .store
            .invitations_of(tenant.id, redeemed.id)
            .await?
            .into_iter()
            .find(|i| i.id == flow.invitation);
        let to = inv.map_or_else(
            || format!("{}/", self.config.public_url.trim_end_matches('/')),
            |i| i.redirect_url,
        );
        Ok(RedeemStep {
            next: RedeemNext::Redirect(to),
            sessions: vec![session],
        })
    }
}
