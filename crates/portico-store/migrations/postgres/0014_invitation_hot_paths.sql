-- Live users by mail in id order (invitations, home realm discovery): with the id in the
-- index, it gives the order too, so SQLite (which plans without statistics until they are
-- gathered) searches it instead of walking the tenant's whole primary key in id order.
DROP INDEX ix_users_mail;
CREATE INDEX ix_users_mail ON users (tenant_id, lower(mail), id);

-- The live-user counter of a tenant is one row every user insert updates: as a plain trigger
-- it was locked from a guest's INSERT to the end of its transaction, so concurrent
-- invitations of a tenant queued behind each other's remaining statements. As a deferred
-- constraint trigger it runs at commit, and the row is locked only for the commit itself.
DROP TRIGGER trg_users_count ON users;
CREATE CONSTRAINT TRIGGER trg_users_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON users
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION portico_count_users();
