-- Live users per tenant, kept by triggers, so that an unfiltered `/users/$count` reads one row
-- instead of counting a million index entries. Writers wait while the count is taken and the
-- trigger installed, so no change falls between the two.
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE directory_counts (
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    n         BIGINT NOT NULL,
    CONSTRAINT pk_directory_counts PRIMARY KEY (tenant_id, kind)
);
INSERT INTO directory_counts (tenant_id, kind, n)
    SELECT t.id, 'users', (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id AND u.deleted_at IS NULL)
    FROM tenants t;

CREATE FUNCTION portico_count_users() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT := 0;
    t UUID;
BEGIN
    IF TG_OP = 'INSERT' THEN
        t := NEW.tenant_id;
        IF NEW.deleted_at IS NULL THEN delta := 1; END IF;
    ELSIF TG_OP = 'DELETE' THEN
        t := OLD.tenant_id;
        IF OLD.deleted_at IS NULL THEN delta := -1; END IF;
    ELSE
        t := NEW.tenant_id;
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN delta := -1;
        ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN delta := 1;
        END IF;
    END IF;
    IF delta > 0 THEN
        INSERT INTO directory_counts (tenant_id, kind, n) VALUES (t, 'users', delta)
            ON CONFLICT (tenant_id, kind) DO UPDATE SET n = directory_counts.n + excluded.n;
    ELSIF delta < 0 THEN
        -- only an update: when a tenant is deleted its counter row may already be gone
        UPDATE directory_counts SET n = n + delta WHERE tenant_id = t AND kind = 'users';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_users_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON users
    FOR EACH ROW EXECUTE FUNCTION portico_count_users();
