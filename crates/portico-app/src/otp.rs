//! Email one-time passcodes for guests: a random 8-digit code, stored as a keyed hash, mailed
//! through the outbox in the same transaction, valid 30 minutes, single use, at most 5 wrong
//! tries; sending is throttled per address and per client address.

use crate::signin::Browser;
use crate::{App, AppError};
use portico_domain::mail::MailKind;
use portico_domain::otp::{OTP_DIGITS, OTP_LIFETIME, OTP_MAX_FAILURES, OtpCode, OtpPurpose};
use portico_domain::tenant::Tenant;
use portico_store::StoreError;

/// Codes sent to one address per window.
pub const SENDS_PER_ADDRESS: i64 = 5;
/// Codes requested from one client address per window.
pub const SENDS_PER_CLIENT: i64 = 30;
/// The throttling window.
pub const SEND_WINDOW: time::Duration = time::Duration::minutes(15);

/// The result of asking for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// A code is on its way; its id goes into the sealed sign-in state.
    Code(uuid::Uuid),
    /// Too many codes were asked for; try again after the window.
    Throttled,
}

/// The result of entering a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Right, and now spent.
    Valid,
    /// Wrong; this many tries remain.
    Wrong(u32),
    /// Expired, used, replaced by a newer code, or tried too often: ask for a new one.
    Spent,
}

/// The client a send is counted for: its IPv4 address, or the /64 network of its IPv6 address
/// (one subscriber usually holds a whole /64).
fn client_key(ip: Option<&str>) -> String {
    match ip.map(str::parse::<std::net::IpAddr>) {
        Some(Ok(std::net::IpAddr::V6(v6))) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Some(Ok(std::net::IpAddr::V4(v4))) => v4.to_string(),
        _ => "unknown".to_owned(),
    }
}

impl App {
    fn code_hash(&self, id: uuid::Uuid, code: &str) -> String {
        self.keys.hash_secret(&format!("otp:{id}:{code}"))
    }

    /// Sends a passcode for `purpose` to `email` (rendered in the first of `languages` Portico
    /// has), unless the address or the client asked too often.
    pub(crate) async fn send_passcode(
        &self,
        tenant: &Tenant,
        purpose: OtpPurpose,
        email: &str,
        languages: &[Option<&str>],
        browser: &Browser,
    ) -> Result<Sent, AppError> {
        let now = self.clock.now();
        let subject = email.to_lowercase();
        // The client first, so a client over its limit does not use up the address's sends.
        let keys = [
            (
                format!("otp-send:ip:{}", client_key(browser.ip.as_deref())),
                SENDS_PER_CLIENT,
            ),
            (
                format!("otp-send:addr:{}", self.keys.derive("otp-send", &subject)),
                SENDS_PER_ADDRESS,
            ),
        ];
        for (key, limit) in &keys {
            let t = self
                .store
                .count_failure(tenant.id, key, now, now - SEND_WINDOW)
                .await?;
            if t.failures > *limit {
                tracing::warn!(tenant = %tenant.id, purpose = purpose.as_str(), "passcode sending throttled");
                return Ok(Sent::Throttled);
            }
        }
        let id = uuid::Uuid::new_v4();
        let code = portico_crypto::secret::random_digits(OTP_DIGITS);
        let otp = OtpCode {
            id,
            purpose,
            subject,
            code_hash: self.code_hash(id, &code),
            created_at: now,
            expires_at: now + OTP_LIFETIME,
            failed_attempts: 0,
            used_at: None,
        };
        let org = crate::redeem::org_name(tenant);
        let lang = portico_mail::pick_language(languages);
        let minutes_valid = u32::try_from(OTP_LIFETIME.whole_minutes()).unwrap_or(30);
        let rendered = match purpose {
            OtpPurpose::SignIn => portico_mail::OtpMail {
                lang,
                org_name: org.clone(),
                code,
                minutes_valid,
                brand_color: tenant.branding.accent_color.clone(),
                logo_url: tenant.branding.logo_url.clone(),
            }
            .render(),
            OtpPurpose::BlockInvitations => portico_mail::BlockConfirmMail {
                lang,
                org_name: org.clone(),
                code,
                minutes_valid,
            }
            .render(),
        }
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let msg = portico_mail::Message {
            from: self.mail_from(&org),
            to: email.to_owned(),
            cc: Vec::new(),
            reply_to: None,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        };
        let mail = self.outbox_mail(tenant.id, MailKind::Passcode, &msg, now)?;
        self.store.issue_otp(tenant.id, &otp, &mail).await?;
        self.mail_committed();
        Ok(Sent::Code(id))
    }

    /// Checks the sign-in passcode a guest typed (redeeming or signing in). A wrong or spent
    /// code is recorded in the sign-in log and answered with the message the page shows
    /// (`Err`); a right code is spent.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn check_guest_passcode(
        &self,
        tenant: &Tenant,
        id: uuid::Uuid,
        email: &str,
        typed: &str,
        browser: &Browser,
        user: &portico_domain::user::User,
        logged_name: Option<&str>,
        app: Option<(portico_domain::AppId, &str)>,
    ) -> Result<Result<(), String>, AppError> {
        let (code, reason, message) = match self
            .check_passcode(tenant, id, OtpPurpose::SignIn, email, typed)
            .await?
        {
            Checked::Valid => return Ok(Ok(())),
            Checked::Wrong(left) => (
                portico_domain::signin::codes::WRONG_OTP,
                "The one-time passcode entered is not correct.",
                format!(
                    "That code didn't work. Check the code and try again ({left} {} left).",
                    if left == 1 { "try" } else { "tries" }
                ),
            ),
            Checked::Spent => (
                portico_domain::signin::codes::EXPIRED_OTP,
                "The one-time passcode expired, was used, or was tried too often.",
                "This code has expired or can't be used any more. Send a new code.".to_owned(),
            ),
        };
        self.log_sign_in(
            tenant,
            browser,
            Some(user),
            logged_name,
            app,
            true,
            code,
            Some(reason),
        )
        .await?;
        Ok(Err(message))
    }

    /// Checks a code typed for passcode `id`, which must have been sent to `email` for
    /// `purpose`. A right code is spent at once.
    pub(crate) async fn check_passcode(
        &self,
        tenant: &Tenant,
        id: uuid::Uuid,
        purpose: OtpPurpose,
        email: &str,
        typed: &str,
    ) -> Result<Checked, AppError> {
        let otp = match self.store.get_otp(tenant.id, id).await {
            Ok(o) => o,
            Err(StoreError::NotFound(_)) => return Ok(Checked::Spent),
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now();
        if otp.purpose != purpose || otp.subject != email.to_lowercase() || !otp.is_open(now) {
            return Ok(Checked::Spent);
        }
        let right = portico_domain::otp::normalize_code(typed).is_some_and(|code| {
            portico_crypto::secret::constant_time_eq(
                self.code_hash(id, &code).as_bytes(),
                otp.code_hash.as_bytes(),
            )
        });
        if right {
            return Ok(if self.store.use_otp(tenant.id, id, now).await? {
                Checked::Valid
            } else {
                Checked::Spent
            });
        }
        let failures = self.store.otp_failed(tenant.id, id).await?;
        Ok(if failures >= OTP_MAX_FAILURES {
            Checked::Spent
        } else {
            Checked::Wrong(OTP_MAX_FAILURES - failures)
        })
    }
}

#[cfg(test)]
mod client_key_tests {
    use super::client_key;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        assert_eq!(client_key(Some("192.0.2.7")), "192.0.2.7");
        assert_eq!(
            client_key(Some("2001:db8:1:2:aaaa::1")),
            client_key(Some("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            client_key(Some("2001:db8:1:2::1")),
            client_key(Some("2001:db8:1:3::1"))
        );
        assert_eq!(client_key(Some("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(client_key(None), "unknown");
        assert_eq!(client_key(Some("not an address")), "unknown");
    }
}
