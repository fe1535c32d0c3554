//! A guest's sign-in that went to their identity provider comes back. A redeemed guest must
//! come back as the identity recorded at redemption (issuer and subject, never the address
//! alone); a pending guest as the invited address, which the provider must vouch for, and then
//! redeems just in time.

use super::flow::Flow;
use super::guest::GuestMethod;
use super::steps::{USED_FORM, error_response};
use super::{Browser, Next, Step};
use crate::federation::Authenticated;
use crate::redeem::Proven;
use crate::redeem::realm::external_identity;
use crate::{App, AppError};
use portico_domain::signin::codes;
use portico_domain::tenant::Tenant;

const MISMATCH: &str = "You signed in at your identity provider with another account than the one you use as a guest here. Sign out there, then sign in with your guest account.";

impl App {
    /// Continues a sign-in after the provider answered (`authenticated`).
    pub(crate) async fn signin_federated(
        &self,
        tenant: &Tenant,
        flow: Flow,
        provider: &str,
        authenticated: Authenticated,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let Some(GuestMethod::External {
            provider: chosen,
            invited,
        }) = flow.guest.clone()
        else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        if chosen != provider {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        }
        let Some(user) = self.flow_guest(tenant, &flow).await? else {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        };
        let app_ref = Some((flow.req.client_app_id, flow.req.client_name.as_str()));
        let (up, ext) = match authenticated {
            Authenticated::Yes(up, ext) => (up, ext),
            Authenticated::No {
                message,
                code,
                reason,
                cancelled,
            } => {
                self.log_sign_in(
                    tenant,
                    browser,
                    Some(&user),
                    None,
                    app_ref,
                    true,
                    code,
                    Some(&reason),
                )
                .await?;
                // Someone who cancelled goes back to the app, as for a declined consent.
                return Ok(Step::next(if cancelled {
                    error_response(
                        &flow,
                        "access_denied",
                        "AADSTS50008: The user did not sign in at their identity provider.",
                    )
                } else {
                    Next::Error(message)
                }));
            }
        };
        let identity = ext.identity(&up);
        let matched = match &invited {
            // Pending: the provider vouches for the invited address.
            Some(address) => ext.vouches_for(&up, address),
            // Redeemed: the identity recorded at redemption, exactly.
            None => match external_identity(&user) {
                Some(recorded) if recorded.unique_key() == identity.unique_key() => Ok(()),
                _ => Err(MISMATCH.to_owned()),
            },
        };
        if let Err(message) = matched {
            tracing::info!(tenant = %tenant.id, provider = %up.id, user = %user.id, "identity provider signed in another account than the guest's");
            self.log_sign_in(
                tenant,
                browser,
                Some(&user),
                None,
                app_ref,
                true,
                codes::UPSTREAM_MISMATCH,
                Some("The identity provider signed in another account than the guest's."),
            )
            .await?;
            return Ok(Step::next(Next::Error(message)));
        }
        let proven = Proven {
            identity,
            amr: "fed".into(),
            upstream: Some(ext.upstream),
        };
        self.guest_proven(tenant, flow, user, proven, browser, session_token)
            .await
    }
}
