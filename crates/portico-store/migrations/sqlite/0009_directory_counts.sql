-- Live users per tenant, kept by triggers, so that an unfiltered `/users/$count` reads one row
-- instead of counting a million index entries.
CREATE TABLE directory_counts (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    n         INTEGER NOT NULL,
    CONSTRAINT pk_directory_counts PRIMARY KEY (tenant_id, kind)
);
INSERT INTO directory_counts (tenant_id, kind, n)
    SELECT t.id, 'users', (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id AND u.deleted_at IS NULL)
    FROM tenants t;

CREATE TRIGGER trg_users_count_insert AFTER INSERT ON users WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT OR IGNORE INTO directory_counts (tenant_id, kind, n) VALUES (NEW.tenant_id, 'users', 0);
    UPDATE directory_counts SET n = n + 1 WHERE tenant_id = NEW.tenant_id AND kind = 'users';
END;

CREATE TRIGGER trg_users_count_delete AFTER DELETE ON users WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE directory_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND kind = 'users';
END;

CREATE TRIGGER trg_users_count_soft_delete AFTER UPDATE OF deleted_at ON users
    WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT OR IGNORE INTO directory_counts (tenant_id, kind, n)
        SELECT NEW.tenant_id, 'users', 0 WHERE NEW.deleted_at IS NULL;
    UPDATE directory_counts
        SET n = n + (CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
        WHERE tenant_id = NEW.tenant_id AND kind = 'users';
END;
