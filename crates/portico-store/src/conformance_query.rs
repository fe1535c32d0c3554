//! Conformance of OData queries (`$filter`, `$orderby`, `$search`, keyset paging, counts):
//! both backends must give the same answers, including OData's null semantics.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::Store;
use crate::conformance::{audit, new_user, tenant};
use portico_domain::group::NewGroup;
use portico_domain::odata::schema::{GROUPS, USERS};
use portico_domain::odata::{self, Cursor, ListQuery};
use portico_domain::user::{ObjectIdentity, User, UserType};
use std::sync::Arc;

fn q(filter: &str) -> ListQuery {
    ListQuery {
        filter: Some(odata::filter(&USERS, filter).unwrap()),
        ..ListQuery::default()
    }
}

async fn names(store: &dyn Store, t: portico_domain::TenantId, query: &ListQuery) -> Vec<String> {
    let (items, next) = store.query_users(t, query, None, 999).await.unwrap();
    assert!(next.is_none());
    let mut n: Vec<String> = items.into_iter().map(|u| u.display_name).collect();
    if query.order_by.is_none() {
        n.sort();
    }
    n
}

fn person(upn: &str, name: &str) -> User {
    let mut u = new_user(upn);
    u.display_name = name.into();
    u
}

pub async fn users_filter_order_search_and_count(store: Arc<dyn Store>) {
    let t = tenant(&*store, "query").await;
    let other = tenant(&*store, "query2").await;
    let d = "query.onportico.test";
    let mut ann = person(&format!("ann@{d}"), "Ann Lee");
    ann.mail = Some("Ann.Lee@Contoso.com".into());
    ann.other_mails = vec!["ann@home.example".into()];
    ann.identities = vec![ObjectIdentity {
        sign_in_type: "emailAddress".into(),
        issuer: "Contoso.com".into(),
        issuer_assigned_id: Some("Ann@Contoso.com".into()),
    }];
    let mut bob = person(&format!("bob@{d}"), "bob stone");
    bob.user_type = UserType::Guest;
    bob.account_enabled = false;
    let mut cat = person(&format!("cat@{d}"), "Cat 100%_off");
    cat.mail = Some("cat@fabrikam.com".into());
    let zoe = person(&format!("zoe@{d}"), "Zoë Ann");
    for u in [&ann, &bob, &cat, &zoe] {
        store
            .create_user(t.id, u, None, &audit("Add user"))
            .await
            .unwrap();
    }
    // The same names in another tenant never show up.
    let mut twin = person("ann@query2.onportico.test", "Ann Lee");
    twin.mail = ann.mail.clone();
    store
        .create_user(other.id, &twin, None, &audit("Add user"))
        .await
        .unwrap();
    let s = &*store;
    let id = t.id;

    assert_eq!(
        names(s, id, &q("displayName eq 'ann lee'")).await,
        ["Ann Lee"]
    );
    assert_eq!(
        names(s, id, &q("startswith(displayName,'AN')")).await,
        ["Ann Lee"]
    );
    assert_eq!(
        names(s, id, &q("startswith(displayName,'Cat 100%_')")).await,
        ["Cat 100%_off"]
    );
    assert!(
        names(s, id, &q("startswith(displayName,'Cat 100%x')"))
            .await
            .is_empty()
    );
    assert_eq!(
        names(s, id, &q("mail eq 'ann.lee@contoso.COM'")).await,
        ["Ann Lee"]
    );
    assert_eq!(
        names(s, id, &q("endswith(mail,'@fabrikam.com')")).await,
        ["Cat 100%_off"]
    );
    assert_eq!(names(s, id, &q("userType eq 'Guest'")).await, ["bob stone"]);
    assert_eq!(
        names(s, id, &q("accountEnabled eq false")).await,
        ["bob stone"]
    );
    assert_eq!(
        names(s, id, &q("userType eq 'Member' and accountEnabled eq true")).await,
        ["Ann Lee", "Cat 100%_off", "Zoë Ann"]
    );
    assert_eq!(
        names(
            s,
            id,
            &q("startswith(displayName,'bob') or startswith(displayName,'zo')")
        )
        .await,
        ["Zoë Ann", "bob stone"]
    );
    // null semantics: mail ne 'x' includes users without mail; not(startswith) too
    assert_eq!(
        names(s, id, &q("mail eq null")).await,
        ["Zoë Ann", "bob stone"]
    );
    assert_eq!(
        names(s, id, &q("mail ne 'cat@fabrikam.com'")).await,
        ["Ann Lee", "Zoë Ann", "bob stone"]
    );
    assert_eq!(
        names(s, id, &q("not(startswith(mail,'ann'))")).await,
        ["Cat 100%_off", "Zoë Ann", "bob stone"]
    );
    assert_eq!(
        names(s, id, &q(&format!("id in ('{}', '{}')", ann.id, bob.id))).await,
        ["Ann Lee", "bob stone"]
    );
    assert_eq!(
        names(s, id, &q("identities/any(c:c/issuerAssignedId eq 'ann@contoso.com' and c/issuer eq 'CONTOSO.COM')")).await,
        ["Ann Lee"]
    );
    assert!(names(s, id, &q("identities/any(c:c/issuerAssignedId eq 'ann@contoso.com' and c/issuer eq 'other.com')")).await.is_empty());
    assert_eq!(
        names(s, id, &q("otherMails/any(x:x eq 'ANN@home.example')")).await,
        ["Ann Lee"]
    );
    assert_eq!(
        names(s, id, &q("otherMails/any(x:startswith(x,'ann@'))")).await,
        ["Ann Lee"]
    );
    let created = ann.created_date_time - time::Duration::seconds(1);
    let after = created
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(
        names(s, id, &q(&format!("createdDateTime ge {after}")))
            .await
            .len(),
        4
    );
    assert_eq!(
        store
            .count_query_users(id, &q("userType eq 'Member'"))
            .await
            .unwrap(),
        3
    );

    // $search: substring, case-insensitive, AND / OR
    let search = |text: &str| ListQuery {
        search: Some(odata::search(&USERS, text).unwrap()),
        ..ListQuery::default()
    };
    assert_eq!(
        names(s, id, &search("\"displayName:ann\"")).await,
        ["Ann Lee", "Zoë Ann"]
    );
    assert_eq!(
        names(s, id, &search("\"displayName:ann\" AND \"mail:contoso\"")).await,
        ["Ann Lee"]
    );
    assert_eq!(
        names(s, id, &search("\"displayName:stone\" OR \"mail:fabrikam\"")).await,
        ["Cat 100%_off", "bob stone"]
    );

    // $orderby with keyset paging, both directions, one item per page
    for (order, expected) in [
        (
            "displayName",
            vec!["Ann Lee", "bob stone", "Cat 100%_off", "Zoë Ann"],
        ),
        (
            "displayName desc",
            vec!["Zoë Ann", "Cat 100%_off", "bob stone", "Ann Lee"],
        ),
    ] {
        let query = ListQuery {
            order_by: Some(odata::order_by(&USERS, order).unwrap()),
            ..ListQuery::default()
        };
        let mut seen = Vec::new();
        let mut after: Option<Cursor> = None;
        loop {
            let (items, next) = store
                .query_users(id, &query, after.as_ref(), 1)
                .await
                .unwrap();
            seen.extend(items.into_iter().map(|u| u.display_name));
            match next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{order}");
    }

    // id-order paging is stable when users are added between pages
    let (first, next) = store
        .query_users(id, &ListQuery::default(), None, 2)
        .await
        .unwrap();
    let next = next.unwrap();
    let newcomer = person(&format!("new@{d}"), "Newcomer");
    store
        .create_user(id, &newcomer, None, &audit("Add user"))
        .await
        .unwrap();
    let (rest, end) = store
        .query_users(id, &ListQuery::default(), Some(&next), 10)
        .await
        .unwrap();
    assert!(end.is_none());
    let mut all: Vec<_> = first.iter().chain(rest.iter()).map(|u| u.id).collect();
    for u in [&ann, &bob, &cat, &zoe] {
        assert!(all.contains(&u.id), "every earlier user is seen once");
    }
    let n = all.len();
    all.sort_by_key(|id| id.0);
    all.dedup();
    assert_eq!(all.len(), n, "no user twice");

    // soft-deleted users leave identity filters and counts
    store
        .soft_delete_user(id, ann.id, crate::conformance::now(), &audit("Delete user"))
        .await
        .unwrap();
    assert!(
        names(s, id, &q("identities/any(c:c/issuer eq 'contoso.com')"))
            .await
            .is_empty()
    );
    store
        .restore_user(id, ann.id, &audit("Restore user"))
        .await
        .unwrap();
    assert_eq!(
        names(s, id, &q("identities/any(c:c/issuer eq 'contoso.com')")).await,
        ["Ann Lee"]
    );
}

pub async fn bulk_import_is_all_or_nothing(store: Arc<dyn Store>) {
    let t = tenant(&*store, "bulk").await;
    let d = "bulk.onportico.test";
    let mut users: Vec<User> = (0..50)
        .map(|i| person(&format!("u{i}@{d}"), &format!("Bulk {i:02}")))
        .collect();
    users[7].identities = vec![ObjectIdentity {
        sign_in_type: "emailAddress".into(),
        issuer: "seed.example".into(),
        issuer_assigned_id: Some("u7@seed.example".into()),
    }];
    store
        .import_users(t.id, &users, &audit("Import users"))
        .await
        .unwrap();
    assert_eq!(
        store
            .count_query_users(t.id, &ListQuery::default())
            .await
            .unwrap(),
        50
    );
    // the planner's statistics refresh (full after a bulk load, and the periodic form) and
    // change no answer
    store.refresh_statistics(true).await.unwrap();
    store.refresh_statistics(false).await.unwrap();
    assert_eq!(
        names(&*store, t.id, &q("identities/any(i:i/issuer eq 'seed.example' and i/issuerAssignedId eq 'U7@seed.example')")).await,
        ["Bulk 07"]
    );
    // one duplicate UPN in a batch: nothing of the batch is created
    let batch = vec![
        person(&format!("new1@{d}"), "New 1"),
        person(&format!("U3@{d}"), "Dup"),
    ];
    assert!(
        store
            .import_users(t.id, &batch, &audit("Import users"))
            .await
            .is_err()
    );
    assert_eq!(
        store
            .count_query_users(t.id, &ListQuery::default())
            .await
            .unwrap(),
        50
    );
}

pub async fn groups_filter_and_order(store: Arc<dyn Store>) {
    let t = tenant(&*store, "gquery").await;
    for (name, desc) in [
        ("Finance", Some("money")),
        ("finance eu", None),
        ("Sales", None),
    ] {
        let g = NewGroup {
            display_name: name.into(),
            description: desc.map(str::to_owned),
            mail_nickname: None,
        }
        .build(crate::conformance::now())
        .unwrap();
        store
            .create_group(t.id, &g, &[], &audit("Add group"))
            .await
            .unwrap();
    }
    let query = ListQuery {
        filter: Some(odata::filter(&GROUPS, "startswith(displayName,'fin')").unwrap()),
        order_by: Some(odata::order_by(&GROUPS, "displayName desc").unwrap()),
        search: None,
    };
    let (items, next) = store.query_groups(t.id, &query, None, 10).await.unwrap();
    assert!(next.is_none());
    let names: Vec<_> = items.iter().map(|g| g.display_name.as_str()).collect();
    assert_eq!(names, ["finance eu", "Finance"]);
    let query = ListQuery {
        filter: Some(odata::filter(&GROUPS, "description eq null").unwrap()),
        ..ListQuery::default()
    };
    assert_eq!(store.count_query_groups(t.id, &query).await.unwrap(), 2);
}

/// The unfiltered user count (kept by triggers) follows every change: create, bulk import,
/// soft delete, restore and purge, per tenant.
pub async fn user_count_follows_every_change(store: Arc<dyn Store>) {
    let t = tenant(&*store, "counted").await;
    let other = tenant(&*store, "elsewhere").await;
    let d = "counted.onportico.test";
    let count = |id| {
        let store = store.clone();
        async move {
            store
                .count_query_users(id, &ListQuery::default())
                .await
                .unwrap()
        }
    };
    assert_eq!(count(t.id).await, 0);
    let users: Vec<User> = (0..7)
        .map(|i| person(&format!("c{i}@{d}"), &format!("Counted {i}")))
        .collect();
    store
        .import_users(t.id, &users, &audit("Import users"))
        .await
        .unwrap();
    let one = person(&format!("solo@{d}"), "Solo");
    store
        .create_user(t.id, &one, None, &audit("Add user"))
        .await
        .unwrap();
    assert_eq!(count(t.id).await, 8);
    assert_eq!(count(other.id).await, 0, "per tenant");
    store
        .soft_delete_user(
            t.id,
            users[0].id,
            time::OffsetDateTime::now_utc(),
            &audit("Delete user"),
        )
        .await
        .unwrap();
    store
        .soft_delete_user(
            t.id,
            users[1].id,
            time::OffsetDateTime::now_utc(),
            &audit("Delete user"),
        )
        .await
        .unwrap();
    assert_eq!(count(t.id).await, 6);
    store
        .restore_user(t.id, users[0].id, &audit("Restore user"))
        .await
        .unwrap();
    store
        .purge_user(t.id, users[1].id, &audit("Hard delete user"))
        .await
        .unwrap();
    assert_eq!(count(t.id).await, 7);
    // the same number a filtered count (which really counts) gives
    let filtered = store
        .count_query_users(
            t.id,
            &q("accountEnabled eq true or accountEnabled eq false"),
        )
        .await
        .unwrap();
    assert_eq!(filtered, 7);
}
