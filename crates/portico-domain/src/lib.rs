//! Portico's directory domain model: typed ids, entities named as Microsoft Graph names them,
//! validation rules and small state machines. This crate does no IO; every other crate speaks
//! in its types.

pub mod application;
pub mod application_patch;
pub mod audit;
pub mod directory_object;
pub mod error;
pub mod grant;
pub mod group;
pub mod identity_provider;
pub mod ids;
pub mod invitation;
pub mod mail;
pub mod odata;
pub mod oidc_provider;
pub mod otp;
pub mod paging;
pub mod policy;
pub mod role;
pub mod saml_federation;
pub mod signin;
pub mod tenant;
pub mod user;
pub mod validate;
pub mod well_known;

pub use error::ValidationError;
pub use ids::*;

/// Truncates a timestamp to whole microseconds, the precision both storage backends keep,
/// so that a value read back equals the value written.
#[must_use]
pub fn to_storage_precision(t: time::OffsetDateTime) -> time::OffsetDateTime {
    let micros = t.microsecond();
    t.to_offset(time::UtcOffset::UTC)
        .replace_microsecond(micros)
        .unwrap_or(t)
}
