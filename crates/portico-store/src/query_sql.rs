//! Turns a validated OData query (`portico_domain::odata`) into a SQL `WHERE` fragment, an
//! `ORDER BY` and keyset paging, with every value bound as a parameter (never spliced into the
//! text). Text compares case-insensitively through `lower()`; on PostgreSQL the lowered text is
//! compared in the "C" collation so that prefix ranges are byte ranges an index can serve
//! (migration 0007 indexes exactly these expressions). Inside `not`, each predicate is wrapped
//! in `IS TRUE` so that a comparison with a missing value counts as false, as in OData.

use crate::Backend;
use portico_domain::odata::{AnyOp, CmpOp, Cursor, Filter, ListQuery, Value};
use time::OffsetDateTime;
use uuid::Uuid;

/// A bound parameter.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Text(String),
    OptText(Option<String>),
    OptTs(Option<OffsetDateTime>),
    Bool(bool),
    Uuid(Uuid),
    Ts(OffsetDateTime),
    Int(i64),
}

/// How a filterable property is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    /// Case-insensitive text column.
    Text(&'static str),
    /// Compared as stored (booleans, enums, ids, timestamps).
    Plain(&'static str),
    /// A JSON array of strings in a text column.
    JsonList(&'static str),
    /// `identities`, through the `user_identities` lookup table.
    Identities,
    /// A value inside a JSON object in a text column (`initiated_by`), present only when the
    /// object's `kind` is `kind`; compared as text, case-insensitively.
    Json {
        /// The column.
        column: &'static str,
        /// The object's `kind` tag the value belongs to.
        kind: &'static str,
        /// The key of the value.
        key: &'static str,
    },
    /// A JSON array of objects in a text column (`target_resources`), whose keys are Graph's
    /// property names; tested with `any()`.
    JsonObjects(&'static str),
}

/// The store's column for each filterable user property.
pub(crate) fn user_column(field: &str) -> Option<Col> {
    Some(match field {
        "id" => Col::Plain("id"),
        "displayName" => Col::Text("display_name"),
        "givenName" => Col::Text("given_name"),
        "surname" => Col::Text("surname"),
        "mail" => Col::Text("mail"),
        "mailNickname" => Col::Text("mail_nickname"),
        "userPrincipalName" => Col::Text("user_principal_name"),
        "jobTitle" => Col::Text("job_title"),
        "companyName" => Col::Text("company_name"),
        "preferredLanguage" => Col::Text("preferred_language"),
        "accountEnabled" => Col::Plain("account_enabled"),
        "userType" => Col::Plain("user_type"),
        "creationType" => Col::Plain("creation_type"),
        "externalUserState" => Col::Plain("external_user_state"),
        "createdDateTime" => Col::Plain("created_at"),
        "otherMails" => Col::JsonList("other_mails"),
        "identities" => Col::Identities,
        _ => return None,
    })
}

/// The store's column for each filterable group property.
pub(crate) fn group_column(field: &str) -> Option<Col> {
    Some(match field {
        "id" => Col::Plain("id"),
        "displayName" => Col::Text("display_name"),
        "description" => Col::Text("description"),
        "mailNickname" => Col::Text("mail_nickname"),
        "securityEnabled" => Col::Plain("security_enabled"),
        "mailEnabled" => Col::Plain("mail_enabled"),
        "createdDateTime" => Col::Plain("created_at"),
        _ => return None,
    })
}

/// The store's column for each filterable application property.
pub(crate) fn application_column(field: &str) -> Option<Col> {
    Some(match field {
        "id" => Col::Plain("id"),
        "appId" => Col::Plain("app_id"),
        "displayName" => Col::Text("display_name"),
        "signInAudience" => Col::Plain("sign_in_audience"),
        "identifierUris" => Col::JsonList("identifier_uris"),
        "createdDateTime" => Col::Plain("created_at"),
        _ => return None,
    })
}

/// The store's column for each filterable service principal property.
pub(crate) fn service_principal_column(field: &str) -> Option<Col> {
    Some(match field {
        "id" => Col::Plain("id"),
        "appId" => Col::Plain("app_id"),
        "displayName" => Col::Text("display_name"),
        "accountEnabled" => Col::Plain("account_enabled"),
        "appRoleAssignmentRequired" => Col::Plain("app_role_assignment_required"),
        "servicePrincipalType" => Col::Plain("service_principal_type"),
        "appOwnerOrganizationId" => Col::Plain("app_owner_tenant_id"),
        _ => return None,
    })
}

/// The store's column for each filterable `oAuth2PermissionGrant` property.
pub(crate) fn permission_grant_column(field: &str) -> Option<Col> {
    Some(match field {
        "id" => Col::Plain("id"),
        "clientId" => Col::Plain("client_id"),
        "resourceId" => Col::Plain("resource_id"),
        "principalId" => Col::Plain("principal_id"),
        "consentType" => Col::Plain("consent_type"),
        _ => return None,
    })
}

/// The store's column for each filterable `directoryAudit` property. `initiated_by` holds
/// `portico_domain::audit::Initiator` as serde writes it (`kind` tag, snake_case keys);
/// `target_resources` holds `TargetResource`s (camelCase keys, as Graph names them).
pub(crate) fn audit_column(field: &str) -> Option<Col> {
    let initiator = |kind, key| Col::Json {
        column: "initiated_by",
        kind,
        key,
    };
    Some(match field {
        "id" => Col::Plain("id"),
        "activityDisplayName" => Col::Text("activity_display_name"),
        "activityDateTime" => Col::Plain("activity_at"),
        "category" => Col::Text("category"),
        "result" => Col::Plain("result"),
        "correlationId" => Col::Plain("correlation_id"),
        "loggedByService" => Col::Text("logged_by_service"),
        "operationType" => Col::Text("operation_type"),
        "initiatedBy/user/id" => initiator("user", "id"),
        "initiatedBy/user/userPrincipalName" => initiator("user", "user_principal_name"),
        "initiatedBy/app/appId" => initiator("app", "app_id"),
        "initiatedBy/app/servicePrincipalId" => initiator("app", "service_principal_id"),
        "initiatedBy/app/displayName" => initiator("app", "display_name"),
        "targetResources" => Col::JsonObjects("target_resources"),
        _ => return None,
    })
}

/// SQL under construction: text plus its parameters (`$1` is the tenant).
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) binds: Vec<Bind>,
    backend: Backend,
    columns: fn(&str) -> Option<Col>,
}

/// A bug, not bad input: the domain schema allowed a property the store cannot map.
fn unmapped(field: &str) -> crate::StoreError {
    crate::StoreError::corrupt(format!("no column for filter property {field}"))
}

impl Sql {
    pub(crate) fn new(backend: Backend, tenant: Uuid, columns: fn(&str) -> Option<Col>) -> Self {
        Self {
            text: String::new(),
            binds: vec![Bind::Uuid(tenant)],
            backend,
            columns,
        }
    }

    fn param(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    /// Lower-cased text in a byte-ordered collation.
    fn ci(&self, expr: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("lower({expr})"),
            Backend::Postgres => format!("(lower({expr}) COLLATE \"C\")"),
        }
    }

    fn lowered_param(&mut self, s: &str) -> String {
        let p = self.param(Bind::Text(s.to_owned()));
        self.ci(&p)
    }

    fn value(&mut self, v: &Value) -> String {
        match v {
            Value::Text(s) => self.param(Bind::Text(s.clone())),
            Value::Bool(b) => self.param(Bind::Bool(*b)),
            Value::Guid(g) => self.param(Bind::Uuid(*g)),
            Value::DateTime(t) => self.param(Bind::Ts(*t)),
            Value::Null => "NULL".to_owned(),
        }
    }

    fn column(&self, field: &str) -> Result<Col, crate::StoreError> {
        (self.columns)(field).ok_or_else(|| unmapped(field))
    }

    /// `[lower(col) >= p AND lower(col) < p || U+10FFFF]`: a prefix as an index range.
    fn prefix(&mut self, expr: &str, prefix: &str) -> String {
        let lhs = self.ci(expr);
        let p = self.param(Bind::Text(prefix.to_owned()));
        let top = self.param(Bind::Text('\u{10FFFF}'.to_string()));
        let low = self.ci(&p);
        let high = self.ci(&format!("({p} || {top})"));
        format!("({lhs} >= {low} AND {lhs} < {high})")
    }

    fn like(&mut self, expr: &str, pattern: &str) -> String {
        let lhs = self.ci(expr);
        let p = self.lowered_param(pattern);
        format!("{lhs} LIKE {p} ESCAPE '\\'")
    }

    fn json_elements(&self, col: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("SELECT value AS v FROM json_each({col})"),
            Backend::Postgres => {
                format!("SELECT v FROM json_array_elements_text({col}::json) AS e(v)")
            }
        }
    }

    /// The text at `key` of the JSON object held in `expr` (`key` is a constant of the code,
    /// never input).
    fn json_text(&self, expr: &str, key: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_extract({expr}, '$.{key}')"),
            Backend::Postgres => format!("({expr}::json ->> '{key}')"),
        }
    }

    /// The elements of a JSON array of objects, as rows of a column `v`.
    fn json_objects(&self, col: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("SELECT value AS v FROM json_each({col})"),
            Backend::Postgres => format!("SELECT v FROM json_array_elements({col}::json) AS e(v)"),
        }
    }

    /// `value` inside a tagged JSON object: the tag must match, then the test.
    fn json_test(
        &mut self,
        field: &str,
        (column, kind, key): (&str, &str, &str),
        test: &Filter,
    ) -> Result<String, crate::StoreError> {
        let tag = self.json_text(column, "kind");
        let tag_value = self.param(Bind::Text(kind.to_owned()));
        let expr = self.json_text(column, key);
        let cond = match test {
            Filter::Compare {
                op: CmpOp::Eq,
                value,
                ..
            } => {
                let text = match value {
                    Value::Text(s) => s.clone(),
                    Value::Guid(g) => g.to_string(),
                    _ => return Err(unmapped(field)),
                };
                let lhs = self.ci(&expr);
                let rhs = self.lowered_param(&text);
                format!("{lhs} = {rhs}")
            }
            Filter::StartsWith { prefix, .. } => self.prefix(&expr, prefix),
            _ => return Err(unmapped(field)),
        };
        Ok(format!("({tag} = {tag_value} AND {cond})"))
    }

    /// Appends the `WHERE` conditions of a filter (after `AND`).
    pub(crate) fn filter(
        &mut self,
        f: &Filter,
        negated: bool,
    ) -> Result<String, crate::StoreError> {
        let leaf = |s: String| {
            if negated {
                format!("(({s}) IS TRUE)")
            } else {
                s
            }
        };
        Ok(match f {
            Filter::And(a, b) => format!(
                "({} AND {})",
                self.filter(a, negated)?,
                self.filter(b, negated)?
            ),
            Filter::Or(a, b) => format!(
                "({} OR {})",
                self.filter(a, negated)?,
                self.filter(b, negated)?
            ),
            Filter::Not(a) => format!("(NOT {})", self.filter(a, true)?),
            Filter::Compare { field, op, value } => {
                let col = self.column(field)?;
                let name = match col {
                    Col::Text(c) | Col::Plain(c) => c,
                    Col::Json { column, kind, key } => {
                        return Ok(leaf(self.json_test(field, (column, kind, key), f)?));
                    }
                    Col::JsonList(_) | Col::Identities | Col::JsonObjects(_) => {
                        return Err(unmapped(field));
                    }
                };
                let text = matches!(col, Col::Text(_));
                match (op, value) {
                    (CmpOp::Eq, Value::Null) => format!("{name} IS NULL"),
                    (CmpOp::Ne, Value::Null) => format!("{name} IS NOT NULL"),
                    (CmpOp::Ne, v) => {
                        // OData: a missing value is "not equal" to any value.
                        let rhs = self.cmp_rhs(text, v);
                        let lhs = if text { self.ci(name) } else { name.to_owned() };
                        leaf(format!("({name} IS NULL OR {lhs} <> {rhs})"))
                    }
                    (op, v) => {
                        let rhs = self.cmp_rhs(text, v);
                        let lhs = if text { self.ci(name) } else { name.to_owned() };
                        let sym = match op {
                            CmpOp::Eq => "=",
                            CmpOp::Ne => "<>",
                            CmpOp::Lt => "<",
                            CmpOp::Le => "<=",
                            CmpOp::Gt => ">",
                            CmpOp::Ge => ">=",
                        };
                        leaf(format!("{lhs} {sym} {rhs}"))
                    }
                }
            }
            Filter::In { field, values } => {
                let col = self.column(field)?;
                let (name, text) = match col {
                    Col::Text(c) => (c, true),
                    Col::Plain(c) => (c, false),
                    Col::JsonList(_) | Col::Identities | Col::Json { .. } | Col::JsonObjects(_) => {
                        return Err(unmapped(field));
                    }
                };
                let lhs = if text { self.ci(name) } else { name.to_owned() };
                let items: Vec<String> = values.iter().map(|v| self.cmp_rhs(text, v)).collect();
                leaf(format!("{lhs} IN ({})", items.join(", ")))
            }
            Filter::StartsWith { field, prefix } => match self.column(field)? {
                Col::Text(c) => leaf(self.prefix(c, prefix)),
                Col::Json { column, kind, key } => {
                    leaf(self.json_test(field, (column, kind, key), f)?)
                }
                _ => return Err(unmapped(field)),
            },
            Filter::EndsWith { field, suffix } => match self.column(field)? {
                Col::Text(c) => leaf(self.like(c, &format!("%{}", like_escape(suffix)))),
                _ => return Err(unmapped(field)),
            },
            Filter::AnyText { field, op, value } => match self.column(field)? {
                Col::JsonList(c) => {
                    let elements = self.json_elements(c);
                    let test = match op {
                        AnyOp::Eq => {
                            let lhs = self.ci("x.v");
                            let rhs = self.lowered_param(value);
                            format!("{lhs} = {rhs}")
                        }
                        AnyOp::StartsWith => self.prefix("x.v", value),
                    };
                    leaf(format!(
                        "EXISTS (SELECT 1 FROM ({elements}) AS x WHERE {test})"
                    ))
                }
                _ => return Err(unmapped(field)),
            },
            Filter::AnyObject {
                field,
                property,
                op,
                value,
            } => match self.column(field)? {
                Col::JsonObjects(c) => {
                    let elements = self.json_objects(c);
                    let expr = self.json_text("x.v", property);
                    let test = match op {
                        AnyOp::Eq => {
                            let lhs = self.ci(&expr);
                            let rhs = self.lowered_param(value);
                            format!("{lhs} = {rhs}")
                        }
                        AnyOp::StartsWith => self.prefix(&expr, value),
                    };
                    leaf(format!(
                        "EXISTS (SELECT 1 FROM ({elements}) AS x WHERE {test})"
                    ))
                }
                _ => return Err(unmapped(field)),
            },
            Filter::Identity {
                issuer,
                issuer_assigned_id,
                sign_in_type,
            } => {
                let mut conds = vec![format!(
                    "ui.issuer = {}",
                    self.param(Bind::Text(issuer.to_lowercase()))
                )];
                if let Some(id) = issuer_assigned_id {
                    conds.push(format!(
                        "ui.issuer_assigned_id = {}",
                        self.param(Bind::Text(id.to_lowercase()))
                    ));
                }
                if let Some(t) = sign_in_type {
                    conds.push(format!(
                        "ui.sign_in_type = {}",
                        self.param(Bind::Text(t.clone()))
                    ));
                }
                leaf(format!(
                    "id IN (SELECT ui.user_id FROM user_identities ui WHERE ui.tenant_id = $1 AND {})",
                    conds.join(" AND ")
                ))
            }
        })
    }

    fn cmp_rhs(&mut self, text: bool, v: &Value) -> String {
        match (text, v) {
            (true, Value::Text(s)) => self.lowered_param(s),
            (_, v) => self.value(v),
        }
    }

    /// `$search`: every (or any) term found inside its property, case-insensitively.
    fn search(&mut self, q: &portico_domain::odata::Search) -> Result<String, crate::StoreError> {
        let mut parts = Vec::new();
        for (field, term) in &q.terms {
            let Col::Text(c) = self.column(field)? else {
                return Err(unmapped(field));
            };
            parts.push(self.like(c, &format!("%{}%", like_escape(term))));
        }
        Ok(format!(
            "({})",
            parts.join(if q.any { " OR " } else { " AND " })
        ))
    }

    /// The conditions of a query (filter and search), each preceded by ` AND `.
    pub(crate) fn conditions(&mut self, q: &ListQuery) -> Result<(), crate::StoreError> {
        if let Some(f) = &q.filter {
            let c = self.filter(f, false)?;
            self.text.push_str(" AND ");
            self.text.push_str(&c);
        }
        if let Some(s) = &q.search {
            let c = self.search(s)?;
            self.text.push_str(" AND ");
            self.text.push_str(&c);
        }
        Ok(())
    }

    /// The sort key expression of the query's `$orderby`, if any.
    pub(crate) fn sort_key(&self, q: &ListQuery) -> Result<Option<String>, crate::StoreError> {
        match &q.order_by {
            None => Ok(None),
            Some(o) => match self.column(o.field)? {
                Col::Text(c) => Ok(Some(self.ci(c))),
                _ => Err(unmapped(o.field)),
            },
        }
    }

    /// Keyset continuation, `ORDER BY` and `LIMIT` (one more than the page, to know if
    /// another follows).
    pub(crate) fn page(
        &mut self,
        q: &ListQuery,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<(), crate::StoreError> {
        let key = self.sort_key(q)?;
        let desc = q.order_by.as_ref().is_some_and(|o| o.descending);
        match (&key, after) {
            (None, Some(c)) => {
                let id = self.param(Bind::Uuid(c.id));
                self.text.push_str(&format!(" AND id > {id}"));
            }
            (Some(k), Some(c)) => {
                let v = self.param(Bind::Text(c.key.clone().unwrap_or_default()));
                let v = self.ci(&v);
                let id = self.param(Bind::Uuid(c.id));
                let cmp = if desc { "<" } else { ">" };
                self.text.push_str(&format!(
                    " AND ({k} {cmp} {v} OR ({k} = {v} AND id > {id}))"
                ));
            }
            (_, None) => {}
        }
        match &key {
            None => self.text.push_str(" ORDER BY id"),
            Some(k) => self.text.push_str(&format!(
                " ORDER BY {k}{}, id",
                if desc { " DESC" } else { "" }
            )),
        }
        let n = self.param(Bind::Int(i64::from(limit) + 1));
        self.text.push_str(&format!(" LIMIT {n}"));
        Ok(())
    }
}

impl Sql {
    /// Keyset continuation, `ORDER BY` and `LIMIT` for a log read by time: by `column` (a
    /// timestamp) then id, newest first when `descending`; `after` is the last item of the
    /// previous page. Fetches one more than the page, to know if another follows.
    pub(crate) fn page_by_time(
        &mut self,
        column: &'static str,
        descending: bool,
        after: Option<(OffsetDateTime, Uuid)>,
        limit: u32,
    ) {
        let (cmp, dir) = if descending {
            ("<", " DESC")
        } else {
            (">", "")
        };
        if let Some((at, id)) = after {
            let at = self.param(Bind::Ts(at));
            let id = self.param(Bind::Uuid(id));
            self.text.push_str(&format!(
                " AND ({column} {cmp} {at} OR ({column} = {at} AND id {cmp} {id}))"
            ));
        }
        let n = self.param(Bind::Int(i64::from(limit) + 1));
        self.text
            .push_str(&format!(" ORDER BY {column}{dir}, id{dir} LIMIT {n}"));
    }
}

/// Escapes `%`, `_` and `\` for `LIKE ... ESCAPE '\'`.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Binds the parameters of a built query, in order.
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                $crate::query_sql::Bind::Text(s) => q.bind(s.clone()),
                $crate::query_sql::Bind::OptText(s) => q.bind(s.clone()),
                $crate::query_sql::Bind::OptTs(t) => q.bind(t.map($crate::ts::Ts)),
                $crate::query_sql::Bind::Bool(v) => q.bind(*v),
                $crate::query_sql::Bind::Uuid(u) => q.bind(*u),
                $crate::query_sql::Bind::Ts(t) => q.bind($crate::ts::Ts(*t)),
                $crate::query_sql::Bind::Int(n) => q.bind(*n),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// Runs a built page query (`SELECT <columns>[, <sort key> AS sort_key] FROM ... WHERE
/// tenant_id = $1 ...` + `sql.text`) and returns the decoded items with the cursor of the
/// next page, if there is one.
macro_rules! fetch_page {
    ($pool:expr, $head:expr, $sql:expr, $ordered:expr, $limit:expr, $from_row:path, $id:expr) => {{
        let text = format!("{}{}", $head, $sql.text);
        let rows =
            $crate::query_sql::bind_all!(sqlx::query(sqlx::AssertSqlSafe(text)), &$sql.binds)
                .fetch_all($pool)
                .await?;
        let limit = $limit as usize;
        let mut items = Vec::with_capacity(rows.len().min(limit));
        let mut next = None;
        for (n, row) in rows.iter().enumerate() {
            if n == limit {
                break;
            }
            let item = $from_row(row)?;
            if n + 1 == limit && rows.len() > limit {
                let key = if $ordered {
                    <_ as $crate::row::RowExt>::opt_text(row, "sort_key")?
                } else {
                    None
                };
                next = Some(portico_domain::odata::Cursor {
                    key,
                    id: $id(&item),
                });
            }
            items.push(item);
        }
        (items, next)
    }};
}
pub(crate) use fetch_page;

#[cfg(test)]
mod tests {
    use super::*;
    use portico_domain::odata::{filter, schema::USERS};

    fn sql(backend: Backend, f: &str) -> (String, usize) {
        let mut s = Sql::new(backend, Uuid::nil(), user_column);
        let q = ListQuery {
            filter: Some(filter(&USERS, f).unwrap()),
            ..ListQuery::default()
        };
        s.conditions(&q).unwrap();
        (s.text, s.binds.len())
    }

    #[test]
    fn values_are_parameters_never_text() {
        let (text, n) = sql(Backend::Sqlite, "displayName eq 'x'' OR 1=1 --'");
        assert!(!text.contains("OR 1=1"), "{text}");
        assert_eq!(n, 2);
        let (text, _) = sql(Backend::Postgres, "startswith(displayName,'ab')");
        assert!(text.contains("COLLATE \"C\""), "{text}");
    }

    #[test]
    fn every_schema_field_has_a_column() {
        for f in portico_domain::odata::schema::USERS.fields {
            assert!(user_column(f.name).is_some(), "{}", f.name);
        }
        for f in portico_domain::odata::schema::GROUPS.fields {
            assert!(group_column(f.name).is_some(), "{}", f.name);
        }
        for f in portico_domain::odata::schema::APPLICATIONS.fields {
            assert!(application_column(f.name).is_some(), "{}", f.name);
        }
        for f in portico_domain::odata::schema::SERVICE_PRINCIPALS.fields {
            assert!(service_principal_column(f.name).is_some(), "{}", f.name);
        }
        for f in portico_domain::odata::schema::PERMISSION_GRANTS.fields {
            assert!(permission_grant_column(f.name).is_some(), "{}", f.name);
        }
        for f in portico_domain::odata::schema::DIRECTORY_AUDITS.fields {
            assert!(audit_column(f.name).is_some(), "{}", f.name);
        }
    }

    #[test]
    fn not_wraps_leaves() {
        let (text, _) = sql(Backend::Sqlite, "not(startswith(mail,'a'))");
        assert!(text.contains("IS TRUE"), "{text}");
    }

    /// The JSON keys `audit_column` reads are the ones serde writes for the initiator.
    #[test]
    fn audit_json_keys_match_the_stored_initiator() {
        use portico_domain::audit::Initiator;
        let user = serde_json::to_value(Initiator::User {
            id: Uuid::nil(),
            user_principal_name: "a@b".into(),
        })
        .unwrap();
        let app = serde_json::to_value(Initiator::App {
            app_id: Uuid::nil(),
            service_principal_id: Uuid::nil(),
            display_name: "x".into(),
        })
        .unwrap();
        for f in portico_domain::odata::schema::DIRECTORY_AUDITS.fields {
            if let Some(Col::Json { kind, key, .. }) = audit_column(f.name) {
                let v = if kind == "user" { &user } else { &app };
                assert_eq!(v["kind"], kind, "{}", f.name);
                assert!(v.get(key).is_some(), "{}: {v}", f.name);
            }
        }
    }

    #[test]
    fn audit_filters_are_parameterized() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mut s = Sql::new(backend, Uuid::nil(), audit_column);
            let q = ListQuery {
                filter: Some(
                    filter(
                        &portico_domain::odata::schema::DIRECTORY_AUDITS,
                        "initiatedBy/user/id eq '6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b' and targetResources/any(t: t/id eq 'x'' OR 1=1') and not(startswith(activityDisplayName, 'Add'))",
                    )
                    .unwrap(),
                ),
                ..ListQuery::default()
            };
            s.conditions(&q).unwrap();
            s.page_by_time(
                "activity_at",
                true,
                Some((OffsetDateTime::UNIX_EPOCH, Uuid::nil())),
                10,
            );
            assert!(
                !s.text.contains("OR 1=1") && !s.text.contains("6f2c"),
                "{}",
                s.text
            );
            assert!(
                s.text
                    .ends_with("ORDER BY activity_at DESC, id DESC LIMIT $9"),
                "{}",
                s.text
            );
        }
    }
}
