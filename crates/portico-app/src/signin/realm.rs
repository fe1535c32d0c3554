//! Home realm discovery: given what the user typed, where do they authenticate? This is the
//! one pluggable step of sign-in. Today a tenant's own members authenticate with a password;
//! later sources (guests' home tenants, federated domains, email one-time passcodes, social
//! providers) are added as further [`Source`]s in [`ORDER`], each answering or passing on.

use crate::{App, AppError};
use portico_domain::tenant::Tenant;
use portico_domain::user::User;
use portico_store::StoreError;

/// Where a user authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Realm {
    /// A local account with a password in this tenant.
    Password(Box<User>),
    /// A local account that has no password (invited or federated, not yet redeemed).
    NoPassword(Box<User>),
    /// Nobody by that name here.
    Unknown,
}

/// A source consulted in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The tenant's own accounts, by UPN, then by email address.
    LocalAccounts,
}

/// The order sources are asked in.
pub const ORDER: &[Source] = &[Source::LocalAccounts];

/// Longest username accepted.
pub const MAX_USERNAME: usize = 256;

impl App {
    /// Finds where `username` authenticates in `tenant`.
    pub async fn home_realm(&self, tenant: &Tenant, username: &str) -> Result<Realm, AppError> {
        let username = username.trim();
        if username.is_empty() || username.len() > MAX_USERNAME {
            return Ok(Realm::Unknown);
        }
        for source in ORDER {
            if let Some(realm) = match source {
                Source::LocalAccounts => self.local_account(tenant, username).await?,
            } {
                return Ok(realm);
            }
        }
        Ok(Realm::Unknown)
    }

    async fn local_account(
        &self,
        tenant: &Tenant,
        username: &str,
    ) -> Result<Option<Realm>, AppError> {
        let user = match self.store.find_user_by_upn(tenant.id, username).await {
            Ok(u) => Some(u),
            Err(StoreError::NotFound(_)) => {
                // A guest who redeemed with a passcode signs in with that address, whatever
                // its `mail` says now; then anyone by a `mail` no one else has.
                let identity = crate::redeem::realm::mail_identity(username);
                match self.store.find_user_by_identity(tenant.id, &identity).await {
                    Ok(u) => Some(u),
                    Err(StoreError::NotFound(_)) => {
                        let mut by_mail =
                            self.store.find_users_by_mail(tenant.id, username).await?;
                        if by_mail.len() == 1 {
                            by_mail.pop()
                        } else {
                            None
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        Ok(user.map(|u| {
            if u.has_password {
                Realm::Password(Box::new(u))
            } else {
                Realm::NoPassword(Box::new(u))
            }
        }))
    }
}
