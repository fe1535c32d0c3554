//! Identity providers of a tenant (Graph `identity/identityProviders`): the social presets
//! Google, Facebook and Microsoft account, at most one of each, under Graph's fixed ids; and
//! OpenID Connect federations (GUID ids), each serving the email domains it names (one
//! provider per domain; never the tenant's own verified domains nor Gmail's).
//!
//! Changing them needs a role that manages identity providers (External Identity Provider,
//! Security or Global Administrator; an app with `IdentityProvider.ReadWrite.All` acts as an
//! External Identity Provider Administrator). Reading them needs the same role for signed-in
//! users, as in Entra; apps need only the Graph permission. Every change is audited; the
//! client secret is sealed under the master key (bound to the tenant and provider id), never
//! logged, never returned.

use crate::{Actor, App, AppError, Context};
use portico_domain::TenantId;
use portico_domain::audit::AuditCategory;
use portico_domain::identity_provider::{
    GOOGLE_DOMAINS, IdentityProvider, IdentityProviderPatch, NewSocialProvider, OPENID_CONNECT,
    SocialIdentityProvider, SocialProviderPatch, SocialProviderType,
};
use portico_domain::oidc_provider::{ClaimMapping, NewOidcProvider, OidcIdentityProvider};
use portico_domain::saml_federation::SamlFederation;
use portico_domain::validate::DomainName;
use portico_policy::directory::Action;
use portico_store::{StoreError, StoredIdentityProvider, constraint};
use serde::{Deserialize, Serialize};

/// A domain went to another provider between the check and the write.
const DOMAIN_TAKEN_MEANWHILE: &str = "One of these domains was given to another identity provider meanwhile; read the providers again and retry.";

/// The protocol value of social providers in the store.
const SOCIAL: &str = "social";
/// The protocol value of OIDC federations in the store.
const OIDC: &str = "oidc";
/// The protocol value of SAML federations in the store.
pub(crate) const SAML: &str = "saml";
/// The provider type of SAML federations in the store.
const SAML_TYPE: &str = "SAML";

/// The properties a PATCH may name, per type.
const SOCIAL_PATCHABLE: &[&str] = &["displayName", "clientId", "clientSecret"];
const OIDC_PATCHABLE: &[&str] = &[
    "displayName",
    "issuer",
    "wellKnownEndpoint",
    "clientId",
    "clientAuthentication",
    "responseType",
    "scope",
    "inboundClaimMapping",
    "domains",
];

/// The non-secret settings of a social provider, as stored.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SocialSettings {
    client_id: String,
}

/// The non-secret settings of an OIDC federation, as stored.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OidcSettings {
    issuer: String,
    well_known_endpoint: String,
    client_id: String,
    scope: String,
    claim_mapping: ClaimMapping,
}

/// The non-secret settings of a SAML federation, as stored (it has no secret).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SamlSettings {
    issuer_uri: String,
    passive_sign_in_uri: String,
    signing_certificate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_signing_certificate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata_exchange_uri: Option<String>,
}

pub(crate) fn seal_context(tenant: TenantId, id: &str) -> String {
    format!("idp-secret:{tenant}:{id}")
}

pub(crate) fn from_stored(p: StoredIdentityProvider) -> Result<IdentityProvider, AppError> {
    let name = p.id.clone();
    let corrupt = |what: &str| AppError::Internal(format!("identity provider {name}: {what}"));
    let domains = || -> Result<Vec<DomainName>, AppError> {
        p.domains
            .iter()
            .map(|d| DomainName::parse("domains", d).map_err(|_| corrupt("bad domain")))
            .collect()
    };
    if p.protocol == SAML {
        let s: SamlSettings =
            serde_json::from_str(&p.settings).map_err(|_| corrupt("unreadable settings"))?;
        return Ok(IdentityProvider::Saml(SamlFederation {
            domains: domains()?,
            id: p.id,
            display_name: p.display_name,
            issuer_uri: s.issuer_uri,
            passive_sign_in_uri: s.passive_sign_in_uri,
            signing_certificate: s.signing_certificate,
            next_signing_certificate: s.next_signing_certificate,
            metadata_exchange_uri: s.metadata_exchange_uri,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }));
    }
    let secret_sealed = p
        .secret_sealed
        .clone()
        .ok_or_else(|| corrupt("no secret"))?;
    match p.protocol.as_str() {
        SOCIAL => {
            let provider_type = SocialProviderType::parse(&p.provider_type)
                .ok_or_else(|| corrupt("unknown type"))?;
            let settings: SocialSettings =
                serde_json::from_str(&p.settings).map_err(|_| corrupt("unreadable settings"))?;
            Ok(IdentityProvider::Social(SocialIdentityProvider {
                id: p.id,
                display_name: p.display_name,
                provider_type,
                client_id: settings.client_id,
                secret_sealed,
                created_at: p.created_at,
                updated_at: p.updated_at,
            }))
        }
        OIDC => {
            let s: OidcSettings =
                serde_json::from_str(&p.settings).map_err(|_| corrupt("unreadable settings"))?;
            let domains = domains()?;
            Ok(IdentityProvider::Oidc(OidcIdentityProvider {
                id: p.id,
                display_name: p.display_name,
                issuer: s.issuer,
                well_known_endpoint: s.well_known_endpoint,
                client_id: s.client_id,
                secret_sealed,
                scope: s.scope,
                claim_mapping: s.claim_mapping,
                domains,
                created_at: p.created_at,
                updated_at: p.updated_at,
            }))
        }
        _ => Err(corrupt("unknown protocol")),
    }
}

pub(crate) fn to_stored(p: &IdentityProvider) -> Result<StoredIdentityProvider, AppError> {
    let json =
        |v: Result<String, serde_json::Error>| v.map_err(|e| AppError::Internal(e.to_string()));
    Ok(match p {
        IdentityProvider::Social(p) => StoredIdentityProvider {
            id: p.id.clone(),
            protocol: SOCIAL.to_owned(),
            provider_type: p.provider_type.as_str().to_owned(),
            display_name: p.display_name.clone(),
            settings: json(serde_json::to_string(&SocialSettings {
                client_id: p.client_id.clone(),
            }))?,
            secret_sealed: Some(p.secret_sealed.clone()),
            domains: Vec::new(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        },
        IdentityProvider::Oidc(p) => StoredIdentityProvider {
            id: p.id.clone(),
            protocol: OIDC.to_owned(),
            provider_type: OPENID_CONNECT.to_owned(),
            display_name: p.display_name.clone(),
            settings: json(serde_json::to_string(&OidcSettings {
                issuer: p.issuer.clone(),
                well_known_endpoint: p.well_known_endpoint.clone(),
                client_id: p.client_id.clone(),
                scope: p.scope.clone(),
                claim_mapping: p.claim_mapping.clone(),
            }))?,
            secret_sealed: Some(p.secret_sealed.clone()),
            domains: p.domains.iter().map(|d| d.as_str().to_owned()).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        },
        IdentityProvider::Saml(p) => StoredIdentityProvider {
            id: p.id.clone(),
            protocol: SAML.to_owned(),
            provider_type: SAML_TYPE.to_owned(),
            display_name: p.display_name.clone(),
            settings: json(serde_json::to_string(&SamlSettings {
                issuer_uri: p.issuer_uri.clone(),
                passive_sign_in_uri: p.passive_sign_in_uri.clone(),
                signing_certificate: p.signing_certificate.clone(),
                next_signing_certificate: p.next_signing_certificate.clone(),
                metadata_exchange_uri: p.metadata_exchange_uri.clone(),
            }))?,
            secret_sealed: None,
            domains: p.domains.iter().map(|d| d.as_str().to_owned()).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        },
    })
}

/// The id a request names, as stored: social ids are Graph's fixed ids (any case), others
/// GUIDs (any case).
pub(crate) fn stored_id(id: &str) -> Option<String> {
    if let Some(t) = SocialProviderType::from_graph_id(id) {
        return Some(t.graph_id());
    }
    uuid::Uuid::try_parse(id).ok().map(|u| u.to_string())
}

pub(crate) fn json_text(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

impl App {
    /// Users need a role that manages identity providers to read them; apps and operators
    /// only need to act in the tenant.
    pub(crate) async fn may_read_identity_providers(
        &self,
        ctx: &Context,
        tenant: TenantId,
    ) -> Result<(), AppError> {
        match &ctx.actor {
            Actor::User { .. } => {
                self.authorize(
                    ctx,
                    tenant,
                    Action::ManageIdentityProviders,
                    "Read identity providers",
                    AuditCategory::Policy,
                )
                .await?;
                Ok(())
            }
            Actor::App { tenant: home, .. } if *home != tenant => Err(AppError::NotFound("tenant")),
            Actor::App { .. } | Actor::System { .. } => Ok(()),
        }
    }

    /// The tenant's identity providers by id.
    pub async fn list_identity_providers(
        &self,
        ctx: &Context,
        tenant: TenantId,
    ) -> Result<Vec<IdentityProvider>, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        self.store
            .list_identity_providers(tenant)
            .await?
            .into_iter()
            .filter(|p| p.protocol != SAML)
            .map(from_stored)
            .collect()
    }

    /// One identity provider, by its id (case-insensitive, as Graph's ids are).
    pub async fn identity_provider(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
    ) -> Result<IdentityProvider, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        let Some(id) = stored_id(id) else {
            return Err(AppError::NotFound("identity provider"));
        };
        match from_stored(self.store.get_identity_provider(tenant, &id).await?)? {
            // SAML federations live under directory/federationConfigurations.
            IdentityProvider::Saml(_) => Err(AppError::NotFound("identity provider")),
            p => Ok(p),
        }
    }

    /// Adds a social provider (its id is fixed by its type: one of each per tenant).
    pub async fn create_social_provider(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewSocialProvider,
    ) -> Result<SocialIdentityProvider, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageIdentityProviders,
                AuditCategory::Policy,
                "Add identity provider",
                "Add",
            )
            .await?;
        let v = new.validated()?;
        let id = v.provider_type.graph_id();
        let now = self.clock.now();
        let provider = SocialIdentityProvider {
            secret_sealed: self
                .keys
                .seal(v.client_secret.as_bytes(), &seal_context(tenant, &id))?,
            id,
            display_name: v.display_name,
            provider_type: v.provider_type,
            client_id: v.client_id,
            created_at: now,
            updated_at: now,
        };
        let audit = op
            .audit
            .target(
                "IdentityProvider",
                &provider.id,
                Some(&provider.display_name),
            )
            .modified(
                "identityProviderType",
                None,
                Some(json_text(provider.provider_type.as_str())),
            )
            .modified("clientId", None, Some(json_text(&provider.client_id)));
        match self
            .store
            .create_identity_provider(
                tenant,
                &to_stored(&IdentityProvider::Social(provider.clone()))?,
                &audit,
            )
            .await
        {
            Ok(()) => Ok(provider),
            Err(e) if e.is_conflict_on(constraint::IDENTITY_PROVIDER) => Err(AppError::Conflict {
                message: format!(
                    "This organization already has a {} identity provider ({}): change it or delete it first.",
                    provider.provider_type.as_str(),
                    provider.id
                ),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses domains the tenant itself has verified (their people are members, not guests),
    /// Gmail's (served by the Google preset), and domains another provider of the tenant
    /// serves; and an issuer another OIDC federation of the tenant has.
    pub(crate) async fn check_federation_scope(
        &self,
        tenant: TenantId,
        id: &str,
        issuer: &str,
        domains: &[DomainName],
    ) -> Result<(), AppError> {
        let own = self.store.list_domains(tenant).await?;
        for d in domains {
            if own.iter().any(|o| o.is_verified && o.name == *d) {
                return Err(portico_domain::ValidationError::new(
                    "domains",
                    format!("{d} is a verified domain of this organization: its people are members, not guests"),
                )
                .into());
            }
            if GOOGLE_DOMAINS.contains(&d.as_str()) {
                return Err(portico_domain::ValidationError::new(
                    "domains",
                    format!("{d} addresses sign in with the Google identity provider (Google-OAUTH), not a federation"),
                )
                .into());
            }
        }
        for other in self.store.list_identity_providers(tenant).await? {
            if other.id == id {
                continue;
            }
            if let Some(d) = domains
                .iter()
                .find(|d| other.domains.iter().any(|o| o == d.as_str()))
            {
                return Err(AppError::Conflict {
                    message: format!(
                        "{d} is already served by the identity provider '{}' ({}): remove it there first.",
                        other.display_name, other.id
                    ),
                });
            }
            let other_issuer = match from_stored(other) {
                Ok(IdentityProvider::Oidc(o)) => Some((o.issuer, o.display_name, o.id)),
                Ok(IdentityProvider::Saml(s)) => Some((s.issuer_uri, s.display_name, s.id)),
                _ => None,
            };
            if let Some((other_issuer, name, other_id)) = other_issuer
                && other_issuer == issuer
            {
                return Err(AppError::Conflict {
                    message: format!(
                        "The identity provider '{name}' ({other_id}) already has the issuer {issuer}.",
                    ),
                });
            }
        }
        Ok(())
    }

    /// Adds an OpenID Connect federation for the domains it names.
    pub async fn create_oidc_provider(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewOidcProvider,
    ) -> Result<OidcIdentityProvider, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageIdentityProviders,
                AuditCategory::Policy,
                "Add identity provider",
                "Add",
            )
            .await?;
        let v = new.validated()?;
        let id = uuid::Uuid::new_v4().to_string();
        self.check_federation_scope(tenant, &id, &v.issuer, &v.domains)
            .await?;
        let now = self.clock.now();
        let provider = OidcIdentityProvider {
            secret_sealed: self
                .keys
                .seal(v.client_secret.as_bytes(), &seal_context(tenant, &id))?,
            id,
            display_name: v.display_name,
            issuer: v.issuer,
            well_known_endpoint: v.well_known_endpoint,
            client_id: v.client_id,
            scope: v.scope,
            claim_mapping: v.claim_mapping,
            domains: v.domains,
            created_at: now,
            updated_at: now,
        };
        let domains: Vec<&str> = provider.domains.iter().map(DomainName::as_str).collect();
        let audit = op
            .audit
            .target(
                "IdentityProvider",
                &provider.id,
                Some(&provider.display_name),
            )
            .modified(
                "identityProviderType",
                None,
                Some(json_text(OPENID_CONNECT)),
            )
            .modified("issuer", None, Some(json_text(&provider.issuer)))
            .modified("clientId", None, Some(json_text(&provider.client_id)))
            .modified(
                "domains",
                None,
                Some(serde_json::Value::from(domains).to_string()),
            );
        match self
            .store
            .create_identity_provider(
                tenant,
                &to_stored(&IdentityProvider::Oidc(provider.clone()))?,
                &audit,
            )
            .await
        {
            Ok(()) => Ok(provider),
            Err(e) if e.is_conflict_on(constraint::FEDERATION_DOMAIN) => Err(AppError::Conflict {
                message: DOMAIN_TAKEN_MEANWHILE.into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes a social provider's display name, client id or secret.
    pub async fn update_social_provider(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
        patch: SocialProviderPatch,
    ) -> Result<SocialIdentityProvider, AppError> {
        let mut present = Vec::new();
        for (name, given) in [
            ("displayName", patch.display_name.is_some()),
            ("clientId", patch.client_id.is_some()),
            ("clientSecret", patch.client_secret.is_some()),
        ] {
            if given {
                present.push(name.to_owned());
            }
        }
        let patch = IdentityProviderPatch {
            present,
            social: patch,
            ..IdentityProviderPatch::default()
        };
        match self
            .update_identity_provider(ctx, tenant, id, patch)
            .await?
        {
            IdentityProvider::Social(p) => Ok(p),
            _ => Err(AppError::NotFound("identity provider")),
        }
    }

    /// Changes an identity provider; a property its type does not have is refused (400).
    pub async fn update_identity_provider(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
        patch: IdentityProviderPatch,
    ) -> Result<IdentityProvider, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageIdentityProviders,
                AuditCategory::Policy,
                "Update identity provider",
                "Update",
            )
            .await?;
        let Some(id) = stored_id(id) else {
            return Err(AppError::NotFound("identity provider"));
        };
        let current = from_stored(self.store.get_identity_provider(tenant, &id).await?)?;
        let (allowed, type_name) = match &current {
            IdentityProvider::Social(_) => (SOCIAL_PATCHABLE, "socialIdentityProvider"),
            IdentityProvider::Oidc(_) => (OIDC_PATCHABLE, "oidcIdentityProvider"),
            IdentityProvider::Saml(_) => return Err(AppError::NotFound("identity provider")),
        };
        if let Some(named) = patch
            .present
            .iter()
            .find_map(|p| p.strip_prefix("@odata.type:"))
            && named != type_name
        {
            return Err(portico_domain::ValidationError::new(
                "@odata.type",
                format!("{id} is a {type_name}; its type cannot change"),
            )
            .into());
        }
        if let Some(foreign) = patch
            .present
            .iter()
            .filter(|p| !p.starts_with("@odata.type"))
            .find(|p| !allowed.contains(&p.as_str()))
        {
            return Err(portico_domain::ValidationError::new(
                "body",
                format!("'{foreign}' is not a property of {type_name} {id}"),
            )
            .into());
        }
        let mut audit = op.audit.target(
            "IdentityProvider",
            current.id(),
            Some(current.display_name()),
        );
        let (next, read_at) = match &current {
            IdentityProvider::Social(cur) => {
                let p = patch.social.validated()?;
                let mut next = cur.clone();
                let mut changed = false;
                if let Some(name) = p.display_name
                    && name != cur.display_name
                {
                    audit = audit.modified(
                        "displayName",
                        Some(json_text(&cur.display_name)),
                        Some(json_text(&name)),
                    );
                    next.display_name = name;
                    changed = true;
                }
                if let Some(client_id) = p.client_id
                    && client_id != cur.client_id
                {
                    audit = audit.modified(
                        "clientId",
                        Some(json_text(&cur.client_id)),
                        Some(json_text(&client_id)),
                    );
                    next.client_id = client_id;
                    changed = true;
                }
                if let Some(secret) = p.client_secret {
                    // Never the values: only that it changed.
                    audit = audit.modified("clientSecret", None, None);
                    next.secret_sealed = self
                        .keys
                        .seal(secret.as_bytes(), &seal_context(tenant, &cur.id))?;
                    changed = true;
                }
                if !changed {
                    // Nothing to change: nothing written, nothing audited.
                    return Ok(current);
                }
                (IdentityProvider::Social(next), cur.updated_at)
            }
            IdentityProvider::Oidc(cur) => {
                let (mut next, secret, changed) = patch.oidc.apply(cur)?;
                if changed.is_empty() {
                    return Ok(current);
                }
                if changed.contains(&"domains") || changed.contains(&"issuer") {
                    self.check_federation_scope(tenant, &cur.id, &next.issuer, &next.domains)
                        .await?;
                }
                for name in &changed {
                    let (old, new) = match *name {
                        "displayName" => {
                            (json_text(&cur.display_name), json_text(&next.display_name))
                        }
                        "issuer" => (json_text(&cur.issuer), json_text(&next.issuer)),
                        "wellKnownEndpoint" => (
                            json_text(&cur.well_known_endpoint),
                            json_text(&next.well_known_endpoint),
                        ),
                        "clientId" => (json_text(&cur.client_id), json_text(&next.client_id)),
                        "scope" => (json_text(&cur.scope), json_text(&next.scope)),
                        "domains" => {
                            let list = |d: &[DomainName]| {
                                serde_json::Value::from(
                                    d.iter().map(DomainName::as_str).collect::<Vec<_>>(),
                                )
                                .to_string()
                            };
                            (list(&cur.domains), list(&next.domains))
                        }
                        "inboundClaimMapping" => {
                            let m = |c: &ClaimMapping| serde_json::to_string(c).unwrap_or_default();
                            (m(&cur.claim_mapping), m(&next.claim_mapping))
                        }
                        // The secret: never the values, only that it changed.
                        _ => {
                            audit = audit.modified(name, None, None);
                            continue;
                        }
                    };
                    audit = audit.modified(name, Some(old), Some(new));
                }
                if let Some(secret) = secret {
                    next.secret_sealed = self
                        .keys
                        .seal(secret.as_bytes(), &seal_context(tenant, &cur.id))?;
                }
                (IdentityProvider::Oidc(next), cur.updated_at)
            }
            IdentityProvider::Saml(_) => return Err(AppError::NotFound("identity provider")),
        };
        // Strictly later than what was read, so the write is seen as a change by the next one.
        let updated_at = self
            .clock
            .now()
            .max(read_at + time::Duration::microseconds(1));
        let next = match next {
            IdentityProvider::Social(p) => {
                IdentityProvider::Social(SocialIdentityProvider { updated_at, ..p })
            }
            IdentityProvider::Oidc(p) => {
                IdentityProvider::Oidc(OidcIdentityProvider { updated_at, ..p })
            }
            IdentityProvider::Saml(p) => IdentityProvider::Saml(SamlFederation { updated_at, ..p }),
        };
        match self
            .store
            .update_identity_provider(tenant, &to_stored(&next)?, read_at, &audit)
            .await
        {
            Ok(()) => Ok(next),
            Err(e) if e.is_conflict_on(constraint::STALE_WRITE) => Err(AppError::Conflict {
                message: format!(
                    "{} was changed by another request meanwhile; read it again and retry.",
                    current.id()
                ),
            }),
            Err(e) if e.is_conflict_on(constraint::FEDERATION_DOMAIN) => Err(AppError::Conflict {
                message: DOMAIN_TAKEN_MEANWHILE.into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The identity provider types that can be added (`availableProviderTypes`); the same
    /// authorization as reading providers.
    pub async fn available_identity_provider_types(
        &self,
        ctx: &Context,
        tenant: TenantId,
    ) -> Result<Vec<&'static str>, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        let mut types: Vec<&'static str> =
            SocialProviderType::ALL.iter().map(|t| t.as_str()).collect();
        types.push(OPENID_CONNECT);
        Ok(types)
    }

    /// Deletes an identity provider. Guests who signed in through it can no longer sign in
    /// until their redemption is reset, as in Entra.
    pub async fn delete_identity_provider(
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
                "Delete identity provider",
                "Delete",
            )
            .await?;
        let Some(id) = stored_id(id) else {
            return Err(AppError::NotFound("identity provider"));
        };
        let current = match self.store.get_identity_provider(tenant, &id).await {
            // SAML federations are deleted under directory/federationConfigurations.
            Ok(p) if p.protocol == SAML => return Err(AppError::NotFound("identity provider")),
            Ok(p) => p,
            Err(StoreError::NotFound(_)) => return Err(AppError::NotFound("identity provider")),
            Err(e) => return Err(e.into()),
        };
        let audit = op
            .audit
            .target("IdentityProvider", &current.id, Some(&current.display_name));
        Ok(self
            .store
            .delete_identity_provider(tenant, &current.id, &audit)
            .await?)
    }
}
