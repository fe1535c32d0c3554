//! Groups on Portico's pages: the portal's list and creation form (group administrators), and
//! one group's page (its owners, and group administrators): members, add someone by email
//! address — a person already in the organization is added, anyone else is invited as a guest
//! first (when the signed-in person may invite) — and remove. My Apps lists the groups a person
//! owns ("Groups I own"). Every change is the use case Graph calls, run as the signed-in
//! person: owners may change their groups' members, as in Entra.

use crate::portal::{Area, PortalUser};
use crate::{App, AppError};
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::group::{Group, NewGroup};
use portico_domain::invitation::NewInvitation;
use portico_domain::paging::{Page, PageRequest};
use portico_domain::tenant::Tenant;
use portico_domain::user::UserType;
use portico_domain::{GroupId, ValidationError};
use portico_policy::directory::Action;

/// A member as the group page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// The member's object id.
    pub id: uuid::Uuid,
    /// Display name.
    pub name: String,
    /// Address or UPN (users), empty for groups.
    pub address: String,
    /// Whether a guest.
    pub guest: bool,
}

/// One group's page.
#[derive(Debug, Clone)]
pub struct GroupView {
    /// The group.
    pub group: Group,
    /// Its members, by name.
    pub members: Vec<MemberRow>,
    /// Whether the signed-in person may change its members (owner or group administrator).
    pub may_manage: bool,
}

impl App {
    /// The groups `who` owns, by name.
    pub async fn owned_groups(
        &self,
        tenant: &Tenant,
        who: &PortalUser,
    ) -> Result<Vec<Group>, AppError> {
        let mut out = Vec::new();
        for g in self.store.owned_groups(tenant.id, who.user.id.0).await? {
            if let Ok(g) = self.store.get_group(tenant.id, g).await {
                out.push(g);
            }
        }
        out.sort_by_key(|g| g.display_name.to_lowercase());
        Ok(out)
    }

    /// A page of the tenant's groups (portal).
    pub async fn portal_groups(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        after: Option<uuid::Uuid>,
    ) -> Result<Page<Group>, AppError> {
        if !who.is_administrator() {
            return Err(AppError::Forbidden(
                "The admin portal is for people with an administrator role.".into(),
            ));
        }
        self.list_groups(
            &who.ctx,
            tenant.id,
            &PageRequest {
                top: Some(crate::portal_users::USERS_PAGE),
                after,
            },
        )
        .await
    }

    /// Creates a security group owned by the signed-in administrator.
    pub async fn portal_create_group(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        name: &str,
        description: &str,
    ) -> Result<Group, AppError> {
        self.create_group(
            &who.ctx,
            tenant.id,
            NewGroup {
                display_name: name.trim().to_owned(),
                description: (!description.trim().is_empty())
                    .then(|| description.trim().to_owned()),
                mail_nickname: None,
            },
            &[],
        )
        .await
    }

    /// One group's page, for its owners and group administrators.
    pub async fn group_view(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: GroupId,
    ) -> Result<GroupView, AppError> {
        let group = self.store.get_group(tenant.id, id).await?;
        let owner = self
            .store
            .list_group_owners(tenant.id, id)
            .await?
            .iter()
            .any(|o| o.id == who.user.id.0);
        let may_manage = owner || who.may(Action::ManageGroups);
        if !may_manage && !who.is_administrator() {
            return Err(AppError::Forbidden(
                "Only the group's owners and group administrators can see this group here.".into(),
            ));
        }
        let mut members = Vec::new();
        for m in self.list_group_members(&who.ctx, tenant.id, id).await? {
            match m.kind {
                ObjectKind::User => {
                    if let Ok(u) = self
                        .store
                        .get_user(tenant.id, portico_domain::UserId(m.id))
                        .await
                    {
                        members.push(MemberRow {
                            id: m.id,
                            name: u.display_name,
                            address: u.mail.unwrap_or(u.user_principal_name),
                            guest: u.user_type == UserType::Guest,
                        });
                    }
                }
                ObjectKind::Group => {
                    if let Ok(g) = self.store.get_group(tenant.id, GroupId(m.id)).await {
                        members.push(MemberRow {
                            id: m.id,
                            name: g.display_name,
                            address: String::new(),
                            guest: false,
                        });
                    }
                }
                _ => {}
            }
        }
        members.sort_by_key(|m| m.name.to_lowercase());
        Ok(GroupView {
            group,
            members,
            may_manage,
        })
    }

    /// Adds the person with `email` to the group: a user of the organization (by address or
    /// user principal name) is added; anyone else is invited as a guest first (the invitation
    /// email is sent; the signed-in person must be allowed to invite). Returns what to say.
    pub async fn group_add_by_email(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: GroupId,
        email: &str,
    ) -> Result<String, AppError> {
        let email = portico_domain::validate::email("email", email)?;
        let group = self.store.get_group(tenant.id, id).await?;
        let existing = match self.store.find_user_by_upn(tenant.id, &email).await {
            Ok(u) => Some(u),
            Err(portico_store::StoreError::NotFound(_)) => self
                .store
                .find_users_by_mail(tenant.id, &email)
                .await?
                .into_iter()
                .next(),
            Err(e) => return Err(e.into()),
        };
        let (user, invited) = match existing {
            Some(u) => (u, false),
            None => {
                if !who.may_invite() {
                    return Err(ValidationError::new(
                        "email",
                        format!("{email} is not in the organization, and you may not invite guests: ask an administrator to invite them"),
                    )
                    .into());
                }
                let inv = self
                    .invite(
                        &who.ctx,
                        tenant.id,
                        NewInvitation {
                            invited_user_email_address: email.clone(),
                            invite_redirect_url: self.area_url(tenant, Area::MyApps),
                            send_invitation_message: true,
                            ..NewInvitation::default()
                        },
                    )
                    .await?;
                (inv.user, true)
            }
        };
        let member = ObjectRef {
            kind: ObjectKind::User,
            id: user.id.0,
        };
        match self.add_group_member(&who.ctx, tenant.id, id, member).await {
            Ok(()) => {}
            Err(AppError::Conflict { .. }) => {
                return Err(ValidationError::new(
                    "email",
                    format!(
                        "{} is already a member of {}",
                        user.display_name, group.display_name
                    ),
                )
                .into());
            }
            Err(e) => return Err(e),
        }
        Ok(if invited {
            format!(
                "{email} was invited as a guest (the invitation email is on its way) and added to {}.",
                group.display_name
            )
        } else {
            format!("{} was added to {}.", user.display_name, group.display_name)
        })
    }

    /// Removes a member; returns what to say.
    pub async fn group_remove(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: GroupId,
        member: uuid::Uuid,
    ) -> Result<String, AppError> {
        let view = self.group_view(who, tenant, id).await?;
        let Some(m) = view.members.iter().find(|m| m.id == member) else {
            return Err(AppError::NotFound("member"));
        };
        self.remove_group_member(&who.ctx, tenant.id, id, member)
            .await?;
        Ok(format!(
            "{} was removed from {}.",
            m.name, view.group.display_name
        ))
    }
}
