//! The portal's audit log and sign-in log pages, and its external identities page (email
//! passcodes for guests on or off; the identity providers and SAML federations guests sign in
//! with). Reading the logs needs a role that may read audit logs, as in Graph; the external
//! identities page shows what the person's roles allow (the passcode switch needs a role that
//! manages security policies, the providers one that manages identity providers).

use crate::portal::PortalUser;
use crate::{App, AppError};
use portico_domain::AuditEventId;
use portico_domain::audit::{AuditCategory, AuditEvent};
use portico_domain::identity_provider::IdentityProvider;
use portico_domain::odata::ListQuery;
use portico_domain::policy::EmailOtpPolicyPatch;
use portico_domain::signin::SignInEvent;
use portico_domain::tenant::Tenant;
use portico_policy::directory::Action;

/// How many entries a log page shows (the newest).
pub const LOG_PAGE: u32 = 50;

/// The audit categories a person can filter on, as Graph names them.
pub const CATEGORIES: [AuditCategory; 7] = [
    AuditCategory::UserManagement,
    AuditCategory::GroupManagement,
    AuditCategory::ApplicationManagement,
    AuditCategory::DirectoryManagement,
    AuditCategory::RoleManagement,
    AuditCategory::Authentication,
    AuditCategory::Policy,
];

/// The audit page's filters (each optional).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// A category (Graph's value).
    pub category: String,
    /// The activity starts with this.
    pub activity: String,
    /// The initiating user's UPN starts with this.
    pub initiated_by: String,
}

/// A provider guests sign in with, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    /// Name.
    pub name: String,
    /// Kind (Google, OpenID Connect, SAML, …).
    pub kind: String,
    /// The domains it serves ("Gmail addresses" for Google).
    pub serves: String,
}

/// The external identities page.
#[derive(Debug, Clone)]
pub struct ExternalIdentities {
    /// Whether guests may use email one-time passcodes.
    pub guest_otp: bool,
    /// Whether the person may switch it.
    pub may_switch_otp: bool,
    /// The providers, when the person may see them.
    pub providers: Option<Vec<ProviderRow>>,
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn readers_only(who: &PortalUser) -> Result<(), AppError> {
    if who.may(Action::ReadAuditLogs) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Reading the logs needs a role such as Security Administrator or Global Administrator."
                .into(),
        ))
    }
}

impl App {
    /// The newest audit events matching `filter`.
    pub async fn portal_audit(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEvent>, AppError> {
        readers_only(who)?;
        let mut parts = Vec::new();
        if !filter.category.is_empty() {
            let Some(c) = CATEGORIES.iter().find(|c| c.as_str() == filter.category) else {
                return Err(portico_domain::ValidationError::new(
                    "category",
                    "choose a category from the list",
                )
                .into());
            };
            parts.push(format!("category eq {}", quoted(c.as_str())));
        }
        for (value, property) in [
            (&filter.activity, "activityDisplayName"),
            (&filter.initiated_by, "initiatedBy/user/userPrincipalName"),
        ] {
            let v = value.trim();
            if v.chars().count() > 256 {
                return Err(portico_domain::ValidationError::new(
                    "filter",
                    "a filter is at most 256 characters",
                )
                .into());
            }
            if !v.is_empty() {
                parts.push(format!("startswith({property},{})", quoted(v)));
            }
        }
        let query = if parts.is_empty() {
            ListQuery::default()
        } else {
            let f = portico_domain::odata::filter(
                &portico_domain::odata::schema::DIRECTORY_AUDITS,
                &parts.join(" and "),
            )
            .map_err(|e| portico_domain::ValidationError::new("filter", e.to_string()))?;
            ListQuery {
                filter: Some(f),
                ..ListQuery::default()
            }
        };
        Ok(self
            .store
            .query_audit_events(tenant.id, &query, None, LOG_PAGE)
            .await?
            .0)
    }

    /// One audit event.
    pub async fn portal_audit_event(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: AuditEventId,
    ) -> Result<AuditEvent, AppError> {
        readers_only(who)?;
        Ok(self.store.get_audit_event(tenant.id, id).await?)
    }

    /// The newest sign-in log entries (kept 30 days).
    pub async fn portal_sign_ins(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
    ) -> Result<Vec<SignInEvent>, AppError> {
        readers_only(who)?;
        Ok(self.store.list_sign_ins(tenant.id, None, LOG_PAGE).await?)
    }

    /// The external identities page's content.
    pub async fn portal_external_identities(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
    ) -> Result<ExternalIdentities, AppError> {
        if !who.is_administrator() {
            return Err(AppError::Forbidden(
                "The admin portal is for people with an administrator role.".into(),
            ));
        }
        let guest_otp = self.email_otp_for_guests(tenant.id).await?;
        let providers = if who.may(Action::ManageIdentityProviders) {
            let mut rows: Vec<ProviderRow> = self
                .list_identity_providers(&who.ctx, tenant.id)
                .await?
                .into_iter()
                .map(|p| match p {
                    IdentityProvider::Social(s) => ProviderRow {
                        name: s.display_name,
                        kind: s.provider_type.as_str().to_owned(),
                        serves: if s.provider_type
                            == portico_domain::identity_provider::SocialProviderType::Google
                        {
                            "Gmail addresses".into()
                        } else {
                            "self-service sign-up (not yet)".into()
                        },
                    },
                    IdentityProvider::Oidc(o) => ProviderRow {
                        name: o.display_name,
                        kind: "OpenID Connect".into(),
                        serves: join(&o.domains),
                    },
                    IdentityProvider::Saml(s) => ProviderRow {
                        name: s.display_name,
                        kind: "SAML 2.0".into(),
                        serves: join(&s.domains),
                    },
                })
                .collect();
            for s in self
                .list_saml_federations(&who.ctx, tenant.id, None)
                .await?
            {
                rows.push(ProviderRow {
                    name: s.display_name,
                    kind: "SAML 2.0".into(),
                    serves: join(&s.domains),
                });
            }
            rows.sort_by_key(|r| r.name.to_lowercase());
            Some(rows)
        } else {
            None
        };
        Ok(ExternalIdentities {
            guest_otp,
            may_switch_otp: who.may(Action::ManageSecurityPolicies),
            providers,
        })
    }

    /// Turns email one-time passcodes for guests on or off (the authentication methods policy,
    /// as Graph's `allowExternalIdToUseEmailOtp`).
    pub async fn portal_set_guest_otp(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        on: bool,
    ) -> Result<(), AppError> {
        self.update_email_otp_policy(
            &who.ctx,
            tenant.id,
            EmailOtpPolicyPatch {
                allow_external_id_to_use_email_otp: Some(
                    if on { "enabled" } else { "disabled" }.into(),
                ),
                ..EmailOtpPolicyPatch::default()
            },
        )
        .await?;
        Ok(())
    }
}

fn join(d: &[portico_domain::validate::DomainName]) -> String {
    d.iter()
        .map(portico_domain::validate::DomainName::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
