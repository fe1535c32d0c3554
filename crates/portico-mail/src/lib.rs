//! Portico's outgoing mail: the messages Portico sends (B2B invitations, one-time passcodes,
//! redemption notices, block confirmations) rendered from askama templates in HTML and plain
//! text, in English (`en-US`) and German (`de-DE`), and the transports that deliver them:
//! SMTP (lettre over tokio with rustls) or `.eml` files in a directory.
//!
//! The crate knows nothing about tenants or the store: `portico-app` fills a mail's inputs,
//! calls `render`, wraps the result in a [`Message`] and hands it to a [`Transport`] with a
//! stable message id, so a retried delivery carries the same `Message-ID` header.

pub mod files;
pub mod lang;
pub mod mails;
pub mod message;
mod sanitize;
pub mod smtp;
pub mod smtp_pool;
mod templates;
pub mod transport;

pub use files::FileSender;
pub use lang::{Lang, pick_language};
pub use mails::{
    BlockConfirmMail, InvitationMail, OtpMail, RedeemedNotification, RenderError, Rendered,
};
pub use message::{Message, format_mailbox};
pub use smtp::{Security, SmtpSender, SmtpSettings};
pub use transport::{SendError, Transport};
