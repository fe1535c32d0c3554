-- Graph's auditLogs/directoryAudits: the filters a large log is read by. Reading by time
-- (newest first) uses ix_audit_events_time of 0001; an activity name (eq, startswith) is the
-- lower(column) expression the OData translation compares (in the "C" collation, so that a
-- prefix is a byte range), then time and id so that a page needs no sort; a correlation id
-- finds every event of one request.

CREATE INDEX ix_audit_events_activity ON audit_events (tenant_id, (lower(activity_display_name) COLLATE "C"), activity_at, id);
CREATE INDEX ix_audit_events_correlation ON audit_events (tenant_id, correlation_id);
