//! Mail waiting in the durable outbox. The message itself (it carries redeem links and
//! passcodes) is sealed by the application before it is stored; the store sees only its kind
//! and its schedule.

use time::OffsetDateTime;

/// What a mail is for (kept readable for operators and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// An invitation to a guest.
    Invitation,
    /// An email one-time passcode.
    Passcode,
    /// A notice that access was granted (automatic redemption).
    Notification,
}

impl MailKind {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Passcode => "passcode",
            Self::Notification => "notification",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invitation" => Some(Self::Invitation),
            "passcode" => Some(Self::Passcode),
            "notification" => Some(Self::Notification),
            _ => None,
        }
    }
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Id (also the message's `Message-ID`, so a retry is recognizable).
    pub id: uuid::Uuid,
    /// What it is.
    pub kind: MailKind,
    /// The message, sealed under the master key.
    pub sealed: String,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// Send attempts so far.
    pub attempts: u32,
    /// Not to be tried before then.
    pub next_attempt_at: OffsetDateTime,
}

impl OutboxMail {
    /// A new row, due at once.
    #[must_use]
    pub fn new(kind: MailKind, sealed: String, now: OffsetDateTime) -> Self {
        Self {
            id: uuid::Uuid::new_v4(),
            kind,
            sealed,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
        }
    }
}

/// How many mails are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting (due or backing off).
    pub pending: u64,
    /// Delivered.
    pub sent: u64,
    /// Given up (permanent failure or too many attempts).
    pub failed: u64,
}
