//! Identity providers of a tenant (Graph `identity/identityProviders`): the social presets
//! Google, Facebook and Microsoft account, at most one of each, under Graph's fixed ids.
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
    NewSocialProvider, SocialIdentityProvider, SocialProviderPatch, SocialProviderType,
};
use portico_policy::directory::Action;
use portico_store::{StoreError, StoredIdentityProvider, constraint};
use serde::{Deserialize, Serialize};

/// The protocol value of social providers in the store.
const SOCIAL: &str = "social";

/// The non-secret settings of a social provider, as stored.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SocialSettings {
    client_id: String,
}

fn seal_context(tenant: TenantId, id: &str) -> String {
    format!("idp-secret:{tenant}:{id}")
}

fn from_stored(p: StoredIdentityProvider) -> Result<SocialIdentityProvider, AppError> {
    let name = p.id.clone();
    let corrupt = |what: &str| AppError::Internal(format!("identity provider {name}: {what}"));
    if p.protocol != SOCIAL {
        return Err(corrupt("unknown protocol"));
    }
    let provider_type =
        SocialProviderType::parse(&p.provider_type).ok_or_else(|| corrupt("unknown type"))?;
    let settings: SocialSettings =
        serde_json::from_str(&p.settings).map_err(|_| corrupt("unreadable settings"))?;
    Ok(SocialIdentityProvider {
        id: p.id,
        display_name: p.display_name,
        provider_type,
        client_id: settings.client_id,
        secret_sealed: p.secret_sealed.ok_or_else(|| corrupt("no secret"))?,
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
}

fn to_stored(p: &SocialIdentityProvider) -> Result<StoredIdentityProvider, AppError> {
    let settings = serde_json::to_string(&SocialSettings {
        client_id: p.client_id.clone(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(StoredIdentityProvider {
        id: p.id.clone(),
        protocol: SOCIAL.to_owned(),
        provider_type: p.provider_type.as_str().to_owned(),
        display_name: p.display_name.clone(),
        settings,
        secret_sealed: Some(p.secret_sealed.clone()),
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
}

impl App {
    /// Users need a role that manages identity providers to read them; apps and operators
    /// only need to act in the tenant.
    async fn may_read_identity_providers(
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
    ) -> Result<Vec<SocialIdentityProvider>, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        self.store
            .list_identity_providers(tenant)
            .await?
            .into_iter()
            .map(from_stored)
            .collect()
    }

    /// One identity provider, by its Graph id (case-insensitive, as Graph's ids are).
    pub async fn identity_provider(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
    ) -> Result<SocialIdentityProvider, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        let Some(t) = SocialProviderType::from_graph_id(id) else {
            return Err(AppError::NotFound("identity provider"));
        };
        from_stored(
            self.store
                .get_identity_provider(tenant, &t.graph_id())
                .await?,
        )
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
                Some(format!("\"{}\"", provider.provider_type.as_str())),
            )
            .modified(
                "clientId",
                None,
                Some(format!("\"{}\"", provider.client_id)),
            );
        match self
            .store
            .create_identity_provider(tenant, &to_stored(&provider)?, &audit)
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

    /// Changes a social provider's display name, client id or secret.
    pub async fn update_social_provider(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: &str,
        patch: SocialProviderPatch,
    ) -> Result<SocialIdentityProvider, AppError> {
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
        let patch = patch.validated()?;
        let Some(t) = SocialProviderType::from_graph_id(id) else {
            return Err(AppError::NotFound("identity provider"));
        };
        let current = from_stored(
            self.store
                .get_identity_provider(tenant, &t.graph_id())
                .await?,
        )?;
        let mut next = current.clone();
        let mut changed = false;
        let mut audit =
            op.audit
                .target("IdentityProvider", &current.id, Some(&current.display_name));
        if let Some(name) = patch.display_name
            && name != current.display_name
        {
            audit = audit.modified(
                "displayName",
                Some(format!("\"{}\"", current.display_name)),
                Some(format!("\"{name}\"")),
            );
            next.display_name = name;
            changed = true;
        }
        if let Some(client_id) = patch.client_id
            && client_id != current.client_id
        {
            audit = audit.modified(
                "clientId",
                Some(format!("\"{}\"", current.client_id)),
                Some(format!("\"{client_id}\"")),
            );
            next.client_id = client_id;
            changed = true;
        }
        if let Some(secret) = patch.client_secret {
            // Never the values: only that it changed.
            audit = audit.modified("clientSecret", None, None);
            next.secret_sealed = self
                .keys
                .seal(secret.as_bytes(), &seal_context(tenant, &current.id))?;
            changed = true;
        }
        if !changed {
            // Nothing to change: nothing written, nothing audited.
            return Ok(current);
        }
        // Strictly later than what was read, so the write is seen as a change by the next one.
        next.updated_at = self
            .clock
            .now()
            .max(current.updated_at + time::Duration::microseconds(1));
        match self
            .store
            .update_identity_provider(tenant, &to_stored(&next)?, current.updated_at, &audit)
            .await
        {
            Ok(()) => Ok(next),
            Err(e) if e.is_conflict_on(constraint::STALE_WRITE) => Err(AppError::Conflict {
                message: format!(
                    "{} was changed by another request meanwhile; read it again and retry.",
                    current.id
                ),
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
    ) -> Result<Vec<SocialProviderType>, AppError> {
        self.may_read_identity_providers(ctx, tenant).await?;
        Ok(SocialProviderType::ALL.to_vec())
    }

    /// Deletes an identity provider.
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
        let Some(t) = SocialProviderType::from_graph_id(id) else {
            return Err(AppError::NotFound("identity provider"));
        };
        let current = match self
            .store
            .get_identity_provider(tenant, &t.graph_id())
            .await
        {
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
