-- Application ID URIs, unique within a tenant (as Entra requires), indexed so a token request
-- naming its resource by URI is one lookup.
CREATE TABLE application_identifier_uris (
    tenant_id      BLOB NOT NULL,
    uri            TEXT NOT NULL,
    application_id BLOB NOT NULL,
    CONSTRAINT pk_application_identifier_uris PRIMARY KEY (tenant_id, uri),
    CONSTRAINT fk_application_identifier_uris_app FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_application_identifier_uris_app ON application_identifier_uris (tenant_id, application_id);
INSERT OR IGNORE INTO application_identifier_uris (tenant_id, uri, application_id)
    SELECT a.tenant_id, j.value, a.id
    FROM applications a, json_each(a.identifier_uris) j
    ORDER BY a.created_at;
