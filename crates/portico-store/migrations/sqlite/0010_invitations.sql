-- B2B invitations: one row per invitation; the redeem ticket is stored only as a keyed hash.
-- A newer invitation of the same user revokes the older ones.
CREATE TABLE invitations (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    user_id       BLOB NOT NULL,
    ticket_hash   TEXT NOT NULL,
    invited_email TEXT NOT NULL,
    redirect_url  TEXT NOT NULL,
    send_message  INTEGER NOT NULL,
    message_info  TEXT NOT NULL,
    invited_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    redeemed_at   TEXT,
    revoked_at    TEXT,
    CONSTRAINT pk_invitations PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_invitations_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_invitations_ticket ON invitations (ticket_hash);
CREATE INDEX ix_invitations_user ON invitations (tenant_id, user_id);
