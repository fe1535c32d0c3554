//! Mail: messages rendered by `portico-mail` are sealed (they carry redeem links and
//! passcodes) into the durable outbox in the same transaction as what caused them, and
//! [`App::deliver_mail`] sends what is due with retries and exponential backoff. A mail is
//! marked sent only after the transport accepted it, so a crash in between sends it again
//! once (with the same `Message-ID`); nothing acknowledged is ever lost.

use crate::{App, AppError};
use portico_domain::TenantId;
use portico_domain::mail::{MailKind, OutboxMail};
use portico_mail::{Message, SendError, Transport};
use time::OffsetDateTime;

/// How long a worker holds the mails it claimed before another may take them.
pub const MAIL_LEASE: time::Duration = time::Duration::minutes(2);
/// Attempts before a mail is given up (about two days of backoff).
pub const MAX_MAIL_ATTEMPTS: u32 = 40;
/// Mails claimed per round.
pub const MAIL_BATCH: u32 = 100;
/// Mails sent at once (separate SMTP conversations).
pub const MAIL_CONCURRENCY: usize = 8;
/// The longest one send may take (however slow the SMTP server): a send starts only while
/// at least this much of the claim's lease is left, so no other replica can claim the mail
/// and send it too while this one is still sending.
pub const MAIL_SEND_LIMIT: std::time::Duration = std::time::Duration::from_secs(45);

enum Outcome {
    /// Accepted by the transport; recorded by the caller (in batches).
    Sent(TenantId, uuid::Uuid),
    Retried,
    Failed,
    /// Not tried: the lease was running out (the mail is claimed again when it ends).
    Skipped,
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Accepted by the transport.
    pub sent: u32,
    /// Failed for now; tried again later.
    pub retried: u32,
    /// Given up.
    pub failed: u32,
    /// Not tried this round (its lease was running out); tried again when the lease ends.
    pub skipped: u32,
}

/// Delay before attempt `attempts + 1`: 15 s doubling, at most an hour.
#[must_use]
pub fn backoff(attempts: u32) -> time::Duration {
    let exp = attempts.saturating_sub(1).min(8);
    time::Duration::seconds((15_i64 << exp).min(3600))
}

fn context(tenant: TenantId, id: uuid::Uuid) -> String {
    format!("outbox:{tenant}:{id}")
}

impl App {
    /// Seals a message into an outbox row (not yet stored).
    pub(crate) fn outbox_mail(
        &self,
        tenant: TenantId,
        kind: MailKind,
        msg: &Message,
        now: OffsetDateTime,
    ) -> Result<OutboxMail, AppError> {
        let mut row = OutboxMail::new(kind, String::new(), now);
        let json = serde_json::to_vec(msg).map_err(|e| AppError::Internal(e.to_string()))?;
        row.sealed = self.keys.seal(&json, &context(tenant, row.id))?;
        Ok(row)
    }

    /// Wakes the mail worker: call after the transaction holding an outbox row committed.
    pub(crate) fn mail_committed(&self) {
        self.mail_queued.notify_one();
    }

    /// The `From` of mails sent for a tenant: its name, then the configured address.
    pub(crate) fn mail_from(&self, org_name: &str) -> String {
        let name: String = org_name
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '\\'))
            .collect();
        format!("\"{name} via Portico\" <{}>", self.config.mail_from)
    }

    /// Sends the mails that are due through `transport`, up to [`MAIL_CONCURRENCY`] at once;
    /// returns what happened. Safe to run on several replicas at once (claims are leased).
    pub async fn deliver_mail(&self, transport: &Transport) -> Result<Delivery, AppError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_mail(now, now + MAIL_LEASE, MAIL_BATCH)
            .await?;
        let claimed_at = std::time::Instant::now();
        let lease = std::time::Duration::from_secs(MAIL_LEASE.whole_seconds().unsigned_abs());
        let mut done = Delivery::default();
        let mut rows = claimed.into_iter();
        let mut set = tokio::task::JoinSet::new();
        let mut failure = None;
        // A sliding window: a new send starts as soon as one finishes. Deliveries finished
        // together are recorded in one transaction.
        loop {
            while failure.is_none() && set.len() < MAIL_CONCURRENCY {
                let Some((tenant, row)) = rows.next() else {
                    break;
                };
                let (app, transport) = (self.clone(), transport.clone());
                set.spawn(async move {
                    if claimed_at.elapsed() + MAIL_SEND_LIMIT > lease {
                        return Ok(Outcome::Skipped);
                    }
                    app.deliver_one(&transport, tenant, row).await
                });
            }
            let Some(first) = set.join_next().await else {
                return failure.map_or(Ok(done), Err);
            };
            let mut finished = vec![first];
            while let Some(more) = set.try_join_next() {
                finished.push(more);
            }
            let mut sent = Vec::new();
            for joined in finished {
                match joined.map_err(|e| AppError::Internal(e.to_string())) {
                    Ok(Ok(Outcome::Sent(tenant, id))) => {
                        done.sent += 1;
                        sent.push((tenant, id));
                    }
                    Ok(Ok(Outcome::Retried)) => done.retried += 1,
                    Ok(Ok(Outcome::Failed)) => done.failed += 1,
                    Ok(Ok(Outcome::Skipped)) => done.skipped += 1,
                    // No new sends after a failure; the ones under way finish first.
                    Ok(Err(e)) | Err(e) => failure = Some(e),
                }
            }
            if !sent.is_empty()
                && let Err(e) = self.record_sent(&sent).await
            {
                failure = Some(e);
            }
        }
    }

    /// Records deliveries, trying three times (recording is idempotent): mails sent but not
    /// recorded are sent again after their lease.
    async fn record_sent(&self, sent: &[(TenantId, uuid::Uuid)]) -> Result<(), AppError> {
        let mut tries = 0;
        loop {
            match self.store.mail_sent(sent, self.clock.now()).await {
                Ok(()) => return Ok(()),
                Err(e) if tries < 2 => {
                    tries += 1;
                    tracing::warn!(error = %e, mails = sent.len(), "recording sent mail failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, mails = sent.len(), "sent mail could not be recorded; it will be sent again after its lease");
                    return Err(e.into());
                }
            }
        }
    }

    async fn deliver_one(
        &self,
        transport: &Transport,
        tenant: TenantId,
        row: OutboxMail,
    ) -> Result<Outcome, AppError> {
        let Some(msg) = self
            .keys
            .open(&row.sealed, &context(tenant, row.id))
            .and_then(|raw| serde_json::from_slice::<Message>(&raw).ok())
        else {
            tracing::error!(tenant = %tenant, mail = %row.id, "outbox mail cannot be opened (master key changed?); giving up");
            self.store
                .mail_failed(tenant, row.id, self.clock.now(), "cannot be opened")
                .await?;
            return Ok(Outcome::Failed);
        };
        let sent = tokio::time::timeout(MAIL_SEND_LIMIT, transport.send(&msg, &row.id.to_string()))
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Transient(format!(
                    "no answer within {} s",
                    MAIL_SEND_LIMIT.as_secs()
                )))
            });
        Ok(match sent {
            Ok(()) => {
                tracing::info!(tenant = %tenant, mail = %row.id, kind = row.kind.as_str(), attempts = row.attempts, "mail sent");
                Outcome::Sent(tenant, row.id)
            }
            Err(SendError::Permanent(e)) => {
                tracing::warn!(tenant = %tenant, mail = %row.id, error = %e, "mail refused; giving up");
                self.store
                    .mail_failed(tenant, row.id, self.clock.now(), &e)
                    .await?;
                Outcome::Failed
            }
            Err(SendError::Transient(e)) if row.attempts >= MAX_MAIL_ATTEMPTS => {
                tracing::warn!(tenant = %tenant, mail = %row.id, error = %e, "mail failed too often; giving up");
                self.store
                    .mail_failed(tenant, row.id, self.clock.now(), &e)
                    .await?;
                Outcome::Failed
            }
            Err(SendError::Transient(e)) => {
                let next = self.clock.now() + backoff(row.attempts);
                tracing::info!(tenant = %tenant, mail = %row.id, error = %e, next = %next, "mail not sent yet; will retry");
                self.store.mail_retry(tenant, row.id, next, &e).await?;
                Outcome::Retried
            }
        })
    }

    /// Deletes outbox rows sent or given up more than 7 days ago.
    pub async fn purge_outbox(&self) -> Result<u64, AppError> {
        Ok(self
            .store
            .purge_mail(self.clock.now() - time::Duration::days(7))
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), time::Duration::seconds(15));
        assert_eq!(backoff(2), time::Duration::seconds(30));
        assert_eq!(backoff(5), time::Duration::seconds(240));
        assert_eq!(backoff(9), time::Duration::seconds(3600));
        assert_eq!(backoff(40), time::Duration::seconds(3600));
    }
}
