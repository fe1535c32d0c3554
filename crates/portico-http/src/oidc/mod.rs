//! OpenID Connect endpoints, Entra v2.0-shaped: `/{tenant}/v2.0/.well-known/openid-configuration`
//! and `/{tenant}/discovery/v2.0/keys`. `{tenant}` is a tenant id, one of its verified domains,
//! or `common` / `organizations` (multi-tenant apps; the issuer is then Entra's template
//! `{public-url}/{tenantid}/v2.0`).

pub mod discovery;
pub mod tenant;
pub mod token;
pub mod userinfo;
