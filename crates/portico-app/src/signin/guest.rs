//! Guests signing in through `/authorize`: a guest has no password here, so home realm
//! discovery sends them where they prove who they are — an email one-time passcode, or their
//! home tenant on this instance — by the method recorded when they redeemed (sticky), or, for
//! a pending guest, as redemption would. A pending guest then reviews what the inviting
//! organization will see and accepts: just-in-time redemption, without the email link.

use super::flow::Flow;
use super::steps::{LOCKED, USED_FORM, WRONG_PASSWORD};
use super::{Browser, Next, Page, Step};
use crate::otp::Sent;
use crate::redeem::realm::{external_identity, home_identity, mail_identity};
use crate::redeem::{GuestRealm, Proven, org_name};
use crate::{Actor, App, AppError, Context};
use portico_domain::audit::AuditCategory;
use portico_domain::otp::OtpPurpose;
use portico_domain::signin::codes;
use portico_domain::tenant::Tenant;
use portico_domain::user::{ExternalUserState, User};
use portico_domain::{TenantId, UserId};
use portico_store::{StoreError, constraint};
use serde::{Deserialize, Serialize};

/// How a guest proves who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum GuestMethod {
    /// A passcode mailed to this address.
    Otp {
        /// The guest's address.
        email: String,
    },
    /// The password of a member account of another tenant on this instance.
    Home {
        /// That tenant.
        tenant: TenantId,
        /// The account.
        user: UserId,
    },
    /// The guest's own identity provider.
    External {
        /// Its id in the tenant.
        provider: String,
        /// For a pending guest, the address its invitation went to (the provider must vouch
        /// for it); `None` for a redeemed guest (the recorded identity must match).
        invited: Option<String>,
    },
}

const NOWHERE: &str = "This guest account has no way to sign in here: ask the organization that invited you to send a new invitation.";
const PROVIDER_REMOVED: &str = "The organization removed the identity provider you accepted its invitation with, so you cannot sign in with it any more. Ask the organization that invited you to reset your invitation.";
/// A time to the microsecond (what both databases keep).
fn micros(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

const OTP_OFF: &str = "This organization no longer lets guests sign in with one-time passcodes: ask the organization that invited you to reset your invitation.";
const THROTTLED: &str = "Too many codes were requested. Wait 15 minutes, then ask for a new code.";

impl App {
    /// The guest typed their name: choose how they prove it.
    pub(super) async fn guest_start(
        &self,
        tenant: &Tenant,
        mut flow: Flow,
        user: &User,
        browser: &Browser,
    ) -> Result<Step, AppError> {
        let username = flow.username.clone().unwrap_or_default();
        flow.guest_since = user.external_user_state_change_date_time.map(micros);
        // The address a passcode goes to is never the user's current `mail` (an administrator
        // may change it): a redeemed guest's is the one it redeemed with (sticky until reset),
        // a pending guest's the one its open invitation was sent to.
        let (realm, address) = match user.external_user_state {
            Some(ExternalUserState::Accepted) => (
                self.redeemed_guest_realm(tenant.id, user).await?,
                external_identity(user).and_then(|i| i.issuer_assigned_id.clone()),
            ),
            Some(ExternalUserState::PendingAcceptance) => {
                let open = self
                    .store
                    .invitations_of(tenant.id, user.id)
                    .await?
                    .into_iter()
                    .find(|i| i.redeemed_at.is_none() && i.revoked_at.is_none());
                match open {
                    Some(inv) => (
                        self.guest_realm(tenant, &inv.invited_email).await?,
                        Some(inv.invited_email),
                    ),
                    None => (GuestRealm::Nowhere, None),
                }
            }
            None => (GuestRealm::Nowhere, None),
        };
        match (realm, address) {
            (GuestRealm::EmailOtp, Some(address)) => {
                flow.guest = Some(GuestMethod::Otp { email: address });
                self.screen(
                    tenant,
                    &flow,
                    Page::GuestCode {
                        username,
                        sent: false,
                        error: None,
                    },
                )
            }
            (
                GuestRealm::HomeTenant {
                    tenant: home,
                    user: member,
                },
                _,
            ) => {
                flow.guest = Some(GuestMethod::Home {
                    tenant: home.id,
                    user: member.id,
                });
                self.screen(
                    tenant,
                    &flow,
                    Page::HomePassword {
                        username,
                        home_org: org_name(&home),
                        error: None,
                    },
                )
            }
            (GuestRealm::External(up), address) => {
                let pending =
                    user.external_user_state == Some(ExternalUserState::PendingAcceptance);
                // A redeemed guest's recorded id is the provider's subject, not an address:
                // the hint is what they typed.
                let invited = if pending { address } else { None };
                let hint = invited.clone().unwrap_or_else(|| username.clone());
                flow.guest = Some(GuestMethod::External {
                    provider: up.id.clone(),
                    invited,
                });
                let cont = crate::federation::Continuation::SignIn(Box::new(flow.clone()));
                match self
                    .federate(tenant, &up, cont, Some(&hint), browser)
                    .await?
                {
                    Ok(url) => Ok(Step::next(Next::Redirect(url))),
                    Err(page) => self.screen(
                        tenant,
                        &flow,
                        Page::Username {
                            hint: Some(username),
                            error: Some(page),
                        },
                    ),
                }
            }
            (GuestRealm::ProviderRemoved, _) => self.screen(
                tenant,
                &flow,
                Page::Username {
                    hint: Some(username),
                    error: Some(PROVIDER_REMOVED.into()),
                },
            ),
            _ => self.screen(
                tenant,
                &flow,
                Page::Username {
                    hint: Some(username),
                    error: Some(NOWHERE.into()),
                },
            ),
        }
    }

    /// The guest in the flow, if still there and allowed to sign in.
    pub(super) async fn flow_guest(
        &self,
        tenant: &Tenant,
        flow: &Flow,
    ) -> Result<Option<User>, AppError> {
        let Some(id) = flow.user else {
            return Ok(None);
        };
        let since = |u: &User| u.external_user_state_change_date_time.map(micros);
        match self.store.get_user(tenant.id, id).await {
            // A reset (or redemption) since the method was chosen ends the flow.
            Ok(u) if u.account_enabled && since(&u) == flow.guest_since => Ok(Some(u)),
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// "Send code" (or "send a new code") on the guest's passcode page.
    pub async fn signin_send_code(
        &self,
        tenant: &Tenant,
        sealed: &str,
        browser: &Browser,
    ) -> Result<Step, AppError> {
        let mut flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let Some(GuestMethod::Otp { email }) = flow.guest.clone() else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        let Some(user) = self.flow_guest(tenant, &flow).await? else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        // The page may have been shown before passcodes were turned off.
        if !self.email_otp_for_guests(tenant.id).await? {
            return Ok(Step::next(Next::Error(OTP_OFF.into())));
        }
        let username = flow.username.clone().unwrap_or_default();
        let languages = [
            user.preferred_language.as_deref(),
            Some(tenant.default_language.as_str()),
        ];
        match self
            .send_passcode(tenant, OtpPurpose::SignIn, &email, &languages, browser)
            .await?
        {
            Sent::Code(id) => {
                flow.otp = Some(id);
                self.screen(
                    tenant,
                    &flow,
                    Page::GuestCode {
                        username,
                        sent: true,
                        error: None,
                    },
                )
            }
            Sent::Throttled => {
                let sent = flow.otp.is_some();
                self.screen(
                    tenant,
                    &flow,
                    Page::GuestCode {
                        username,
                        sent,
                        error: Some(THROTTLED.into()),
                    },
                )
            }
        }
    }

    /// The guest entered the passcode.
    pub async fn signin_code(
        &self,
        tenant: &Tenant,
        sealed: &str,
        code: &str,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let (Some(GuestMethod::Otp { email }), Some(otp)) = (flow.guest.clone(), flow.otp) else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        let Some(user) = self.flow_guest(tenant, &flow).await? else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        // A code sent before passcodes were turned off no longer counts.
        if !self.email_otp_for_guests(tenant.id).await? {
            return Ok(Step::next(Next::Error(OTP_OFF.into())));
        }
        let username = flow.username.clone().unwrap_or_default();
        let app_ref = Some((flow.req.client_app_id, flow.req.client_name.as_str()));
        let retry = |error: String| Page::GuestCode {
            username: username.clone(),
            sent: true,
            error: Some(error),
        };
        if let Err(m) = self
            .check_guest_passcode(tenant, otp, &email, code, browser, &user, None, app_ref)
            .await?
        {
            return self.screen(tenant, &flow, retry(m));
        }
        if !self.consume_flow(tenant.id, &flow, "code").await? {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        }
        let proven = Proven {
            identity: mail_identity(&email),
            amr: "otp".into(),
            upstream: None,
        };
        self.guest_proven(tenant, flow, user, proven, browser, session_token)
            .await
    }

    /// The guest entered their home organization's password.
    pub async fn signin_home_password(
        &self,
        tenant: &Tenant,
        sealed: &str,
        password: &str,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let Some(GuestMethod::Home {
            tenant: home_id,
            user: member_id,
        }) = flow.guest.clone()
        else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        let Some(user) = self.flow_guest(tenant, &flow).await? else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        let home = match self.store.get_tenant(home_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Ok(Step::next(Next::Error(USED_FORM.into()))),
            Err(e) => return Err(e.into()),
        };
        let member = match self.store.get_user(home.id, member_id).await {
            Ok(u) if u.account_enabled => u,
            Ok(_) | Err(StoreError::NotFound(_)) => {
                return Ok(Step::next(Next::Error(NOWHERE.into())));
            }
            Err(e) => return Err(e.into()),
        };
        let username = flow.username.clone().unwrap_or_default();
        let page = |error: &str| Page::HomePassword {
            username: username.clone(),
            home_org: org_name(&home),
            error: Some(error.to_owned()),
        };
        let attempt = self.begin_password_attempt(&home, &member, browser).await?;
        if attempt.locked {
            self.log_sign_in(&home, browser, Some(&member), None, None, true, codes::LOCKED, Some("Account is locked because the user tried to sign in too many times with an incorrect user ID or password.")).await?;
            return self.screen(tenant, &flow, page(LOCKED));
        }
        let ok = match (
            self.store.password_hash(home.id, member.id).await?,
            password.chars().count(),
        ) {
            (Some(h), 1..=256) => self.passwords.verify(password, &h).await?,
            _ => false,
        };
        if !ok {
            self.password_failed(attempt).await;
            self.log_sign_in(
                &home,
                browser,
                Some(&member),
                None,
                None,
                true,
                codes::INVALID_PASSWORD,
                Some("Error validating credentials due to invalid username or password."),
            )
            .await?;
            return self.screen(tenant, &flow, page(WRONG_PASSWORD));
        }
        self.password_succeeded(&home, &member, browser, attempt)
            .await?;
        if member.force_change_password_next_sign_in {
            return self.screen(tenant, &flow, page("Your organization requires you to change your password first: sign in to one of its applications, change it, then come back."));
        }
        if !self.consume_flow(tenant.id, &flow, "home-password").await? {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        }
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
        let proven = Proven {
            identity: home_identity(&home, member.id),
            amr: "pwd".into(),
            upstream: None,
        };
        self.guest_proven(tenant, flow, user, proven, browser, session_token)
            .await
    }

    /// The guest proved who they are: a pending guest reviews the organization's request
    /// first; a redeemed one is signed in.
    pub(super) async fn guest_proven(
        &self,
        tenant: &Tenant,
        mut flow: Flow,
        user: User,
        proven: Proven,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        if user.external_user_state == Some(ExternalUserState::PendingAcceptance) {
            flow.proven = Some(proven);
            let username = flow.username.clone().unwrap_or_default();
            return self.screen(
                tenant,
                &flow,
                Page::Redeem {
                    username,
                    org_name: org_name(tenant),
                    org_domain: tenant.initial_domain.as_str().to_owned(),
                    privacy_url: tenant.branding.privacy_statement_url.clone(),
                },
            );
        }
        self.finish_authentication(
            tenant,
            flow,
            &user,
            browser,
            session_token,
            &proven.amr,
            proven.upstream.as_ref(),
        )
        .await
    }

    /// Accept or Cancel on the just-in-time redemption page.
    pub async fn signin_redeem(
        &self,
        tenant: &Tenant,
        sealed: &str,
        accept: bool,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let (Some(proven), Some(user)) =
            (flow.proven.clone(), self.flow_guest(tenant, &flow).await?)
        else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        if !accept {
            self.log_sign_in(
                tenant,
                browser,
                Some(&user),
                None,
                Some((flow.req.client_app_id, &flow.req.client_name)),
                true,
                codes::CONSENT_DECLINED,
                Some("The guest declined the invitation."),
            )
            .await?;
            return Ok(Step::next(super::steps::error_response(
                &flow,
                "access_denied",
                "AADSTS65004: The user declined the invitation.",
            )));
        }
        if !self.consume_flow(tenant.id, &flow, "redeem").await? {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
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
        let audit = Context {
            actor: Actor::User {
                tenant: tenant.id,
                id: redeemed.id,
                user_principal_name: redeemed.user_principal_name.clone(),
            },
            correlation_id: browser.correlation_id,
        }
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
                None,
                &redeemed,
                &[crate::redeem::update_user_event(&audit), audit],
            )
            .await
        {
            Ok(()) => {}
            Err(e)
                if e.is_conflict_on(constraint::INVITATION_CLOSED)
                    || e.is_conflict_on(constraint::USER_IDENTITY) =>
            {
                return Ok(Step::next(Next::Error("This invitation was already accepted, or your account is already a guest here under another invitation. Go back to the application and sign in again.".into())));
            }
            Err(e) => return Err(e.into()),
        }
        self.finish_authentication(
            tenant,
            flow,
            &redeemed,
            browser,
            session_token,
            &proven.amr,
            proven.upstream.as_ref(),
        )
        .await
    }
}
