//! Bulk invitations, as Entra's "Bulk invite users": each row of an uploaded list is an
//! ordinary invitation ([`App::invite`], audited on its own), and the run as a whole is
//! bracketed by two audit events — "Bulk invite users - started (bulk)" with the number of
//! rows, and "Bulk invite users - finished (bulk)" with how many were invited and how many
//! failed. Both name the same bulk operation (an id of its own) and carry the caller's
//! correlation id, as do the invitations made in between when the caller uses one `Context`.

use crate::bulk_csv::BulkRow;
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

/// What one row of a bulk invitation came to.
#[derive(Debug, Clone)]
pub struct RowOutcome {
    /// The row's line in the file.
    pub line: u64,
    /// The address as written (empty when the row had none).
    pub email: String,
    /// The guest's id and redeem URL, or why the row failed.
    pub result: Result<(portico_domain::UserId, String), String>,
}

/// Addresses a run invited (lower case), with their lines: inviting one again would replace
/// the first invitation and void the redeem URL already reported for it.
pub type InvitedInRun = std::collections::HashMap<String, u64>;

impl App {
    /// Invites one row of a bulk invitation (`defaults`: the redirect URL and whether to send
    /// the email when the row does not say); `Err` is the row's error text.
    pub async fn invite_bulk_row(
        &self,
        ctx: &Context,
        tenant: TenantId,
        row: &BulkRow,
        defaults: (Option<&str>, bool),
        done: &mut InvitedInRun,
    ) -> Result<crate::invitations::Invited, String> {
        let email = row.email.as_deref().unwrap_or_default();
        let key = email.to_lowercase();
        let new = row.invitation(defaults.0, defaults.1)?;
        if let Some(line) = done.get(&key) {
            return Err(format!(
                "{email} is also on line {line} of this file, where it was invited; an address is invited once per file"
            ));
        }
        let inv = self
            .invite(ctx, tenant, new)
            .await
            .map_err(|e| e.to_string())?;
        done.insert(key, row.line);
        Ok(inv)
    }

    /// A whole bulk invitation in one go (the portal's upload): started and finished in the
    /// audit log, each row invited on its own; the outcomes in row order.
    pub async fn run_bulk_invite(
        &self,
        ctx: &Context,
        tenant: TenantId,
        source: &str,
        rows: &[BulkRow],
        defaults: (Option<&str>, bool),
    ) -> Result<Vec<RowOutcome>, AppError> {
        let bulk = self
            .start_bulk_invite(ctx, tenant, source, rows.len())
            .await?;
        let mut done = InvitedInRun::new();
        let mut out = Vec::with_capacity(rows.len());
        let (mut invited, mut failed) = (0, 0);
        for row in rows {
            let result = match self
                .invite_bulk_row(ctx, tenant, row, defaults, &mut done)
                .await
            {
                Ok(inv) => {
                    invited += 1;
                    Ok((inv.user.id, inv.redeem_url))
                }
                Err(why) => {
                    failed += 1;
                    Err(why)
                }
            };
            out.push(RowOutcome {
                line: row.line,
                email: row.email.clone().unwrap_or_default(),
                result,
            });
        }
        self.finish_bulk_invite(
            ctx,
            tenant,
            &bulk,
            BulkInviteOutcome {
                invited,
                failed,
                stopped: None,
            },
        )
        .await?;
        Ok(out)
    }
}

/// The results as CSV (`email,status,userId,inviteRedeemUrl,error`, as the CLI writes them).
#[must_use]
pub fn results_csv(rows: &[RowOutcome]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut write = |fields: [&str; 5]| {
        // Writing to memory cannot fail.
        let _ = w.write_record(fields);
    };
    write(RESULT_COLUMNS);
    for r in rows {
        match &r.result {
            Ok((id, url)) => write([&r.email, "invited", &id.to_string(), url, ""]),
            Err(why) => write([&r.email, "failed", "", "", why]),
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The columns of a results file.
pub const RESULT_COLUMNS: [&str; 5] = ["email", "status", "userId", "inviteRedeemUrl", "error"];

/// The bulk operation as an audit target.
fn target(event: AuditEvent, bulk: &BulkInvite) -> AuditEvent {
    event.target("Other", bulk.id, Some(&bulk.source))
}
