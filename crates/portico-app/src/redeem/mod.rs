//! Invitation redemption in the browser (`/redeem`): the ticket from the invitation's link is
//! checked (keyed hash, single use, bound to its invitation), home realm discovery decides
//! where the guest proves who they are — a tenant on this instance where the address is a
//! member (signing in there, or riding its session), else an email one-time passcode — then
//! the guest reviews what the inviting organization will see, accepts, and lands on the
//! invitation's redirect URL with a session in the inviting tenant.
//!
//! As for sign-in, the redemption in progress travels sealed in the form (bound to the
//! browser and the tenant, 15 minutes), so any replica continues it.

mod block;
mod federated;
pub(crate) mod flow;
pub mod realm;
mod steps;

pub use flow::Proven;
pub use realm::GuestRealm;

use crate::signin::NewSession;
use portico_domain::TenantId;
use portico_domain::tenant::Tenant;

/// The display name of a tenant in pages and mails (its branding name first).
#[must_use]
pub fn org_name(tenant: &Tenant) -> String {
    tenant
        .branding
        .name
        .clone()
        .unwrap_or_else(|| tenant.display_name.clone())
}

/// The "Update user" event Entra logs beside "Redeem external user invite" (the guest's state
/// and identities changed).
#[must_use]
pub fn update_user_event(
    redeem: &portico_domain::audit::AuditEvent,
) -> portico_domain::audit::AuditEvent {
    let mut e = redeem.clone();
    e.id = portico_domain::AuditEventId::new();
    e.activity_display_name = "Update user".into();
    e
}

/// A redemption page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemPage {
    /// "We will send a code to …".
    SendCode {
        /// The invited address.
        email: String,
    },
    /// Enter the code that was mailed.
    EnterCode {
        /// The invited address.
        email: String,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// Sign in with the account of the guest's home organization on this instance.
    Password {
        /// The address.
        username: String,
        /// The home organization's name.
        home_org: String,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// "Block future invitations from this organization?", before a code is sent.
    BlockConfirm {
        /// The address that would be blocked.
        email: String,
    },
    /// Enter the code confirming the block.
    BlockCode {
        /// The address.
        email: String,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// Review permissions: what the inviting organization will see.
    Consent {
        /// The guest's address.
        email: String,
        /// The inviting organization.
        org_name: String,
        /// Its initial domain.
        org_domain: String,
        /// Its privacy statement, if it has one.
        privacy_url: Option<String>,
    },
}

/// A page and the sealed state its form posts back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemScreen {
    /// The inviting tenant.
    pub tenant: TenantId,
    /// Its display name.
    pub tenant_name: String,
    /// Sealed redemption state.
    pub flow: String,
    /// What to show.
    pub page: RedeemPage,
}

/// What the browser sees next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemNext {
    /// A page.
    Show(RedeemScreen),
    /// Redeemed (or declined): go there.
    Redirect(String),
    /// A page explaining why this cannot go on.
    Error(String),
    /// A notice that the request was done.
    Done(String),
}

/// The outcome of one redemption step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemStep {
    /// What to show or where to go.
    pub next: RedeemNext,
    /// Sessions to set (the home tenant's after a password, the inviting tenant's after
    /// acceptance).
    pub sessions: Vec<NewSession>,
}

impl RedeemStep {
    fn next(next: RedeemNext) -> Self {
        Self {
            next,
            sessions: Vec::new(),
        }
    }

    fn error(message: &str) -> Self {
        Self::next(RedeemNext::Error(message.to_owned()))
    }
}
