-- Graph queries on large directories: case-insensitive lookups, prefix ranges and ordering on
-- the expressions the OData translation uses (lower(column)), and identities by issuer.

CREATE INDEX ix_users_display_name ON users (tenant_id, lower(display_name));
CREATE INDEX ix_users_upn_order ON users (tenant_id, lower(user_principal_name));
CREATE INDEX ix_directory_groups_display_name ON directory_groups (tenant_id, lower(display_name));

-- One row per identity of a live user, lower-cased, for identities/any(...) filters.
CREATE TABLE user_identities (
    tenant_id          BLOB NOT NULL,
    user_id            BLOB NOT NULL,
    sign_in_type       TEXT NOT NULL,
    issuer             TEXT NOT NULL,
    issuer_assigned_id TEXT,
    CONSTRAINT fk_user_identities_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_user_identities_lookup ON user_identities (tenant_id, issuer, issuer_assigned_id);
CREATE INDEX ix_user_identities_user ON user_identities (tenant_id, user_id);

INSERT INTO user_identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id)
SELECT u.tenant_id, u.id, json_extract(j.value, '$.signInType'), lower(json_extract(j.value, '$.issuer')), lower(json_extract(j.value, '$.issuerAssignedId'))
FROM users u, json_each(u.identities) j
WHERE u.deleted_at IS NULL;
