//! B2B invitations (Graph `invitation`): the request as Graph validates it, and the guest user
//! object an invitation creates at once — `userType` Guest, `creationType` Invitation,
//! `externalUserState` PendingAcceptance, UPN `<email with @ replaced by _>#EXT#@<initial
//! domain>` (never changed afterwards), `mail` the invited address, and an identity naming the
//! host tenant until redemption.

use crate::user::{CreationType, ExternalUserState, NewUser, ObjectIdentity, User, UserType};
use crate::{UserId, ValidationError, validate};
use time::OffsetDateTime;

/// Most characters of `customizedMessageBody` (the email renders it as plain text).
pub const MAX_MESSAGE_BODY: usize = 5000;
/// Most sponsors a guest may have (as `invitedUserSponsors`).
pub const MAX_SPONSORS: usize = 5;

/// A recipient of the invitation email (`ccRecipients`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipient {
    /// Display name.
    pub name: Option<String>,
    /// Address.
    pub address: String,
}

/// `invitedUserMessageInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageInfo {
    /// At most one additional recipient, as in Graph.
    pub cc_recipients: Vec<Recipient>,
    /// Plain text shown in the email (HTML is not interpreted).
    pub customized_message_body: Option<String>,
    /// Language of the email (`en-US` style).
    pub message_language: Option<String>,
}

/// What a caller sends to `POST /invitations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewInvitation {
    /// Required: the address invited.
    pub invited_user_email_address: String,
    /// Required: where the guest lands after redemption (absolute http or https).
    pub invite_redirect_url: String,
    /// Optional display name of the new user (the address when absent).
    pub invited_user_display_name: Option<String>,
    /// Whether Portico sends the email (default false: the caller distributes the link).
    pub send_invitation_message: bool,
    /// The email's extras.
    pub message_info: MessageInfo,
    /// Guest (default) or Member (administrators only: checked by the use case).
    pub invited_user_type: Option<UserType>,
    /// Reset the redemption of `invited_user` (which is then required).
    pub reset_redemption: bool,
    /// An existing user to re-invite or convert.
    pub invited_user: Option<UserId>,
    /// Users or groups to make the guest's sponsors (the inviter when empty).
    pub sponsors: Vec<uuid::Uuid>,
}

impl NewInvitation {
    /// Validates every field as Graph does and canonicalizes them.
    pub fn validated(self) -> Result<Self, ValidationError> {
        let email = validate::email("invitedUserEmailAddress", &self.invited_user_email_address)?;
        let redirect =
            validate::absolute_url("inviteRedirectUrl", &self.invite_redirect_url, false)?;
        let display_name = self
            .invited_user_display_name
            .as_deref()
            .map(|n| validate::display_name("invitedUserDisplayName", n))
            .transpose()?;
        if self.message_info.cc_recipients.len() > 1 {
            return Err(ValidationError::new(
                "invitedUserMessageInfo.ccRecipients",
                "only one additional recipient is supported",
            ));
        }
        let cc_recipients = self
            .message_info
            .cc_recipients
            .into_iter()
            .map(|r| {
                Ok(Recipient {
                    name: validate::optional_text(
                        "invitedUserMessageInfo.ccRecipients.emailAddress.name",
                        r.name.as_deref(),
                        256,
                    )?,
                    address: validate::email(
                        "invitedUserMessageInfo.ccRecipients.emailAddress.address",
                        &r.address,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, ValidationError>>()?;
        let body = validate::optional_text(
            "invitedUserMessageInfo.customizedMessageBody",
            self.message_info.customized_message_body.as_deref(),
            MAX_MESSAGE_BODY,
        )?;
        let language = self
            .message_info
            .message_language
            .as_deref()
            .map(|l| validate::language_tag("invitedUserMessageInfo.messageLanguage", l))
            .transpose()?;
        if self.reset_redemption && self.invited_user.is_none() {
            return Err(ValidationError::new(
                "invitedUser",
                "resetRedemption needs invitedUser.id: the user whose redemption is reset",
            ));
        }
        let mut sponsors = Vec::new();
        for s in self.sponsors {
            if !sponsors.contains(&s) {
                sponsors.push(s);
            }
        }
        if sponsors.len() > MAX_SPONSORS {
            return Err(ValidationError::new(
                "invitedUserSponsors",
                format!("a guest may have at most {MAX_SPONSORS} sponsors"),
            ));
        }
        Ok(Self {
            invited_user_email_address: email,
            invite_redirect_url: redirect.into(),
            invited_user_display_name: display_name,
            send_invitation_message: self.send_invitation_message,
            message_info: MessageInfo {
                cc_recipients,
                customized_message_body: body,
                message_language: language,
            },
            invited_user_type: self.invited_user_type,
            reset_redemption: self.reset_redemption,
            invited_user: self.invited_user,
            sponsors,
        })
    }
}

/// The guest's UPN: the invited address with `@` replaced by `_`, then `#EXT#@` and the
/// inviting tenant's initial domain (`john_contoso.com#EXT#@fabrikam.onportico.test`).
#[must_use]
pub fn guest_upn(email: &str, initial_domain: &str) -> String {
    format!("{}#EXT#@{initial_domain}", email.replace('@', "_"))
}

/// The user object a new invitation creates (validated like any user).
pub fn guest_user(
    invitation: &NewInvitation,
    initial_domain: &str,
    now: OffsetDateTime,
) -> Result<User, ValidationError> {
    let email = &invitation.invited_user_email_address;
    NewUser {
        display_name: invitation
            .invited_user_display_name
            .clone()
            .unwrap_or_else(|| email.clone()),
        user_principal_name: guest_upn(email, initial_domain),
        user_type: Some(invitation.invited_user_type.unwrap_or(UserType::Guest)),
        mail: Some(email.clone()),
        creation_type: Some(CreationType::Invitation),
        external_user_state: Some(ExternalUserState::PendingAcceptance),
        identities: vec![ObjectIdentity {
            sign_in_type: "userPrincipalName".into(),
            issuer: initial_domain.to_owned(),
            issuer_assigned_id: Some(guest_upn(email, initial_domain)),
        }],
        preferred_language: invitation.message_info.message_language.clone(),
        ..NewUser::default()
    }
    .build(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-24 00:00 UTC)
    }

    fn invite(email: &str) -> NewInvitation {
        NewInvitation {
            invited_user_email_address: email.into(),
            invite_redirect_url: "https://myapps.contoso.example/".into(),
            ..NewInvitation::default()
        }
    }

    #[test]
    fn the_guest_is_created_as_entra_creates_it() {
        let inv = invite("John.Doe@Fabrikam.COM").validated().unwrap();
        assert_eq!(inv.invited_user_email_address, "John.Doe@fabrikam.com");
        let u = guest_user(&inv, "contoso.onportico.test", now()).unwrap();
        assert_eq!(
            u.user_principal_name,
            "John.Doe_fabrikam.com#EXT#@contoso.onportico.test"
        );
        assert_eq!(u.user_type, UserType::Guest);
        assert_eq!(u.creation_type, Some(CreationType::Invitation));
        assert_eq!(
            u.external_user_state,
            Some(ExternalUserState::PendingAcceptance)
        );
        assert_eq!(u.mail.as_deref(), Some("John.Doe@fabrikam.com"));
        assert_eq!(u.display_name, "John.Doe@fabrikam.com");
        assert_eq!(u.identities[0].issuer, "contoso.onportico.test");
    }

    #[test]
    fn graph_rules_refuse_bad_invitations() {
        for (bad, field) in [
            (invite("a+tag@fabrikam.com"), "invitedUserEmailAddress"),
            (invite("-a@fabrikam.com"), "invitedUserEmailAddress"),
            (invite("no-at-sign"), "invitedUserEmailAddress"),
            (
                NewInvitation {
                    invite_redirect_url: "/relative".into(),
                    ..invite("a@fabrikam.com")
                },
                "inviteRedirectUrl",
            ),
            (
                NewInvitation {
                    invite_redirect_url: "javascript:alert(1)".into(),
                    ..invite("a@fabrikam.com")
                },
                "inviteRedirectUrl",
            ),
            (
                NewInvitation {
                    reset_redemption: true,
                    ..invite("a@fabrikam.com")
                },
                "invitedUser",
            ),
            (
                NewInvitation {
                    message_info: MessageInfo {
                        cc_recipients: vec![
                            Recipient {
                                name: None,
                                address: "b@fabrikam.com".into(),
                            },
                            Recipient {
                                name: None,
                                address: "c@fabrikam.com".into(),
                            },
                        ],
                        ..MessageInfo::default()
                    },
                    ..invite("a@fabrikam.com")
                },
                "invitedUserMessageInfo.ccRecipients",
            ),
            (
                NewInvitation {
                    message_info: MessageInfo {
                        message_language: Some("not a language".into()),
                        ..MessageInfo::default()
                    },
                    ..invite("a@fabrikam.com")
                },
                "invitedUserMessageInfo.messageLanguage",
            ),
            (
                NewInvitation {
                    sponsors: (0..6).map(|_| uuid::Uuid::new_v4()).collect(),
                    ..invite("a@fabrikam.com")
                },
                "invitedUserSponsors",
            ),
        ] {
            assert_eq!(bad.validated().unwrap_err().field, field);
        }
        let ok = NewInvitation {
            sponsors: vec![uuid::Uuid::nil(), uuid::Uuid::nil()],
            invited_user_type: Some(UserType::Member),
            ..invite("under_score@fabrikam.com")
        }
        .validated()
        .unwrap();
        assert_eq!(ok.sponsors.len(), 1, "duplicates collapse");
        let member = guest_user(&ok, "contoso.onportico.test", now()).unwrap();
        assert_eq!(member.user_type, UserType::Member);
    }
}

/// A stored invitation: one redeem ticket (kept only as a keyed hash) for one user object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Invitation id (the `user=` of the redeem URL, as in Entra).
    pub id: uuid::Uuid,
    /// The invited user object.
    pub user_id: UserId,
    /// Keyed hash of the redeem ticket.
    pub ticket_hash: String,
    /// The address invited.
    pub invited_email: String,
    /// Where the guest lands after redemption.
    pub redirect_url: String,
    /// Whether Portico sends the invitation email.
    pub send_message: bool,
    /// The email's extras.
    pub message_info: MessageInfo,
    /// Who invited (a user principal name or an app's name), for the email and the audit.
    pub invited_by: String,
    /// When.
    pub created_at: OffsetDateTime,
    /// When redeemed.
    pub redeemed_at: Option<OffsetDateTime>,
    /// When a newer invitation (or a reset) replaced it.
    pub revoked_at: Option<OffsetDateTime>,
}
