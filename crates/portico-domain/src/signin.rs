//! Browser sessions and the sign-in log (Graph's `signIn` resource, the fields Portico fills).

use crate::{AppId, CorrelationId, SessionId, SignInId, UserId};
use time::OffsetDateTime;

/// A server-side browser session: the cookie carries a random token, the store its keyed hash.
/// Revoking the row signs the browser out everywhere at once, on every replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Session id (also the `sid` claim).
    pub id: SessionId,
    /// Who signed in.
    pub user_id: UserId,
    /// When the user last entered credentials (`auth_time`).
    pub auth_time: OffsetDateTime,
    /// How (`amr` values, e.g. `pwd`).
    pub auth_methods: Vec<String>,
    /// When created.
    pub created_at: OffsetDateTime,
    /// When it was last used.
    pub last_seen_at: OffsetDateTime,
    /// When it ends, used or not.
    pub expires_at: OffsetDateTime,
    /// When it was signed out, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// Client IP at sign-in.
    pub client_ip: Option<String>,
    /// User agent at sign-in.
    pub user_agent: Option<String>,
    /// How the guest's own identity provider authenticated them, when it did (federation).
    pub upstream: Option<UpstreamAuth>,
}

/// What a federated identity provider said about how it authenticated the user: kept with the
/// session for conditional access (trusting the partner's MFA).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct UpstreamAuth {
    /// The provider's issuer.
    pub issuer: String,
    /// Its `amr` values.
    #[serde(default)]
    pub amr: Vec<String>,
    /// Its `acr`, if any.
    #[serde(default)]
    pub acr: Option<String>,
}

impl Session {
    /// Whether the session still signs the browser in at `now`.
    #[must_use]
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// `signIn.status`: `errorCode` 0 is success; other codes are Entra's AADSTS numbers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    /// 0 for success, otherwise the AADSTS error number.
    pub error_code: i64,
    /// Why it failed, in words; `None` on success.
    pub failure_reason: Option<String>,
    /// More detail.
    pub additional_details: Option<String>,
}

/// Well-known failure codes, as Entra numbers them.
pub mod codes {
    /// Success.
    pub const SUCCESS: i64 = 0;
    /// User account not found in the tenant.
    pub const USER_NOT_FOUND: i64 = 50034;
    /// Invalid username or password.
    pub const INVALID_PASSWORD: i64 = 50126;
    /// Account locked (smart lockout).
    pub const LOCKED: i64 = 50053;
    /// Account disabled.
    pub const DISABLED: i64 = 50057;
    /// The user must change the password.
    pub const PASSWORD_CHANGE_REQUIRED: i64 = 50055;
    /// The user declined consent.
    pub const CONSENT_DECLINED: i64 = 65004;
    /// Interaction required but prompt=none.
    pub const INTERACTION_REQUIRED: i64 = 50058;
    /// The account has no password (federated or invited).
    pub const NO_PASSWORD: i64 = 50144;
    /// A wrong email one-time passcode (Entra's number for this is undocumented: Portico's
    /// choice, see `docs/REDEMPTION.md`).
    pub const WRONG_OTP: i64 = 50181;
    /// An expired, used or over-tried passcode (Portico's choice, as above).
    pub const EXPIRED_OTP: i64 = 50182;
    /// The guest's identity provider failed, refused, or answered with something that did
    /// not pass the checks (Portico's choice of Entra's "missing or misconfigured assertion").
    pub const UPSTREAM_FAILED: i64 = 50008;
    /// The identity provider signed in another account than the guest's (Entra's "the user
    /// account from the external identity provider does not exist in the tenant").
    pub const UPSTREAM_MISMATCH: i64 = 90072;
}

/// One sign-in attempt, as Graph's `signIn` shapes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInEvent {
    /// Entry id.
    pub id: SignInId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    /// The user, when one was identified.
    pub user_id: Option<UserId>,
    /// What they typed or who they are.
    pub user_principal_name: Option<String>,
    /// Display name, when identified.
    pub user_display_name: Option<String>,
    /// The client application.
    pub app_id: Option<AppId>,
    /// Its name.
    pub app_display_name: Option<String>,
    /// Client IP.
    pub ip_address: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// `Browser`, `Mobile Apps and Desktop clients`, ...
    pub client_app_used: String,
    /// Ties the attempt to the request's log lines.
    pub correlation_id: CorrelationId,
    /// Interactive (a person typed credentials) or not (refresh, SSO).
    pub is_interactive: bool,
    /// Outcome.
    pub status: SignInStatus,
}
