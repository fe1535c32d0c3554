//! Opaque `$skiptoken`s: the keyset cursor of the next page, sealed under the master key and
//! bound to the tenant, the collection and the exact query, so a token cannot be forged,
//! read, or replayed against another query or tenant.

use super::{Caller, GraphRefusal};
use crate::{App, AppError};
use portico_domain::odata::{Cursor, ListQuery};

/// Longest skip token accepted.
const MAX_TOKEN: usize = 2048;

fn context(caller: &Caller, collection: &str, query: &ListQuery) -> String {
    format!(
        "graph-skiptoken:{}:{collection}:{query:?}",
        caller.tenant.id
    )
}

impl App {
    /// Seals the cursor of the next page.
    pub(crate) fn seal_cursor(
        &self,
        caller: &Caller,
        collection: &str,
        query: &ListQuery,
        cursor: &Cursor,
    ) -> Result<String, AppError> {
        let raw = serde_json::to_vec(cursor).map_err(|e| AppError::Internal(e.to_string()))?;
        self.keys.seal(&raw, &context(caller, collection, query))
    }

    /// Opens a `$skiptoken` from a previous page of the same query.
    pub(crate) fn open_cursor(
        &self,
        caller: &Caller,
        collection: &str,
        query: &ListQuery,
        token: &str,
    ) -> Result<Cursor, GraphRefusal> {
        (token.len() <= MAX_TOKEN)
            .then(|| self.keys.open(token, &context(caller, collection, query)))
            .flatten()
            .and_then(|raw| serde_json::from_slice(&raw).ok())
            .ok_or_else(|| {
                GraphRefusal::BadRequest(
                    "The $skiptoken is not valid for this query: use the @odata.nextLink of the previous page."
                        .into(),
                )
            })
    }
}
