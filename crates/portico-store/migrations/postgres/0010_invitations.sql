-- B2B invitations: one row per invitation; the redeem ticket is stored only as a keyed hash.
-- A newer invitation of the same user revokes the older ones.
CREATE TABLE invitations (
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            UUID NOT NULL,
    user_id       UUID NOT NULL,
    ticket_hash   TEXT NOT NULL,
    invited_email TEXT NOT NULL,
    redirect_url  TEXT NOT NULL,
    send_message  BOOLEAN NOT NULL,
    message_info  TEXT NOT NULL,
    invited_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    redeemed_at   TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    CONSTRAINT pk_invitations PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_invitations_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_invitations_ticket ON invitations (ticket_hash);
CREATE INDEX ix_invitations_user ON invitations (tenant_id, user_id);
