//! The service provider side of a tenant's SAML federation: its configuration ([`SpConfig`]) and
//! the SP metadata document partner identity providers import.

use super::xml::{
    BINDING_POST, NAMEID_EMAIL, NAMEID_PERSISTENT, NS_METADATA, NS_PROTOCOL, escape_attr,
    escape_text,
};

/// The service provider (one per Portico tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpConfig {
    /// The SP's entity id (the audience identity providers address assertions to).
    pub entity_id: String,
    /// The assertion consumer service URL (HTTP-POST binding).
    pub acs_url: String,
}

/// SP metadata XML: an `md:EntityDescriptor` for `sp.entity_id` with an `SPSSODescriptor`
/// (SAML 2.0, `AuthnRequestsSigned="false"`, `WantAssertionsSigned="true"`), the persistent and
/// emailAddress NameID formats, one HTTP-POST AssertionConsumerService at `sp.acs_url` (index 0,
/// default), and an `md:Organization` named `organization_name` at `org_url`. Every value is
/// XML-escaped.
pub fn sp_metadata(sp: &SpConfig, organization_name: &str, org_url: &str) -> String {
    let entity_id = escape_attr(&sp.entity_id);
    let acs = escape_attr(&sp.acs_url);
    let org_name = escape_text(organization_name);
    let org_url = escape_text(org_url);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<md:EntityDescriptor xmlns:md=\"{NS_METADATA}\" entityID=\"{entity_id}\">\n\
  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"{NS_PROTOCOL}\">\n\
    <md:NameIDFormat>{NAMEID_PERSISTENT}</md:NameIDFormat>\n\
    <md:NameIDFormat>{NAMEID_EMAIL}</md:NameIDFormat>\n\
    <md:AssertionConsumerService Binding=\"{BINDING_POST}\" Location=\"{acs}\" index=\"0\" isDefault=\"true\"/>\n\
  </md:SPSSODescriptor>\n\
  <md:Organization>\n\
    <md:OrganizationName xml:lang=\"en\">{org_name}</md:OrganizationName>\n\
    <md:OrganizationDisplayName xml:lang=\"en\">{org_name}</md:OrganizationDisplayName>\n\
    <md:OrganizationURL xml:lang=\"en\">{org_url}</md:OrganizationURL>\n\
  </md:Organization>\n\
</md:EntityDescriptor>\n"
    )
}
