-- Identity providers a tenant configures for its guests (Graph identity/identityProviders):
-- the social presets (Google, Facebook, Microsoft account) first; OIDC and SAML federations
-- later, with protocol 'oidc' / 'saml'. `settings` is a JSON document of the non-secret
-- settings (the client id, ...); `secret_sealed` the client secret sealed under the master key.
CREATE TABLE identity_providers (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    protocol      TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    settings      TEXT NOT NULL,
    secret_sealed TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT pk_identity_providers PRIMARY KEY (tenant_id, id)
);
