//! SAML 2.0 direct federations of a tenant (Graph
//! `directory/federationConfigurations/…samlOrWsFedExternalDomainFederation`): configuration,
//! the per-tenant service provider Portico presents to partner IdPs, and metadata refresh
//! (certificate rollover).
//!
//! Rules, as in Entra: one configuration serves one or more partner domains (never the
//! tenant's own verified domains nor Gmail's, one provider per domain); the passive sign-in
//! URL's host must be in each federated domain, or the domain must authorize the URL with a
//! DNS TXT record `DirectFedAuthUrl=<url>` (the operator can turn that check off for offline
//! and development setups); the signing certificate must parse and be unexpired. Changing
//! them needs the same role and permission as identity providers; every change is audited.
//!
//! The service provider of tenant T: entity id (Audience, AuthnRequest Issuer)
//! `{public_url}/{T}/` (Entra's `https://login.microsoftonline.com/{T}/`), assertion consumer
//! service `{public_url}/te/{T}/saml2/acs`, metadata at `{public_url}/te/{T}/saml2/metadata`.

use crate::identity_providers::{SAML, from_stored, json_text, stored_id, to_stored};
use crate::{App, AppError, Context};
use portico_domain::TenantId;
use portico_domain::ValidationError;
use portico_domain::audit::AuditCategory;
use portico_domain::identity_provider::IdentityProvider;
use portico_domain::saml_federation::{NewSamlFederation, SamlFederation, SamlFederationPatch};
use portico_domain::validate::DomainName;
use portico_federation::saml::{self, SpConfig};
use portico_policy::directory::Action;
use portico_store::{StoreError, constraint};

/// A certificate is rolled over when it expires within this long (as Entra does).
pub const ROLLOVER_WINDOW: time::Duration = time::Duration::days(30);

/// The audit target type of SAML federations.
const TARGET: &str = "SamlOrWsFedExternalDomainFederation";

const NOT_FOUND: &str = "federation configuration";

/// The name of the DNS TXT record a domain authorizes a passive sign-in URL with.
pub const DIRECT_FED_AUTH_URL: &str = "DirectFedAuthUrl";

fn list_text(d: &[DomainName]) -> String {
    serde_json::Value::from(d.iter().map(DomainName::as_str).collect::<Vec<_>>()).to_string()
}

/// The same URL, for comparing what a TXT record names with what is configured: scheme and
/// host case-insensitive, a trailing slash ignored.
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a.trim()), url::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
                && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
                && a.query() == b.query()
        }
        _ => false,
    }
}

impl App {
    /// The service provider Portico is for `tenant`'s partner IdPs.
    #[must_use]
    pub fn saml_sp(&self, tenant: TenantId) -> SpConfig {
        let base = self.config.public_url.trim_end_matches('/');
        SpConfig {
            entity_id: format!("{base}/{tenant}/"),
            acs_url: format!("{base}/te/{tenant}/saml2/acs"),
        }
    }

    /// The SP metadata of a tenant (public: partner IdPs load it). `None` for an unknown
    /// tenant.
    pub async fn saml_sp_metadata(&self, tenant: &str) -> Result<Option<String>, AppError> {
        let Ok(id) = tenant.parse::<TenantId>() else {
            return Ok(None);
        };
        let tenant = match self.store.get_tenant(id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let sp = self.saml_sp(tenant.id);
        Ok(Some(saml::sp_metadata(
            &sp,
            &tenant.display_name,
            &self.config.public_url,
        )))
    }

    /// Parses a certificate as Graph carries it (base64 DER, or PEM) and returns it normalized
    /// (base64 DER on one line); refuses garbage and expired certificates.
    fn checked_certificate(&self, text: &str) -> Result<String, AppError> {
        let cert = saml::parse_certificate(text).map_err(|e| {
            ValidationError::new(
                "signingCertificate",
                format!("not a usable certificate: {e}"),
            )
        })?;
        if cert.not_after <= self.clock.now() {
            return Err(ValidationError::new(
                "signingCertificate",
                format!(
                    "the certificate '{}' expired on {}: ask the partner for its current token signing certificate",
                    cert.subject,
                    cert.not_after.date()
                ),
            )
            .into());
        }
        Ok(cert.to_base64())
    }

    /// The passive sign-in URL's host must be in every federated domain, or each domain it is
    /// not in must publish `DirectFedAuthUrl=<url>` in DNS (unless the operator turned the
    /// check off).
    async fn authorize_passive_url(
        &self,
        url: &str,
        domains: &[DomainName],
    ) -> Result<(), AppError> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_default();
        for d in domains {
            let d = d.as_str();
            if host == d || host.ends_with(&format!(".{d}")) {
                continue;
            }
            if self.config.federation_skip_dns_authorization {
                tracing::info!(domain = d, host = %host, "passive sign-in URL outside the domain accepted without DNS authorization (federation_skip_dns_authorization)");
                continue;
            }
            let records = self.dns.txt(d).await.map_err(|e| {
                ValidationError::new(
                    "passiveSignInUri",
                    format!("{host} is not in {d}, and the DNS TXT records of {d} could not be read ({e}); try again later"),
                )
            })?;
            let authorized = records.iter().any(|r| {
                r.trim().split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case(DIRECT_FED_AUTH_URL) && same_url(v, url)
                })
            });
            if !authorized {
                return Err(ValidationError::new(
                    "passiveSignInUri",
                    format!("{host} is not in {d}: the partner must publish the DNS TXT record '{DIRECT_FED_AUTH_URL}={url}' at {d} (none found), or use a sign-in URL within {d}"),
                )
                .into());
            }
        }
        Ok(())
    }

    async fn stored_saml(&self, tenant: TenantId, id: &str) -> Result<SamlFederation, AppError> {
        let Some(id) = stored_id(id).filter(|i| uuid::Uuid::try_parse(i).is_ok()) else {
            return Err(AppError::NotFound(NOT_FOUND));
        };
        match self.store.get_identity_provider(tenant, &id).await {
            Ok(p) if p.protocol == SAML => match from_stored(p)? {
                IdentityProvider::Saml(s) => Ok(s),
                _ => Err(AppError::NotFound(NOT_FOUND)),
            },
            Ok(_) | Err(StoreError::NotFound(_)) => Err(AppError::NotFound(NOT_FOUND)),
            Err(e) => Err(e.into()),
        }
    }

    /// The tenant's SAML federations, optionally only the one serving `domain`.
    pub async fn list_saml_federations(
        &self,
        ctx: &Context,
        tenant: TenantId,
        domain: Option<&str>,
    ) -> Result<Vec<SamlFederation>, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        let mut out = Vec::new();
        for p in self.store.list_identity_providers(tenant).await? {
            if p.protocol != SAML {
                continue;
            }
            if let IdentityProvider::Saml(s) = from_stored(p)?
                && domain
                    .is_none_or(|d| s.domains.iter().any(|x| x.as_str().eq_ignore_ascii_case(d)))
            {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// One SAML federation by id.
    pub async fn saml_federation(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
    ) -> Result<SamlFederation, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        self.stored_saml(tenant, id).await
    }

    /// Adds a SAML federation for the domains it names.
    pub async fn create_saml_federation(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewSamlFederation,
    ) -> Result<SamlFederation, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageIdentityProviders,
                AuditCategory::Policy,
                "Add external domain federation",
                "Add",
            )
            .await?;
        let v = new.validated()?;
        let signing_certificate = self.checked_certificate(&v.signing_certificate)?;
        let id = uuid::Uuid::new_v4().to_string();
        self.check_federation_scope(tenant, &id, &v.issuer_uri, &v.domains)
            .await?;
        self.authorize_passive_url(&v.passive_sign_in_uri, &v.domains)
            .await?;
        let now = self.clock.now();
        let fed = SamlFederation {
            id,
            display_name: v.display_name,
            issuer_uri: v.issuer_uri,
            passive_sign_in_uri: v.passive_sign_in_uri,
            signing_certificate,
            next_signing_certificate: None,
            metadata_exchange_uri: v.metadata_exchange_uri,
            domains: v.domains,
            created_at: now,
            updated_at: now,
        };
        let audit = op
            .audit
            .target(TARGET, &fed.id, Some(&fed.display_name))
            .modified("issuerUri", None, Some(json_text(&fed.issuer_uri)))
            .modified(
                "passiveSignInUri",
                None,
                Some(json_text(&fed.passive_sign_in_uri)),
            )
            .modified(
                "signingCertificate",
                None,
                Some(json_text(&fed.signing_certificate)),
            )
            .modified("domains", None, Some(list_text(&fed.domains)));
        match self
            .store
            .create_identity_provider(tenant, &to_stored(&IdentityProvider::Saml(fed.clone()))?, &audit)
            .await
        {
            Ok(()) => Ok(fed),
            Err(e) if e.is_conflict_on(constraint::FEDERATION_DOMAIN) => Err(AppError::Conflict {
                message: "One of these domains was given to another identity provider meanwhile; read the configurations again and retry.".into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes a SAML federation (`PATCH`).
    pub async fn update_saml_federation(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
        patch: SamlFederationPatch,
    ) -> Result<SamlFederation, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageIdentityProviders,
                AuditCategory::Policy,
                "Update external domain federation",
                "Update",
            )
            .await?;
        let cur = self.stored_saml(tenant, id).await?;
        let (mut next, changed) = patch.apply(&cur)?;
        if changed.is_empty() {
            return Ok(cur);
        }
        if changed.contains(&"signingCertificate") {
            next.signing_certificate = self.checked_certificate(&next.signing_certificate)?;
            // An admin's certificate replaces whatever rollover had queued.
            next.next_signing_certificate = None;
        }
        if changed.contains(&"domains") || changed.contains(&"issuerUri") {
            self.check_federation_scope(tenant, &cur.id, &next.issuer_uri, &next.domains)
                .await?;
        }
        if changed.contains(&"domains") || changed.contains(&"passiveSignInUri") {
            self.authorize_passive_url(&next.passive_sign_in_uri, &next.domains)
                .await?;
        }
        let mut audit = op.audit.target(TARGET, &cur.id, Some(&cur.display_name));
        for name in &changed {
            let (old, new) = match *name {
                "displayName" => (json_text(&cur.display_name), json_text(&next.display_name)),
                "issuerUri" => (json_text(&cur.issuer_uri), json_text(&next.issuer_uri)),
                "passiveSignInUri" => (
                    json_text(&cur.passive_sign_in_uri),
                    json_text(&next.passive_sign_in_uri),
                ),
                "signingCertificate" => (
                    json_text(&cur.signing_certificate),
                    json_text(&next.signing_certificate),
                ),
                "metadataExchangeUri" => (
                    cur.metadata_exchange_uri
                        .as_deref()
                        .map_or("null".into(), json_text),
                    next.metadata_exchange_uri
                        .as_deref()
                        .map_or("null".into(), json_text),
                ),
                _ => (list_text(&cur.domains), list_text(&next.domains)),
            };
            audit = audit.modified(name, Some(old), Some(new));
        }
        self.write_saml(tenant, &cur, next, &audit).await
    }

    /// Writes a changed federation over `cur` (optimistic: refused if it changed meanwhile).
    async fn write_saml(
        &self,
        tenant: TenantId,
        cur: &SamlFederation,
        next: SamlFederation,
        audit: &portico_domain::audit::AuditEvent,
    ) -> Result<SamlFederation, AppError> {
        let updated_at = self
            .clock
            .now()
            .max(cur.updated_at + time::Duration::microseconds(1));
        let next = SamlFederation { updated_at, ..next };
        match self
            .store
            .update_identity_provider(
                tenant,
                &to_stored(&IdentityProvider::Saml(next.clone()))?,
                cur.updated_at,
                audit,
            )
            .await
        {
            Ok(()) => Ok(next),
            Err(e) if e.is_conflict_on(constraint::STALE_WRITE) => Err(AppError::Conflict {
                message: format!(
                    "{} was changed by another request meanwhile; read it again and retry.",
                    cur.id
                ),
            }),
            Err(e) if e.is_conflict_on(constraint::FEDERATION_DOMAIN) => Err(AppError::Conflict {
                message: "One of these domains was given to another identity provider meanwhile; read the configurations again and retry.".into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds one domain to a federation (`POST …/domains`).
    pub async fn add_saml_federation_domain(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
        domain: &str,
    ) -> Result<DomainName, AppError> {
        let d = DomainName::parse("id", domain)?;
        let cur = self.stored_saml(tenant, id).await?;
        if cur.domains.contains(&d) {
            return Err(AppError::Conflict {
                message: format!("{d} is already a domain of this federation."),
            });
        }
        let mut all: Vec<String> = cur.domains.iter().map(|x| x.as_str().to_owned()).collect();
        all.push(d.as_str().to_owned());
        self.update_saml_federation(
            ctx,
            tenant,
            id,
            SamlFederationPatch {
                domains: Some(all),
                ..SamlFederationPatch::default()
            },
        )
        .await?;
        Ok(d)
    }

    /// Removes one domain (`DELETE …/domains/{domain}`); the last one cannot go (delete the
    /// configuration instead, as in Entra).
    pub async fn remove_saml_federation_domain(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
        domain: &str,
    ) -> Result<(), AppError> {
        let cur = self.stored_saml(tenant, id).await?;
        let Some(d) = cur
            .domains
            .iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(domain.trim()))
        else {
            return Err(AppError::NotFound("domain"));
        };
        if cur.domains.len() == 1 {
            return Err(ValidationError::new(
                "domains",
                format!("{d} is the federation's only domain: delete the federation configuration instead"),
            )
            .into());
        }
        let rest = cur
            .domains
            .iter()
            .filter(|x| *x != d)
            .map(|x| x.as_str().to_owned())
            .collect();
        self.update_saml_federation(
            ctx,
            tenant,
            id,
            SamlFederationPatch {
                domains: Some(rest),
                ..SamlFederationPatch::default()
            },
        )
        .await?;
        Ok(())
    }

    /// Deletes a SAML federation. Guests who signed in through it can no longer sign in until
    /// their redemption is reset, as in Entra.
    pub async fn delete_saml_federation(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
    ) -> Result<(), AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageIdentityProviders,
                AuditCategory::Policy,
                "Delete external domain federation",
                "Delete",
            )
            .await?;
        let cur = self.stored_saml(tenant, id).await?;
        let audit = op
            .audit
            .target(TARGET, &cur.id, Some(&cur.display_name))
            .modified("domains", Some(list_text(&cur.domains)), None);
        Ok(self
            .store
            .delete_identity_provider(tenant, &cur.id, &audit)
            .await?)
    }

    /// Refreshes the metadata of every SAML federation that has a metadata URL (each tenant,
    /// each federation): when the current certificate expires within 30 days, or the metadata
    /// no longer lists it, a certificate the metadata lists that outlives it becomes the
    /// signing certificate; a new certificate listed beside the current one is trusted next to
    /// it meanwhile. Returns how many federations changed. Failures are logged per federation
    /// and retried at the next run.
    pub async fn refresh_saml_metadata(&self) -> Result<u64, AppError> {
        let mut changed = 0;
        for tenant in self.store.list_tenants().await? {
            for p in self.store.list_identity_providers(tenant.id).await? {
                if p.protocol != SAML {
                    continue;
                }
                let IdentityProvider::Saml(fed) = from_stored(p)? else {
                    continue;
                };
                if fed.metadata_exchange_uri.is_none() {
                    continue;
                }
                match self.refresh_one(tenant.id, &fed).await {
                    Ok(true) => changed += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(tenant = %tenant.id, federation = %fed.id, error = %e, "SAML metadata refresh failed; will retry");
                    }
                }
            }
        }
        Ok(changed)
    }

    /// One federation's refresh; `Ok(true)` when it changed.
    async fn refresh_one(&self, tenant: TenantId, fed: &SamlFederation) -> Result<bool, AppError> {
        let Some(url) = &fed.metadata_exchange_uri else {
            return Ok(false);
        };
        let xml = self
            .federation
            .fetch_saml_metadata(url)
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        let md = saml::parse_idp_metadata(&xml, Some(&fed.issuer_uri))
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        let now = self.clock.now();
        let current = saml::parse_certificate(&fed.signing_certificate)
            .map_err(|e| AppError::Internal(format!("stored certificate unreadable: {e}")))?;
        let usable: Vec<_> = md
            .signing_certificates
            .into_iter()
            .filter(|c| c.not_before <= now && c.not_after > now)
            .collect();
        let listed = usable.iter().any(|c| c.der == current.der);
        let due = current.not_after - now <= ROLLOVER_WINDOW || !listed;
        let newer = usable
            .iter()
            .filter(|c| c.der != current.der && c.not_after > current.not_after)
            .max_by_key(|c| c.not_after);
        let mut next = fed.clone();
        let mut why = "";
        if due && let Some(n) = newer {
            next.signing_certificate = n.to_base64();
            next.next_signing_certificate = None;
            why = "signingCertificate";
        } else if !due {
            let queued = newer.map(saml::Certificate::to_base64);
            if queued != fed.next_signing_certificate {
                next.next_signing_certificate = queued;
                why = "nextSigningCertificate";
            }
        }
        if why.is_empty() {
            return Ok(false);
        }
        let ctx = Context::system("Portico SAML metadata refresh");
        let audit = ctx
            .audit(
                self,
                AuditCategory::Policy,
                "Update external domain federation",
                "Update",
            )
            .target(TARGET, &fed.id, Some(&fed.display_name));
        let audit = if why == "signingCertificate" {
            audit.modified(
                "signingCertificate",
                Some(json_text(&fed.signing_certificate)),
                Some(json_text(&next.signing_certificate)),
            )
        } else {
            audit.modified(
                "nextSigningCertificate",
                fed.next_signing_certificate.as_deref().map(json_text),
                next.next_signing_certificate.as_deref().map(json_text),
            )
        };
        self.write_saml(tenant, fed, next, &audit).await?;
        tracing::info!(tenant = %tenant, federation = %fed.id, change = why, "SAML federation certificate updated from its metadata");
        Ok(true)
    }
}
