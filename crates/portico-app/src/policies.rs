//! Tenant policies: the email one-time passcode method of the authentication methods policy
//! (Graph's `emailAuthenticationMethodConfiguration`).
//!
//! Guests may redeem and sign in with email passcodes unless `allowExternalIdToUseEmailOtp` is
//! `disabled` (`default` means enabled, as in Entra since 2021). `state` is stored and returned
//! but, since Portico has no member sign-in with email passcodes, decides nothing. Changing the
//! policy needs a role that manages security policies (`Action::ManageSecurityPolicies`) and
//! is audited as Entra audits it ("Authentication Methods Policy Update"). Sign-in asks
//! [`App::email_otp_for_guests`], which reads the store every time (no cache), so a change
//! applies at once on every replica.

use crate::{Actor, App, AppError, Context};
use portico_domain::TenantId;
use portico_domain::audit::AuditCategory;
use portico_domain::policy::{
    EMAIL_OTP_CONFIGURATION_ID, EMAIL_OTP_POLICY, EmailOtpPolicy, EmailOtpPolicyPatch,
};
use portico_policy::directory::Action;

/// Entra's audit activity for changes to the authentication methods policy.
pub const UPDATE_AUTHENTICATION_METHODS_POLICY: &str = "Authentication Methods Policy Update";

/// The service Entra logs those changes under.
const AUTHENTICATION_METHODS_SERVICE: &str = "Authentication Methods";

impl App {
    /// The tenant's email OTP policy (its defaults when it was never changed). Anyone acting in
    /// the tenant may read it (the Graph layer checks Graph permissions); actors of another
    /// tenant find no such tenant.
    pub async fn email_otp_policy(
        &self,
        ctx: &Context,
        tenant: TenantId,
    ) -> Result<EmailOtpPolicy, AppError> {
        match &ctx.actor {
            Actor::User { tenant: home, .. } | Actor::App { tenant: home, .. }
                if *home != tenant =>
            {
                Err(AppError::NotFound("tenant"))
            }
            _ => self.stored_email_otp_policy(tenant).await,
        }
    }

    /// Changes the tenant's email OTP policy: properties not in `patch` keep their values; a
    /// value that is not one of Graph's is refused naming its property, changing nothing.
    /// Returns the policy as stored.
    pub async fn update_email_otp_policy(
        &self,
        ctx: &Context,
        tenant: TenantId,
        patch: EmailOtpPolicyPatch,
    ) -> Result<EmailOtpPolicy, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageSecurityPolicies,
                AuditCategory::ApplicationManagement,
                UPDATE_AUTHENTICATION_METHODS_POLICY,
                "Update",
            )
            .await?;
        let current = self.stored_email_otp_policy(tenant).await?;
        let next = current.apply(&patch)?;
        let mut audit = op.audit.target(
            "Policy",
            EMAIL_OTP_CONFIGURATION_ID,
            Some(EMAIL_OTP_CONFIGURATION_ID),
        );
        audit.logged_by_service = AUTHENTICATION_METHODS_SERVICE.to_owned();
        let quoted = |s: &str| Some(format!("\"{s}\""));
        if next.state != current.state {
            audit = audit.modified(
                "state",
                quoted(current.state.as_str()),
                quoted(next.state.as_str()),
            );
        }
        if next.allow_external_id_to_use_email_otp != current.allow_external_id_to_use_email_otp {
            audit = audit.modified(
                "allowExternalIdToUseEmailOtp",
                quoted(current.allow_external_id_to_use_email_otp.as_str()),
                quoted(next.allow_external_id_to_use_email_otp.as_str()),
            );
        }
        let body = next
            .to_json()
            .map_err(|e| AppError::Internal(format!("cannot encode the email OTP policy: {e}")))?;
        self.store
            .put_policy(tenant, EMAIL_OTP_POLICY, &body, self.clock.now(), &audit)
            .await?;
        Ok(next)
    }

    /// Whether the tenant lets guests redeem and sign in with email passcodes. No
    /// authorization: sign-in and redemption ask it for the tenant being signed in to.
    pub async fn email_otp_for_guests(&self, tenant: TenantId) -> Result<bool, AppError> {
        Ok(self.stored_email_otp_policy(tenant).await?.guests_may_use())
    }

    /// The stored policy, or the defaults when there is none.
    async fn stored_email_otp_policy(&self, tenant: TenantId) -> Result<EmailOtpPolicy, AppError> {
        match self.store.get_policy(tenant, EMAIL_OTP_POLICY).await? {
            None => Ok(EmailOtpPolicy::default()),
            Some(text) => EmailOtpPolicy::from_json(&text).map_err(|e| {
                AppError::Internal(format!("stored email OTP policy of {tenant}: {e}"))
            }),
        }
    }
}
