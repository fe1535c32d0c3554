//! Delivery: the [`Transport`] a deployment configures (SMTP or files), the send error and its
//! retry classification, and the building of the RFC 5322 message both transports share.

use lettre::Address;
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::files::FileSender;
use crate::message::Message;
use crate::sanitize::one_line;
use crate::smtp::SmtpSender;

/// Why a message was not delivered, classified for the retry decision.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later: the server was unreachable or slow, answered 4xx, refused the
    /// login, or the disk was full.
    #[error("transient mail failure: {0}")]
    Transient(String),
    /// Retrying cannot help: an invalid address or message id, or a 5xx answer to the message.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

impl SendError {
    /// Whether a later retry may succeed.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }
}

/// Where mail goes: an SMTP server, or `.eml` files in a directory (development, tests).
#[derive(Clone, Debug)]
pub enum Transport {
    /// Delivery to an SMTP server.
    Smtp(SmtpSender),
    /// Files in a directory, one `.eml` per message.
    Files(FileSender),
}

impl Transport {
    /// Sends `msg`. `message_id` names the message for good: a retry passes the same id, so
    /// the `Message-ID` header (`<{message_id}@portico>`) and, for files, the file name are
    /// the same. It may hold ASCII letters, digits, `-`, `_` and `.` (not first), at most 200.
    ///
    /// # Errors
    /// [`SendError::Permanent`] for an invalid id, address or refused message;
    /// [`SendError::Transient`] when a later attempt may succeed.
    pub async fn send(&self, msg: &Message, message_id: &str) -> Result<(), SendError> {
        match self {
            Transport::Smtp(s) => s.send(msg, message_id).await,
            Transport::Files(f) => f.send(msg, message_id).await,
        }
    }
}

/// The longest message id accepted.
const MAX_MESSAGE_ID: usize = 200;

/// Checks a message id: safe in a header and as a file name.
pub(crate) fn check_message_id(id: &str) -> Result<(), SendError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(SendError::Permanent(format!(
            "invalid message id {id:?}: use 1 to {MAX_MESSAGE_ID} ASCII letters, digits, '-', '_' or '.'"
        )))
    }
}

/// Parses one mailbox (`Name <addr>` or a bare address).
fn mailbox(what: &str, s: &str) -> Result<Mailbox, SendError> {
    s.trim()
        .parse()
        .map_err(|e| SendError::Permanent(format!("invalid {what} address {s:?}: {e}")))
}

/// Builds the RFC 5322 message: `From` (or `default_from` when the message leaves it empty),
/// `To`, `Cc`, `Reply-To`, the subject on one line, `Message-ID: <{message_id}@portico>`,
/// `Auto-Submitted: auto-generated` and a multipart/alternative body (text, then HTML).
/// With `envelope_from`, that address is the envelope sender (`MAIL FROM`).
pub(crate) fn build(
    msg: &Message,
    message_id: &str,
    default_from: Option<&Mailbox>,
    envelope_from: Option<&Address>,
) -> Result<lettre::Message, SendError> {
    check_message_id(message_id)?;
    let from = if msg.from.trim().is_empty() {
        default_from
            .cloned()
            .ok_or_else(|| SendError::Permanent("the message has no sender".to_owned()))?
    } else {
        mailbox("From", &msg.from)?
    };
    let to = mailbox("To", &msg.to)?;
    let cc = msg
        .cc
        .iter()
        .map(|c| mailbox("Cc", c))
        .collect::<Result<Vec<_>, _>>()?;

    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to.clone())
        .subject(one_line(&msg.subject))
        .message_id(Some(format!("<{message_id}@portico>")))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    for c in &cc {
        builder = builder.cc(c.clone());
    }
    if let Some(r) = msg.reply_to.as_deref().filter(|r| !r.trim().is_empty()) {
        builder = builder.reply_to(mailbox("Reply-To", r)?);
    }
    if let Some(sender) = envelope_from {
        let recipients = std::iter::once(&to)
            .chain(&cc)
            .map(|m| m.email.clone())
            .collect();
        let envelope = Envelope::new(Some(sender.clone()), recipients)
            .map_err(|e| SendError::Permanent(format!("invalid envelope: {e}")))?;
        builder = builder.envelope(envelope);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            msg.text.clone(),
            msg.html.clone(),
        ))
        .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> Message {
        Message {
            from: "Contoso via Portico <invites@portico.local>".into(),
            to: "Guest <guest@fabrikam.example>".into(),
            cc: vec!["cc@fabrikam.example".into()],
            reply_to: Some("Admin <admin@contoso.example>".into()),
            subject: "Hello\r\nBcc: evil@example.com".into(),
            text: "text body".into(),
            html: "<p>html body</p>".into(),
        }
    }

    fn headers(m: &lettre::Message) -> String {
        let raw = String::from_utf8(m.formatted()).unwrap();
        raw.split("\r\n\r\n").next().unwrap().to_owned()
    }

    #[test]
    fn message_ids_are_checked() {
        for ok in ["inv-1", "0f8fad5b-d9cb-469f-a165-70867728950e", "a.b_c"] {
            assert!(check_message_id(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(201);
        for bad in [
            "",
            ".hidden",
            "../x",
            "a/b",
            "a b",
            "a@b",
            "<x>",
            "é",
            long.as_str(),
        ] {
            assert!(
                matches!(check_message_id(bad), Err(SendError::Permanent(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn headers_are_set_and_the_subject_cannot_inject() {
        let m = build(&msg(), "inv-42", None, None).unwrap();
        let h = headers(&m);
        assert!(h.contains("Message-ID: <inv-42@portico>"), "{h}");
        assert!(h.contains("Auto-Submitted: auto-generated"), "{h}");
        assert!(h.contains("Reply-To: Admin <admin@contoso.example>"), "{h}");
        assert!(h.contains("Cc: cc@fabrikam.example"), "{h}");
        assert!(h.contains("Subject: Hello Bcc: evil@example.com"), "{h}");
        assert!(!h.contains("\r\nBcc:"), "{h}");
        assert!(h.contains("multipart/alternative"), "{h}");
        let to: Vec<String> = m.envelope().to().iter().map(ToString::to_string).collect();
        assert_eq!(to, ["guest@fabrikam.example", "cc@fabrikam.example"]);
    }

    #[test]
    fn the_envelope_sender_and_default_from_apply() {
        let default: Mailbox = "Portico <noreply@portico.local>".parse().unwrap();
        let bounce: Address = "bounces@portico.local".parse().unwrap();
        let mut m = msg();
        m.from = String::new();
        let built = build(&m, "x1", Some(&default), Some(&bounce)).unwrap();
        assert!(headers(&built).contains("From: Portico <noreply@portico.local>"));
        assert_eq!(built.envelope().from(), Some(&bounce));
        assert!(matches!(
            build(&m, "x1", None, None),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn quoted_and_non_ascii_display_names_are_accepted() {
        let mut m = msg();
        m.from = "\"Müller & Söhne, Köln via Portico\" <invites@portico.local>".into();
        m.to = "Jörg Gast <joerg@fabrikam.example>".into();
        let built = build(&m, "x2", None, None).unwrap();
        let raw = String::from_utf8(built.formatted()).unwrap();
        assert!(raw.is_ascii(), "{raw}");
        assert_eq!(
            built.envelope().from().map(ToString::to_string).as_deref(),
            Some("invites@portico.local")
        );
    }

    #[test]
    fn invalid_addresses_are_permanent() {
        for change in [
            |m: &mut Message| m.to = "not an address".into(),
            |m: &mut Message| m.from = "nobody".into(),
            |m: &mut Message| m.cc = vec!["@x".into()],
            |m: &mut Message| m.reply_to = Some("a@".into()),
        ] {
            let mut m = msg();
            change(&mut m);
            let err = build(&m, "x1", None, None).unwrap_err();
            assert!(!err.is_transient(), "{err}");
        }
    }
}
