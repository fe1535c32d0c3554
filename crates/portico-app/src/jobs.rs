//! Background work. Each job is idempotent, so several replicas running it at once is
//! harmless (claiming work with leases arrives with the scale-out issue).

use crate::{App, AppError};
use portico_domain::user::SOFT_DELETE_RETENTION;

impl App {
    /// Permanently deletes users soft-deleted more than 30 days ago. Returns how many.
    pub async fn purge_expired_deleted_users(&self) -> Result<u64, AppError> {
        let cutoff = self.clock.now() - SOFT_DELETE_RETENTION;
        let audit = crate::Context::system("Portico deleted-items purge").audit(
            self,
            portico_domain::audit::AuditCategory::UserManagement,
            "Hard delete user",
            "Delete",
        );
        Ok(self
            .store
            .purge_users_deleted_before(cutoff, &audit)
            .await?)
    }

    /// Lets the database refresh its query planner's statistics where they drifted (cheap;
    /// SQLite re-analyzes only tables that changed a lot since the last analysis).
    pub async fn refresh_statistics(&self) -> Result<(), AppError> {
        Ok(self.store.refresh_statistics(false).await?)
    }

    /// Deletes sign-in state nobody can use any more: sessions ended more than 30 days ago,
    /// expired codes and refresh tokens, dead token families, lockout counters idle for 30
    /// days (the familiarity window), and sign-in log entries older than 30 days (Entra keeps
    /// sign-in logs 30 days). Returns how many rows went.
    pub async fn purge_sign_in_state(&self) -> Result<u64, AppError> {
        let now = self.clock.now();
        Ok(self
            .store
            .purge_sign_in_state(
                now,
                now - portico_policy::lockout::FAMILIAR_FOR,
                now - time::Duration::days(30),
            )
            .await?)
    }
}
