//! The JSON of `samlOrWsFedExternalDomainFederation` as Graph spells it (with its `domains`
//! as `externalDomainName` objects), the reading of its request bodies (each bad property
//! named), and the one `$filter` Graph documents for it: `domains/any(x: x/id eq 'd')`.

use super::body::{GraphBody, Props};
use crate::error::GraphError;
use axum::http::StatusCode;
use portico_domain::saml_federation::{
    NewSamlFederation, SAML, SamlFederation, SamlFederationPatch,
};
use serde_json::{Map, Value};

/// Graph's type name.
pub(crate) const SAML_TYPE: &str = "#microsoft.graph.samlOrWsFedExternalDomainFederation";
/// Graph's type name of a federated domain.
const DOMAIN_TYPE: &str = "#microsoft.graph.externalDomainName";

const WRITABLE: &[&str] = &[
    "displayName",
    "issuerUri",
    "passiveSignInUri",
    "signingCertificate",
    "metadataExchangeUri",
    "preferredAuthenticationProtocol",
    "domains",
];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// One federated domain as Graph returns it.
pub(crate) fn domain_value(d: &str) -> Value {
    serde_json::json!({"@odata.type": DOMAIN_TYPE, "id": d})
}

/// Every property as Graph returns it.
pub(crate) fn fields(p: &SamlFederation) -> Map<String, Value> {
    let mut all = Map::new();
    all.insert("@odata.type".into(), Value::from(SAML_TYPE));
    all.insert("id".into(), Value::from(p.id.clone()));
    all.insert("displayName".into(), Value::from(p.display_name.clone()));
    all.insert("issuerUri".into(), Value::from(p.issuer_uri.clone()));
    all.insert(
        "metadataExchangeUri".into(),
        p.metadata_exchange_uri
            .clone()
            .map_or(Value::Null, Value::from),
    );
    all.insert(
        "passiveSignInUri".into(),
        Value::from(p.passive_sign_in_uri.clone()),
    );
    all.insert("preferredAuthenticationProtocol".into(), Value::from(SAML));
    all.insert(
        "signingCertificate".into(),
        Value::from(p.signing_certificate.clone()),
    );
    all.insert(
        "domains".into(),
        Value::from(
            p.domains
                .iter()
                .map(|d| domain_value(d.as_str()))
                .collect::<Vec<_>>(),
        ),
    );
    all
}

/// Checks `@odata.type`, when given, names this type.
fn check_type(body: &GraphBody) -> Result<(), GraphError> {
    if let Some(t) = body.object()?.get("@odata.type") {
        let named = t
            .as_str()
            .map(|s| s.trim_start_matches('#').to_ascii_lowercase());
        if named.as_deref() != Some(&SAML_TYPE[1..].to_ascii_lowercase()) {
            return Err(bad(format!(
                "@odata.type must be '{SAML_TYPE}' (OpenID Connect and social providers are configured at /identity/identityProviders)."
            )));
        }
    }
    Ok(())
}

/// `domains`: `[{"id": "contoso.com"}, …]` (plain strings are accepted too).
fn domains(p: &Props<'_>) -> Result<Option<Vec<String>>, GraphError> {
    let shape = || {
        bad(
            "Invalid value specified for property 'domains': expected a collection of externalDomainName objects, e.g. [{\"id\": \"contoso.com\"}].",
        )
    };
    match p.raw("domains") {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Object(m) => {
                    if m.keys().any(|k| k != "id" && k != "@odata.type") {
                        return Err(shape());
                    }
                    m.get("id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(shape)
                }
                _ => Err(shape()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(shape()),
    }
}

/// Reads a POST body.
pub(crate) fn new_federation(body: &GraphBody) -> Result<NewSamlFederation, GraphError> {
    check_type(body)?;
    let p = Props::new(
        body,
        "samlOrWsFedExternalDomainFederation",
        WRITABLE,
        &["id"],
    )?;
    Ok(NewSamlFederation {
        display_name: p.string("displayName")?.flatten(),
        issuer_uri: p.required_string("issuerUri")?,
        passive_sign_in_uri: p.required_string("passiveSignInUri")?,
        signing_certificate: p.required_string("signingCertificate")?,
        metadata_exchange_uri: p.string("metadataExchangeUri")?.flatten(),
        preferred_authentication_protocol: p
            .string("preferredAuthenticationProtocol")?
            .flatten(),
        domains: domains(&p)?.ok_or_else(|| {
            bad("Property 'domains' is required when creating a samlOrWsFedExternalDomainFederation: [{\"id\": \"contoso.com\"}].")
        })?,
    })
}

/// Reads a PATCH body.
pub(crate) fn patch(body: &GraphBody) -> Result<SamlFederationPatch, GraphError> {
    check_type(body)?;
    let p = Props::new(
        body,
        "samlOrWsFedExternalDomainFederation",
        WRITABLE,
        &["id"],
    )?;
    Ok(SamlFederationPatch {
        display_name: p.non_null_string("displayName")?,
        issuer_uri: p.non_null_string("issuerUri")?,
        passive_sign_in_uri: p.non_null_string("passiveSignInUri")?,
        signing_certificate: p.non_null_string("signingCertificate")?,
        metadata_exchange_uri: p.string("metadataExchangeUri")?,
        preferred_authentication_protocol: p.non_null_string("preferredAuthenticationProtocol")?,
        domains: domains(&p)?,
    })
}

/// Reads a `POST …/domains` body: `{"id": "contoso.com"}`.
pub(crate) fn new_domain(body: &GraphBody) -> Result<String, GraphError> {
    let map = body.object()?;
    if let Some(t) = map.get("@odata.type") {
        let named = t
            .as_str()
            .map(|s| s.trim_start_matches('#').to_ascii_lowercase());
        if named.as_deref() != Some(&DOMAIN_TYPE[1..].to_ascii_lowercase()) {
            return Err(bad(format!("@odata.type must be '{DOMAIN_TYPE}'.")));
        }
    }
    let p = Props::new(body, "externalDomainName", &["id"], &[])?;
    p.required_string("id")
}

/// The domain of `$filter=domains/any(x: x/id eq 'contoso.com')` (any lambda variable,
/// whitespace free); anything else is refused.
pub(crate) fn domain_filter(filter: &str) -> Result<String, GraphError> {
    let refuse = || {
        let shown: String = filter.chars().take(120).collect();
        bad(format!(
            "Unsupported $filter '{shown}': federation configurations are filtered by domain only, as domains/any(x: x/id eq 'contoso.com')."
        ))
    };
    let compact: String = filter.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = compact
        .strip_prefix("domains/any(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(refuse)?;
    let (var, cond) = rest.split_once(':').ok_or_else(refuse)?;
    let var = var.trim();
    if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(refuse());
    }
    let cond = cond.trim();
    let value = cond
        .strip_prefix(&format!("{var}/id eq "))
        .ok_or_else(refuse)?
        .trim();
    let inner = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .ok_or_else(refuse)?;
    if inner.is_empty() || inner.contains('\'') {
        return Err(refuse());
    }
    Ok(inner.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::domain_filter;

    #[test]
    fn reads_the_documented_filter() {
        assert_eq!(
            domain_filter("domains/any(x: x/id eq 'contoso.com')").unwrap(),
            "contoso.com"
        );
        assert_eq!(
            domain_filter("domains/any(d:d/id eq 'a.test')").unwrap(),
            "a.test"
        );
        for bad in [
            "displayName eq 'x'",
            "domains/any(x: x/id ne 'a')",
            "domains/any(x: y/id eq 'a')",
            "domains/any(x: x/id eq a)",
            "domains/any(x: x/id eq '')",
        ] {
            assert!(domain_filter(bad).is_err(), "{bad}");
        }
    }
}
