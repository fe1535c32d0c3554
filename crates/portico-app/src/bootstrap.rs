//! First start: on an empty database, create one tenant and a Global Administrator whose
//! password is random and shown once (or given by the operator for automation).

use crate::context::user_ref;
use crate::{App, AppError, Context};
use portico_crypto::secret;
use portico_domain::audit::AuditCategory;
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_domain::tenant::{Branding, Domain, Tenant, VerificationMethod, initial_domain_label};
use portico_domain::user::NewUser;
use portico_domain::validate::{self, DomainName};
use portico_domain::{RoleAssignmentId, TenantId};
use portico_store::BootstrapRecord;

/// What the first start created.
#[derive(Clone)]
pub struct Bootstrapped {
    /// The tenant.
    pub tenant: Tenant,
    /// The administrator's UPN.
    pub admin_upn: String,
    /// The generated one-time password; `None` when the operator supplied one.
    pub generated_password: Option<String>,
}

impl std::fmt::Debug for Bootstrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bootstrapped")
            .field("tenant", &self.tenant.id)
            .field("admin_upn", &self.admin_upn)
            .field(
                "generated_password",
                &self.generated_password.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl App {
    /// Bootstraps an empty database. Returns `None` when it already holds a tenant (or another
    /// replica bootstrapped it first).
    pub async fn bootstrap(
        &self,
        tenant_name: &str,
        admin_password: Option<&str>,
    ) -> Result<Option<Bootstrapped>, AppError> {
        if self.store.is_bootstrapped().await? || !self.store.list_tenants().await?.is_empty() {
            return Ok(None);
        }
        let ctx = Context::system("Portico bootstrap");
        let now = self.clock.now();
        let tenant = self.new_tenant(tenant_name)?;
        let (password, generated) = match admin_password {
            Some(p) => {
                validate::password_strength(p).map_err(|e| {
                    AppError::Validation(portico_domain::ValidationError::new(
                        "PORTICO_BOOTSTRAP_ADMIN_PASSWORD",
                        e.message,
                    ))
                })?;
                (p.to_owned(), None)
            }
            None => {
                let p = secret::random_password(20);
                (p.clone(), Some(p))
            }
        };
        let mut admin = NewUser {
            display_name: "Portico Administrator".into(),
            user_principal_name: format!("admin@{}", tenant.initial_domain),
            ..NewUser::default()
        }
        .build(now)?;
        admin.has_password = true;
        admin.force_change_password_next_sign_in = generated.is_some();
        admin.last_password_change_date_time = Some(now);
        let hash = self.passwords.hash(&password).await?;
        let record = BootstrapRecord {
            initial_domain: initial_domain(&tenant),
            admin_role: RoleAssignment {
                id: RoleAssignmentId::new(),
                role: DirectoryRole::GlobalAdministrator,
                principal: user_ref(admin.id),
                directory_scope_id: "/".into(),
                created_at: now,
            },
            audit: vec![
                ctx.audit(
                    self,
                    AuditCategory::DirectoryManagement,
                    "Create company",
                    "Add",
                )
                .target("Tenant", tenant.id, Some(&tenant.display_name)),
                ctx.audit(self, AuditCategory::UserManagement, "Add user", "Add")
                    .target_user(admin.id, &admin.user_principal_name, &admin.display_name),
                ctx.audit(
                    self,
                    AuditCategory::RoleManagement,
                    "Add member to role",
                    "Assign",
                )
                .target_user(admin.id, &admin.user_principal_name, &admin.display_name)
                .modified(
                    "Role.DisplayName",
                    None,
                    Some(DirectoryRole::GlobalAdministrator.display_name().into()),
                ),
            ],
            admin_password_hash: hash,
            admin: admin.clone(),
            tenant: tenant.clone(),
        };
        if !self.store.bootstrap(&record).await? {
            return Ok(None);
        }
        Ok(Some(Bootstrapped {
            tenant,
            admin_upn: admin.user_principal_name,
            generated_password: generated,
        }))
    }

    /// Builds (does not store) a tenant named `name` with initial domain `<slug>.<suffix>`.
    pub(crate) fn new_tenant(&self, name: &str) -> Result<Tenant, AppError> {
        let display_name = validate::display_name("tenantName", name)?;
        let label = initial_domain_label(&display_name);
        let initial_domain = DomainName::parse(
            "tenantDomainSuffix",
            &format!("{label}.{}", self.config.tenant_domain_suffix),
        )?;
        Ok(Tenant {
            id: TenantId::new(),
            display_name,
            initial_domain,
            branding: Branding::default(),
            default_language: "en-US".into(),
            created_at: self.clock.now(),
        })
    }
}

/// The initial domain record of a tenant: verified by construction and the default.
pub(crate) fn initial_domain(tenant: &Tenant) -> Domain {
    Domain {
        name: tenant.initial_domain.clone(),
        is_initial: true,
        is_verified: true,
        is_default: true,
        verification_code: secret::verification_code(),
        verification_method: Some(VerificationMethod::Initial),
        created_at: tenant.created_at,
        verified_at: Some(tenant.created_at),
    }
}
