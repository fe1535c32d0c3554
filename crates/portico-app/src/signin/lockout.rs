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

impl App {
    fn familiar_key(user: &User, browser: &Browser) -> String {
        lockout::familiar_key(&user.id.to_string(), browser.ip_or_unknown())
    }

    /// Checks every counter that applies to this account at this address.
    pub(crate) async fn lockout_gate(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
    ) -> Result<Gate, AppError> {
        let now = self.clock.now();
        let account = user.id.to_string();
        let ip = browser.ip_or_unknown();
        let mut keys: Vec<String> = [
            Counter::AccountAddress,
            Counter::AccountUnfamiliar,
            Counter::Address,
        ]
        .iter()
        .map(|c| c.key(&account, ip))
        .collect();
        keys.push(Self::familiar_key(user, browser));
        let rows = self.store.throttles(tenant.id, &keys).await?;
        let familiar_key = Self::familiar_key(user, browser);
        let familiar = lockout::is_familiar(
            rows.iter()
                .find(|(k, _)| *k == familiar_key)
                .map(|(_, t)| t.window_start),
            now,
        );
        let locked = lockout::counters(familiar).iter().any(|c| {
            let key = c.key(&account, ip);
            rows.iter()
                .any(|(k, t)| *k == key && lockout::is_locked(t.locked_until, now))
        });
        Ok(if locked { Gate::Locked } else { Gate::Open })
    }

    /// Counts a failed password; locks what reached its threshold; waits as the policy says.
    pub(crate) async fn count_password_failure(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let account = user.id.to_string();
        let ip = browser.ip_or_unknown();
        let familiar_key = Self::familiar_key(user, browser);
        let familiar = lockout::is_familiar(
            self.store
                .throttles(tenant.id, std::slice::from_ref(&familiar_key))
                .await?
                .first()
                .map(|(_, t)| t.window_start),
            now,
        );
        let mut delay = time::Duration::ZERO;
        for counter in lockout::counters(familiar) {
            let key = counter.key(&account, ip);
            let t = self
                .store
                .count_failure(tenant.id, &key, now, now - lockout::WINDOW)
                .await?;
            if t.failures >= counter.threshold() {
                let until = now + counter.lock_for(t.lockouts + 1);
                self.store.lock_throttle(tenant.id, &key, until).await?;
                tracing::warn!(tenant = %tenant.id, user = %user.id, counter = ?counter, until = %until, "smart lockout engaged");
            }
            if *counter == Counter::AccountAddress {
                delay = lockout::delay_after(t.failures);
            }
        }
        if delay > time::Duration::ZERO {
            tokio::time::sleep(delay.unsigned_abs()).await;
        }
        Ok(())
    }

    /// Counts a lookup of an unknown username against the address (enumeration throttle).
    pub(crate) async fn count_unknown_user(
        &self,
        tenant: &Tenant,
        browser: &Browser,
    ) -> Result<bool, AppError> {
        let now = self.clock.now();
        let key = Counter::Address.key("", browser.ip_or_unknown());
        let rows = self
            .store
            .throttles(tenant.id, std::slice::from_ref(&key))
            .await?;
        if rows
            .first()
            .is_some_and(|(_, t)| lockout::is_locked(t.locked_until, now))
        {
            return Ok(false);
        }
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

    /// A success clears the account's counter at this address and marks the address familiar.
    pub(crate) async fn clear_password_failures(
        &self,
        tenant: &Tenant,
        user: &User,
        browser: &Browser,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let key = Counter::AccountAddress.key(&user.id.to_string(), browser.ip_or_unknown());
        self.store.reset_throttle(tenant.id, &key, now).await?;
        self.store
            .reset_throttle(tenant.id, &Self::familiar_key(user, browser), now)
            .await?;
        Ok(())
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
