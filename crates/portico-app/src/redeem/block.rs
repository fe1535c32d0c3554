//! "Block future invitations from this organization", the link every invitation mail
//! carries: the link names the invitation and carries a MAC (nobody can make links for other
//! addresses); the recipient confirms with a one-time passcode mailed to the invited address;
//! from then on invitations of that organization to that address create the guest but send
//! no mail, and the audit log says "Email not sent, user unsubscribed".

use super::flow::{Method, RESTART};
use super::{RedeemNext, RedeemPage, RedeemScreen, RedeemStep, org_name};
use crate::otp::{Checked, Sent};
use crate::signin::Browser;
use crate::{Actor, App, AppError, Context};
use portico_domain::TenantId;
use portico_domain::audit::AuditCategory;
use portico_domain::otp::OtpPurpose;
use portico_domain::tenant::Tenant;
use portico_store::StoreError;

const NOT_VALID: &str = "This link is not valid. Use the link in the invitation email as it is.";
const THROTTLED: &str = "Too many codes were requested. Wait 15 minutes, then ask for a new code.";

impl App {
    fn block_screen(
        &self,
        tenant: &Tenant,
        flow: &super::flow::RedeemFlow,
        page: RedeemPage,
    ) -> Result<RedeemStep, AppError> {
        Ok(RedeemStep::next(RedeemNext::Show(RedeemScreen {
            tenant: tenant.id,
            tenant_name: org_name(tenant),
            flow: self.seal_redeem(tenant.id, flow)?,
            page,
        })))
    }

    /// `GET /redeem/block?tenant=…&invitation=…&sig=…`
    pub async fn block_start(
        &self,
        tenant: &str,
        invitation: &str,
        sig: &str,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let (Ok(tenant_id), Ok(invitation_id)) = (
            tenant.parse::<TenantId>(),
            uuid::Uuid::try_parse(invitation),
        ) else {
            return Ok(RedeemStep::error(NOT_VALID));
        };
        if !portico_crypto::secret::constant_time_eq(
            self.block_sig(tenant_id, invitation_id).as_bytes(),
            sig.as_bytes(),
        ) {
            return Ok(RedeemStep::error(NOT_VALID));
        }
        let tenant = match self.store.get_tenant(tenant_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Ok(RedeemStep::error(NOT_VALID)),
            Err(e) => return Err(e.into()),
        };
        let inv = match self.store.get_invitation(tenant.id, invitation_id).await {
            Ok(i) => i,
            Err(StoreError::NotFound(_)) => return Ok(RedeemStep::error(NOT_VALID)),
            Err(e) => return Err(e.into()),
        };
        if self
            .store
            .invitations_blocked(tenant.id, &inv.invited_email)
            .await?
        {
            return Ok(RedeemStep::next(RedeemNext::Done(format!(
                "{} is already blocked from receiving invitations from {}.",
                inv.invited_email,
                org_name(&tenant)
            ))));
        }
        let mut flow = self.new_redeem_flow(
            browser,
            inv.id,
            inv.user_id,
            inv.invited_email.clone(),
            Method::Otp,
        );
        flow.block = true;
        self.block_screen(
            &tenant,
            &flow,
            RedeemPage::BlockConfirm {
                email: inv.invited_email,
            },
        )
    }

    /// "Send code" on the block confirmation page.
    pub async fn block_send_code(
        &self,
        tenant: &Tenant,
        sealed: &str,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let Some(mut flow) = self.open_block(tenant.id, sealed, browser) else {
            return Ok(RedeemStep::error(RESTART));
        };
        let languages = [Some(tenant.default_language.as_str())];
        let email = flow.email.clone();
        match self
            .send_passcode(
                tenant,
                OtpPurpose::BlockInvitations,
                &email,
                &languages,
                browser,
            )
            .await?
        {
            Sent::Code(id) => {
                flow.otp = Some(id);
                self.block_screen(tenant, &flow, RedeemPage::BlockCode { email, error: None })
            }
            Sent::Throttled => Ok(RedeemStep::error(THROTTLED)),
        }
    }

    /// The block confirmation code was entered.
    pub async fn block_code(
        &self,
        tenant: &Tenant,
        sealed: &str,
        code: &str,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let Some(flow) = self.open_block(tenant.id, sealed, browser) else {
            return Ok(RedeemStep::error(RESTART));
        };
        let Some(otp) = flow.otp else {
            return Ok(RedeemStep::error(RESTART));
        };
        let email = flow.email.clone();
        match self
            .check_passcode(tenant, otp, OtpPurpose::BlockInvitations, &email, code)
            .await?
        {
            Checked::Valid => {}
            Checked::Wrong(left) => {
                let error = Some(format!(
                    "That code didn't work. Check the code and try again ({left} {} left).",
                    if left == 1 { "try" } else { "tries" }
                ));
                return self.block_screen(tenant, &flow, RedeemPage::BlockCode { email, error });
            }
            Checked::Spent => {
                return Ok(RedeemStep::error(
                    "This code has expired or can't be used any more. Open the link in the invitation email again.",
                ));
            }
        }
        let ctx = Context {
            actor: Actor::System {
                name: format!("{email} (invitation recipient)"),
            },
            correlation_id: browser.correlation_id,
        };
        let audit = ctx.audit(
            self,
            AuditCategory::UserManagement,
            "Block future invitations",
            "Update",
        );
        self.store
            .block_invitations(tenant.id, &email, self.clock.now(), &audit)
            .await?;
        Ok(RedeemStep::next(RedeemNext::Done(format!(
            "Done: {} will not send invitation emails to {email} any more.",
            org_name(tenant)
        ))))
    }
}
