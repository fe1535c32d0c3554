//! Validation of filters, orderings and searches against the user and group schemas.

use super::schema::{DIRECTORY_AUDITS, GROUPS, USERS};
use super::*;

fn ok(s: &str) -> Filter {
    filter(&USERS, s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> QueryError {
    filter(&USERS, s).expect_err(s)
}

#[test]
fn typed_comparisons_with_canonical_names() {
    assert_eq!(
        ok("DISPLAYNAME eq 'Ann'"),
        Filter::Compare {
            field: "displayName",
            op: CmpOp::Eq,
            value: Value::Text("Ann".into())
        }
    );
    assert_eq!(
        ok("userType eq 'guest'"),
        Filter::Compare {
            field: "userType",
            op: CmpOp::Eq,
            value: Value::Text("Guest".into())
        }
    );
    assert!(matches!(
        ok("id eq '6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b'"),
        Filter::Compare {
            value: Value::Guid(_),
            ..
        }
    ));
    assert!(matches!(
        ok("mail eq null"),
        Filter::Compare {
            value: Value::Null,
            ..
        }
    ));
    assert!(matches!(
        ok("createdDateTime ge 2026-01-01T00:00:00Z and accountEnabled eq true"),
        Filter::And(..)
    ));
}

#[test]
fn collections() {
    assert_eq!(
        ok("identities/any(c:c/issuerAssignedId eq 'j@x.com' and c/issuer eq 'contoso.com')"),
        Filter::Identity {
            issuer: "contoso.com".into(),
            issuer_assigned_id: Some("j@x.com".into()),
            sign_in_type: None
        }
    );
    assert_eq!(
        ok("otherMails/any(x:startswith(x, 'ann'))"),
        Filter::AnyText {
            field: "otherMails",
            op: AnyOp::StartsWith,
            value: "ann".into()
        }
    );
    assert!(err("identities/any(c:c/issuerAssignedId eq 'x')").unsupported);
    assert!(err("identities/any(c:c/issuer ne 'x')").unsupported);
    assert!(!err("identities/any(c:c/foo eq 'x' and c/issuer eq 'y')").unsupported);
    assert!(err("otherMails/any(x:x ne 'a')").unsupported);
    assert!(err("otherMails/any()").unsupported);
    assert!(err("displayName/any(x:x eq 'a')").unsupported);
}

#[test]
fn refusals_say_what_and_why() {
    let e = err("nosuch eq 'x'");
    assert!(!e.unsupported && e.message.contains("nosuch"), "{e}");
    let e = err("businessPhones/any(p:p eq '1')");
    assert!(e.unsupported && e.message.contains("businessPhones"), "{e}");
    let e = err("accountEnabled eq 'yes'");
    assert!(
        !e.unsupported && e.message.contains("accountEnabled"),
        "{e}"
    );
    let e = err("userType eq 'Boss'");
    assert!(e.message.contains("Member, Guest"), "{e}");
    let e = err("endswith(displayName, 'x')");
    assert!(e.unsupported, "{e}");
    let e = err("contains(displayName, 'x')");
    assert!(e.unsupported && e.message.contains("contains"), "{e}");
    let e = err("displayName gt 'a'");
    assert!(e.unsupported, "{e}");
    let e = err("accountEnabled eq null");
    assert!(!e.unsupported, "{e}");
    let e = err("createdDateTime lt null");
    assert!(!e.unsupported, "{e}");
    let e = err("userType in ('Guest', null)");
    assert!(!e.unsupported, "{e}");
    let e = err("displayName eq");
    assert!(e.message.contains("position 14"), "{e}");
}

#[test]
fn order_and_search() {
    assert_eq!(
        order_by(&USERS, "displayName desc").unwrap(),
        OrderBy {
            field: "displayName",
            descending: true
        }
    );
    assert!(!order_by(&USERS, "userprincipalname").unwrap().descending);
    assert!(order_by(&USERS, "mail").unwrap_err().unsupported);
    assert!(
        !order_by(&USERS, "displayName sideways")
            .unwrap_err()
            .unsupported
    );
    assert!(order_by(&USERS, "displayName, mail").is_err());
    let s = search(&USERS, "\"displayName:ann lee\" OR \"mail:ann\"").unwrap();
    assert!(s.any);
    assert_eq!(
        s.terms,
        vec![("displayName", "ann lee".into()), ("mail", "ann".into())]
    );
    assert!(search(&USERS, "displayName:ann").is_err());
    assert!(search(&USERS, "\"jobTitle:x\"").unwrap_err().unsupported);
    assert!(search(&USERS, "\"displayName:a\" AND \"mail:b\" OR \"mail:c\"").is_err());
    assert!(search(&USERS, "\"displayName:\"").is_err());
    assert!(search(&GROUPS, "\"description:x\"").is_ok());
}

#[test]
fn groups_schema() {
    assert!(
        filter(
            &GROUPS,
            "securityEnabled eq true and startswith(displayName,'Fin')"
        )
        .is_ok()
    );
    assert!(filter(&GROUPS, "userType eq 'Guest'").is_err());
}

#[test]
fn directory_audits_schema() {
    let a = |s: &str| filter(&DIRECTORY_AUDITS, s);
    for ok in [
        "activityDisplayName eq 'Add user'",
        "startswith(activityDisplayName, 'Add')",
        "activityDateTime ge 2026-01-01T00:00:00Z and activityDateTime lt 2026-02-01T00:00:00Z",
        "activityDateTime gt 2026-01-01T00:00:00Z and activityDateTime le 2026-02-01T00:00:00Z",
        "category eq 'UserManagement' and result eq 'success'",
        "correlationId eq 6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b",
        "loggedByService eq 'Core Directory'",
        "initiatedBy/user/id eq '6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b'",
        "startswith(initiatedBy/user/userPrincipalName, 'admin')",
        "initiatedBy/app/appId eq '6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b'",
        "targetResources/any(t: startswith(t/displayName, 'Ann'))",
    ] {
        assert!(a(ok).is_ok(), "{ok}: {:?}", a(ok));
    }
    assert_eq!(
        a("targetResources/any(t: t/ID eq 6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b)").unwrap(),
        Filter::AnyObject {
            field: "targetResources",
            property: "id",
            op: AnyOp::Eq,
            value: "6f2c1a5e-8f51-4b9b-9d6a-2f1f0e1d2c3b".into()
        }
    );
    assert_eq!(
        a("result eq 'FAILURE'").unwrap(),
        Filter::Compare {
            field: "result",
            op: CmpOp::Eq,
            value: Value::Text("failure".into())
        }
    );
    // refused, naming the property
    for (bad, unsupported, names) in [
        (
            "initiatedBy/user/displayName eq 'Ann'",
            true,
            "initiatedBy/user/displayName",
        ),
        (
            "targetResources/any(t: t/type eq 'User')",
            true,
            "targetResources/type",
        ),
        (
            "targetResources/any(t: startswith(t/id, 'a'))",
            true,
            "targetResources/id",
        ),
        (
            "targetResources/any(t: t/id ne 'a')",
            true,
            "targetResources",
        ),
        ("targetResources/any(t: t eq 'a')", false, "targetResources"),
        ("resultReason eq 'x'", true, "resultReason"),
        ("activityDisplayName ne 'x'", true, "activityDisplayName"),
        ("result eq 'maybe'", false, "result"),
        ("nosuch eq 1", false, "nosuch"),
        ("activityDateTime ge 'yesterday'", false, "activityDateTime"),
    ] {
        let e = a(bad).expect_err(bad);
        assert_eq!(e.unsupported, unsupported, "{bad}: {e}");
        assert!(e.message.contains(names), "{bad}: {e}");
    }
    assert!(
        !order_by(&DIRECTORY_AUDITS, "activityDateTime")
            .unwrap()
            .descending
    );
    assert!(
        order_by(&DIRECTORY_AUDITS, "category")
            .unwrap_err()
            .unsupported
    );
}
