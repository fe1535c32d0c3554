//! Portico's federation with upstream identity providers: the OpenID Connect relying party
//! that signs guests in through a partner's OpenID Connect provider (and the Google preset),
//! and, in [`saml`], the SAML 2.0 service-provider core (metadata, AuthnRequest, response
//! validation with XML-DSig by bergshamra) for partners' SAML identity providers.
//!
//! The flow is the authorization code flow with PKCE (S256) and a nonce:
//!
//! 1. [`Federation::begin`] discovers the provider (its metadata and JWKS are cached per
//!    discovery URL) and builds the authorization URL the browser is sent to. The caller keeps
//!    the returned nonce and PKCE verifier (e.g. sealed in its `state`).
//! 2. [`Federation::finish`] exchanges the code at the token endpoint and validates the
//!    `id_token` (signature against the provider's JWKS, issuer, audience, expiry, nonce); it
//!    returns the verified [`IdClaims`].
//!
//! Outbound HTTP uses reqwest over rustls (aws-lc-rs provider, Mozilla roots plus an optional
//! extra CA): redirects are never followed, bodies are capped at [`MAX_BODY_BYTES`], every
//! call has a connect and an overall timeout, and proxy settings from the environment are not
//! used. The crate knows nothing about tenants, the store or HTTP servers; it logs no secret,
//! code or token, and its errors' messages hold none either.

mod begin;
mod cache;
mod claims;
mod error;
mod federation;
mod http;
mod metadata;
pub mod presets;
mod provider;
pub mod saml;
mod settings;
mod url_check;
mod verify;

pub use begin::Begin;
pub use claims::IdClaims;
pub use error::FederationError;
pub use federation::Federation;
pub use http::MAX_BODY_BYTES;
pub use provider::OidcProvider;
pub use settings::FederationSettings;
