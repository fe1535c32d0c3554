//! Portico's own web pages for people: the admin portal (`/portal/{tenant}/`) and My Apps
//! (`/myapps/{tenant}/`). People sign in to them with the ordinary sign-in pages as the
//! first-party client [`PORTAL_APP_ID`] (no code, no consent: the pages read the tenant's
//! session cookie). Every action calls the same use case as the Graph API, as the signed-in
//! user, so authorization, validation and audit are those of the API.
//!
//! The portal is for people holding a directory role; what each page offers follows what
//! their roles allow (a Guest Inviter sees the invitation form, not the overview's audit).
//! My Apps is for everyone, members and guests.

use crate::context::Actor;
use crate::signin::request::AuthorizeParams;
use crate::signin::{Browser, Step};
use crate::{App, AppError, Context};
use portico_domain::audit::AuditEvent;
use portico_domain::odata::ListQuery;
use portico_domain::role::DirectoryRole;
use portico_domain::tenant::Tenant;
use portico_domain::user::{User, UserFilter, UserType};
use portico_domain::well_known::PORTAL_APP_ID;
use portico_policy::directory::{Action, any_role_allows};

/// Which of Portico's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The admin portal.
    Portal,
    /// My Apps.
    MyApps,
}

impl Area {
    fn path(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::MyApps => "myapps",
        }
    }
}

/// A signed-in person on Portico's pages.
#[derive(Debug, Clone)]
pub struct PortalUser {
    /// Who.
    pub user: User,
    /// Their directory roles in the tenant.
    pub roles: Vec<DirectoryRole>,
    /// The context use cases run under (the user, this request's correlation id).
    pub ctx: Context,
}

impl PortalUser {
    /// Whether their roles allow `action`.
    #[must_use]
    pub fn may(&self, action: Action) -> bool {
        any_role_allows(&self.roles, action)
    }

    /// Whether they may invite guests (the portal's invitation form).
    #[must_use]
    pub fn may_invite(&self) -> bool {
        self.may(Action::InviteGuests)
    }

    /// Whether they may create groups and manage any group's members.
    #[must_use]
    pub fn may_manage_groups(&self) -> bool {
        self.may(Action::ManageGroups)
    }

    /// Whether the admin portal has anything for them (they hold a directory role).
    #[must_use]
    pub fn is_administrator(&self) -> bool {
        !self.roles.is_empty()
    }
}

/// The portal's overview of a tenant.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Its verified and unverified domains.
    pub domains: Vec<(String, bool)>,
    /// How many members.
    pub members: u64,
    /// How many guests.
    pub guests: u64,
    /// How many guests have not redeemed their invitation.
    pub pending: u64,
    /// The newest audit events, when the user may read the audit log.
    pub recent: Option<Vec<AuditEvent>>,
}

/// An app tile on My Apps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTile {
    /// The app's name.
    pub name: String,
    /// Where the tile leads (the app's web address), if it has one.
    pub url: Option<String>,
}

/// `userType eq 'Guest' and externalUserState eq 'PendingAcceptance'`.
fn pending_guests() -> Result<ListQuery, AppError> {
    let filter = portico_domain::odata::filter(
        &portico_domain::odata::schema::USERS,
        "userType eq 'Guest' and externalUserState eq 'PendingAcceptance'",
    )
    .map_err(|e| AppError::Internal(format!("the pending-guests filter: {e}")))?;
    Ok(ListQuery {
        filter: Some(filter),
        ..ListQuery::default()
    })
}

impl App {
    /// The landing page of an area for `tenant` (also the first-party client's redirect URI).
    #[must_use]
    pub fn area_url(&self, tenant: &Tenant, area: Area) -> String {
        format!(
            "{}/{}/{}/",
            self.config.public_url.trim_end_matches('/'),
            area.path(),
            tenant.id
        )
    }

    /// Starts a sign-in to an area (the ordinary pages; they come back to its landing page).
    pub async fn portal_sign_in(
        &self,
        tenant: &Tenant,
        area: Area,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let params = AuthorizeParams {
            client_id: Some(PORTAL_APP_ID.to_string()),
            redirect_uri: Some(self.area_url(tenant, area)),
            response_type: Some("code".into()),
            scope: Some("openid profile".into()),
            ..AuthorizeParams::default()
        };
        self.authorize_request(tenant, &params, browser, session_token)
            .await
    }

    /// The person a session cookie signs in, with their roles; `None` when nobody is.
    pub async fn portal_user(
        &self,
        tenant: &Tenant,
        session_token: Option<&str>,
        browser: &Browser,
    ) -> Result<Option<PortalUser>, AppError> {
        let Some((_, user)) = self.session_from_cookie(tenant.id, session_token).await? else {
            return Ok(None);
        };
        let roles = self.roles_of(tenant.id, user.id).await?;
        let ctx = Context {
            actor: Actor::User {
                tenant: tenant.id,
                id: user.id,
                user_principal_name: user.user_principal_name.clone(),
            },
            correlation_id: browser.correlation_id,
        };
        Ok(Some(PortalUser { user, roles, ctx }))
    }

    /// The overview page's figures.
    pub async fn portal_overview(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
    ) -> Result<Overview, AppError> {
        if !who.is_administrator() {
            return Err(AppError::Forbidden(
                "The admin portal is for people with an administrator role.".into(),
            ));
        }
        let count = |user_type| UserFilter {
            user_type: Some(user_type),
            ..UserFilter::default()
        };
        let members = self
            .store
            .count_users(tenant.id, &count(UserType::Member))
            .await?;
        let guests = self
            .store
            .count_users(tenant.id, &count(UserType::Guest))
            .await?;
        let pending = self
            .store
            .count_query_users(tenant.id, &pending_guests()?)
            .await?;
        let domains = self
            .store
            .list_domains(tenant.id)
            .await?
            .into_iter()
            .map(|d| (d.name.as_str().to_owned(), d.is_verified))
            .collect();
        let recent = if who.may(Action::ReadAuditLogs) {
            Some(self.store.list_audit_events(tenant.id, 10, None).await?)
        } else {
            None
        };
        Ok(Overview {
            domains,
            members,
            guests,
            pending,
            recent,
        })
    }

    /// Changes the organization's name and branding (as Graph's organization branding does).
    pub async fn portal_update_branding(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        display_name: &str,
        branding: portico_domain::tenant::Branding,
    ) -> Result<Tenant, AppError> {
        self.update_tenant_branding(&who.ctx, tenant.id, Some(display_name), branding, None)
            .await
    }

    /// The apps `user` is assigned (directly or through a group), as tiles.
    pub async fn my_apps(&self, tenant: &Tenant, user: &User) -> Result<Vec<AppTile>, AppError> {
        let mut principals = vec![user.id.0];
        for g in self
            .store
            .transitive_member_of(tenant.id, user.id.0)
            .await?
        {
            principals.push(g.0);
        }
        let mut tiles: Vec<AppTile> = Vec::new();
        for p in principals {
            for a in self
                .store
                .app_role_assignments_of(tenant.id, p, None)
                .await?
            {
                let Ok(sp) = self
                    .store
                    .get_service_principal(tenant.id, a.resource_id)
                    .await
                else {
                    continue;
                };
                if !sp.account_enabled || tiles.iter().any(|t| t.name == sp.display_name) {
                    continue;
                }
                let url = match self.client_in_tenant(tenant.id, sp.app_id).await? {
                    Some(c) => c
                        .app
                        .redirect_uris
                        .web
                        .first()
                        .and_then(|u| url::Url::parse(u).ok())
                        .map(|u| u.origin().ascii_serialization() + "/"),
                    None => None,
                };
                tiles.push(AppTile {
                    name: sp.display_name,
                    url,
                });
            }
        }
        tiles.sort_by_key(|t| t.name.to_lowercase());
        Ok(tiles)
    }
}
