//! Tenants: create (operators), list, resolve by id or domain, branding.

use crate::{Actor, App, AppError, Context};
use portico_domain::TenantId;
use portico_domain::audit::AuditCategory;
use portico_domain::tenant::{Branding, Tenant};
use portico_domain::validate::{self, DomainName};
use portico_policy::directory::Action;
use portico_store::{StoreError, constraint};

/// Initial-domain labels tried before giving up on a name (`contoso`, `contoso2`, ...).
const MAX_LABEL_ATTEMPTS: u32 = 20;

impl App {
    /// Creates a tenant (operators only). When the initial domain derived from the name is
    /// taken, a number is appended (`contoso2...`).
    pub async fn create_tenant(&self, ctx: &Context, name: &str) -> Result<Tenant, AppError> {
        if !matches!(ctx.actor, Actor::System { .. }) {
            return Err(AppError::Forbidden(
                "Only an operator can create tenants.".into(),
            ));
        }
        let base = self.new_tenant(name)?;
        let label = base
            .initial_domain
            .as_str()
            .split('.')
            .next()
            .unwrap_or("directory")
            .to_owned();
        for attempt in 1..=MAX_LABEL_ATTEMPTS {
            let mut tenant = base.clone();
            if attempt > 1 {
                tenant.initial_domain = DomainName::parse(
                    "tenantDomainSuffix",
                    &format!("{label}{attempt}.{}", self.config.tenant_domain_suffix),
                )?;
            }
            let audit = ctx
                .audit(
                    self,
                    AuditCategory::DirectoryManagement,
                    "Create company",
                    "Add",
                )
                .target("Tenant", tenant.id, Some(&tenant.display_name));
            match self
                .store
                .create_tenant(&tenant, &crate::bootstrap::initial_domain(&tenant), &audit)
                .await
            {
                Ok(()) => return Ok(tenant),
                Err(e) if e.is_conflict_on(constraint::DOMAIN_VERIFIED) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict {
            message: format!("No free initial domain for '{name}'; choose another tenant name."),
        })
    }

    /// Every tenant (operators).
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, AppError> {
        Ok(self.store.list_tenants().await?)
    }

    /// A tenant by id, through the tenant cache (a change made on another replica shows within
    /// [`crate::caches::RESOURCE_TTL`]; one made here at once).
    pub async fn tenant(&self, id: TenantId) -> Result<Tenant, AppError> {
        self.resolve_tenant(&id.to_string()).await
    }

    /// Finds a tenant by GUID or by any of its verified domains.
    pub async fn resolve_tenant(&self, id_or_domain: &str) -> Result<Tenant, AppError> {
        let key = id_or_domain.to_ascii_lowercase();
        if let Some(t) = self.caches.tenants.get(&key) {
            return Ok(t.as_ref().clone());
        }
        let found = if let Ok(id) = id_or_domain.parse::<TenantId>() {
            self.store.get_tenant(id).await?
        } else {
            let domain = DomainName::parse("tenant", id_or_domain)?;
            match self.store.find_tenant_by_domain(&domain).await {
                Err(StoreError::NotFound(_)) => return Err(AppError::NotFound("tenant")),
                other => other?,
            }
        };
        self.caches
            .tenants
            .put(key, std::sync::Arc::new(found.clone()));
        Ok(found)
    }

    /// Updates display name, branding and default language.
    pub async fn update_tenant_branding(
        &self,
        ctx: &Context,
        tenant: TenantId,
        display_name: Option<&str>,
        branding: Branding,
        default_language: Option<&str>,
    ) -> Result<Tenant, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageBranding,
                AuditCategory::DirectoryManagement,
                "Update company",
                "Update",
            )
            .await?;
        let mut t = self.store.get_tenant(tenant).await?;
        if let Some(name) = display_name {
            t.display_name = validate::display_name("displayName", name)?;
        }
        t.branding = branding.validated()?;
        if let Some(lang) = default_language {
            t.default_language = validate::language_tag("preferredLanguage", lang)?;
        }
        let audit = op.audit.target("Tenant", t.id, Some(&t.display_name));
        self.store.update_tenant(&t, &audit).await?;
        self.caches.clear_directory();
        Ok(t)
    }
}
