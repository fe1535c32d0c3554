//! Bulk invitations, as Entra's "Bulk invite users": each row of an uploaded list is an
//! ordinary invitation ([`App::invite`], audited on its own), and the run as a whole is
//! bracketed by two audit events — "Bulk invite users - started (bulk)" with the number of
//! rows, and "Bulk invite users - finished (bulk)" with how many were invited and how many
//! failed. Both name the same bulk operation (an id of its own) and carry the caller's
//! correlation id, as do the invitations made in between when the caller uses one `Context`.

use crate::{App, AppError, Context};
use portico_domain::audit::{AuditCategory, AuditEvent, AuditResult};
use portico_domain::{TenantId, ValidationError};
use portico_policy::directory::Action;

/// Most rows one bulk invitation may hold.
pub const MAX_ROWS: usize = 10_000;

/// The activity of the event written when a bulk invitation starts.
pub const STARTED: &str = "Bulk invite users - started (bulk)";
/// The activity of the event written when a bulk invitation ends.
pub const FINISHED: &str = "Bulk invite users - finished (bulk)";

/// A bulk invitation that has started (its "started" event is written).
#[derive(Debug, Clone)]
pub struct BulkInvite {
    /// The bulk operation's id (the target id of both audit events).
    pub id: uuid::Uuid,
    /// What the rows came from, e.g. a file name (the target's display name).
    pub source: String,
    /// How many rows it holds.
    pub rows: usize,
}

/// How a bulk invitation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkInviteOutcome<'a> {
    /// Rows invited.
    pub invited: usize,
    /// Rows that failed.
    pub failed: usize,
    /// Why the run stopped before its last row, if it did (rows not reached are neither
    /// invited nor failed).
    pub stopped: Option<&'a str>,
}

impl App {
    /// Starts a bulk invitation of `rows` rows from `source`: authorizes inviting guests and
    /// writes the "started" audit event. The rows are then invited one by one with
    /// [`App::invite`], and the run ends with [`App::finish_bulk_invite`].
    pub async fn start_bulk_invite(
        &self,
        ctx: &Context,
        tenant: TenantId,
        source: &str,
        rows: usize,
    ) -> Result<BulkInvite, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::InviteGuests,
                AuditCategory::UserManagement,
                STARTED,
                "Invite",
            )
            .await?;
        if rows == 0 || rows > MAX_ROWS {
            return Err(ValidationError::new(
                "rows",
                format!("a bulk invitation holds 1 to {MAX_ROWS} rows, not {rows}"),
            )
            .into());
        }
        let source = source.trim();
        let bulk = BulkInvite {
            id: uuid::Uuid::new_v4(),
            source: if source.is_empty() {
                "bulk invitation".to_owned()
            } else {
                source.chars().take(256).collect()
            },
            rows,
        };
        let event = target(op.audit, &bulk).modified("Rows", None, Some(rows.to_string()));
        self.store.record_audit(tenant, &event).await?;
        Ok(bulk)
    }

    /// Ends a bulk invitation: writes the "finished" audit event with the counts (in its
    /// `resultReason` and as modified properties). A run that stopped early is recorded as a
    /// failure with the reason; one that reached its last row is a success even when some rows
    /// failed (each row's outcome is the caller's report, and each invitation is audited).
    pub async fn finish_bulk_invite(
        &self,
        ctx: &Context,
        tenant: TenantId,
        bulk: &BulkInvite,
        outcome: BulkInviteOutcome<'_>,
    ) -> Result<(), AppError> {
        let BulkInviteOutcome {
            invited,
            failed,
            stopped,
        } = outcome;
        let mut event = target(
            ctx.audit(self, AuditCategory::UserManagement, FINISHED, "Invite"),
            bulk,
        )
        .modified("Rows", None, Some(bulk.rows.to_string()))
        .modified("Invited", None, Some(invited.to_string()))
        .modified("Failed", None, Some(failed.to_string()));
        let counts = format!("invited {invited}, failed {failed} of {} rows", bulk.rows);
        event.result_reason = Some(match stopped {
            Some(why) => {
                event.result = AuditResult::Failure;
                format!("stopped: {why}; {counts}")
            }
            None => counts,
        });
        self.store.record_audit(tenant, &event).await?;
        Ok(())
    }
}

/// The bulk operation as an audit target.
fn target(event: AuditEvent, bulk: &BulkInvite) -> AuditEvent {
    event.target("Other", bulk.id, Some(&bulk.source))
}
