//! Graph `auditLogs/directoryAudits`: the tenant's audit log. Apps need AuditLog.Read.All; a
//! signed-in user needs the delegated AuditLog.Read.All and a directory role that may read
//! audit logs (`portico_policy::directory::Action::ReadAuditLogs`; a refusal is audited like
//! any other). Every read is scoped to the caller's tenant, so another tenant's events are
//! not found.

use super::users::GraphPage;
use super::{Caller, CallerKind, GraphRefusal, GraphResult};
use crate::App;
use portico_domain::AuditEventId;
use portico_domain::audit::{AuditCategory, AuditEvent};
use portico_domain::odata::ListQuery;
use portico_domain::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use portico_policy::directory::Action;
use portico_policy::graph::GraphAction;
use portico_store::StoreError;

/// The collection `$skiptoken`s are bound to.
const COLLECTION: &str = "auditLogs/directoryAudits";

impl App {
    /// Checks the caller may read the audit log (before anything is read).
    async fn graph_audit_reader(&self, caller: &Caller) -> GraphResult<()> {
        caller.require(GraphAction::ReadAuditLogs)?;
        if matches!(caller.kind, CallerKind::User { .. }) {
            let ctx = self
                .graph_context(caller, GraphAction::ReadAuditLogs)
                .await?;
            self.authorize(
                &ctx,
                caller.tenant.id,
                Action::ReadAuditLogs,
                "Read audit logs",
                AuditCategory::DirectoryManagement,
            )
            .await?;
        }
        Ok(())
    }

    /// `GET /auditLogs/directoryAudits`: newest first unless `$orderby` says otherwise.
    pub async fn graph_list_directory_audits(
        &self,
        caller: &Caller,
        query: &ListQuery,
        top: Option<u32>,
        skiptoken: Option<&str>,
    ) -> GraphResult<GraphPage<AuditEvent>> {
        self.graph_audit_reader(caller).await?;
        let after = match skiptoken {
            Some(t) => Some(self.open_cursor(caller, COLLECTION, query, t)?),
            None => None,
        };
        let limit = top.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let (items, next) = self
            .store
            .query_audit_events(caller.tenant.id, query, after.as_ref(), limit)
            .await?;
        let next = match next {
            Some(c) => Some(self.seal_cursor(caller, COLLECTION, query, &c)?),
            None => None,
        };
        Ok(GraphPage { items, next })
    }

    /// `GET /auditLogs/directoryAudits/{id}`.
    pub async fn graph_get_directory_audit(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<AuditEvent> {
        self.graph_audit_reader(caller).await?;
        let not_found = || GraphRefusal::NotFound(key.chars().take(200).collect());
        let id = key
            .parse::<uuid::Uuid>()
            .map(AuditEventId)
            .map_err(|_| not_found())?;
        match self.store.get_audit_event(caller.tenant.id, id).await {
            Ok(e) => Ok(e),
            Err(StoreError::NotFound(_)) => Err(not_found().into()),
            Err(e) => Err(e.into()),
        }
    }
}
