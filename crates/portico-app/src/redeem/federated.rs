//! A redemption that went to the guest's identity provider comes back: the provider must
//! vouch for the invited address (its domain, verified, the same address); then the guest
//! reviews the inviting organization's request as after a passcode.

use super::RedeemStep;
use super::flow::{Method, Proven, RESTART, RedeemFlow};
use crate::federation::Authenticated;
use crate::signin::Browser;
use crate::{App, AppError};
use portico_domain::signin::codes;
use portico_domain::tenant::Tenant;

impl App {
    /// Continues a redemption after the provider answered (`authenticated`).
    pub(crate) async fn redeem_federated(
        &self,
        tenant: &Tenant,
        mut flow: RedeemFlow,
        provider: &str,
        authenticated: Authenticated,
        browser: &Browser,
    ) -> Result<RedeemStep, AppError> {
        let expected = Method::External {
            provider: provider.to_owned(),
        };
        if flow.method != expected || flow.proven.is_some() || flow.block {
            return Ok(RedeemStep::error(RESTART));
        }
        let user = match self.pending_guest(tenant, flow.user).await? {
            Ok(u) => u,
            Err(m) => return Ok(RedeemStep::error(m)),
        };
        let (up, ext) = match authenticated {
            Authenticated::Yes(up, ext) => (up, ext),
            Authenticated::No {
                message,
                code,
                reason,
                ..
            } => {
                self.log_sign_in(
                    tenant,
                    browser,
                    Some(&user),
                    Some(&flow.email),
                    None,
                    true,
                    code,
                    Some(&reason),
                )
                .await?;
                return Ok(RedeemStep::error(&message));
            }
        };
        if let Err(message) = ext.vouches_for(&up, &flow.email) {
            tracing::info!(tenant = %tenant.id, provider = %up.id, "identity provider signed in another account than the invited one");
            self.log_sign_in(
                tenant,
                browser,
                Some(&user),
                Some(&flow.email),
                None,
                true,
                codes::UPSTREAM_MISMATCH,
                Some("The identity provider did not vouch for the invited address."),
            )
            .await?;
            return Ok(RedeemStep::error(&message));
        }
        flow.proven = Some(Proven {
            identity: ext.identity(&up),
            amr: "fed".into(),
            upstream: Some(ext.upstream),
        });
        let page = self.consent_page(tenant, &flow);
        self.redeem_screen(tenant, &flow, page)
    }
}
