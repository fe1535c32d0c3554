//! The SAML 2.0 service-provider core: pure logic, no HTTP server, tenants, store or async.
//!
//! * [`sp_metadata`] writes the metadata a partner IdP imports for a tenant ([`SpConfig`]).
//! * [`authn_request`] and [`redirect_url`] start an SP-initiated sign-in over the HTTP-Redirect
//!   binding; [`is_valid_request_id`] checks the request ID the caller chose.
//! * [`parse_idp_metadata`] and [`parse_certificate`] read a partner's metadata and signing
//!   certificates.
//! * [`validate_response`] checks a SAMLResponse posted to the assertion consumer service
//!   against [`Expectations`] and returns the [`SamlAssertion`].
//!
//! XML is parsed with uppsala (DTDs refused) and XML-DSig is bergshamra's (never hand-written):
//! one parsed document is both verified and read, and only the nodes a valid signature of a
//! configured certificate covers are read. See the `response` and `signature` modules for the
//! signature-wrapping defences. Errors are [`SamlError`], whose messages are log-safe.
//!
//! With the `testing` feature, [`testing`] offers a test identity provider that signs responses.

mod certificate;
mod claims;
mod error;
mod metadata;
mod request;
mod response;
mod signature;
mod sp;
mod xml;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;

pub use certificate::{Certificate, parse_certificate};
pub use error::SamlError;
pub use metadata::{IdpMetadata, parse_idp_metadata};
pub use request::{authn_request, is_valid_request_id, redirect_url};
pub use response::{Expectations, SamlAssertion, validate_response};
pub use sp::{SpConfig, sp_metadata};
