//! Applies the smart-lockout policy (`portico_policy::lockout`) with the store's counters,
//! and writes the sign-in log.

use super::Browser;
use crate::{App, AppError};
use portico_domain::signin::{SignInEvent, SignInStatus};
use portico_domain::tenant::Tenant;
use portico_domain::user::User;
use portico_domain::{AppId, SignInId};
use portico_policy::lockout::{self, Counter};

/// Whether an attempt may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Go ahead.
    Open,
    /// Locked until then.
    Locked,
}

/// A password attempt, counted before the password is checked (so parallel guesses cannot
/// slip past the thresholds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    familiar: bool,
    /// Failures so far for this account at this address, this one included.
    failures: i64,
    /// This attempt reached a threshold: it is refused unchecked.
    pub(crate) locked: bool,
}

fn address(browser: &Browser) -> String {
    lockout::address_key(browser.ip_or_unknown())
}

impl App {
    fn familiar_key(user: &User, browser: &Browser) -> String {
        lockout::familiar_key(&user.id.to_string(), &address(browser))
    }

    async fn is_familiar(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
    ) -> Result<bool, AppError> {
        let key = Self::familiar_key(user, browser);
        let rows = self
            .store
            .throttles(tenant.id, std::slice::from_ref(&key))
            .await?;
        Ok(lockout::is_familiar(
            rows.first().map(|(_, t)| t.window_start),
            self.clock.now(),
        ))
    }

    /// Whether any counter that applies to this account at this address is locked.
    pub(crate) async fn lockout_gate(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
    ) -> Result<Gate, AppError> {
        let familiar = self.is_familiar(tenant, user, browser).await?;
        self.gate(tenant, user, browser, familiar).await
    }

    async fn gate(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
        familiar: bool,
    ) -> Result<Gate, AppError> {
        let now = self.clock.now();
        let account = user.id.to_string();
        let ip = address(browser);
        let keys: Vec<String> = lockout::counters(familiar)
            .iter()
            .map(|c| c.key(&account, &ip))
            .collect();
        let rows = self.store.throttles(tenant.id, &keys).await?;
        let locked = rows
            .iter()
            .any(|(_, t)| lockout::is_locked(t.locked_until, now));
        Ok(if locked { Gate::Locked } else { Gate::Open })
    }

    /// Refuses the attempt unchecked when a counter is locked; otherwise counts it on every
    /// counter that applies, atomically, and locks what reached its threshold (that attempt is
    /// refused too).
    pub(crate) async fn begin_password_attempt(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
    ) -> Result<Attempt, AppError> {
        let now = self.clock.now();
        let account = user.id.to_string();
        let ip = address(browser);
        let familiar = self.is_familiar(tenant, user, browser).await?;
        let mut attempt = Attempt {
            familiar,
            failures: 0,
            locked: false,
        };
        if self.gate(tenant, user, browser, familiar).await? == Gate::Locked {
            attempt.locked = true;
            return Ok(attempt);
        }
        for counter in lockout::counters(familiar) {
            let key = counter.key(&account, &ip);
            let t = self
                .store
                .count_failure(tenant.id, &key, now, now - lockout::WINDOW)
                .await?;
            if t.failures >= counter.threshold() {
                let until = now + counter.lock_for(t.lockouts + 1);
                self.store.lock_throttle(tenant.id, &key, until).await?;
                tracing::warn!(tenant = %tenant.id, user = %user.id, counter = ?counter, until = %until, "smart lockout engaged");
                attempt.locked = true;
            }
            if *counter == Counter::AccountAddress {
                attempt.failures = t.failures;
            }
        }
        Ok(attempt)
    }

    /// The attempt failed: slow the guesser down as the policy says.
    pub(crate) async fn password_failed(&self, attempt: Attempt) {
        let delay = lockout::delay_after(attempt.failures);
        if delay > time::Duration::ZERO {
            tokio::time::sleep(delay.unsigned_abs()).await;
        }
    }

    /// The attempt succeeded: clear the account's counter at this address, take the attempt
    /// back from the wider counters, and mark the address familiar.
    pub(crate) async fn password_succeeded(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
        attempt: Attempt,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let account = user.id.to_string();
        let ip = address(browser);
        for counter in lockout::counters(attempt.familiar) {
            let key = counter.key(&account, &ip);
            if *counter == Counter::AccountAddress {
                self.store.reset_throttle(tenant.id, &key, now).await?;
            } else {
                self.store.uncount_failure(tenant.id, &key).await?;
            }
        }
        self.store
            .reset_throttle(tenant.id, &Self::familiar_key(user, browser), now)
            .await?;
        Ok(())
    }

    /// Whether the address is locked for username lookups.
    pub(crate) async fn address_locked(
        &self,
        tenant: &Tenant,
        browser: &Browser,
    ) -> Result<bool, AppError> {
        let key = Counter::Address.key("", &address(browser));
        let rows = self
            .store
            .throttles(tenant.id, std::slice::from_ref(&key))
            .await?;
        Ok(rows
            .first()
            .is_some_and(|(_, t)| lockout::is_locked(t.locked_until, self.clock.now())))
    }

    /// Counts a lookup of an unknown username against the address (enumeration throttle).
    /// Returns false when the address is locked.
    pub(crate) async fn count_unknown_user(
        &self,
        tenant: &Tenant,
        browser: &Browser,
    ) -> Result<bool, AppError> {
        if self.address_locked(tenant, browser).await? {
            return Ok(false);
        }
        let now = self.clock.now();
        let key = Counter::Address.key("", &address(browser));
        let t = self
            .store
            .count_failure(tenant.id, &key, now, now - lockout::WINDOW)
            .await?;
        if t.failures >= Counter::Address.threshold() {
            self.store
                .lock_throttle(
                    tenant.id,
                    &key,
                    now + Counter::Address.lock_for(t.lockouts + 1),
                )
                .await?;
        }
        Ok(true)
    }

    /// Appends a sign-in log entry.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn log_sign_in(
        &self,
        tenant: &Tenant,
        browser: &Browser,
        user: Option<&User>,
        typed: Option<&str>,
        app: Option<(AppId, &str)>,
        interactive: bool,
        code: i64,
        reason: Option<&str>,
    ) -> Result<(), AppError> {
        let event = SignInEvent {
            id: SignInId::new(),
            created_date_time: self.clock.now(),
            user_id: user.map(|u| u.id),
            user_principal_name: user
                .map(|u| u.user_principal_name.clone())
                .or_else(|| typed.map(|t| t.chars().take(256).collect())),
            user_display_name: user.map(|u| u.display_name.clone()),
            app_id: app.map(|a| a.0),
            app_display_name: app.map(|a| a.1.to_owned()),
            ip_address: browser.ip.clone(),
            user_agent: browser
                .user_agent
                .as_ref()
                .map(|u| u.chars().take(512).collect()),
            client_app_used: "Browser".into(),
            correlation_id: browser.correlation_id,
            is_interactive: interactive,
            status: SignInStatus {
                error_code: code,
                failure_reason: reason.map(str::to_owned),
                additional_details: None,
            },
        };
        tracing::info!(tenant = %tenant.id, user = ?event.user_id, error_code = code, interactive, "sign-in");
        Ok(self.store.insert_sign_in(tenant.id, &event).await?)
    }
}
