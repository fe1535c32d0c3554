//! Graph `invitations`.

use super::{Caller, GraphResult};
use crate::App;
use crate::invitations::Invited;
use portico_domain::invitation::NewInvitation;
use portico_policy::graph::GraphAction;

impl App {
    /// `POST /invitations`.
    pub async fn graph_invite(&self, caller: &Caller, new: NewInvitation) -> GraphResult<Invited> {
        let ctx = self
            .graph_context(caller, GraphAction::InviteGuests)
            .await?;
        Ok(self.invite(&ctx, caller.tenant.id, new).await?)
    }
}
