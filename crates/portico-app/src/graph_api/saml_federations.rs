//! Graph `directory/federationConfigurations/…samlOrWsFedExternalDomainFederation`: the
//! tenant's SAML 2.0 direct federations. Reading needs `IdentityProvider.Read.All` or
//! `IdentityProvider.ReadWrite.All`, changing them the latter (as Entra's v1.0 documentation
//! lists); signed-in users also need a role that manages identity providers (External
//! Identity Provider Administrator is the least one). Always the caller's own tenant's.

use super::{Caller, GraphResult};
use crate::App;
use portico_domain::saml_federation::{NewSamlFederation, SamlFederation, SamlFederationPatch};
use portico_domain::validate::DomainName;
use portico_policy::graph::GraphAction;

impl App {
    /// `GET …/graph.samlOrWsFedExternalDomainFederation[?$filter=domains/any(x: x/id eq 'd')]`.
    pub async fn graph_list_saml_federations(
        &self,
        caller: &Caller,
        domain: Option<&str>,
    ) -> GraphResult<Vec<SamlFederation>> {
        let ctx = self
            .graph_context(caller, GraphAction::ReadIdentityProviders)
            .await?;
        Ok(self
            .list_saml_federations(&ctx, caller.tenant.id, domain)
            .await?)
    }

    /// `GET …/federationConfigurations/{id}`.
    pub async fn graph_saml_federation(
        &self,
        caller: &Caller,
        id: &str,
    ) -> GraphResult<SamlFederation> {
        let ctx = self
            .graph_context(caller, GraphAction::ReadIdentityProviders)
            .await?;
        Ok(self.saml_federation(&ctx, caller.tenant.id, id).await?)
    }

    /// `POST …/microsoft.graph.samlOrWsFedExternalDomainFederation`.
    pub async fn graph_create_saml_federation(
        &self,
        caller: &Caller,
        new: NewSamlFederation,
    ) -> GraphResult<SamlFederation> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .create_saml_federation(&ctx, caller.tenant.id, new)
            .await?)
    }

    /// `PATCH …/federationConfigurations/{id}`.
    pub async fn graph_update_saml_federation(
        &self,
        caller: &Caller,
        id: &str,
        patch: SamlFederationPatch,
    ) -> GraphResult<SamlFederation> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .update_saml_federation(&ctx, caller.tenant.id, id, patch)
            .await?)
    }

    /// `DELETE …/federationConfigurations/{id}`.
    pub async fn graph_delete_saml_federation(&self, caller: &Caller, id: &str) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .delete_saml_federation(&ctx, caller.tenant.id, id)
            .await?)
    }

    /// `POST …/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains`.
    pub async fn graph_add_saml_federation_domain(
        &self,
        caller: &Caller,
        id: &str,
        domain: &str,
    ) -> GraphResult<DomainName> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .add_saml_federation_domain(&ctx, caller.tenant.id, id, domain)
            .await?)
    }

    /// `DELETE …/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation/domains/{domain}`.
    pub async fn graph_remove_saml_federation_domain(
        &self,
        caller: &Caller,
        id: &str,
        domain: &str,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteIdentityProviders)
            .await?;
        Ok(self
            .remove_saml_federation_domain(&ctx, caller.tenant.id, id, domain)
            .await?)
    }
}
