//! Graph `domains` (list, read, add, verify by DNS TXT record, make default, delete, the
//! verification record to publish) and writes to `organization` and its `branding`.
//!
//! Graph permissions are checked here (`GraphAction::{Read,Write}Domains`,
//! `{Read,Write}Organization`); the changes go through the ordinary use cases, whose directory
//! role checks apply (an app with `Domain.ReadWrite.All` acts as a Domain Name Administrator,
//! one with `Organization.ReadWrite.All` as an Organizational Branding Administrator). Domains
//! and organizations of other tenants are never found.

use super::{Caller, GraphRefusal, GraphResult};
use crate::domains::Verification;
use crate::{App, AppError};
use portico_domain::tenant::{Branding, Domain, Tenant};
use portico_domain::validate::DomainName;
use portico_policy::graph::GraphAction;
use portico_store::StoreError;

/// Changes to the organization (`PATCH /organization/{id}`); `None` leaves a property as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationPatch {
    /// `displayName`.
    pub display_name: Option<String>,
    /// `preferredLanguage` (the tenant's default language).
    pub preferred_language: Option<String>,
    /// `privacyProfile.statementUrl`: `Some(None)` (or an empty string) removes it.
    pub privacy_statement_url: Option<Option<String>>,
}

/// Changes to the company branding (`PATCH /organization/{id}/branding`); `None` leaves a
/// property as it is, `Some(None)` (or an empty string) removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrandingPatch {
    /// `signInPageText`: the name shown to people signing in.
    pub sign_in_page_text: Option<Option<String>>,
    /// `bannerLogo`: an absolute https URL of the logo (Graph takes a stream).
    pub banner_logo: Option<Option<String>>,
    /// `backgroundColor`: the accent colour `#RRGGBB`.
    pub background_color: Option<Option<String>>,
    /// `customPrivacyAndCookiesUrl`: the privacy statement (also `privacyProfile.statementUrl`
    /// of the organization).
    pub privacy_statement_url: Option<Option<String>>,
}

fn not_found(key: &str) -> GraphRefusal {
    GraphRefusal::NotFound(key.chars().take(200).collect())
}

/// The domain a path names; a name that cannot be a domain is simply not found.
fn domain_key(key: &str) -> Result<DomainName, GraphRefusal> {
    DomainName::parse("id", key).map_err(|_| not_found(key))
}

/// A use-case result with its "not found" told as Graph's 404 for `key`.
fn found<T>(key: &str, r: Result<T, AppError>) -> GraphResult<T> {
    match r {
        Ok(v) => Ok(v),
        Err(AppError::NotFound(_)) => Err(not_found(key).into()),
        Err(e) => Err(e.into()),
    }
}

/// Applies one change of an optional text: absent leaves it, null or blank clears it.
fn apply(current: &mut Option<String>, change: Option<Option<String>>) {
    if let Some(v) = change {
        *current = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    }
}

impl App {
    /// Reads one domain of the caller's tenant after checking `action`.
    async fn graph_find_domain(
        &self,
        caller: &Caller,
        key: &str,
        action: GraphAction,
    ) -> GraphResult<Domain> {
        caller.require(action)?;
        let name = domain_key(key)?;
        match self.store.get_domain(caller.tenant.id, &name).await {
            Ok(d) => Ok(d),
            Err(StoreError::NotFound(_)) => Err(not_found(key).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /domains`: the caller's tenant's domains, verified or not, by name.
    pub async fn graph_list_domains(&self, caller: &Caller) -> GraphResult<Vec<Domain>> {
        caller.require(GraphAction::ReadDomains)?;
        Ok(self.list_domains(caller.tenant.id).await?)
    }

    /// `GET /domains/{id}`.
    pub async fn graph_get_domain(&self, caller: &Caller, key: &str) -> GraphResult<Domain> {
        self.graph_find_domain(caller, key, GraphAction::ReadDomains)
            .await
    }

    /// `POST /domains`: adds an unverified domain.
    pub async fn graph_add_domain(&self, caller: &Caller, name: &str) -> GraphResult<Domain> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteDomains)
            .await?;
        Ok(self.add_domain(&ctx, caller.tenant.id, name).await?)
    }

    /// `POST /domains/{id}/verify`: verifies the domain by its DNS TXT record. Without the
    /// record the request fails (400) and nothing changes; a verified domain is returned as is.
    pub async fn graph_verify_domain(&self, caller: &Caller, key: &str) -> GraphResult<Domain> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteDomains)
            .await?;
        let name = domain_key(key)?;
        found(
            key,
            self.verify_domain(&ctx, caller.tenant.id, name.as_str(), Verification::Dns)
                .await,
        )
    }

    /// `PATCH /domains/{id}` with `isDefault: true`: makes a verified domain the default for
    /// new users.
    pub async fn graph_set_default_domain(&self, caller: &Caller, key: &str) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteDomains)
            .await?;
        let d = self
            .graph_find_domain(caller, key, GraphAction::WriteDomains)
            .await?;
        if !d.is_verified {
            return Err(GraphRefusal::BadRequest(format!(
                "Domain '{}' is not verified; only a verified domain can be the default.",
                d.name
            ))
            .into());
        }
        found(
            key,
            self.set_default_domain(&ctx, caller.tenant.id, d.name.as_str())
                .await,
        )
    }

    /// `DELETE /domains/{id}`: the initial and the default domain cannot be deleted.
    pub async fn graph_delete_domain(&self, caller: &Caller, key: &str) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteDomains)
            .await?;
        let name = domain_key(key)?;
        found(
            key,
            self.remove_domain(&ctx, caller.tenant.id, name.as_str())
                .await,
        )
    }

    /// `GET /domains/{id}/verificationDnsRecords`: the domain and the TXT record value to
    /// publish at it (`portico-verification=<code>`).
    pub async fn graph_domain_dns_records(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<(Domain, String)> {
        let d = self
            .graph_find_domain(caller, key, GraphAction::ReadDomains)
            .await?;
        let txt = d.expected_txt_record();
        Ok((d, txt))
    }

    /// The caller's own tenant, freshly read, when `key` is its id; any other id is not found.
    async fn graph_own_tenant(&self, caller: &Caller, key: &str) -> GraphResult<Tenant> {
        if key.trim().parse::<uuid::Uuid>().ok() != Some(caller.tenant.id.0) {
            return Err(not_found(key).into());
        }
        match self.store.get_tenant(caller.tenant.id).await {
            Ok(t) => Ok(t),
            Err(StoreError::NotFound(_)) => Err(not_found(key).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /organization/{id}`: the caller's tenant and its domains.
    pub async fn graph_get_organization(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<(Tenant, Vec<Domain>)> {
        caller.require(GraphAction::ReadOrganization)?;
        let tenant = self.graph_own_tenant(caller, key).await?;
        let domains = self.store.list_domains(tenant.id).await?;
        Ok((tenant, domains))
    }

    /// `PATCH /organization/{id}`: display name, default language and privacy statement;
    /// properties not in `patch` keep their values.
    pub async fn graph_update_organization(
        &self,
        caller: &Caller,
        key: &str,
        patch: OrganizationPatch,
    ) -> GraphResult<Tenant> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteOrganization)
            .await?;
        let tenant = self.graph_own_tenant(caller, key).await?;
        let mut branding = tenant.branding;
        apply(
            &mut branding.privacy_statement_url,
            patch.privacy_statement_url,
        );
        Ok(self
            .update_tenant_branding(
                &ctx,
                tenant.id,
                patch.display_name.as_deref(),
                branding,
                patch.preferred_language.as_deref(),
            )
            .await?)
    }

    /// `GET /organization/{id}/branding`: the company branding (always present in Portico,
    /// possibly with nothing set).
    pub async fn graph_get_branding(&self, caller: &Caller, key: &str) -> GraphResult<Branding> {
        caller.require(GraphAction::ReadOrganization)?;
        Ok(self.graph_own_tenant(caller, key).await?.branding)
    }

    /// `PATCH /organization/{id}/branding`: properties not in `patch` keep their values.
    pub async fn graph_update_branding(
        &self,
        caller: &Caller,
        key: &str,
        patch: BrandingPatch,
    ) -> GraphResult<Branding> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteOrganization)
            .await?;
        let tenant = self.graph_own_tenant(caller, key).await?;
        let mut branding = tenant.branding;
        apply(&mut branding.name, patch.sign_in_page_text);
        apply(&mut branding.logo_url, patch.banner_logo);
        apply(&mut branding.accent_color, patch.background_color);
        apply(
            &mut branding.privacy_statement_url,
            patch.privacy_statement_url,
        );
        let updated = self
            .update_tenant_branding(&ctx, tenant.id, None, branding, None)
            .await?;
        Ok(updated.branding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_null_clear_absent_keeps() {
        let mut v = Some("x".to_owned());
        apply(&mut v, None);
        assert_eq!(v.as_deref(), Some("x"));
        apply(&mut v, Some(Some("  y ".into())));
        assert_eq!(v.as_deref(), Some("y"));
        apply(&mut v, Some(Some("   ".into())));
        assert_eq!(v, None);
        apply(&mut v, Some(Some("z".into())));
        apply(&mut v, Some(None));
        assert_eq!(v, None);
    }

    #[test]
    fn unparseable_domain_names_are_not_found() {
        assert!(matches!(
            domain_key("not a domain"),
            Err(GraphRefusal::NotFound(_))
        ));
        assert_eq!(
            domain_key("Contoso.COM").map(|d| d.as_str().to_owned()),
            Ok("contoso.com".to_owned())
        );
    }
}
