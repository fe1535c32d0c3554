-- Graph `sponsors` of a user (at most 5 users or groups, enforced by the store).
CREATE TABLE user_sponsors (
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL,
    sponsor_id   UUID NOT NULL,
    sponsor_kind TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_user_sponsors PRIMARY KEY (tenant_id, user_id, sponsor_id),
    CONSTRAINT fk_user_sponsors_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_user_sponsors_sponsor ON user_sponsors (tenant_id, sponsor_id);
