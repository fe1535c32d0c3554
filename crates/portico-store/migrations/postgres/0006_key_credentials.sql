-- Application certificate credentials (Graph keyCredentials) for private_key_jwt client
-- authentication, and the ids of client assertions already used (replay protection).
CREATE TABLE application_key_credentials (
    tenant_id      UUID NOT NULL,
    application_id UUID NOT NULL,
    key_id         UUID NOT NULL,
    display_name   TEXT,
    thumbprint     TEXT NOT NULL,
    certificate    TEXT NOT NULL,
    start_at       TIMESTAMPTZ NOT NULL,
    end_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_application_key_credentials PRIMARY KEY (tenant_id, application_id, key_id),
    CONSTRAINT fk_application_key_credentials_app FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_application_key_credentials_thumbprint ON application_key_credentials (tenant_id, application_id, thumbprint);

CREATE TABLE client_assertion_ids (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    jti_hash   TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_client_assertion_ids PRIMARY KEY (tenant_id, jti_hash)
);
CREATE INDEX ix_client_assertion_ids_expires ON client_assertion_ids (expires_at);
