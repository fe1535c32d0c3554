//! Time as the use cases see it: the system clock in production, a settable one in tests.

use std::sync::Mutex;
use time::OffsetDateTime;

/// A source of the current time, truncated to what storage keeps (microseconds).
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        portico_domain::to_storage_precision(OffsetDateTime::now_utc())
    }
}

/// A clock that stands still until moved (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// Starts at `t`.
    #[must_use]
    pub fn new(t: OffsetDateTime) -> Self {
        Self(Mutex::new(portico_domain::to_storage_precision(t)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: time::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|p| *p.into_inner())
    }
}
