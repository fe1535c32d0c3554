-- The email domains each federation of a tenant serves (home realm discovery): a domain is
-- served by at most one provider per tenant. Deleting the provider frees its domains.
CREATE TABLE federation_domains (
    tenant_id   UUID NOT NULL,
    domain      TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    CONSTRAINT pk_federation_domains PRIMARY KEY (tenant_id, domain),
    CONSTRAINT fk_federation_domains_provider FOREIGN KEY (tenant_id, provider_id)
        REFERENCES identity_providers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_federation_domains_provider ON federation_domains (tenant_id, provider_id);

-- How a guest's own identity provider authenticated them (issuer, amr, acr as JSON), kept
-- with the session for conditional access; NULL for sessions not from a federation.
ALTER TABLE sessions ADD COLUMN upstream_auth TEXT;
