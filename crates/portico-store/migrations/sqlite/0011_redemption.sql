-- Redemption and email: the durable outbox, email one-time passcodes, and addresses that
-- asked not to be invited again.

-- Mails waiting to be sent. The message (it carries redeem links and passcodes) is sealed
-- under the master key; only its kind and scheduling are readable. A worker claims due rows
-- with a lease, so one replica sends each, and another takes over when the lease runs out.
CREATE TABLE outbox (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              BLOB NOT NULL,
    kind            TEXT NOT NULL,
    sealed          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    sent_at         TEXT,
    failed_at       TEXT,
    last_error      TEXT,
    CONSTRAINT pk_outbox PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- Email one-time passcodes: only a keyed hash of the code; single use, a bounded number of
-- wrong tries, and a newer code for the same address and purpose supersedes older ones.
CREATE TABLE otp_codes (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              BLOB NOT NULL,
    purpose         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL,
    used_at         TEXT,
    CONSTRAINT pk_otp_codes PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_otp_codes_subject ON otp_codes (tenant_id, purpose, subject);

-- "Block future invitations": later invitations to this address create the guest but send
-- no email.
CREATE TABLE invitation_blocks (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT pk_invitation_blocks PRIMARY KEY (tenant_id, email)
);
