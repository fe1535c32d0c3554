-- Portico directory core (PostgreSQL). Never edit once landed: add a new migration instead.

CREATE TABLE bootstrap_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    tenant_id    UUID NOT NULL,
    completed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tenants (
    id                    UUID PRIMARY KEY,
    display_name          TEXT NOT NULL,
    initial_domain        TEXT NOT NULL,
    branding_name         TEXT,
    branding_logo_url     TEXT,
    branding_accent_color TEXT,
    privacy_statement_url TEXT,
    default_language      TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE domains (
    tenant_id           UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    is_initial          BOOLEAN NOT NULL,
    is_verified         BOOLEAN NOT NULL,
    is_default          BOOLEAN NOT NULL,
    verification_code   TEXT NOT NULL,
    verification_method TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    verified_at         TIMESTAMPTZ,
    CONSTRAINT pk_domains PRIMARY KEY (tenant_id, name)
);
CREATE UNIQUE INDEX ux_domains_verified ON domains (name) WHERE is_verified;
CREATE UNIQUE INDEX ux_domains_default ON domains (tenant_id) WHERE is_default;

CREATE TABLE users (
    tenant_id                      UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                             UUID NOT NULL,
    display_name                   TEXT NOT NULL,
    given_name                     TEXT,
    surname                        TEXT,
    mail                           TEXT,
    other_mails                    TEXT NOT NULL,
    mail_nickname                  TEXT,
    user_principal_name            TEXT NOT NULL,
    user_type                      TEXT NOT NULL,
    account_enabled                BOOLEAN NOT NULL,
    creation_type                  TEXT,
    external_user_state            TEXT,
    external_user_state_changed_at TIMESTAMPTZ,
    identities                     TEXT NOT NULL,
    company_name                   TEXT,
    job_title                      TEXT,
    preferred_language             TEXT,
    password_hash                  TEXT,
    force_change_password          BOOLEAN NOT NULL,
    password_changed_at            TIMESTAMPTZ,
    created_at                     TIMESTAMPTZ NOT NULL,
    deleted_at                     TIMESTAMPTZ,
    CONSTRAINT pk_users PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX ux_users_upn ON users (tenant_id, lower(user_principal_name)) WHERE deleted_at IS NULL;
CREATE INDEX ix_users_mail ON users (tenant_id, lower(mail));
CREATE INDEX ix_users_deleted ON users (deleted_at) WHERE deleted_at IS NOT NULL;

-- One row per identity of a live user: enforces "identities unique per tenant" and serves
-- sign-in lookups. Rows are removed on soft delete and re-added on restore.
CREATE TABLE user_identity_keys (
    tenant_id    UUID NOT NULL,
    identity_key TEXT NOT NULL,
    user_id      UUID NOT NULL,
    CONSTRAINT pk_user_identity_keys PRIMARY KEY (tenant_id, identity_key),
    CONSTRAINT fk_user_identity_keys_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_user_identity_keys_user ON user_identity_keys (tenant_id, user_id);

CREATE TABLE directory_groups (
    tenant_id        UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               UUID NOT NULL,
    display_name     TEXT NOT NULL,
    description      TEXT,
    mail_nickname    TEXT NOT NULL,
    security_enabled BOOLEAN NOT NULL,
    mail_enabled     BOOLEAN NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    CONSTRAINT pk_directory_groups PRIMARY KEY (tenant_id, id)
);

CREATE TABLE group_members (
    tenant_id   UUID NOT NULL,
    group_id    UUID NOT NULL,
    member_id   UUID NOT NULL,
    member_kind TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_group_members PRIMARY KEY (tenant_id, group_id, member_id),
    CONSTRAINT fk_group_members_group FOREIGN KEY (tenant_id, group_id) REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_group_members_member ON group_members (tenant_id, member_id);

CREATE TABLE group_owners (
    tenant_id  UUID NOT NULL,
    group_id   UUID NOT NULL,
    owner_id   UUID NOT NULL,
    owner_kind TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_group_owners PRIMARY KEY (tenant_id, group_id, owner_id),
    CONSTRAINT fk_group_owners_group FOREIGN KEY (tenant_id, group_id) REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_group_owners_owner ON group_owners (tenant_id, owner_id);

CREATE TABLE applications (
    tenant_id                UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                       UUID NOT NULL,
    app_id                   UUID NOT NULL,
    display_name             TEXT NOT NULL,
    sign_in_audience         TEXT NOT NULL,
    redirect_uris            TEXT NOT NULL,
    app_roles                TEXT NOT NULL,
    oauth2_permission_scopes TEXT NOT NULL,
    required_resource_access TEXT NOT NULL,
    identifier_uris          TEXT NOT NULL,
    created_at               TIMESTAMPTZ NOT NULL,
    deleted_at               TIMESTAMPTZ,
    CONSTRAINT pk_applications PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX ux_applications_app_id ON applications (app_id);

CREATE TABLE application_secrets (
    tenant_id      UUID NOT NULL,
    application_id UUID NOT NULL,
    key_id         UUID NOT NULL,
    display_name   TEXT,
    hint           TEXT NOT NULL,
    secret_hash    TEXT NOT NULL,
    start_at       TIMESTAMPTZ NOT NULL,
    end_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_application_secrets PRIMARY KEY (tenant_id, application_id, key_id),
    CONSTRAINT fk_application_secrets_app FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE service_principals (
    tenant_id                    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                           UUID NOT NULL,
    app_id                       UUID NOT NULL,
    display_name                 TEXT NOT NULL,
    account_enabled              BOOLEAN NOT NULL,
    app_role_assignment_required BOOLEAN NOT NULL,
    service_principal_type       TEXT NOT NULL,
    app_owner_tenant_id          UUID NOT NULL,
    created_at                   TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_service_principals PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX ux_service_principals_app_id ON service_principals (tenant_id, app_id);

CREATE TABLE role_assignments (
    tenant_id          UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 UUID NOT NULL,
    role_template_id   UUID NOT NULL,
    principal_id       UUID NOT NULL,
    principal_kind     TEXT NOT NULL,
    directory_scope_id TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_role_assignments PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX ux_role_assignments ON role_assignments (tenant_id, role_template_id, principal_id, directory_scope_id);
CREATE INDEX ix_role_assignments_principal ON role_assignments (tenant_id, principal_id);

CREATE TABLE audit_events (
    tenant_id             UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    UUID NOT NULL,
    activity_at           TIMESTAMPTZ NOT NULL,
    category              TEXT NOT NULL,
    activity_display_name TEXT NOT NULL,
    operation_type        TEXT NOT NULL,
    result                TEXT NOT NULL,
    result_reason         TEXT,
    initiated_by          TEXT NOT NULL,
    target_resources      TEXT NOT NULL,
    correlation_id        UUID NOT NULL,
    logged_by_service     TEXT NOT NULL,
    CONSTRAINT pk_audit_events PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_audit_events_time ON audit_events (tenant_id, activity_at, id);
