//! Domains: add, verify (DNS TXT or an explicit administrator override), make default, remove.

use crate::{Actor, App, AppError, Context};
use portico_crypto::secret;
use portico_domain::TenantId;
use portico_domain::audit::AuditCategory;
use portico_domain::tenant::{Domain, VerificationMethod};
use portico_domain::validate::DomainName;
use portico_policy::directory::Action;

/// How to prove ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Look for the TXT record.
    Dns,
    /// Trust the administrator (offline or development use; audited as such).
    AdminOverride,
}

impl App {
    /// Authorizes a domain operation, parses the domain name, and returns the audit event
    /// already targeted at the domain.
    async fn begin_domain(
        &self,
        ctx: &Context,
        tenant: TenantId,
        name: &str,
        activity: &str,
        operation: &str,
    ) -> Result<(DomainName, portico_domain::audit::AuditEvent), AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageDomains,
                AuditCategory::DirectoryManagement,
                activity,
                operation,
            )
            .await?;
        let name = DomainName::parse("id", name)?;
        let audit = op.audit.target("Domain", &name, Some(name.as_str()));
        Ok((name, audit))
    }

    /// Adds an unverified domain and returns it with the TXT record to publish.
    pub async fn add_domain(
        &self,
        ctx: &Context,
        tenant: TenantId,
        name: &str,
    ) -> Result<Domain, AppError> {
        let (name, audit) = self
            .begin_domain(ctx, tenant, name, "Add unverified domain", "Add")
            .await?;
        let now = self.clock.now();
        let domain = Domain {
            name: name.clone(),
            is_initial: false,
            is_verified: false,
            is_default: false,
            verification_code: secret::verification_code(),
            verification_method: None,
            created_at: now,
            verified_at: None,
        };
        self.store.add_domain(tenant, &domain, &audit).await?;
        Ok(domain)
    }

    /// Verifies a domain. With DNS, the TXT record `portico-verification=<code>` must be
    /// published at the domain; a missing record is a precondition failure that changes nothing.
    pub async fn verify_domain(
        &self,
        ctx: &Context,
        tenant: TenantId,
        name: &str,
        how: Verification,
    ) -> Result<Domain, AppError> {
        let (name, audit) = self
            .begin_domain(ctx, tenant, name, "Verify domain", "Update")
            .await?;
        let domain = self.store.get_domain(tenant, &name).await?;
        if domain.is_verified {
            return Ok(domain);
        }
        let method = match how {
            // Claiming a domain without proof would let one tenant capture another's domain, so
            // only an operator (with access to the deployment) may do it.
            Verification::AdminOverride if !matches!(ctx.actor, Actor::System { .. }) => {
                return Err(AppError::Forbidden(
                    "Only an operator can verify a domain without its DNS record.".into(),
                ));
            }
            Verification::AdminOverride => VerificationMethod::AdminOverride,
            Verification::Dns => {
                let expected = domain.expected_txt_record();
                let records = self.dns.txt(name.as_str()).await.map_err(|e| {
                    AppError::Precondition(format!(
                        "The DNS lookup of TXT records for {name} failed: {e}"
                    ))
                })?;
                if !records.iter().any(|r| r.trim() == expected) {
                    return Err(AppError::Precondition(format!(
                        "No TXT record '{expected}' was found at {name}. Publish it with your DNS provider and try again (DNS changes can take a while to appear)."
                    )));
                }
                VerificationMethod::DnsTxt
            }
        };
        let audit = audit.modified("VerificationMethod", None, Some(method.as_str().into()));
        Ok(self
            .store
            .verify_domain(tenant, &name, method, self.clock.now(), &audit)
            .await?)
    }

    /// Lists the tenant's domains.
    pub async fn list_domains(&self, tenant: TenantId) -> Result<Vec<Domain>, AppError> {
        Ok(self.store.list_domains(tenant).await?)
    }

    /// Removes a domain; the initial domain and the default domain cannot be removed.
    pub async fn remove_domain(
        &self,
        ctx: &Context,
        tenant: TenantId,
        name: &str,
    ) -> Result<(), AppError> {
        let (name, audit) = self
            .begin_domain(ctx, tenant, name, "Remove verified domain", "Delete")
            .await?;
        let domain = self.store.get_domain(tenant, &name).await?;
        if domain.is_initial {
            return Err(AppError::Conflict {
                message: "The initial domain cannot be removed.".into(),
            });
        }
        if domain.is_default {
            return Err(AppError::Conflict {
                message:
                    "The default domain cannot be removed; make another domain the default first."
                        .into(),
            });
        }
        // As in Entra, a domain that users still sign in with cannot be removed.
        let in_use = portico_domain::odata::filter(
            &portico_domain::odata::schema::USERS,
            &format!("endswith(userPrincipalName,'@{}')", name.as_str()),
        )
        .map_err(|e| AppError::Internal(e.message))?;
        let users = self
            .store
            .count_query_users(
                tenant,
                &portico_domain::odata::ListQuery {
                    filter: Some(in_use),
                    ..portico_domain::odata::ListQuery::default()
                },
            )
            .await?;
        if users > 0 {
            return Err(AppError::Conflict {
                message: format!(
                    "The domain {name} is in use by {users} user(s) as their userPrincipalName suffix; change their user principal names first."
                ),
            });
        }
        self.store.remove_domain(tenant, &name, &audit).await?;
        self.caches.clear_directory();
        Ok(())
    }

    /// Makes a verified domain the default for new users.
    pub async fn set_default_domain(
        &self,
        ctx: &Context,
        tenant: TenantId,
        name: &str,
    ) -> Result<(), AppError> {
        let (name, audit) = self
            .begin_domain(ctx, tenant, name, "Set default domain", "Update")
            .await?;
        Ok(self.store.set_default_domain(tenant, &name, &audit).await?)
    }
}
