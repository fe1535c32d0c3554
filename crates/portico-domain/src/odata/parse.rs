//! The OData `$filter` grammar Portico accepts, parsed with winnow into a syntax tree. Keywords
//! and functions are case-insensitive; string literals use `'` with `''` as the escaped quote;
//! GUIDs, numbers, `true`/`false`/`null` and date-times are bare. A syntax error names the
//! position (0-based, in characters of the decoded `$filter`) where parsing stopped.

use winnow::ascii::{Caseless, multispace0, multispace1};
use winnow::combinator::{alt, cut_err, delimited, opt, preceded, repeat, separated, terminated};
use winnow::error::{ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::{LocatingSlice, Location, Stream};
use winnow::token::{any, take_while};

type In<'a> = LocatingSlice<&'a str>;
type PResult<T> = ModalResult<T, ContextError>;

/// Longest `$filter` accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not` and lambdas.
pub const MAX_DEPTH: usize = 16;

/// A literal value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `'text'`
    Str(String),
    /// `true` / `false`
    Bool(bool),
    /// `null`
    Null,
    /// A whole number.
    Int(i64),
    /// A bare GUID.
    Guid(uuid::Uuid),
    /// A bare RFC 3339 date-time.
    DateTime(time::OffsetDateTime),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
}

impl CmpOp {
    /// The OData keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Lt => "lt",
            Self::Le => "le",
            Self::Gt => "gt",
            Self::Ge => "ge",
        }
    }
}

/// A property path as written (`displayName`, `i/issuer`), with where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathExpr {
    /// Segments split at `/`.
    pub segments: Vec<String>,
    /// Character offset in the filter.
    pub at: usize,
}

impl PathExpr {
    /// The path as written.
    #[must_use]
    pub fn text(&self) -> String {
        self.segments.join("/")
    }
}

/// The syntax tree of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `not a`
    Not(Box<Expr>),
    /// `path op literal`
    Compare(PathExpr, CmpOp, Literal),
    /// `path in (literal, ...)`
    In(PathExpr, Vec<Literal>),
    /// `name(path, literal)`: `startswith`, `endswith`, `contains`, ... (lower-cased name).
    Call(String, PathExpr, Literal),
    /// `path/any(var: body)`; `body` is `None` for `path/any()`.
    Any(PathExpr, String, Option<Box<Expr>>),
}

/// A `$filter` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Syntax error at position {position} in the $filter: {message}")]
pub struct SyntaxError {
    /// 0-based character offset.
    pub position: usize,
    /// What was expected.
    pub message: String,
}

/// Parses a `$filter` expression.
pub fn parse_filter(text: &str) -> Result<Expr, SyntaxError> {
    if text.len() > MAX_FILTER_LEN {
        return Err(SyntaxError {
            position: MAX_FILTER_LEN,
            message: format!("the $filter is longer than {MAX_FILTER_LEN} bytes"),
        });
    }
    if text.trim().is_empty() {
        return Err(SyntaxError {
            position: 0,
            message: "the $filter is empty".into(),
        });
    }
    let parsed = delimited(multispace0, |i: &mut In<'_>| or_expr(i, 0), multispace0)
        .parse(LocatingSlice::new(text));
    parsed.map_err(|e| {
        let byte = e.offset();
        let position = text.get(..byte).map_or(byte, |s| s.chars().count());
        let near: String = text.get(byte..).unwrap_or("").chars().take(20).collect();
        let expected = e
            .inner()
            .context()
            .find_map(|c| match c {
                StrContext::Label(l) => Some(format!("expected {l}")),
                StrContext::Expected(v) => Some(format!("expected {v}")),
                _ => None,
            })
            .unwrap_or_default();
        let message = match (expected.is_empty(), near.is_empty()) {
            (true, true) => "unexpected end of the expression".to_owned(),
            (true, false) => format!("unexpected '{near}'"),
            (false, true) => format!("{expected} at the end of the expression"),
            (false, false) => format!("{expected} before '{near}'"),
        };
        SyntaxError { position, message }
    })
}

fn too_deep(depth: usize) -> Result<(), ErrMode<ContextError>> {
    if depth > MAX_DEPTH {
        let mut e = ContextError::new();
        e.push(StrContext::Label("an expression nested at most 16 deep"));
        Err(ErrMode::Cut(e))
    } else {
        Ok(())
    }
}

/// A keyword followed by a word boundary.
fn keyword<'a>(word: &'static str) -> impl Parser<In<'a>, (), ErrMode<ContextError>> {
    terminated(
        Caseless(word),
        winnow::combinator::not(take_while(1, |c: char| c.is_alphanumeric() || c == '_')),
    )
    .void()
}

fn or_expr(i: &mut In<'_>, depth: usize) -> PResult<Expr> {
    too_deep(depth)?;
    let first = and_expr(i, depth)?;
    let rest: Vec<Expr> = repeat(
        0..,
        preceded(
            (multispace1, keyword("or"), multispace1),
            cut_err(|i: &mut In<'_>| and_expr(i, depth)),
        ),
    )
    .parse_next(i)?;
    Ok(rest
        .into_iter()
        .fold(first, |a, b| Expr::Or(Box::new(a), Box::new(b))))
}

fn and_expr(i: &mut In<'_>, depth: usize) -> PResult<Expr> {
    let first = unary(i, depth)?;
    let rest: Vec<Expr> = repeat(
        0..,
        preceded(
            (multispace1, keyword("and"), multispace1),
            cut_err(|i: &mut In<'_>| unary(i, depth)),
        ),
    )
    .parse_next(i)?;
    Ok(rest
        .into_iter()
        .fold(first, |a, b| Expr::And(Box::new(a), Box::new(b))))
}

fn unary(i: &mut In<'_>, depth: usize) -> PResult<Expr> {
    let negated = opt(terminated(keyword("not"), multispace0)).parse_next(i)?;
    if negated.is_some() {
        too_deep(depth + 1)?;
        let inner = cut_err(|i: &mut In<'_>| unary(i, depth + 1)).parse_next(i)?;
        return Ok(Expr::Not(Box::new(inner)));
    }
    primary(i, depth)
}

fn primary(i: &mut In<'_>, depth: usize) -> PResult<Expr> {
    alt((
        |i: &mut In<'_>| {
            let _ = ('(', multispace0).parse_next(i)?;
            too_deep(depth + 1)?;
            let e = cut_err(|i: &mut In<'_>| or_expr(i, depth + 1)).parse_next(i)?;
            cut_err((multispace0, ')'))
                .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
                .parse_next(i)?;
            Ok(e)
        },
        |i: &mut In<'_>| call(i),
        |i: &mut In<'_>| path_predicate(i, depth),
    ))
    .context(StrContext::Label("a comparison, a function call or '('"))
    .parse_next(i)
}

fn identifier(i: &mut In<'_>) -> PResult<String> {
    (
        take_while(1, |c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| {
            c.is_ascii_alphanumeric() || c == '_' || c == '.'
        }),
    )
        .take()
        .map(str::to_owned)
        .parse_next(i)
}

fn path(i: &mut In<'_>) -> PResult<PathExpr> {
    let at = i.current_token_start();
    let segments: Vec<String> = separated(1.., identifier, '/').parse_next(i)?;
    Ok(PathExpr { segments, at })
}

fn call(i: &mut In<'_>) -> PResult<Expr> {
    let name = terminated(identifier, (multispace0, '(', multispace0)).parse_next(i)?;
    let p = cut_err(path)
        .context(StrContext::Label("a property name"))
        .parse_next(i)?;
    cut_err((multispace0, ',', multispace0))
        .context(StrContext::Expected(StrContextValue::CharLiteral(',')))
        .parse_next(i)?;
    let arg = cut_err(literal).parse_next(i)?;
    cut_err((multispace0, ')'))
        .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
        .parse_next(i)?;
    Ok(Expr::Call(name.to_ascii_lowercase(), p, arg))
}

fn cmp_op(i: &mut In<'_>) -> PResult<CmpOp> {
    alt((
        keyword("eq").value(CmpOp::Eq),
        keyword("ne").value(CmpOp::Ne),
        keyword("lt").value(CmpOp::Lt),
        keyword("le").value(CmpOp::Le),
        keyword("gt").value(CmpOp::Gt),
        keyword("ge").value(CmpOp::Ge),
    ))
    .parse_next(i)
}

fn path_predicate(i: &mut In<'_>, depth: usize) -> PResult<Expr> {
    let mut p = path(i)?;
    // `collection/any(...)`: the last segment is `any` and a parenthesis follows.
    if p.segments.len() > 1
        && p.segments
            .last()
            .is_some_and(|s| s.eq_ignore_ascii_case("any"))
        && opt((multispace0, '(')).parse_next(i)?.is_some()
    {
        p.segments.pop();
        return lambda(i, p, depth);
    }
    let _ = multispace1.parse_next(i)?;
    alt((
        |i: &mut In<'_>| {
            let op = cmp_op(i)?;
            let v = cut_err(preceded(multispace1, literal))
                .context(StrContext::Label("a value after the operator"))
                .parse_next(i)?;
            Ok(Expr::Compare(p.clone(), op, v))
        },
        |i: &mut In<'_>| {
            let _ = (keyword("in"), multispace0, '(', multispace0).parse_next(i)?;
            let values: Vec<Literal> =
                cut_err(separated(1..=100, literal, (multispace0, ',', multispace0)))
                    .context(StrContext::Label("a list of 1 to 100 values"))
                    .parse_next(i)?;
            cut_err((multispace0, ')'))
                .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
                .parse_next(i)?;
            Ok(Expr::In(p.clone(), values))
        },
    ))
    .context(StrContext::Label(
        "an operator (eq, ne, lt, le, gt, ge, in)",
    ))
    .parse_next(i)
}

fn lambda(i: &mut In<'_>, p: PathExpr, depth: usize) -> PResult<Expr> {
    too_deep(depth + 1)?;
    let _ = multispace0.parse_next(i)?;
    if opt(')').parse_next(i)?.is_some() {
        return Ok(Expr::Any(p, String::new(), None));
    }
    let var = cut_err(terminated(identifier, (multispace0, ':', multispace0)))
        .context(StrContext::Label("a lambda variable and ':'"))
        .parse_next(i)?;
    let body = cut_err(|i: &mut In<'_>| or_expr(i, depth + 1)).parse_next(i)?;
    cut_err((multispace0, ')'))
        .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
        .parse_next(i)?;
    Ok(Expr::Any(p, var, Some(Box::new(body))))
}

fn string_literal(i: &mut In<'_>) -> PResult<String> {
    let _ = '\''.parse_next(i)?;
    let mut out = String::new();
    loop {
        let c: char = cut_err(any)
            .context(StrContext::Label("a closing quote"))
            .parse_next(i)?;
        if c == '\'' {
            if opt('\'').parse_next(i)?.is_some() {
                out.push('\'');
            } else {
                return Ok(out);
            }
        } else {
            out.push(c);
        }
    }
}

fn bare_literal(i: &mut In<'_>) -> PResult<Literal> {
    let checkpoint = i.checkpoint();
    let word: &str = take_while(1.., |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '+')
    })
    .parse_next(i)?;
    let lit = if word.eq_ignore_ascii_case("true") {
        Some(Literal::Bool(true))
    } else if word.eq_ignore_ascii_case("false") {
        Some(Literal::Bool(false))
    } else if word.eq_ignore_ascii_case("null") {
        Some(Literal::Null)
    } else if let Ok(n) = word.parse::<i64>() {
        Some(Literal::Int(n))
    } else if word.len() == 36
        && let Ok(g) = word.parse::<uuid::Uuid>()
    {
        Some(Literal::Guid(g))
    } else {
        time::OffsetDateTime::parse(word, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(Literal::DateTime)
    };
    match lit {
        Some(l) => Ok(l),
        None => {
            i.reset(&checkpoint);
            let mut e = ContextError::new();
            e.push(StrContext::Label(
                "a value ('text', true, false, null, a number, a GUID or a date-time)",
            ));
            Err(ErrMode::Cut(e))
        }
    }
}

fn literal(i: &mut In<'_>) -> PResult<Literal> {
    alt((string_literal.map(Literal::Str), bare_literal))
        .context(StrContext::Label("a value"))
        .parse_next(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        parse_filter(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn path_of(segs: &[&str], at: usize) -> PathExpr {
        PathExpr {
            segments: segs.iter().map(|s| (*s).to_owned()).collect(),
            at,
        }
    }

    #[test]
    fn comparisons_and_literals() {
        assert_eq!(
            p("displayName eq 'O''Neil'"),
            Expr::Compare(
                path_of(&["displayName"], 0),
                CmpOp::Eq,
                Literal::Str("O'Neil".into())
            )
        );
        assert_eq!(
            p("accountEnabled EQ false"),
            Expr::Compare(
                path_of(&["accountEnabled"], 0),
                CmpOp::Eq,
                Literal::Bool(false)
            )
        );
        assert!(matches!(
            p("createdDateTime ge 2026-01-01T00:00:00Z"),
            Expr::Compare(_, CmpOp::Ge, Literal::DateTime(_))
        ));
        assert!(matches!(
            p("id eq 6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b"),
            Expr::Compare(_, CmpOp::Eq, Literal::Guid(_))
        ));
        assert!(matches!(
            p("mail eq null"),
            Expr::Compare(_, CmpOp::Eq, Literal::Null)
        ));
    }

    #[test]
    fn precedence_and_grouping() {
        // and binds tighter than or
        let e = p("a eq 1 or b eq 2 and c eq 3");
        assert!(matches!(e, Expr::Or(_, ref r) if matches!(**r, Expr::And(..))));
        let e = p("(a eq 1 or b eq 2) and not c eq 3");
        assert!(
            matches!(e, Expr::And(ref l, ref r) if matches!(**l, Expr::Or(..)) && matches!(**r, Expr::Not(..)))
        );
        // a property that starts like a keyword is still a property
        assert!(matches!(p("order eq 1"), Expr::Compare(..)));
        assert!(matches!(p("notes eq 'x'"), Expr::Compare(..)));
    }

    #[test]
    fn functions_in_and_lambdas() {
        assert_eq!(
            p("startsWith(displayName, 'Ad')"),
            Expr::Call(
                "startswith".into(),
                path_of(&["displayName"], 11),
                Literal::Str("Ad".into())
            )
        );
        assert!(matches!(p("userType in ('Guest', 'Member')"), Expr::In(_, ref v) if v.len() == 2));
        let e =
            p("identities/any(c:c/issuerAssignedId eq 'j@x.com' and c/issuer eq 'contoso.com')");
        match e {
            Expr::Any(path, var, Some(body)) => {
                assert_eq!(path.segments, vec!["identities"]);
                assert_eq!(var, "c");
                assert!(matches!(*body, Expr::And(..)));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p("otherMails/any(x:startswith(x, 'a'))"),
            Expr::Any(..)
        ));
        assert!(matches!(p("otherMails/any()"), Expr::Any(_, _, None)));
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse_filter("displayName eq").unwrap_err();
        assert_eq!(e.position, 14, "{e}");
        let e = parse_filter("displayName eq 'open").unwrap_err();
        assert!(e.message.contains("closing quote"), "{e}");
        let e = parse_filter("displayName foo 'x'").unwrap_err();
        assert_eq!(e.position, 12, "{e}");
        let e = parse_filter("a eq 1 and").unwrap_err();
        assert!(e.position >= 6, "{e}");
        let e = parse_filter("a eq 1 )").unwrap_err();
        assert_eq!(e.position, 7, "{e}");
        assert!(parse_filter("").is_err());
        assert!(parse_filter("x eq bogus").is_err());
        assert!(parse_filter(&"(".repeat(100)).is_err());
        assert!(parse_filter(&"not ".repeat(100)).is_err());
        assert!(parse_filter(&"a".repeat(5000)).is_err());
        // multibyte text before the error still gives a character position
        let e = parse_filter("displayName eq 'Zoë' ang b eq 1").unwrap_err();
        assert_eq!(e.position, 21, "{e}");
    }

    #[test]
    fn never_panics_on_arbitrary_input() {
        let samples = [
            "'",
            "''",
            "(",
            ")",
            "a/",
            "a/any(",
            "a/any(x",
            "a/any(x:",
            "a in (",
            "a in ()",
            "startswith(",
            "startswith(a",
            "startswith(a,",
            "f(a,'x'",
            "\u{0}",
            "a eq '\u{10FFFF}'",
            "not",
            "not(",
            "a eq 1 or",
            "a/b/c/any(x:x/y/any(z:z eq 1))",
            "a eq 99999999999999999999",
        ];
        for s in samples {
            let _ = parse_filter(s);
        }
    }
}
