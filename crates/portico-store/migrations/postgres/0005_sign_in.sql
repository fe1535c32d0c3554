-- Browser sessions. The cookie carries a random token; the row keeps its keyed hash.
CREATE TABLE sessions (
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           UUID NOT NULL,
    token_hash   TEXT NOT NULL,
    user_id      UUID NOT NULL,
    auth_time    TIMESTAMPTZ NOT NULL,
    auth_methods TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
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
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    family_id   UUID NOT NULL,
    grant_data  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    redeemed_at TIMESTAMPTZ
);
CREATE INDEX ix_authorization_codes_expires ON authorization_codes (expires_at);

-- A refresh-token family: every token rotated from one code. Revoking it ends them all.
CREATE TABLE token_families (
    tenant_id      UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             UUID NOT NULL,
    client_app_id  UUID NOT NULL,
    user_id        UUID NOT NULL,
    session_id     UUID,
    created_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT,
    CONSTRAINT pk_token_families PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_token_families_user ON token_families (tenant_id, user_id);
CREATE INDEX ix_token_families_session ON token_families (tenant_id, session_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    tenant_id  UUID NOT NULL,
    family_id  UUID NOT NULL,
    grant_data TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    CONSTRAINT fk_refresh_tokens_family FOREIGN KEY (tenant_id, family_id) REFERENCES token_families (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX ix_refresh_tokens_expires ON refresh_tokens (expires_at);

-- Graph oAuth2PermissionGrant: recorded consent. principal_id is the nil UUID for AllPrincipals.
CREATE TABLE permission_grants (
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           UUID NOT NULL,
    client_id    UUID NOT NULL,
    consent_type TEXT NOT NULL,
    principal_id UUID NOT NULL,
    resource_id  UUID NOT NULL,
    scope        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_permission_grants PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_permission_grants_client FOREIGN KEY (tenant_id, client_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_permission_grants_resource FOREIGN KEY (tenant_id, resource_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_permission_grants ON permission_grants (tenant_id, client_id, resource_id, principal_id);

-- Smart lockout counters, keyed by what they count (account + IP, account, IP).
CREATE TABLE sign_in_throttles (
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    throttle_key TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    lockouts     BIGINT NOT NULL,
    locked_until TIMESTAMPTZ,
    CONSTRAINT pk_sign_in_throttles PRIMARY KEY (tenant_id, throttle_key)
);

-- Sign-in log (Graph signIn), one row per attempt.
CREATE TABLE sign_in_logs (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    user_id    UUID,
    error_code BIGINT NOT NULL,
    entry      TEXT NOT NULL,
    CONSTRAINT pk_sign_in_logs PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_sign_in_logs_time ON sign_in_logs (tenant_id, created_at);
