//! Users, members and guests, with the properties B2B collaboration relies on, named as
//! Microsoft Graph names them.

use crate::validate;
use crate::{UserId, ValidationError};
use time::OffsetDateTime;

/// How long a deleted user stays restorable, as in Entra.
pub const SOFT_DELETE_RETENTION: time::Duration = time::Duration::days(30);

/// `userType`: member of the organization or guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserType {
    /// An internal user.
    Member,
    /// An external (B2B) user.
    Guest,
}

impl UserType {
    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::Guest => "Guest",
        }
    }

    /// Parses Graph's value (case-insensitive, as Graph accepts it).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("Member") {
            Some(Self::Member)
        } else if s.eq_ignore_ascii_case("Guest") {
            Some(Self::Guest)
        } else {
            None
        }
    }
}

/// `creationType`: how the account came to be. `None` (Graph's null) for ordinary accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreationType {
    /// Created by an invitation.
    Invitation,
    /// Created through self-service sign-up.
    SelfServiceSignUp,
    /// A local account of a customer tenant.
    LocalAccount,
    /// Signed up through email verification.
    EmailVerified,
}

impl CreationType {
    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "Invitation",
            Self::SelfServiceSignUp => "SelfServiceSignUp",
            Self::LocalAccount => "LocalAccount",
            Self::EmailVerified => "EmailVerified",
        }
    }

    /// Parses Graph's value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Invitation,
            Self::SelfServiceSignUp,
            Self::LocalAccount,
            Self::EmailVerified,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// `externalUserState` of an invited guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExternalUserState {
    /// Invited, not yet redeemed.
    PendingAcceptance,
    /// Redeemed.
    Accepted,
}

impl ExternalUserState {
    /// Graph's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingAcceptance => "PendingAcceptance",
            Self::Accepted => "Accepted",
        }
    }

    /// Parses Graph's value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PendingAcceptance" => Some(Self::PendingAcceptance),
            "Accepted" => Some(Self::Accepted),
            _ => None,
        }
    }
}

/// Graph's `objectIdentity`: one way the user signs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectIdentity {
    /// `userPrincipalName`, `emailAddress`, `userName`, `federated`, ...
    pub sign_in_type: String,
    /// The issuer: a domain for local identities, the IdP for federated ones.
    pub issuer: String,
    /// The user's id at that issuer (null for `federated` identities of some IdPs).
    pub issuer_assigned_id: Option<String>,
}

impl ObjectIdentity {
    /// The key that makes an identity unique in a tenant: issuer case-insensitive; the id
    /// case-insensitive for name-like sign-in types and exact for opaque federated subjects.
    #[must_use]
    pub fn unique_key(&self) -> String {
        let id = self.issuer_assigned_id.as_deref().unwrap_or("");
        let id = match self.sign_in_type.as_str() {
            "emailAddress" | "userName" | "userPrincipalName" => id.to_lowercase(),
            _ => id.to_owned(),
        };
        format!(
            "{}\n{}\n{}",
            self.sign_in_type,
            self.issuer.to_lowercase(),
            id
        )
    }

    /// Validates the parts.
    pub fn validated(self) -> Result<Self, ValidationError> {
        let sign_in_type = self.sign_in_type.trim().to_owned();
        if sign_in_type.is_empty()
            || sign_in_type.len() > 64
            || !sign_in_type.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(ValidationError::new(
                "identities.signInType",
                "must be 1 to 64 characters, e.g. emailAddress or federated",
            ));
        }
        let issuer = self.issuer.trim().to_owned();
        if issuer.is_empty() || issuer.len() > 512 || issuer.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "identities.issuer",
                "must be 1 to 512 characters without control characters",
            ));
        }
        let issuer_assigned_id = validate::optional_text(
            "identities.issuerAssignedId",
            self.issuer_assigned_id.as_deref(),
            512,
        )?;
        if sign_in_type != "federated" && issuer_assigned_id.is_none() {
            return Err(ValidationError::new(
                "identities.issuerAssignedId",
                format!("is required for signInType {sign_in_type}"),
            ));
        }
        Ok(Self {
            sign_in_type,
            issuer,
            issuer_assigned_id,
        })
    }
}

/// A user object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Object id.
    pub id: UserId,
    /// Name shown everywhere.
    pub display_name: String,
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub surname: Option<String>,
    /// Primary email address.
    pub mail: Option<String>,
    /// Additional email addresses.
    pub other_mails: Vec<String>,
    /// Mail alias.
    pub mail_nickname: Option<String>,
    /// Sign-in name, unique in the tenant (case-insensitive).
    pub user_principal_name: String,
    /// Member or Guest.
    pub user_type: UserType,
    /// Whether the account may sign in.
    pub account_enabled: bool,
    /// How the account was created.
    pub creation_type: Option<CreationType>,
    /// Invitation state of a guest.
    pub external_user_state: Option<ExternalUserState>,
    /// When `external_user_state` last changed.
    pub external_user_state_change_date_time: Option<OffsetDateTime>,
    /// Ways the user signs in.
    pub identities: Vec<ObjectIdentity>,
    /// Company name.
    pub company_name: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Preferred language (BCP 47).
    pub preferred_language: Option<String>,
    /// Whether the user has a local password.
    pub has_password: bool,
    /// Graph's `passwordProfile.forceChangePasswordNextSignIn`.
    pub force_change_password_next_sign_in: bool,
    /// When the password was last set.
    pub last_password_change_date_time: Option<OffsetDateTime>,
    /// When created.
    pub created_date_time: OffsetDateTime,
    /// When soft-deleted; `None` for live users.
    pub deleted_date_time: Option<OffsetDateTime>,
}

/// What a caller may set when creating a user. Validated into a [`User`] by [`NewUser::build`].
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Required.
    pub display_name: String,
    /// Required.
    pub user_principal_name: String,
    /// Defaults to Member.
    pub user_type: Option<UserType>,
    /// Defaults to true.
    pub account_enabled: Option<bool>,
    /// Optional.
    pub given_name: Option<String>,
    /// Optional.
    pub surname: Option<String>,
    /// Optional.
    pub mail: Option<String>,
    /// Optional.
    pub other_mails: Vec<String>,
    /// Optional; defaults to the UPN's alias.
    pub mail_nickname: Option<String>,
    /// Optional.
    pub creation_type: Option<CreationType>,
    /// Optional.
    pub external_user_state: Option<ExternalUserState>,
    /// Optional.
    pub identities: Vec<ObjectIdentity>,
    /// Optional.
    pub company_name: Option<String>,
    /// Optional.
    pub job_title: Option<String>,
    /// Optional.
    pub preferred_language: Option<String>,
}

impl NewUser {
    /// Validates every property and builds the user with a fresh id. The caller adds the
    /// password separately.
    pub fn build(self, now: OffsetDateTime) -> Result<User, ValidationError> {
        let upn = validate::user_principal_name("userPrincipalName", &self.user_principal_name)?;
        let alias = upn.split('@').next().unwrap_or_default().to_owned();
        let mail = self
            .mail
            .as_deref()
            .map(|m| validate::email("mail", m))
            .transpose()?;
        let other_mails = self
            .other_mails
            .iter()
            .map(|m| validate::email("otherMails", m))
            .collect::<Result<Vec<_>, _>>()?;
        if other_mails.len() > 250 {
            return Err(ValidationError::new(
                "otherMails",
                "may hold at most 250 addresses",
            ));
        }
        let identities = self
            .identities
            .into_iter()
            .map(ObjectIdentity::validated)
            .collect::<Result<Vec<_>, _>>()?;
        let mut keys: Vec<String> = identities.iter().map(ObjectIdentity::unique_key).collect();
        keys.sort();
        keys.dedup();
        if keys.len() != identities.len() {
            return Err(ValidationError::new(
                "identities",
                "lists the same identity twice",
            ));
        }
        Ok(User {
            id: UserId::new(),
            display_name: validate::display_name("displayName", &self.display_name)?,
            given_name: validate::optional_text("givenName", self.given_name.as_deref(), 64)?,
            surname: validate::optional_text("surname", self.surname.as_deref(), 64)?,
            mail,
            other_mails,
            mail_nickname: Some(
                validate::optional_text("mailNickname", self.mail_nickname.as_deref(), 64)?
                    .unwrap_or(alias),
            ),
            user_principal_name: upn,
            user_type: self.user_type.unwrap_or(UserType::Member),
            account_enabled: self.account_enabled.unwrap_or(true),
            creation_type: self.creation_type,
            external_user_state: self.external_user_state,
            external_user_state_change_date_time: self.external_user_state.map(|_| now),
            identities,
            company_name: validate::optional_text("companyName", self.company_name.as_deref(), 64)?,
            job_title: validate::optional_text("jobTitle", self.job_title.as_deref(), 128)?,
            preferred_language: self
                .preferred_language
                .as_deref()
                .map(|l| validate::language_tag("preferredLanguage", l))
                .transpose()?,
            has_password: false,
            force_change_password_next_sign_in: false,
            last_password_change_date_time: None,
            created_date_time: now,
            deleted_date_time: None,
        })
    }
}

/// A partial update of a user (Graph `PATCH /users/{id}`): `None` leaves a property as it
/// is; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// `displayName`.
    pub display_name: Option<String>,
    /// `givenName`.
    pub given_name: Option<Option<String>>,
    /// `surname`.
    pub surname: Option<Option<String>>,
    /// `mail`.
    pub mail: Option<Option<String>>,
    /// `otherMails` (replaces the list).
    pub other_mails: Option<Vec<String>>,
    /// `mailNickname`.
    pub mail_nickname: Option<Option<String>>,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// `userType` (conversion between Member and Guest).
    pub user_type: Option<UserType>,
    /// `accountEnabled`.
    pub account_enabled: Option<bool>,
    /// `companyName`.
    pub company_name: Option<Option<String>>,
    /// `jobTitle`.
    pub job_title: Option<Option<String>>,
    /// `preferredLanguage`.
    pub preferred_language: Option<Option<String>>,
    /// `identities` (replaces the list).
    pub identities: Option<Vec<ObjectIdentity>>,
    /// `passwordProfile.forceChangePasswordNextSignIn` (the password itself is set apart).
    pub force_change_password_next_sign_in: Option<bool>,
}

impl UserPatch {
    /// Whether the patch changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Applies the patch to `user`, validating every changed property like [`NewUser::build`].
    pub fn apply(self, user: &User) -> Result<User, ValidationError> {
        let mut u = user.clone();
        if let Some(v) = self.display_name {
            u.display_name = validate::display_name("displayName", &v)?;
        }
        if let Some(v) = self.given_name {
            u.given_name = validate::optional_text("givenName", v.as_deref(), 64)?;
        }
        if let Some(v) = self.surname {
            u.surname = validate::optional_text("surname", v.as_deref(), 64)?;
        }
        if let Some(v) = self.mail {
            u.mail = v
                .as_deref()
                .map(|m| validate::email("mail", m))
                .transpose()?;
        }
        if let Some(v) = self.other_mails {
            if v.len() > 250 {
                return Err(ValidationError::new(
                    "otherMails",
                    "may hold at most 250 addresses",
                ));
            }
            u.other_mails = v
                .iter()
                .map(|m| validate::email("otherMails", m))
                .collect::<Result<Vec<_>, _>>()?;
        }
        if let Some(v) = self.mail_nickname {
            u.mail_nickname = validate::optional_text("mailNickname", v.as_deref(), 64)?;
        }
        if let Some(v) = self.user_principal_name {
            u.user_principal_name = validate::user_principal_name("userPrincipalName", &v)?;
        }
        if let Some(v) = self.user_type {
            u.user_type = v;
        }
        if let Some(v) = self.account_enabled {
            u.account_enabled = v;
        }
        if let Some(v) = self.company_name {
            u.company_name = validate::optional_text("companyName", v.as_deref(), 64)?;
        }
        if let Some(v) = self.job_title {
            u.job_title = validate::optional_text("jobTitle", v.as_deref(), 128)?;
        }
        if let Some(v) = self.preferred_language {
            u.preferred_language = v
                .as_deref()
                .map(|l| validate::language_tag("preferredLanguage", l))
                .transpose()?;
        }
        if let Some(v) = self.identities {
            let identities = v
                .into_iter()
                .map(ObjectIdentity::validated)
                .collect::<Result<Vec<_>, _>>()?;
            let mut keys: Vec<String> = identities.iter().map(ObjectIdentity::unique_key).collect();
            keys.sort();
            keys.dedup();
            if keys.len() != identities.len() {
                return Err(ValidationError::new(
                    "identities",
                    "lists the same identity twice",
                ));
            }
            u.identities = identities;
        }
        if let Some(v) = self.force_change_password_next_sign_in {
            u.force_change_password_next_sign_in = v;
        }
        Ok(u)
    }
}

/// Filters for listing users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Only Members or only Guests.
    pub user_type: Option<UserType>,
    /// Only enabled or only blocked accounts.
    pub account_enabled: Option<bool>,
    /// Case-insensitive prefix of displayName, userPrincipalName or mail.
    pub starts_with: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-01-01 00:00 UTC)
    }

    #[test]
    fn builds_a_member_with_defaults() {
        let u = NewUser {
            display_name: "Ann Lee".into(),
            user_principal_name: "Ann@Contoso.com".into(),
            ..NewUser::default()
        }
        .build(now())
        .unwrap();
        assert_eq!(u.user_principal_name, "Ann@contoso.com");
        assert_eq!(u.user_type, UserType::Member);
        assert!(u.account_enabled);
        assert_eq!(u.mail_nickname.as_deref(), Some("Ann"));
        assert!(!u.has_password);
    }

    #[test]
    fn refuses_bad_fields_with_the_field_name() {
        let base = NewUser {
            display_name: "Ann".into(),
            user_principal_name: "ann@contoso.com".into(),
            ..NewUser::default()
        };
        let e = NewUser {
            display_name: " ".into(),
            ..base.clone()
        }
        .build(now())
        .unwrap_err();
        assert_eq!(e.field, "displayName");
        let e = NewUser {
            mail: Some("nope".into()),
            ..base.clone()
        }
        .build(now())
        .unwrap_err();
        assert_eq!(e.field, "mail");
        let e = NewUser {
            preferred_language: Some("!!".into()),
            ..base.clone()
        }
        .build(now())
        .unwrap_err();
        assert_eq!(e.field, "preferredLanguage");
        let dup = ObjectIdentity {
            sign_in_type: "emailAddress".into(),
            issuer: "contoso.com".into(),
            issuer_assigned_id: Some("a@x.com".into()),
        };
        let mut dup2 = dup.clone();
        dup2.issuer_assigned_id = Some("A@X.com".into());
        let e = NewUser {
            identities: vec![dup, dup2],
            ..base
        }
        .build(now())
        .unwrap_err();
        assert_eq!(e.field, "identities");
    }

    #[test]
    fn identity_keys_respect_case_rules() {
        let fed = |id: &str| ObjectIdentity {
            sign_in_type: "federated".into(),
            issuer: "https://idp.example".into(),
            issuer_assigned_id: Some(id.into()),
        };
        assert_ne!(fed("Abc").unique_key(), fed("abc").unique_key());
        let mail = |id: &str| ObjectIdentity {
            sign_in_type: "emailAddress".into(),
            issuer: "Contoso.com".into(),
            issuer_assigned_id: Some(id.into()),
        };
        assert_eq!(mail("A@x.com").unique_key(), mail("a@X.com").unique_key());
    }

    #[test]
    fn enums_round_trip() {
        for t in [UserType::Member, UserType::Guest] {
            assert_eq!(UserType::parse(t.as_str()), Some(t));
        }
        assert_eq!(UserType::parse("guest"), Some(UserType::Guest));
        for c in [CreationType::Invitation, CreationType::SelfServiceSignUp] {
            assert_eq!(CreationType::parse(c.as_str()), Some(c));
        }
        for s in [
            ExternalUserState::PendingAcceptance,
            ExternalUserState::Accepted,
        ] {
            assert_eq!(ExternalUserState::parse(s.as_str()), Some(s));
        }
    }
}
