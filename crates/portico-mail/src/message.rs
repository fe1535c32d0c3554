//! The message handed to a transport: addresses, subject and both bodies.

use serde::{Deserialize, Serialize};

use crate::mails::Rendered;

/// One mail ready to send. It may be stored (serde) in an outbox and sent later.
///
/// `Debug` shows only the recipient and subject: bodies carry one-time passcodes and redeem
/// links, which must not reach logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The `From` mailbox, e.g. `Contoso via Portico <invites@portico.local>`. Empty means
    /// the transport's default sender (SMTP settings' `from`).
    pub from: String,
    /// The recipient's mailbox or bare address.
    pub to: String,
    /// Further recipients shown in `Cc`.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Where replies go (for an invitation, typically the inviter).
    #[serde(default)]
    pub reply_to: Option<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl Message {
    /// A message to `to` from `from` with a rendered mail's subject and bodies.
    #[must_use]
    pub fn new(from: impl Into<String>, to: impl Into<String>, rendered: Rendered) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
            cc: Vec::new(),
            reply_to: None,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        }
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Formats a mailbox (`"Display Name" <address>`, quoted and encoded as RFC 5322 needs), e.g.
/// for `Contoso via Portico <invites@portico.local>` from an organization's name that may hold
/// commas or quotes. `None` when the address is not a valid email address.
#[must_use]
pub fn format_mailbox(display_name: Option<&str>, address: &str) -> Option<String> {
    let address: lettre::Address = address.trim().parse().ok()?;
    let name = display_name
        .map(crate::sanitize::one_line)
        .filter(|n| !n.is_empty());
    Some(lettre::message::Mailbox::new(name, address).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        Message::new(
            "Contoso via Portico <invites@portico.local>",
            "guest@fabrikam.example",
            Rendered {
                subject: "Contoso account verification code".into(),
                text: "Your verification code is: 123456".into(),
                html: "<p>Your verification code is: <b>123456</b></p>".into(),
            },
        )
    }

    #[test]
    fn debug_hides_the_bodies() {
        let shown = format!("{:?}", sample());
        assert!(shown.contains("guest@fabrikam.example"), "{shown}");
        assert!(shown.contains("verification code"), "{shown}");
        assert!(!shown.contains("123456"), "{shown}");
    }

    #[test]
    fn serde_round_trips() {
        let m = sample();
        let json = serde_json::to_string(&m).unwrap();
        let back: Message = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn mailboxes_are_quoted_when_needed() {
        assert_eq!(
            format_mailbox(Some("Contoso via Portico"), "invites@portico.local").unwrap(),
            "Contoso via Portico <invites@portico.local>"
        );
        let odd = format_mailbox(Some("Doe, \"J\"\r\nBcc: x@evil.example"), "a@b.example").unwrap();
        assert!(!odd.contains('\n'), "{odd}");
        let parsed: lettre::message::Mailbox = odd.parse().unwrap();
        assert_eq!(parsed.email.to_string(), "a@b.example");
        assert_eq!(format_mailbox(None, "a@b.example").unwrap(), "a@b.example");
        assert!(format_mailbox(Some("x"), "not an address").is_none());
    }
}
