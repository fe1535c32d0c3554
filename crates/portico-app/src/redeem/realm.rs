//! Home realm discovery for guests, in Entra's precedence order: (1) a tenant on this
//! instance where the address belongs to a member → the guest signs in there; (2) an OIDC
//! federation serving the address's domain, or (3) the Google preset for Gmail addresses →
//! the guest signs in at that provider ([`GuestRealm::External`]); (4) an email one-time
//! passcode, unless the tenant turned passcodes for guests off
//! ([`App::email_otp_for_guests`]); then nothing applies ([`GuestRealm::Nowhere`]).
//! A redeemed guest keeps the method recorded in its identities (sticky until reset); one whose
//! provider was deleted cannot sign in until then ([`GuestRealm::ProviderRemoved`]).

use crate::{App, AppError};
use portico_domain::tenant::Tenant;
use portico_domain::user::{ObjectIdentity, User, UserType};
use portico_domain::{TenantId, UserId};
use portico_store::StoreError;

/// Issuer of the identity a guest who redeemed with an email passcode gets (as in Entra).
pub const MAIL_ISSUER: &str = "mail";

/// Where a guest authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuestRealm {
    /// A member account of another tenant on this instance.
    HomeTenant {
        /// That tenant.
        tenant: Box<Tenant>,
        /// The account.
        user: Box<User>,
    },
    /// The guest's own identity provider (an OIDC federation, or Google).
    External(Box<crate::federation::Upstream>),
    /// An email one-time passcode.
    EmailOtp,
    /// The guest redeemed through an identity provider the tenant has since deleted.
    ProviderRemoved,
    /// Nothing applies (passcodes off and no home).
    Nowhere,
}

/// The sign-in identity recorded for a guest whose home is `home` on this instance.
#[must_use]
pub fn home_identity(home: &Tenant, user: UserId) -> ObjectIdentity {
    ObjectIdentity {
        sign_in_type: "federated".into(),
        issuer: home.initial_domain.as_str().to_owned(),
        issuer_assigned_id: Some(user.to_string()),
    }
}

/// The sign-in identity recorded for a guest who redeemed with a passcode.
#[must_use]
pub fn mail_identity(email: &str) -> ObjectIdentity {
    ObjectIdentity {
        sign_in_type: "federated".into(),
        issuer: MAIL_ISSUER.into(),
        issuer_assigned_id: Some(email.to_lowercase()),
    }
}

/// The guest's recorded external sign-in identity, if it redeemed.
#[must_use]
pub fn external_identity(user: &User) -> Option<&ObjectIdentity> {
    user.identities
        .iter()
        .find(|i| i.sign_in_type == "federated")
}

impl App {
    /// Where the person at `email` authenticates to redeem an invitation of `resource`.
    pub async fn guest_realm(
        &self,
        resource: &Tenant,
        email: &str,
    ) -> Result<GuestRealm, AppError> {
        if let Some((home, user)) = self.member_elsewhere(resource.id, email).await? {
            return Ok(GuestRealm::HomeTenant {
                tenant: Box::new(home),
                user: Box::new(user),
            });
        }
        if let Some(up) = self.upstream_for_email(resource.id, email).await? {
            return Ok(GuestRealm::External(Box::new(up)));
        }
        if self.email_otp_for_guests(resource.id).await? {
            Ok(GuestRealm::EmailOtp)
        } else {
            Ok(GuestRealm::Nowhere)
        }
    }

    /// Where a redeemed guest signs in: the method recorded at redemption. A guest who
    /// redeemed with a passcode cannot sign in while the tenant has passcodes for guests
    /// turned off (as in Entra: until its redemption is reset).
    pub async fn redeemed_guest_realm(
        &self,
        tenant: TenantId,
        guest: &User,
    ) -> Result<GuestRealm, AppError> {
        let Some(identity) = external_identity(guest) else {
            return Ok(GuestRealm::Nowhere);
        };
        if identity.issuer == MAIL_ISSUER {
            return if self.email_otp_for_guests(tenant).await? {
                Ok(GuestRealm::EmailOtp)
            } else {
                Ok(GuestRealm::Nowhere)
            };
        }
        if crate::federation::is_federated_issuer(&identity.issuer) {
            return Ok(match self.upstream_for_identity(tenant, identity).await? {
                Some(up) => GuestRealm::External(Box::new(up)),
                None => GuestRealm::ProviderRemoved,
            });
        }
        let home = match self.resolve_tenant(&identity.issuer).await {
            Ok(t) => t,
            Err(AppError::NotFound(_)) => return Ok(GuestRealm::Nowhere),
            Err(e) => return Err(e),
        };
        let Some(id) = identity
            .issuer_assigned_id
            .as_deref()
            .and_then(|s| uuid::Uuid::try_parse(s).ok())
        else {
            return Ok(GuestRealm::Nowhere);
        };
        match self.store.get_user(home.id, UserId(id)).await {
            Ok(user) => Ok(GuestRealm::HomeTenant {
                tenant: Box::new(home),
                user: Box::new(user),
            }),
            Err(StoreError::NotFound(_)) => Ok(GuestRealm::Nowhere),
            Err(e) => Err(e.into()),
        }
    }

    /// A member account for `email` in another tenant of this instance (found by the
    /// address's domain being one of that tenant's verified domains).
    async fn member_elsewhere(
        &self,
        resource: TenantId,
        email: &str,
    ) -> Result<Option<(Tenant, User)>, AppError> {
        let Some((_, domain)) = email.rsplit_once('@') else {
            return Ok(None);
        };
        let home = match self.resolve_tenant(domain).await {
            Ok(t) if t.id != resource => t,
            Ok(_) | Err(AppError::NotFound(_)) | Err(AppError::Validation(_)) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let user = match self.store.find_user_by_upn(home.id, email).await {
            Ok(u) => Some(u),
            Err(StoreError::NotFound(_)) => {
                let mut by_mail = self.store.find_users_by_mail(home.id, email).await?;
                if by_mail.len() == 1 {
                    by_mail.pop()
                } else {
                    None
                }
            }
            Err(e) => return Err(e.into()),
        };
        Ok(user
            .filter(|u| u.user_type == UserType::Member && u.account_enabled)
            .map(|u| (home, u)))
    }
}
