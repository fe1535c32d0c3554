-- Graph appRoleAssignment: a principal holds an app role of a resource service principal.
CREATE TABLE app_role_assignments (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB NOT NULL,
    principal_id   BLOB NOT NULL,
    principal_kind TEXT NOT NULL,
    resource_id    BLOB NOT NULL,
    app_role_id    BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    CONSTRAINT pk_app_role_assignments PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_app_role_assignments_resource FOREIGN KEY (tenant_id, resource_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_app_role_assignments ON app_role_assignments (tenant_id, principal_id, resource_id, app_role_id);
CREATE INDEX ix_app_role_assignments_resource ON app_role_assignments (tenant_id, resource_id);
