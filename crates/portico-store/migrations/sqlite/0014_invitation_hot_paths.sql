-- Live users by mail in id order (invitations, home realm discovery): with the id in the
-- index, it gives the order too, so SQLite (which plans without statistics until they are
-- gathered) searches it instead of walking the tenant's whole primary key in id order.
DROP INDEX ix_users_mail;
CREATE INDEX ix_users_mail ON users (tenant_id, lower(mail), id);
