//! Keyset paging: a page of results plus the opaque position after its last item.

/// How many items a page may hold at most, whatever the caller asks.
pub const MAX_PAGE_SIZE: u32 = 999;
/// Page size when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Which page to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Maximum items; clamped to `1..=MAX_PAGE_SIZE`, `None` means the default.
    pub top: Option<u32>,
    /// Continue after this key (from `Page::next`).
    pub after: Option<uuid::Uuid>,
}

impl PageRequest {
    /// The effective page size.
    #[must_use]
    pub fn limit(&self) -> u32 {
        self.top
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE)
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<uuid::Uuid>,
}
