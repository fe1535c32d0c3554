-- Tenant policies, one JSON document per tenant and policy name (the email OTP method of the
-- authentication methods policy first; the authorization policy and cross-tenant access
-- settings later). A tenant without a row has the policy's defaults.
CREATE TABLE tenant_policies (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT pk_tenant_policies PRIMARY KEY (tenant_id, name)
);
