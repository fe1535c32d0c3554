//! Portico's pure policy decisions. No IO: callers pass in who is acting and on what, and
//! get a yes or no. This crate grows with the product (collaboration settings, cross-tenant
//! access, conditional access); today it holds directory roles × actions.

pub mod directory;
pub mod graph;
pub mod lockout;
