//! Graph `identity/identityProviders`: the tenant's social identity providers and OIDC
//! federations. Reading needs
//! `IdentityProvider.Read.All` or `IdentityProvider.ReadWrite.All`, changing them the latter;
//! signed-in users also need a role that manages identity providers. Always the caller's own
//! tenant's.

use super::{Caller, GraphResult};
use crate::App;
use portico_domain::identity_provider::{
    IdentityProvider, IdentityProviderPatch, NewSocialProvider, SocialIdentityProvider,
};
use portico_domain::oidc_provider::{NewOidcProvider, OidcIdentityProvider};
use portico_policy::graph::GraphAction;

impl App {
    /// `GET identity/identityProviders`.
    pub async fn graph_list_identity_providers(
        &self,
        caller: &Caller,
    ) -> GraphResult<Vec<IdentityProvider>> {
        let ctx = self
            .graph_context(caller, GraphAction::ReadIdentityProviders)
            .await?;
        Ok(self.list_identity_providers(&ctx, caller.tenant.id).await?)
    }

    /// `GET identity/identityProviders/availableProviderTypes`.
    pub async fn graph_available_identity_provider_types(
        &self,
        caller: &Caller,
    ) -> GraphResult<Vec<&'static str>> {
        let ctx = self
            .graph_context(caller, GraphAction::ReadIdentityProviders)
            .await?;
        Ok(self
            .available_identity_provider_types(&ctx, caller.tenant.id)
            .await?)
    }

    /// `GET identity/identityProviders/{id}`.
    pub async fn graph_identity_provider(
        &self,
        caller: &Caller,
        id: &str,
    ) -> GraphResult<IdentityProvider> {
        let ctx = self
            .graph_context(caller, GraphAction::ReadIdentityProviders)
            .await?;
        Ok(self.identity_provider(&ctx, caller.tenant.id, id).await?)
    }

    /// `POST identity/identityProviders`.
    pub async fn graph_create_social_provider(
        &self,
        caller: &Caller,
        new: NewSocialProvider,
    ) -> GraphResult<SocialIdentityProvider> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .create_social_provider(&ctx, caller.tenant.id, new)
            .await?)
    }

    /// `POST identity/identityProviders` with an `oidcIdentityProvider`.
    pub async fn graph_create_oidc_provider(
        &self,
        caller: &Caller,
        new: NewOidcProvider,
    ) -> GraphResult<OidcIdentityProvider> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .create_oidc_provider(&ctx, caller.tenant.id, new)
            .await?)
    }

    /// `PATCH identity/identityProviders/{id}`.
    pub async fn graph_update_identity_provider(
        &self,
        caller: &Caller,
        id: &str,
        patch: IdentityProviderPatch,
    ) -> GraphResult<IdentityProvider> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .update_identity_provider(&ctx, caller.tenant.id, id, patch)
            .await?)
    }

    /// `DELETE identity/identityProviders/{id}`.
    pub async fn graph_delete_identity_provider(
        &self,
        caller: &Caller,
        id: &str,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .delete_identity_provider(&ctx, caller.tenant.id, id)
            .await?)
    }
}
