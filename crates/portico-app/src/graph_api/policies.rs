//! Graph `policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email`: the
//! tenant's email one-time passcode policy. Reading needs `Policy.Read.All` or
//! `Policy.ReadWrite.AuthenticationMethod`; changing it needs the latter, and a signed-in user
//! also a role that manages security policies (an app with the permission acts as a Security
//! Administrator). The policy is always the caller's own tenant's.

use super::{Caller, GraphResult};
use crate::App;
use portico_domain::policy::{EmailOtpPolicy, EmailOtpPolicyPatch};
use portico_policy::graph::GraphAction;

impl App {
    /// `GET .../authenticationMethodConfigurations/email`.
    pub async fn graph_email_otp_policy(&self, caller: &Caller) -> GraphResult<EmailOtpPolicy> {
        let ctx = self
            .graph_context(caller, GraphAction::ReadAuthenticationMethodsPolicy)
            .await?;
        Ok(self.email_otp_policy(&ctx, caller.tenant.id).await?)
    }

    /// `PATCH .../authenticationMethodConfigurations/email`.
    pub async fn graph_update_email_otp_policy(
        &self,
        caller: &Caller,
        patch: EmailOtpPolicyPatch,
    ) -> GraphResult<EmailOtpPolicy> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteAuthenticationMethodsPolicy)
            .await?;
        Ok(self
            .update_email_otp_policy(&ctx, caller.tenant.id, patch)
            .await?)
    }
}
