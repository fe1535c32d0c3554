//! `GET /v1.0/auditLogs/directoryAudits` (and `/{id}`) through the real router, on SQLite and
//! PostgreSQL: changes appear as Graph's `directoryAudit` (creating a user is "Add user"),
//! filters by activity, time, correlation, initiator and target work, paging with
//! `@odata.nextLink` walks the whole log once, bad filters get Graph's 400, callers without
//! AuditLog.Read.All (or, signed in, without a directory role that reads audit logs) get 403,
//! and another tenant's events are never visible.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value,
    clippy::too_many_lines
)]

mod support;

use axum::http::StatusCode;
use portico_app::Context;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_store::Store;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, app_token_in, graph};

const LOG: &str = "/v1.0/auditLogs/directoryAudits";

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn filtered(filter: &str) -> String {
    format!("{LOG}?$filter={}", enc(filter))
}

fn items(v: &Value) -> &Vec<Value> {
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value: {v}"))
}

fn ids(v: &Value) -> Vec<String> {
    items(v)
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Lists `path` and expects 200.
async fn list(f: &Fixture, token: &str, path: &str) -> Value {
    let (status, _, v) = graph(f, "GET", path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {v}");
    v
}

/// Every event of a query, following `@odata.nextLink`; also returns how many pages it took.
async fn walk(f: &Fixture, token: &str, first: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut pages = 0;
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let v = list(f, token, &path).await;
        pages += 1;
        out.extend(items(&v).iter().cloned());
        next = v["@odata.nextLink"]
            .as_str()
            .map(|l| l.strip_prefix("http://127.0.0.1").unwrap().to_owned());
        assert!(pages < 100, "paging does not end");
    }
    (out, pages)
}

async fn audit_logs_serve_the_tenants_directory_audits(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let reader = app_token(&f, &["AuditLog.Read.All"]).await;
    let admin = app_token(
        &f,
        &[
            "User.ReadWrite.All",
            "Application.Read.All",
            "DelegatedPermissionGrant.ReadWrite.All",
        ],
    )
    .await;
    let admin_app = claims(&admin)["azp"].as_str().unwrap().to_owned();
    let domain = f.tenant.initial_domain.as_str().to_owned();

    // a change through Graph: "Add user", as Entra logs it
    let (status, _, ann) = graph(
        &f,
        "POST",
        "/v1.0/users",
        Some(&admin),
        Some(&json!({
            "accountEnabled": true,
            "displayName": "Ann Audit",
            "mailNickname": "ann",
            "userPrincipalName": format!("ann@{domain}"),
            "passwordProfile": {"password": "Str0ng-Passw0rd!", "forceChangePasswordNextSignIn": false},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ann}");
    let ann_id = ann["id"].as_str().unwrap().to_owned();

    let all = list(&f, &reader, LOG).await;
    assert_eq!(
        all["@odata.context"],
        "http://127.0.0.1/v1.0/$metadata#auditLogs/directoryAudits"
    );
    assert!(all.get("@odata.nextLink").is_none(), "{all}");
    let newest = &items(&all)[0];
    assert_eq!(newest["activityDisplayName"], "Add user", "{all}");
    assert_eq!(newest["category"], "UserManagement");
    assert_eq!(newest["result"], "success");
    assert_eq!(newest["operationType"], "Add");
    assert_eq!(newest["loggedByService"], "Core Directory");
    assert_eq!(newest["additionalDetails"], json!([]));
    assert_eq!(newest["initiatedBy"]["user"], Value::Null);
    assert_eq!(newest["initiatedBy"]["app"]["appId"], admin_app.as_str());
    assert!(newest["initiatedBy"]["app"]["servicePrincipalId"].is_string());
    let target = &newest["targetResources"][0];
    assert_eq!(target["id"], ann_id.as_str());
    assert_eq!(target["type"], "User");
    assert_eq!(target["userPrincipalName"], format!("ann@{domain}"));
    assert_eq!(target["displayName"], "Ann Audit");
    assert!(target["modifiedProperties"].is_array());
    assert!(
        newest["correlationId"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
    let at = newest["activityDateTime"].as_str().unwrap().to_owned();
    assert!(
        time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).is_ok()
    );
    // newest first
    let times: Vec<time::OffsetDateTime> = items(&all)
        .iter()
        .map(|e| {
            time::OffsetDateTime::parse(
                e["activityDateTime"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{all}");
    let add_ann = newest["id"].as_str().unwrap().to_owned();

    // one event by id, the same as in the list
    let (status, _, one) = graph(&f, "GET", &format!("{LOG}/{add_ann}"), Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(
        one["@odata.context"],
        "http://127.0.0.1/v1.0/$metadata#auditLogs/directoryAudits/$entity"
    );
    let mut without_context = one.clone();
    without_context
        .as_object_mut()
        .unwrap()
        .remove("@odata.context");
    assert_eq!(&without_context, newest);
    let (_, _, sel) = graph(
        &f,
        "GET",
        &format!("{LOG}/{add_ann}?$select=activityDisplayName,result"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        sel,
        json!({
            "@odata.context": "http://127.0.0.1/v1.0/$metadata#auditLogs/directoryAudits(activityDisplayName,result)/$entity",
            "activityDisplayName": "Add user",
            "result": "success",
            "id": add_ann,
        })
    );
    for unknown in [uuid::Uuid::new_v4().to_string(), "not-an-id".to_owned()] {
        let (status, _, e) =
            graph(&f, "GET", &format!("{LOG}/{unknown}"), Some(&reader), None).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
            "{unknown}: {e}"
        );
    }

    // filters
    let adds = list(&f, &reader, &filtered("activityDisplayName eq 'add USER'")).await;
    assert!(items(&adds).len() >= 2, "alice and ann: {adds}");
    assert!(
        items(&adds)
            .iter()
            .all(|e| e["activityDisplayName"] == "Add user")
    );
    let starts = list(
        &f,
        &reader,
        &filtered("startswith(activityDisplayName, 'add ')"),
    )
    .await;
    assert!(items(&starts).iter().all(|e| {
        e["activityDisplayName"]
            .as_str()
            .unwrap()
            .starts_with("Add ")
    }));
    assert!(ids(&starts).len() > ids(&adds).len(), "apps were added too");
    let about_ann = list(
        &f,
        &reader,
        &filtered(&format!("targetResources/any(t: t/id eq '{ann_id}')")),
    )
    .await;
    assert_eq!(ids(&about_ann), vec![add_ann.clone()]);
    let by_name = list(
        &f,
        &reader,
        &filtered("targetResources/any(t: startswith(t/displayName, 'ann a'))"),
    )
    .await;
    assert_eq!(ids(&by_name), vec![add_ann.clone()]);
    let correlated = list(
        &f,
        &reader,
        &filtered(&format!(
            "correlationId eq {}",
            newest["correlationId"].as_str().unwrap()
        )),
    )
    .await;
    assert_eq!(ids(&correlated), vec![add_ann.clone()]);
    let by_app = list(
        &f,
        &reader,
        &filtered(&format!(
            "initiatedBy/app/appId eq '{admin_app}' and category eq 'usermanagement' and result eq 'success' and loggedByService eq 'Core Directory'"
        )),
    )
    .await;
    assert_eq!(ids(&by_app), vec![add_ann.clone()]);
    // by time: the event's own instant is inside ge/le and outside gt/lt
    for (filter, inside) in [
        (format!("activityDateTime ge {at}"), true),
        (format!("activityDateTime le {at}"), true),
        (
            format!("activityDateTime ge {at} and activityDateTime le {at}"),
            true,
        ),
        (format!("activityDateTime gt {at}"), false),
        (format!("activityDateTime lt {at}"), false),
        (
            format!("activityDateTime ge 2000-01-01T00:00:00Z and activityDateTime lt {at}"),
            false,
        ),
    ] {
        let v = list(&f, &reader, &filtered(&filter)).await;
        assert_eq!(ids(&v).contains(&add_ann), inside, "{filter}: {v}");
    }
    let older = list(&f, &reader, &filtered(&format!("activityDateTime lt {at}"))).await;
    assert_eq!(
        ids(&older).len()
            + ids(&list(&f, &reader, &filtered(&format!("activityDateTime ge {at}"))).await).len(),
        ids(&all).len()
    );
    let none = list(
        &f,
        &reader,
        &filtered("activityDateTime ge 2999-01-01T00:00:00Z"),
    )
    .await;
    assert!(items(&none).is_empty());
    let not_adds = list(
        &f,
        &reader,
        &filtered("not(activityDisplayName eq 'Add user')"),
    )
    .await;
    assert_eq!(
        ids(&not_adds).len() + ids(&adds).len(),
        ids(&all).len(),
        "not() is the complement"
    );

    // paging: $top pages walk the log once, in the same order; a page's token fits only its query
    let everything = ids(&all);
    assert!(everything.len() >= 5, "{all}");
    let (paged, pages) = walk(&f, &reader, &format!("{LOG}?$top=2")).await;
    let paged: Vec<String> = paged
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paged, everything);
    assert_eq!(pages, everything.len().div_ceil(2));
    let (asc, _) = walk(
        &f,
        &reader,
        &format!("{LOG}?$top=3&$orderby=activityDateTime%20asc"),
    )
    .await;
    let mut reversed = everything.clone();
    reversed.reverse();
    assert_eq!(
        asc.iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        reversed
    );
    let (filtered_pages, _) = walk(
        &f,
        &reader,
        &format!(
            "{}&$top=1&$select=id,activityDisplayName",
            filtered("startswith(activityDisplayName, 'Add')")
        ),
    )
    .await;
    assert_eq!(
        filtered_pages
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        ids(&starts)
    );
    assert!(filtered_pages.iter().all(|e| e.get("result").is_none()));
    let first = list(&f, &reader, &format!("{LOG}?$top=1")).await;
    let link = first["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with("http://127.0.0.1/v1.0/auditLogs/directoryAudits?$top=1&$skiptoken="),
        "{link}"
    );
    let token = link.split("$skiptoken=").nth(1).unwrap();
    let (status, _, e) = graph(
        &f,
        "GET",
        &format!(
            "{}&$skiptoken={token}",
            filtered("category eq 'UserManagement'")
        ),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "a token of another query: {e}"
    );

    // bad queries: Graph's 400, naming what is wrong
    for (query, expected, names) in [
        (filtered("nosuch eq 'x'"), "Request_BadRequest", "nosuch"),
        (
            filtered("activityDisplayName eq"),
            "Request_BadRequest",
            "position",
        ),
        (
            filtered("result eq 'maybe'"),
            "Request_BadRequest",
            "result",
        ),
        (
            filtered("activityDateTime ge 'yesterday'"),
            "Request_BadRequest",
            "activityDateTime",
        ),
        (
            filtered("initiatedBy/user/displayName eq 'Ann'"),
            "Request_UnsupportedQuery",
            "initiatedBy/user/displayName",
        ),
        (
            filtered("targetResources/any(t: t/type eq 'User')"),
            "Request_UnsupportedQuery",
            "targetResources/type",
        ),
        (
            filtered("activityDisplayName ne 'x'"),
            "Request_UnsupportedQuery",
            "activityDisplayName",
        ),
        (
            filtered("resultReason eq 'x'"),
            "Request_UnsupportedQuery",
            "resultReason",
        ),
        (
            format!("{LOG}?$orderby=category"),
            "Request_UnsupportedQuery",
            "category",
        ),
        (format!("{LOG}?$top=0"), "Request_BadRequest", "page size"),
        (
            format!("{LOG}?$expand=targetResources"),
            "Request_UnsupportedQuery",
            "$expand",
        ),
        (format!("{LOG}?$select=nope"), "Request_BadRequest", "nope"),
        (
            format!("{LOG}?$skiptoken=forged"),
            "Request_BadRequest",
            "skiptoken",
        ),
    ] {
        let (status, _, e) = graph(&f, "GET", &query, Some(&reader), None).await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::BAD_REQUEST, expected),
            "{query}: {e}"
        );
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&names.to_lowercase()),
            "{query}: {e}"
        );
    }
    let (status, _, e) = support::graph::graph_raw(
        &f,
        "GET",
        &format!("{LOG}?$count=true"),
        Some(&reader),
        None,
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::BAD_REQUEST, "Request_UnsupportedQuery"),
        "{e}"
    );

    // no permission: 403, whatever else the app may do
    for roles in [
        &[][..],
        &["Directory.Read.All", "Directory.ReadWrite.All"][..],
    ] {
        let t = app_token(&f, roles).await;
        for path in [LOG.to_owned(), format!("{LOG}/{add_ann}")] {
            let (status, _, e) = graph(&f, "GET", &path, Some(&t), None).await;
            assert_eq!(
                (status, code(&e)),
                (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
                "{roles:?} {path}: {e}"
            );
        }
    }

    // another tenant sees only its own log
    let ctx = Context::system("test");
    let other = f.state.app.create_tenant(&ctx, "Fabrikam").await.unwrap();
    let stranger = app_token_in(&f, other.id, &["AuditLog.Read.All"]).await;
    let (theirs, _) = walk(&f, &stranger, &format!("{LOG}?$top=50")).await;
    assert!(!theirs.is_empty());
    let ours: HashSet<String> = everything.iter().cloned().collect();
    assert!(
        theirs
            .iter()
            .all(|e| !ours.contains(e["id"].as_str().unwrap())),
        "another tenant's events leaked"
    );
    let (status, _, e) = graph(
        &f,
        "GET",
        &format!("{LOG}/{add_ann}"),
        Some(&stranger),
        None,
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
        "{e}"
    );
    let v = list(
        &f,
        &stranger,
        &filtered(&format!("targetResources/any(t: t/id eq '{ann_id}')")),
    )
    .await;
    assert!(items(&v).is_empty(), "{v}");

    // signed-in users: the delegated AuditLog.Read.All and a directory role that reads audit logs
    let alice_token = support::graph::delegated_user_token(&f, &admin, "AuditLog.Read.All").await;
    let alice_claims = claims(&alice_token);
    assert!(
        alice_claims["scp"]
            .as_str()
            .unwrap()
            .contains("AuditLog.Read.All"),
        "{alice_claims}"
    );
    let alice = alice_claims["oid"].as_str().unwrap().to_owned();
    // no directory role: refused, and the refusal is itself audited
    let (status, _, e) = graph(&f, "GET", LOG, Some(&alice_token), None).await;
    assert_eq!(
        (status, code(&e)),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
        "{e}"
    );
    f.state
        .app
        .assign_role(
            &ctx,
            f.tenant.id,
            &RoleAssignment {
                id: portico_domain::RoleAssignmentId::new(),
                role: DirectoryRole::SecurityAdministrator,
                principal: ObjectRef {
                    kind: ObjectKind::User,
                    id: alice.parse().unwrap(),
                },
                directory_scope_id: "/".into(),
                created_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await
        .unwrap();
    let mine = list(
        &f,
        &alice_token,
        &filtered(&format!("initiatedBy/user/id eq '{alice}'")),
    )
    .await;
    let refusal = &items(&mine)[0];
    assert_eq!(refusal["result"], "failure", "{mine}");
    assert_eq!(refusal["initiatedBy"]["user"]["id"], alice.as_str());
    assert_eq!(
        refusal["initiatedBy"]["user"]["userPrincipalName"],
        f.upn.as_str()
    );
    assert_eq!(refusal["initiatedBy"]["app"], Value::Null);
    let failures = list(&f, &alice_token, &filtered("result eq 'failure'")).await;
    assert!(ids(&failures).contains(&refusal["id"].as_str().unwrap().to_owned()));
    let by_upn = list(
        &f,
        &alice_token,
        &filtered(&format!(
            "startswith(initiatedBy/user/userPrincipalName, '{}')",
            &f.upn[..3]
        )),
    )
    .await;
    assert_eq!(ids(&by_upn), ids(&mine));
    let role_added = list(
        &f,
        &alice_token,
        &filtered("activityDisplayName eq 'Add member to role'"),
    )
    .await;
    assert!(items(&role_added)[0]["initiatedBy"]["app"]["displayName"].is_string());
    assert_eq!(
        items(&role_added)[0]["initiatedBy"]["app"]["appId"],
        Value::Null
    );
    // a user token of another tenant's log is out of reach as well
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("{LOG}/{}", theirs[0]["id"].as_str().unwrap()),
        Some(&alice_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

portico_store::backend_tests!(audit_logs_serve_the_tenants_directory_audits);
