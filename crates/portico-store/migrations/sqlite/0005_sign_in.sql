-- Browser sessions. The cookie carries a random token; the row keeps its keyed hash.
CREATE TABLE sessions (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    token_hash   TEXT NOT NULL,
    user_id      BLOB NOT NULL,
    auth_time    TEXT NOT NULL,
    auth_methods TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    client_ip    TEXT,
    user_agent   TEXT,
    CONSTRAINT pk_sessions PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX ux_sessions_token ON sessions (token_hash);
CREATE INDEX ix_sessions_user ON sessions (tenant_id, user_id);
CREATE INDEX ix_sessions_expires ON sessions (expires_at);

-- Single-use authorization codes, stored hashed. family_id names the refresh-token family the
-- code starts, so that a replayed code revokes what it issued.
CREATE TABLE authorization_codes (
    code_hash   TEXT PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    family_id   BLOB NOT NULL,
    grant_data  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    redeemed_at TEXT
);
CREATE INDEX ix_authorization_codes_expires ON authorization_codes (expires_at);

-- A refresh-token family: every token rotated from one code. Revoking it ends them all.
CREATE TABLE token_families (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB NOT NULL,
    client_app_id  BLOB NOT NULL,
    user_id        BLOB NOT NULL,
    session_id     BLOB,
    created_at     TEXT NOT NULL,
    revoked_at     TEXT,
    revoked_reason TEXT,
    CONSTRAINT pk_token_families PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_token_families_user ON token_families (tenant_id, user_id);
CREATE INDEX ix_token_families_session ON token_families (tenant_id, session_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    tenant_id  BLOB NOT NULL,
    family_id  BLOB NOT NULL,
    grant_data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    CONSTRAINT fk_refresh_tokens_family FOREIGN KEY (tenant_id, family_id) REFERENCES token_families (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX ix_refresh_tokens_expires ON refresh_tokens (expires_at);

-- Graph oAuth2PermissionGrant: recorded consent. principal_id is the nil BLOB for AllPrincipals.
CREATE TABLE permission_grants (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    client_id    BLOB NOT NULL,
    consent_type TEXT NOT NULL,
    principal_id BLOB NOT NULL,
    resource_id  BLOB NOT NULL,
    scope        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CONSTRAINT pk_permission_grants PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_permission_grants_client FOREIGN KEY (tenant_id, client_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_permission_grants_resource FOREIGN KEY (tenant_id, resource_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_permission_grants ON permission_grants (tenant_id, client_id, resource_id, principal_id);

-- Smart lockout counters, keyed by what they count (account + IP, account, IP).
CREATE TABLE sign_in_throttles (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    throttle_key TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    lockouts     INTEGER NOT NULL,
    locked_until TEXT,
    CONSTRAINT pk_sign_in_throttles PRIMARY KEY (tenant_id, throttle_key)
);

-- Sign-in log (Graph signIn), one row per attempt.
CREATE TABLE sign_in_logs (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         BLOB NOT NULL,
    created_at TEXT NOT NULL,
    user_id    BLOB,
    error_code INTEGER NOT NULL,
    entry      TEXT NOT NULL,
    CONSTRAINT pk_sign_in_logs PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_sign_in_logs_time ON sign_in_logs (tenant_id, created_at);
