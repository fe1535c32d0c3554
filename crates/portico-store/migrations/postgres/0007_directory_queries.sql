-- Graph queries on large directories: case-insensitive lookups, prefix ranges and ordering on
-- the expressions the OData translation uses (lower(column) in the "C" collation, so that a
-- prefix is a byte range whatever the database's locale), and identities by issuer.

CREATE INDEX ix_users_display_name ON users (tenant_id, (lower(display_name) COLLATE "C"));
CREATE INDEX ix_users_upn_order ON users (tenant_id, (lower(user_principal_name) COLLATE "C"));
CREATE INDEX ix_users_mail_c ON users (tenant_id, (lower(mail) COLLATE "C"));
CREATE INDEX ix_directory_groups_display_name ON directory_groups (tenant_id, (lower(display_name) COLLATE "C"));

-- One row per identity of a live user, lower-cased, for identities/any(...) filters.
CREATE TABLE user_identities (
    tenant_id          UUID NOT NULL,
    user_id            UUID NOT NULL,
    sign_in_type       TEXT NOT NULL,
    issuer             TEXT NOT NULL,
    issuer_assigned_id TEXT,
    CONSTRAINT fk_user_identities_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_user_identities_lookup ON user_identities (tenant_id, issuer, issuer_assigned_id);
CREATE INDEX ix_user_identities_user ON user_identities (tenant_id, user_id);

INSERT INTO user_identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id)
SELECT u.tenant_id, u.id, j->>'signInType', lower(j->>'issuer'), lower(j->>'issuerAssignedId')
FROM users u, json_array_elements(u.identities::json) j
WHERE u.deleted_at IS NULL;
