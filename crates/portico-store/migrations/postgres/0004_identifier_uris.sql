-- Application ID URIs, unique within a tenant (as Entra requires), indexed so a token request
-- naming its resource by URI is one lookup.
CREATE TABLE application_identifier_uris (
    tenant_id      UUID NOT NULL,
    uri            TEXT NOT NULL,
    application_id UUID NOT NULL,
    CONSTRAINT pk_application_identifier_uris PRIMARY KEY (tenant_id, uri),
    CONSTRAINT fk_application_identifier_uris_app FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_application_identifier_uris_app ON application_identifier_uris (tenant_id, application_id);
INSERT INTO application_identifier_uris (tenant_id, uri, application_id)
    SELECT DISTINCT ON (a.tenant_id, u.uri) a.tenant_id, u.uri, a.id
    FROM applications a CROSS JOIN LATERAL jsonb_array_elements_text(a.identifier_uris::jsonb) AS u(uri)
    ORDER BY a.tenant_id, u.uri, a.created_at;
