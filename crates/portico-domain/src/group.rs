//! Security groups.

use crate::validate;
use crate::{GroupId, ValidationError};
use time::OffsetDateTime;

/// A group object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Object id.
    pub id: GroupId,
    /// Name.
    pub display_name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Mail alias (required by Graph even for security groups).
    pub mail_nickname: String,
    /// Security group (true for every group Portico creates today).
    pub security_enabled: bool,
    /// Mail-enabled (false: Portico has no mailboxes).
    pub mail_enabled: bool,
    /// When created.
    pub created_date_time: OffsetDateTime,
    /// When soft-deleted.
    pub deleted_date_time: Option<OffsetDateTime>,
}

/// A partial update of a group (Graph `PATCH /groups/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPatch {
    /// `displayName`.
    pub display_name: Option<String>,
    /// `description` (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// `mailNickname`.
    pub mail_nickname: Option<String>,
}

impl GroupPatch {
    /// Applies the patch, validating like [`NewGroup::build`].
    pub fn apply(self, group: &Group) -> Result<Group, ValidationError> {
        let mut g = group.clone();
        if let Some(v) = self.display_name {
            g.display_name = validate::display_name("displayName", &v)?;
        }
        if let Some(v) = self.description {
            g.description = validate::optional_text("description", v.as_deref(), 1024)?;
        }
        if let Some(v) = self.mail_nickname {
            let probe = NewGroup {
                display_name: g.display_name.clone(),
                description: None,
                mail_nickname: Some(v),
            }
            .build(g.created_date_time)?;
            g.mail_nickname = probe.mail_nickname;
        }
        Ok(g)
    }
}

/// What a caller may set when creating a group.
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    /// Required.
    pub display_name: String,
    /// Optional.
    pub description: Option<String>,
    /// Required by Graph; derived from the display name when absent.
    pub mail_nickname: Option<String>,
}

impl NewGroup {
    /// Validates and builds a security group with a fresh id.
    pub fn build(self, now: OffsetDateTime) -> Result<Group, ValidationError> {
        let display_name = validate::display_name("displayName", &self.display_name)?;
        let mail_nickname = match self.mail_nickname.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => {
                if n.len() > 64
                    || !n
                        .chars()
                        .all(|c| c.is_ascii_graphic() && !"@()\\[]\";:<>,".contains(c))
                {
                    return Err(ValidationError::new(
                        "mailNickname",
                        "must be 1 to 64 printable ASCII characters without spaces or @ ( ) \\ [ ] \" ; : < > ,",
                    ));
                }
                n.to_owned()
            }
            _ => {
                let derived: String = display_name
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(64)
                    .collect();
                if derived.is_empty() {
                    "group".to_owned()
                } else {
                    derived
                }
            }
        };
        Ok(Group {
            id: GroupId::new(),
            display_name,
            description: validate::optional_text("description", self.description.as_deref(), 1024)?,
            mail_nickname,
            security_enabled: true,
            mail_enabled: false,
            created_date_time: now,
            deleted_date_time: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_groups_and_refuses_bad_nicknames() {
        let now = time::macros::datetime!(2026-01-01 00:00 UTC);
        let g = NewGroup {
            display_name: "Partners — EU".into(),
            ..NewGroup::default()
        }
        .build(now)
        .unwrap();
        assert_eq!(g.mail_nickname, "PartnersEU");
        assert!(g.security_enabled && !g.mail_enabled);
        let e = NewGroup {
            display_name: "x".into(),
            mail_nickname: Some("has space".into()),
            ..NewGroup::default()
        }
        .build(now)
        .unwrap_err();
        assert_eq!(e.field, "mailNickname");
    }
}
