//! OData query options as Microsoft Graph accepts them on directory collections: `$filter`
//! (parsed by [`parse`], then checked against the resource's [`schema`] into a [`Filter`]),
//! `$orderby` and `$search`. What comes out is storage-neutral: the store turns it into SQL.

pub mod parse;
pub mod schema;

pub use parse::{CmpOp, SyntaxError, parse_filter};
pub use schema::{FieldType, Ops, Resource};

use parse::{Expr, Literal, PathExpr};
use time::OffsetDateTime;

/// A typed value in a validated filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text (compared case-insensitively) or an enum member (canonical spelling).
    Text(String),
    /// `true` / `false`.
    Bool(bool),
    /// An object id.
    Guid(uuid::Uuid),
    /// A point in time.
    DateTime(OffsetDateTime),
    /// `null`.
    Null,
}

/// How an element of a string collection is tested in `any()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyOp {
    /// `x eq 'v'`
    Eq,
    /// `startswith(x, 'v')`
    StartsWith,
}

/// A validated filter over one resource's properties (canonical Graph names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Negation (OData semantics: a comparison with null is false, so `not` of it is true).
    Not(Box<Filter>),
    /// `field op value`.
    Compare {
        /// Property.
        field: &'static str,
        /// Operator.
        op: CmpOp,
        /// Value (never `Null` for ordering operators).
        value: Value,
    },
    /// `field in (...)`.
    In {
        /// Property.
        field: &'static str,
        /// Values (1 to 100, no nulls).
        values: Vec<Value>,
    },
    /// `startswith(field, 'prefix')`, case-insensitive.
    StartsWith {
        /// Property.
        field: &'static str,
        /// Prefix.
        prefix: String,
    },
    /// `endswith(field, 'suffix')`, case-insensitive.
    EndsWith {
        /// Property.
        field: &'static str,
        /// Suffix.
        suffix: String,
    },
    /// `collection/any(x: x eq 'v')` or `startswith(x, 'v')` on a string collection.
    AnyText {
        /// Collection property.
        field: &'static str,
        /// Test.
        op: AnyOp,
        /// Value.
        value: String,
    },
    /// `collection/any(x: x/property eq 'v')` or `startswith(x/property, 'v')` on a collection
    /// of objects (`targetResources`), case-insensitive.
    AnyObject {
        /// Collection property.
        field: &'static str,
        /// The element's property (canonical name).
        property: &'static str,
        /// Test.
        op: AnyOp,
        /// Value.
        value: String,
    },
    /// `identities/any(i: i/issuer eq '…' and i/issuerAssignedId eq '…')`.
    Identity {
        /// Required, case-insensitive.
        issuer: String,
        /// Optional.
        issuer_assigned_id: Option<String>,
        /// Optional.
        sign_in_type: Option<String>,
    },
}

/// Why a query option is refused. `unsupported` ones are valid OData that Graph (or Portico)
/// does not serve on this resource: Graph answers them with `Request_UnsupportedQuery`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// Valid OData, not supported here.
    pub unsupported: bool,
    /// Names the position or the unsupported part.
    pub message: String,
}

impl QueryError {
    fn unsupported(message: impl Into<String>) -> Self {
        Self {
            unsupported: true,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self {
            unsupported: false,
            message: message.into(),
        }
    }
}

impl From<SyntaxError> for QueryError {
    fn from(e: SyntaxError) -> Self {
        Self::bad(e.to_string())
    }
}

/// Parses and checks a `$filter` for `resource`.
pub fn filter(resource: &Resource, text: &str) -> Result<Filter, QueryError> {
    let expr = parse_filter(text)?;
    check(resource, &expr)
}

fn field<'r>(resource: &'r Resource, p: &PathExpr) -> Result<&'r schema::Field, QueryError> {
    let name = p.text();
    resource
        .fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(&name))
        .ok_or_else(|| {
            if resource.is_property(&name) {
                QueryError::unsupported(format!(
                    "Unsupported or invalid query filter clause specified for property '{name}' of resource '{}' (position {}).",
                    resource.type_name, p.at
                ))
            } else {
                QueryError::bad(format!(
                    "Could not find a property named '{name}' on type 'microsoft.graph.{}' (position {}).",
                    resource.type_name, p.at
                ))
            }
        })
}

fn not_allowed(resource: &Resource, f: &schema::Field, what: &str) -> QueryError {
    QueryError::unsupported(format!(
        "Unsupported filter operator '{what}' for property '{}' of resource '{}'.",
        f.name, resource.type_name
    ))
}

fn value(resource: &Resource, f: &schema::Field, lit: &Literal) -> Result<Value, QueryError> {
    let wrong = || {
        QueryError::bad(format!(
            "The value {lit:?} does not fit property '{}' of resource '{}' ({}).",
            f.name,
            resource.type_name,
            f.ty.describe()
        ))
    };
    match (&f.ty, lit) {
        (_, Literal::Null) if f.nullable => Ok(Value::Null),
        (FieldType::Text, Literal::Str(s)) => Ok(Value::Text(s.clone())),
        (FieldType::Bool, Literal::Bool(b)) => Ok(Value::Bool(*b)),
        (FieldType::Guid, Literal::Guid(g)) => Ok(Value::Guid(*g)),
        (FieldType::Guid, Literal::Str(s)) => s.parse().map(Value::Guid).map_err(|_| wrong()),
        (FieldType::DateTime, Literal::DateTime(t)) => Ok(Value::DateTime(*t)),
        (FieldType::Enum(members), Literal::Str(s)) => members
            .iter()
            .find(|m| m.eq_ignore_ascii_case(s))
            .map(|m| Value::Text((*m).to_owned()))
            .ok_or_else(|| {
                QueryError::bad(format!(
                    "'{s}' is not a value of property '{}': use one of {}.",
                    f.name,
                    members.join(", ")
                ))
            }),
        _ => Err(wrong()),
    }
}

fn text_arg(f: &schema::Field, lit: &Literal) -> Result<String, QueryError> {
    match lit {
        Literal::Str(s) if s.len() <= 1024 => Ok(s.clone()),
        _ => Err(QueryError::bad(format!(
            "The second argument for property '{}' must be a string of at most 1024 bytes.",
            f.name
        ))),
    }
}

fn check(resource: &Resource, e: &Expr) -> Result<Filter, QueryError> {
    Ok(match e {
        Expr::And(a, b) => {
            Filter::And(Box::new(check(resource, a)?), Box::new(check(resource, b)?))
        }
        Expr::Or(a, b) => Filter::Or(Box::new(check(resource, a)?), Box::new(check(resource, b)?)),
        Expr::Not(a) => Filter::Not(Box::new(check(resource, a)?)),
        Expr::Compare(p, op, lit) => {
            let f = field(resource, p)?;
            let needed = match op {
                CmpOp::Eq => Ops::EQ,
                CmpOp::Ne => Ops::NE,
                _ => Ops::RANGE,
            };
            if !f.ops.has(needed) {
                return Err(not_allowed(resource, f, op.as_str()));
            }
            let v = value(resource, f, lit)?;
            if v == Value::Null && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                return Err(QueryError::bad(format!(
                    "'{}' cannot compare property '{}' with null.",
                    op.as_str(),
                    f.name
                )));
            }
            Filter::Compare {
                field: f.name,
                op: *op,
                value: v,
            }
        }
        Expr::In(p, lits) => {
            let f = field(resource, p)?;
            if !f.ops.has(Ops::IN) {
                return Err(not_allowed(resource, f, "in"));
            }
            let values = lits
                .iter()
                .map(|l| match l {
                    Literal::Null => Err(QueryError::bad("'in' lists may not hold null.")),
                    l => value(resource, f, l),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Filter::In {
                field: f.name,
                values,
            }
        }
        Expr::Call(name, p, lit) => {
            let f = field(resource, p)?;
            match name.as_str() {
                "startswith" if f.ops.has(Ops::STARTS) => Filter::StartsWith {
                    field: f.name,
                    prefix: text_arg(f, lit)?,
                },
                "endswith" if f.ops.has(Ops::ENDS) => Filter::EndsWith {
                    field: f.name,
                    suffix: text_arg(f, lit)?,
                },
                "startswith" | "endswith" => return Err(not_allowed(resource, f, name)),
                other => {
                    return Err(QueryError::unsupported(format!(
                        "The function '{other}' is not supported in $filter (position {}); use startswith or endswith.",
                        p.at
                    )));
                }
            }
        }
        Expr::Any(p, var, body) => {
            let f = field(resource, p)?;
            let Some(body) = body else {
                return Err(QueryError::unsupported(format!(
                    "'{}/any()' without a condition is not supported.",
                    f.name
                )));
            };
            match f.ty {
                FieldType::TextList => any_text(resource, f, var, body)?,
                FieldType::Identities => identity(var, body)?,
                FieldType::Objects(type_name, props) => {
                    any_object(resource, f, type_name, props, var, body)?
                }
                _ => return Err(not_allowed(resource, f, "any")),
            }
        }
    })
}

fn is_var(p: &PathExpr, var: &str) -> bool {
    p.segments.len() == 1 && p.segments.first().is_some_and(|s| s == var)
}

fn any_text(
    resource: &Resource,
    f: &schema::Field,
    var: &str,
    body: &Expr,
) -> Result<Filter, QueryError> {
    let (op, lit) = match body {
        Expr::Compare(p, CmpOp::Eq, lit) if is_var(p, var) && f.ops.has(Ops::EQ) => {
            (AnyOp::Eq, lit)
        }
        Expr::Call(name, p, lit)
            if name == "startswith" && is_var(p, var) && f.ops.has(Ops::STARTS) =>
        {
            (AnyOp::StartsWith, lit)
        }
        _ => {
            return Err(QueryError::unsupported(format!(
                "Only '{0}/any({var}:{var} eq 'value')'{1} is supported on '{0}' of resource '{2}'.",
                f.name,
                if f.ops.has(Ops::STARTS) {
                    format!(" and '{}/any({var}:startswith({var}, 'value'))'", f.name)
                } else {
                    String::new()
                },
                resource.type_name
            )));
        }
    };
    Ok(Filter::AnyText {
        field: f.name,
        op,
        value: text_arg(f, lit)?,
    })
}

fn any_object(
    resource: &Resource,
    f: &schema::Field,
    type_name: &str,
    props: &'static [schema::Field],
    var: &str,
    body: &Expr,
) -> Result<Filter, QueryError> {
    let forms = || {
        let mut out = Vec::new();
        for p in props {
            if p.ops.has(Ops::EQ) {
                out.push(format!(
                    "{0}/any({var}:{var}/{1} eq 'value')",
                    f.name, p.name
                ));
            }
            if p.ops.has(Ops::STARTS) {
                out.push(format!(
                    "{0}/any({var}:startswith({var}/{1}, 'value'))",
                    f.name, p.name
                ));
            }
        }
        out.join(", ")
    };
    let (path, op, lit) = match body {
        Expr::Compare(p, CmpOp::Eq, lit) => (p, AnyOp::Eq, lit),
        Expr::Call(name, p, lit) if name == "startswith" => (p, AnyOp::StartsWith, lit),
        _ => {
            return Err(QueryError::unsupported(format!(
                "On '{}' of resource '{}' only these filters are supported: {}.",
                f.name,
                resource.type_name,
                forms()
            )));
        }
    };
    let name = match path.segments.as_slice() {
        [v, name] if v == var => name,
        _ => {
            return Err(QueryError::bad(format!(
                "Inside '{}/any({var}: ...)' name the element's properties as '{var}/<property>' (position {}).",
                f.name, path.at
            )));
        }
    };
    let Some(prop) = props.iter().find(|p| p.name.eq_ignore_ascii_case(name)) else {
        return Err(QueryError::unsupported(format!(
            "Unsupported or invalid query filter clause specified for property '{}/{name}' of resource '{}' ('microsoft.graph.{type_name}'); supported: {}.",
            f.name,
            resource.type_name,
            forms()
        )));
    };
    let needed = match op {
        AnyOp::Eq => Ops::EQ,
        AnyOp::StartsWith => Ops::STARTS,
    };
    if !prop.ops.has(needed) {
        return Err(QueryError::unsupported(format!(
            "Unsupported filter operator '{}' for property '{}/{}' of resource '{}'; supported: {}.",
            match op {
                AnyOp::Eq => "eq",
                AnyOp::StartsWith => "startswith",
            },
            f.name,
            prop.name,
            resource.type_name,
            forms()
        )));
    }
    let value = match lit {
        Literal::Guid(g) => g.to_string(),
        other => text_arg(prop, other)?,
    };
    Ok(Filter::AnyObject {
        field: f.name,
        property: prop.name,
        op,
        value,
    })
}

fn identity(var: &str, body: &Expr) -> Result<Filter, QueryError> {
    let mut parts: Vec<(String, String)> = Vec::new();
    fn collect(var: &str, e: &Expr, out: &mut Vec<(String, String)>) -> Result<(), QueryError> {
        match e {
            Expr::And(a, b) => {
                collect(var, a, out)?;
                collect(var, b, out)
            }
            Expr::Compare(p, CmpOp::Eq, Literal::Str(v))
                if p.segments.len() == 2 && p.segments.first().is_some_and(|s| s == var) =>
            {
                let prop = p.segments.get(1).cloned().unwrap_or_default();
                out.push((prop, v.clone()));
                Ok(())
            }
            _ => Err(QueryError::unsupported(
                "identities/any() supports only 'eq' on issuer, issuerAssignedId and signInType joined by 'and', e.g. identities/any(c:c/issuerAssignedId eq 'j@contoso.com' and c/issuer eq 'contoso.com').",
            )),
        }
    }
    collect(var, body, &mut parts)?;
    let mut issuer = None;
    let mut assigned = None;
    let mut sign_in_type = None;
    for (prop, v) in parts {
        let slot = if prop.eq_ignore_ascii_case("issuer") {
            &mut issuer
        } else if prop.eq_ignore_ascii_case("issuerAssignedId") {
            &mut assigned
        } else if prop.eq_ignore_ascii_case("signInType") {
            &mut sign_in_type
        } else {
            return Err(QueryError::bad(format!(
                "Could not find a property named '{prop}' on type 'microsoft.graph.objectIdentity'."
            )));
        };
        if slot.replace(v).is_some() {
            return Err(QueryError::bad(format!(
                "identities/any() names '{prop}' twice."
            )));
        }
    }
    let Some(issuer) = issuer else {
        return Err(QueryError::unsupported(
            "A filter on identities must name the issuer: identities/any(c:c/issuer eq '…' and c/issuerAssignedId eq '…').",
        ));
    };
    Ok(Filter::Identity {
        issuer,
        issuer_assigned_id: assigned,
        sign_in_type,
    })
}

/// A validated `$orderby`: one property, ascending or descending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// Property (canonical name).
    pub field: &'static str,
    /// `desc`.
    pub descending: bool,
}

/// Parses `$orderby` (one property, optional `asc`/`desc`).
pub fn order_by(resource: &Resource, text: &str) -> Result<OrderBy, QueryError> {
    let mut words = text.split_whitespace();
    let (Some(name), dir, None) = (words.next(), words.next(), words.next()) else {
        return Err(QueryError::unsupported(
            "$orderby takes one property, optionally followed by asc or desc.",
        ));
    };
    let descending = match dir.map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(QueryError::bad(format!(
                "'{other}' is not a sort direction: use asc or desc."
            )));
        }
    };
    let field = resource
        .order_by
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            QueryError::unsupported(format!(
                "Sorting by '{name}' is not supported on resource '{}': use {}.",
                resource.type_name,
                resource.order_by.join(" or ")
            ))
        })?;
    Ok(OrderBy { field, descending })
}

/// A validated `$search`: terms on properties, all of which must match (`AND`) or any (`OR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// `(property, term)` pairs.
    pub terms: Vec<(&'static str, String)>,
    /// Joined by `OR` rather than `AND`.
    pub any: bool,
}

/// Parses Graph's `$search`: `"displayName:ann"`, several joined by `AND` or `OR`.
pub fn search(resource: &Resource, text: &str) -> Result<Search, QueryError> {
    let bad = || {
        QueryError::bad(
            "$search must be one or more \"property:term\" clauses in double quotes, joined by AND or OR.",
        )
    };
    let text = text.trim();
    if text.len() > 1024 || text.is_empty() {
        return Err(bad());
    }
    let mut terms = Vec::new();
    let mut joiner: Option<bool> = None;
    let mut rest = text;
    loop {
        let r = rest.trim_start();
        let r = r.strip_prefix('"').ok_or_else(bad)?;
        let end = r.find('"').ok_or_else(bad)?;
        let clause = r.get(..end).ok_or_else(bad)?;
        let (prop, term) = clause.split_once(':').ok_or_else(bad)?;
        let field = resource
            .search
            .iter()
            .find(|f| f.eq_ignore_ascii_case(prop.trim()))
            .ok_or_else(|| {
                QueryError::unsupported(format!(
                    "Searching by '{}' is not supported on resource '{}': use {}.",
                    prop.trim(),
                    resource.type_name,
                    resource.search.join(", ")
                ))
            })?;
        let term = term.trim();
        if term.is_empty() {
            return Err(bad());
        }
        terms.push((*field, term.to_owned()));
        rest = r.get(end + 1..).unwrap_or("").trim_start();
        if rest.is_empty() {
            break;
        }
        let (word, after) = rest.split_once(char::is_whitespace).ok_or_else(bad)?;
        let is_or = match word {
            "AND" => false,
            "OR" => true,
            _ => return Err(bad()),
        };
        if joiner.replace(is_or).is_some_and(|prev| prev != is_or) {
            return Err(QueryError::unsupported(
                "$search cannot mix AND and OR; use one of them.",
            ));
        }
        if terms.len() >= 10 {
            return Err(QueryError::bad("$search takes at most 10 clauses."));
        }
        rest = after;
    }
    Ok(Search {
        terms,
        any: joiner.unwrap_or(false),
    })
}

/// Everything a list request asks for, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// `$filter`.
    pub filter: Option<Filter>,
    /// `$orderby`.
    pub order_by: Option<OrderBy>,
    /// `$search`.
    pub search: Option<Search>,
}

/// Where a page continues: the sort key of the last item (when ordered) and its id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    /// The last item's `$orderby` value, lower-cased.
    #[serde(rename = "k", skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// The last item's id.
    #[serde(rename = "i")]
    pub id: uuid::Uuid,
}

#[cfg(test)]
mod tests;
