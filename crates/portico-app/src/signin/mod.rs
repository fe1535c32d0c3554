//! Interactive sign-in behind `/authorize`: validate the request, find where the user
//! authenticates (home realm discovery), check the password with smart lockout, force a
//! password change when due, ask for consent, and answer the client with a code.
//!
//! Between pages the sign-in in progress travels as sealed state (AES-GCM under the master
//! key, bound to the browser's CSRF cookie and to the tenant, expiring in 15 minutes), so any
//! replica can continue it and no half-finished sign-in is stored. Once the password is
//! checked, a server-side session exists and the state only names the user.

mod common;
mod consent;
mod federated;
pub(crate) mod flow;
mod guest;
mod lockout;
mod logout;
pub mod realm;
pub mod request;
mod session;
mod steps;

pub use consent::ConsentItem;
pub use logout::{LogoutParams, LogoutStep};
pub use request::{AuthorizeParams, AuthorizeRequest, Prompt, ResponseMode};

use portico_domain::CorrelationId;
use time::OffsetDateTime;

/// How long a browser session lasts.
pub const SESSION_LIFETIME: time::Duration = time::Duration::hours(24);
/// How long an authorization code lives.
pub const CODE_LIFETIME: time::Duration = time::Duration::minutes(10);
/// How long a sign-in in progress (the sealed flow) lives.
pub const FLOW_LIFETIME: time::Duration = time::Duration::minutes(15);

/// The browser making the request.
#[derive(Debug, Clone)]
pub struct Browser {
    /// Client IP, as the edge saw it.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// The browser's CSRF cookie value (random, HttpOnly): flows and forms are bound to it.
    pub csrf_cookie: String,
    /// The request's correlation id.
    pub correlation_id: CorrelationId,
}

impl Browser {
    fn ip_or_unknown(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown")
    }
}

/// A page to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// Ask who the user is.
    Username {
        /// Prefill.
        hint: Option<String>,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// Ask for the password.
    Password {
        /// Who.
        username: String,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// The password must be changed first.
    ChangePassword {
        /// Who.
        username: String,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// The app asks for permissions not yet granted.
    Consent {
        /// Who.
        username: String,
        /// The app.
        client_name: String,
        /// The client's appId.
        client_app_id: String,
        /// What it asks for.
        items: Vec<ConsentItem>,
        /// Consent would be given for the whole organization (an administrator).
        for_organization: bool,
    },
    /// A guest signs in with an email one-time passcode.
    GuestCode {
        /// Who.
        username: String,
        /// Whether a code was sent (then the code is asked for).
        sent: bool,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// A guest signs in with the account of their home organization on this instance.
    HomePassword {
        /// Who.
        username: String,
        /// The home organization.
        home_org: String,
        /// What went wrong last time.
        error: Option<String>,
    },
    /// A guest with a pending invitation reviews what the inviting organization will see
    /// (just-in-time redemption).
    Redeem {
        /// Who.
        username: String,
        /// The inviting organization.
        org_name: String,
        /// Its initial domain.
        org_domain: String,
        /// Its privacy statement.
        privacy_url: Option<String>,
    },
}

/// A sign-in page and the sealed state its form posts back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// The tenant the sign-in runs in; `None` before home realm discovery on the `common` and
    /// `organizations` endpoints.
    pub tenant: Option<portico_domain::TenantId>,
    /// The tenant's display name (or branding name).
    pub tenant_name: String,
    /// Sealed flow state for the form.
    pub flow: String,
    /// What to show.
    pub page: Page,
}

/// The answer to send the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResponse {
    /// The registered redirect URI.
    pub redirect_uri: String,
    /// Query or form post.
    pub mode: ResponseMode,
    /// `code`+`state`, or `error`+`error_description`+`state`.
    pub params: Vec<(String, String)>,
}

/// What the browser should see next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A page.
    Show(Screen),
    /// Back to the client.
    Respond(AuthResponse),
    /// To the guest's identity provider (a `303 See Other` to this URL).
    Redirect(String),
    /// An error page (the client or its redirect URI cannot be trusted, or the sign-in
    /// cannot continue): never a redirect.
    Error(String),
}

/// A session the edge must set as a cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Whose session (the cookie is per tenant).
    pub tenant: portico_domain::TenantId,
    /// The cookie value (random; only its hash is stored).
    pub token: String,
    /// When it ends.
    pub expires_at: OffsetDateTime,
}

/// The outcome of one sign-in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What to show or where to go.
    pub next: Next,
    /// A session to set, when the user just authenticated.
    pub session: Option<NewSession>,
}

impl Step {
    fn next(next: Next) -> Self {
        Self {
            next,
            session: None,
        }
    }
}
