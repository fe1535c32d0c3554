//! The admin portal and My Apps through the real router, on SQLite and PostgreSQL: signing in
//! through the ordinary pages as Portico's first-party client (and straight through with a
//! live session), the overview's figures, the invitation form (errors next to their field,
//! nothing created; CSRF; a Guest Inviter may, a plain member may not), and My Apps for a
//! member and for the invited guest after redemption.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value,
    clippy::too_many_lines
)]

mod support;

use axum::http::{StatusCode, header};
use portico_app::Context;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_store::Store;
use std::sync::Arc;
use support::browser::*;
use support::graph::{app_token, graph};

fn location(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

async fn grant(f: &Fixture, role: DirectoryRole) {
    let user = f
        .state
        .app
        .store
        .find_user_by_upn(f.tenant.id, &f.upn)
        .await
        .unwrap();
    f.state
        .app
        .assign_role(
            &Context::system("test"),
            f.tenant.id,
            &RoleAssignment {
                id: portico_domain::RoleAssignmentId::new(),
                role,
                principal: ObjectRef {
                    kind: ObjectKind::User,
                    id: user.id.0,
                },
                directory_scope_id: "/".into(),
                created_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await
        .unwrap();
}

/// Signs in through the pages the portal sends the browser to; returns where they end.
async fn sign_in_to(b: &mut Browser, f: &Fixture, path: &str) -> String {
    let (status, _, page) = b.get(path).await;
    assert_eq!(
        (status, step_of(&page)),
        (StatusCode::OK, "username"),
        "{page}"
    );
    let (status, _, page) = b.submit(&page, &[("username", &f.upn)]).await;
    assert_eq!(
        (status, step_of(&page)),
        (StatusCode::OK, "password"),
        "{page}"
    );
    let (status, headers, page) = b.submit(&page, &[("password", PASSWORD)]).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "no consent for Portico itself: {page}"
    );
    location(&headers)
}

/// Posts a form of owned values; returns the status and the page.
async fn post(b: &mut Browser, url: &str, form: Vec<(&str, String)>) -> (StatusCode, String) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = b.post(url, &pairs).await;
    (status, page)
}

fn portal(f: &Fixture) -> String {
    format!("/portal/{}/", f.tenant.id)
}

async fn signs_in_and_sees_the_overview(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    grant(&f, DirectoryRole::GlobalAdministrator).await;
    let mut b = Browser::new(&f, "203.0.113.30");
    let (status, headers, _) = b.get(&format!("/portal/{}", f.tenant.id)).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(location(&headers), portal(&f));
    let landed = sign_in_to(&mut b, &f, &portal(&f)).await;
    assert_eq!(landed, format!("http://127.0.0.1{}", portal(&f)));
    let (status, headers, page) = b.get(&portal(&f)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    for text in [
        "Overview",
        "members",
        "guests",
        "pending invitations",
        "Contoso",
        f.tenant.initial_domain.as_str(),
        "Recent activity",
        "Invite guest",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    // an unknown tenant
    let (status, _, _) = b.get("/portal/no-such-tenant/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn invites_from_the_form(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "203.0.113.31");
    // a plain member: no portal, My Apps only
    sign_in_to(&mut b, &f, &portal(&f)).await;
    let (status, _, page) = b.get(&portal(&f)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("My Apps"), "{page}");
    let (status, _, _) = b.get(&format!("{}invite", portal(&f))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // a Guest Inviter gets the form, not the overview
    grant(&f, DirectoryRole::GuestInviter).await;
    let (status, _, form) = b.get(&format!("{}invite", portal(&f))).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let csrf = hidden(&form, "csrf_token");
    let action = format!("{}invite", portal(&f));

    // bad input: the error sits next to its field, nothing is created
    let (status, _, page) = b
        .post(
            &action,
            &[
                ("csrf_token", &csrf),
                ("email", "not-an-address"),
                ("redirect_url", "https://myapps.example/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"email-error\""), "{page}");
    assert!(
        page.contains("value=\"not-an-address\""),
        "the input is kept: {page}"
    );
    let (status, _, page) = b
        .post(
            &action,
            &[
                ("csrf_token", &csrf),
                ("email", "dana@partner.example"),
                ("redirect_url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"redirect-error\""), "{page}");
    // a forged form
    let (status, _, _) = b
        .post(
            &action,
            &[
                ("csrf_token", "forged"),
                ("email", "dana@partner.example"),
                ("redirect_url", "https://myapps.example/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let admin = app_token(&f, &["User.Read.All"]).await;
    let (_, _, v) = graph(
        &f,
        "GET",
        "/v1.0/users?$filter=userType%20eq%20'Guest'&$select=id,mail,externalUserState",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        v["value"].as_array().unwrap().len(),
        0,
        "nothing created: {v}"
    );

    // invited, the link shown to copy (no email asked for)
    let myapps = format!("http://127.0.0.1/myapps/{}/", f.tenant.id);
    let (status, _, page) = b
        .post(
            &action,
            &[
                ("csrf_token", &csrf),
                ("email", "dana@partner.example"),
                ("display_name", "Dana Partner"),
                ("message", "Welcome <b>aboard</b>"),
                ("redirect_url", &myapps),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Dana Partner is invited"), "{page}");
    let link_start = page.find("id=\"redeem-link\">").unwrap() + "id=\"redeem-link\">".len();
    let link =
        page[link_start..link_start + page[link_start..].find('<').unwrap()].replace("&amp;", "&");
    assert!(link.contains("/redeem?"), "{link}");
    let (_, _, v) = graph(
        &f,
        "GET",
        "/v1.0/users?$filter=userType%20eq%20'Guest'&$select=id,mail,externalUserState",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(v["value"][0]["mail"], "dana@partner.example", "{v}");
    assert_eq!(v["value"][0]["externalUserState"], "PendingAcceptance");
    // audited as the signed-in inviter
    let (_, _, v) = graph(
        &f,
        "GET",
        "/v1.0/auditLogs/directoryAudits",
        Some(&app_token(&f, &["AuditLog.Read.All"]).await),
        None,
    )
    .await;
    let invite = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["activityDisplayName"] == "Invite external user")
        .expect("audited");
    assert_eq!(
        invite["initiatedBy"]["user"]["userPrincipalName"],
        f.upn.as_str(),
        "{invite}"
    );
}

async fn my_apps_for_members(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "203.0.113.32");
    let landed = sign_in_to(&mut b, &f, &format!("/myapps/{}/", f.tenant.id)).await;
    assert!(
        landed.ends_with(&format!("/myapps/{}/", f.tenant.id)),
        "{landed}"
    );
    let (status, _, page) = b.get(&format!("/myapps/{}/", f.tenant.id)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("No apps are assigned to you yet"), "{page}");
    assert!(page.contains(&f.upn), "{page}");
    // assigned the web app (default access): its tile leads to the app's site
    let admin = app_token(
        &f,
        &[
            "AppRoleAssignment.ReadWrite.All",
            "Application.Read.All",
            "User.Read.All",
        ],
    )
    .await;
    let (_, _, sps) = graph(
        &f,
        "GET",
        &format!(
            "/v1.0/servicePrincipals?$filter=appId%20eq%20'{}'",
            f.web_id
        ),
        Some(&admin),
        None,
    )
    .await;
    let sp = sps["value"][0]["id"]
        .as_str()
        .expect("the web app's service principal")
        .to_owned();
    let (_, _, me) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{}", f.upn),
        Some(&admin),
        None,
    )
    .await;
    let me = me["id"].as_str().unwrap().to_owned();
    let (status, _, v) = graph(
        &f,
        "POST",
        &format!("/v1.0/users/{me}/appRoleAssignments"),
        Some(&admin),
        Some(&serde_json::json!({"principalId": me, "resourceId": sp, "appRoleId": "00000000-0000-0000-0000-000000000000"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, _, page) = b.get(&format!("/myapps/{}/", f.tenant.id)).await;
    assert!(
        page.contains("href=\"https://web.example.test/\""),
        "{page}"
    );
    assert!(page.contains(">Web</a>"), "{page}");
    assert!(
        !page.contains(">Overview<"),
        "no portal link for a member: {page}"
    );
    // signed in already: an app sign-in is straight through (the portal session is the SSO one)
    let params = sign_in(&mut b, &f, &f.web_id, WEB_CB).await;
    assert!(params.contains_key("code"), "{params:?}");
}

async fn manages_users_from_their_pages(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    grant(&f, DirectoryRole::GlobalAdministrator).await;
    let admin = app_token(&f, &["User.Invite.All", "User.Read.All"]).await;
    let (status, _, inv) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&admin),
        Some(&serde_json::json!({
            "invitedUserEmailAddress": "gail@partner.example",
            "invitedUserDisplayName": "Gail Guest",
            "inviteRedirectUrl": "https://myapps.example/"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let gail = inv["invitedUser"]["id"].as_str().unwrap().to_owned();
    let mut b = Browser::new(&f, "203.0.113.33");
    sign_in_to(&mut b, &f, &portal(&f)).await;
    let users = format!("{}users", portal(&f));

    // the list, its filters and paging links
    let (status, _, page) = b.get(&users).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for text in [
        "Gail Guest",
        "Alice Example",
        "PendingAcceptance",
        "Guest",
        "Member",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    let (_, _, page) = b.get(&format!("{users}?type=guest")).await;
    assert!(
        page.contains("Gail Guest") && !page.contains(&f.upn),
        "{page}"
    );
    let (_, _, page) = b.get(&format!("{users}?q=zzz")).await;
    assert!(page.contains("No users match"), "{page}");
    let (status, _, _) = b.get(&format!("{users}?after=not-a-cursor")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // the guest's page and its actions
    let page_url = format!("{users}/{gail}");
    let (status, _, page) = b.get(&page_url).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for text in [
        "gail@partner.example",
        "Resend invitation",
        "Reset redemption status",
        "Block sign-in",
        "Delete",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    let csrf = hidden(&page, "csrf_token");
    let act = |action: &'static str, extra: Option<(&'static str, &'static str)>| {
        let mut form = vec![("csrf_token", csrf.clone()), ("action", action.to_owned())];
        if let Some((k, v)) = extra {
            form.push((k, v.to_owned()));
        }
        form
    };
    let (status, page) = post(&mut b, &page_url, act("block", None)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("can no longer sign in") && page.contains("Allow sign-in"),
        "{page}"
    );
    let (_, _, v) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{gail}?$select=accountEnabled"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(v["accountEnabled"], false);
    let (_, page) = post(&mut b, &page_url, act("unblock", None)).await;
    assert!(page.contains("can sign in again"), "{page}");
    let (status, page) = post(&mut b, &page_url, act("resend", None)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("sent to gail@partner.example again"),
        "{page}"
    );
    // a forged form and an unknown action change nothing
    let (status, _) = post(
        &mut b,
        &page_url,
        vec![
            ("csrf_token", "forged".into()),
            ("action", "delete".into()),
            ("confirm", "yes".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(&mut b, &page_url, act("explode", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // delete asks first, then deletes
    let (status, page) = post(&mut b, &page_url, act("delete", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Delete Gail Guest?"), "{page}");
    let (_, _, v) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{gail}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(v["id"], gail.as_str(), "not deleted before confirming");
    let (status, page) = post(&mut b, &page_url, act("delete", Some(("confirm", "yes")))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("was deleted"), "{page}");
    let (status, _, _) = graph(
        &f,
        "GET",
        &format!("/v1.0/users/{gail}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = b.get(&page_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = b.get(&format!("{users}/not-an-id")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // a member has no invitation actions
    let me = f
        .state
        .app
        .store
        .find_user_by_upn(f.tenant.id, &f.upn)
        .await
        .unwrap();
    let (_, _, page) = b.get(&format!("{users}/{}", me.id)).await;
    assert!(
        !page.contains("Resend invitation") && page.contains("Block sign-in"),
        "{page}"
    );
}

/// A multipart/form-data body with text fields and one file.
fn multipart(fields: &[(&str, &str)], file: &str) -> (String, String) {
    let boundary = "----porticotest7MA4YWxk";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"guests.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    b: &mut Browser,
    url: &str,
    fields: &[(&str, &str)],
    file: &str,
) -> (StatusCode, String) {
    let (ct, body) = multipart(fields, file);
    let req = axum::http::Request::post(url)
        .header(header::CONTENT_TYPE, ct)
        .body(axum::body::Body::from(body))
        .unwrap();
    let (status, _, page) = b.send(req).await;
    (status, page)
}

async fn bulk_invites_a_csv(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    grant(&f, DirectoryRole::UserAdministrator).await;
    let mut b = Browser::new(&f, "203.0.113.34");
    sign_in_to(&mut b, &f, &portal(&f)).await;
    let url = format!("{}bulk-invite", portal(&f));
    let (status, _, form) = b.get(&url).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let csrf = hidden(&form, "csrf_token");
    let admin = app_token(&f, &["User.Read.All"]).await;
    let guests = async |f: &Fixture| {
        graph(
            f,
            "GET",
            "/v1.0/users?$filter=userType%20eq%20'Guest'",
            Some(&admin),
            None,
        )
        .await
        .2["value"]
            .as_array()
            .unwrap()
            .len()
    };

    // an unusable file: the reason next to the file field, nobody invited
    let (status, page) = upload(
        &mut b,
        &url,
        &[
            ("csrf_token", &csrf),
            ("redirect_url", "https://myapps.example/"),
        ],
        "name\nAnn\n",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(
        page.contains("id=\"file-error\"") && page.contains("no email column"),
        "{page}"
    );
    let (status, _) = upload(
        &mut b,
        &url,
        &[("csrf_token", "forged")],
        "email\na@b.example\n",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(guests(&f).await, 0);

    // ten rows, one bad: nine invited, the bad one named with its reason
    let mut csv = String::from("email,displayName\n");
    for i in 1..=10 {
        if i == 7 {
            csv.push_str("not-an-address,Broken Row\n");
        } else {
            csv.push_str(&format!("guest{i}@partner.example,Guest {i}\n"));
        }
    }
    let (status, page) = upload(
        &mut b,
        &url,
        &[
            ("csrf_token", &csrf),
            ("redirect_url", "https://myapps.example/"),
        ],
        &csv,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Invited 9 of 10 rows; 1 failed."), "{page}");
    assert!(page.contains("not-an-address"), "{page}");
    assert_eq!(guests(&f).await, 9);
    let start = page.find("data:text/csv;charset=utf-8;base64,").unwrap()
        + "data:text/csv;charset=utf-8;base64,".len();
    let b64 = &page[start..start + page[start..].find('"').unwrap()];
    let results = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap(),
    )
    .unwrap();
    assert_eq!(results.lines().count(), 11, "{results}");
    assert!(
        results.starts_with("email,status,userId,inviteRedeemUrl,error"),
        "{results}"
    );
    assert!(
        results
            .lines()
            .filter(|l| l.contains(",invited,") && l.contains("/redeem?"))
            .count()
            == 9,
        "{results}"
    );
    // audited as a bulk operation
    let (_, _, v) = graph(
        &f,
        "GET",
        "/v1.0/auditLogs/directoryAudits",
        Some(&app_token(&f, &["AuditLog.Read.All"]).await),
        None,
    )
    .await;
    let text = v.to_string();
    assert!(
        text.contains("Bulk invite users - finished (bulk)")
            && text.contains("invited 9, failed 1 of 10 rows"),
        "{text}"
    );
}

async fn groups_from_the_portal_and_my_apps(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    grant(&f, DirectoryRole::GlobalAdministrator).await;
    let app = &f.state.app;
    let ctx = Context::system("test");
    let bob_upn = format!("bob@{}", f.tenant.initial_domain.as_str());
    let bob = app
        .create_user(
            &ctx,
            f.tenant.id,
            portico_domain::user::NewUser {
                display_name: "Bob Owner".into(),
                user_principal_name: bob_upn.clone(),
                mail: Some("bob@contoso.example".into()),
                ..portico_domain::user::NewUser::default()
            },
            Some(PASSWORD),
            false,
        )
        .await
        .unwrap();
    let mut b = Browser::new(&f, "203.0.113.35");
    sign_in_to(&mut b, &f, &portal(&f)).await;
    let groups = format!("{}groups", portal(&f));
    let (status, _, page) = b.get(&groups).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("No groups yet"), "{page}");
    let csrf = hidden(&page, "csrf_token");
    let (status, _, page) = b
        .post(&groups, &[("csrf_token", &csrf), ("name", "  ")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"name-error\""), "{page}");
    let (status, headers, _) = b
        .post(
            &groups,
            &[
                ("csrf_token", &csrf),
                ("name", "Partners"),
                ("description", "Partner project"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let group_url = location(&headers);
    let (status, _, page) = b.get(&group_url).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Partners") && page.contains("No members yet"),
        "{page}"
    );

    // add a member by address, a stranger (invited as a guest first), refuse repeats and junk
    let add = |email: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("action", "add".to_owned()),
            ("email", email.to_owned()),
        ]
    };
    let (status, page) = post(&mut b, &group_url, add("bob@contoso.example")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Bob Owner was added to Partners"), "{page}");
    let (status, page) = post(&mut b, &group_url, add("zed@partner.example")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("zed@partner.example was invited as a guest"),
        "{page}"
    );
    assert!(page.contains(">Guest<"), "{page}");
    let (status, page) = post(&mut b, &group_url, add("BOB@contoso.example")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("already a member"), "{page}");
    let (status, page) = post(&mut b, &group_url, add("not an address")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"email-error\""), "{page}");
    let (status, page) = post(
        &mut b,
        &group_url,
        vec![
            ("csrf_token", csrf.clone()),
            ("action", "remove".into()),
            ("member", bob.id.to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Bob Owner was removed from Partners"),
        "{page}"
    );
    let (status, _) = post(
        &mut b,
        &group_url,
        vec![
            ("csrf_token", "forged".into()),
            ("action", "add".into()),
            ("email", "x@y.example".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Bob, a plain member who owns a group: "Groups I own", adds colleagues, cannot invite
    let owned = app
        .create_group(
            &ctx,
            f.tenant.id,
            portico_domain::group::NewGroup {
                display_name: "Bob's team".into(),
                ..portico_domain::group::NewGroup::default()
            },
            &[bob.id],
        )
        .await
        .unwrap();
    let mut bb = Browser::new(&f, "203.0.113.36");
    let (_, _, page) = bb.get(&format!("/myapps/{}/", f.tenant.id)).await;
    let (_, _, page) = bb.submit(&page, &[("username", &bob_upn)]).await;
    let (status, headers, _) = bb.submit(&page, &[("password", PASSWORD)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = bb
        .get(&location(&headers).replace("http://127.0.0.1", ""))
        .await;
    assert!(
        page.contains("Groups I own") && page.contains("s team</a>"),
        "{page}"
    );
    let bob_group = format!("/myapps/{}/groups/{}", f.tenant.id, owned.id);
    let (status, _, page) = bb.get(&bob_group).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let bcsrf = hidden(&page, "csrf_token");
    let (status, page) = post(
        &mut bb,
        &bob_group,
        vec![
            ("csrf_token", bcsrf.clone()),
            ("action", "add".into()),
            ("email", "alice@contoso.example".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Alice Example was added"), "{page}");
    let (status, page) = post(
        &mut bb,
        &bob_group,
        vec![
            ("csrf_token", bcsrf),
            ("action", "add".into()),
            ("email", "stranger@partner.example".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("may not invite guests"), "{page}");
    // but not someone else's group, nor the portal's list
    let (status, _, _) = bb.get(&group_url).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = bb.get(&groups).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn logs_and_external_identities(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let mut b = Browser::new(&f, "203.0.113.37");
    // a Guest Inviter may not read the logs nor switch passcodes
    grant(&f, DirectoryRole::GuestInviter).await;
    sign_in_to(&mut b, &f, &portal(&f)).await;
    let (status, _, page) = b.get(&format!("{}audit", portal(&f))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let (status, _, _) = b.get(&format!("{}sign-ins", portal(&f))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, page) = b.get(&format!("{}external-identities", portal(&f))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        !page.contains("Turn passcodes off")
            && page.contains("needs the External Identity Provider Administrator role"),
        "{page}"
    );

    grant(&f, DirectoryRole::GlobalAdministrator).await;
    let admin = app_token(&f, &["User.Invite.All"]).await;
    let (status, _, _) = graph(
        &f,
        "POST",
        "/v1.0/invitations",
        Some(&admin),
        Some(&serde_json::json!({"invitedUserEmailAddress": "obrien@partner.example", "inviteRedirectUrl": "https://myapps.example/"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let audit = format!("{}audit", portal(&f));
    let (status, _, page) = b.get(&audit).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Invite external user") && page.contains("Add user"),
        "{page}"
    );
    let (_, _, page) = b
        .get(&format!("{audit}?category=UserManagement&activity=Invite"))
        .await;
    assert!(
        page.contains("Invite external user") && !page.contains("Add user<"),
        "{page}"
    );
    let (status, _, page) = b.get(&format!("{audit}?activity=O%27Brien&by=x%27y")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "quotes are data, not syntax: {page}"
    );
    assert!(page.contains("No events match"), "{page}");
    let (status, _, page) = b.get(&format!("{audit}?category=Bogus")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("choose a category"), "{page}");
    // the detail view
    let (_, _, page) = b.get(&format!("{audit}?activity=Invite%20external")).await;
    let link =
        attr_after(&page, &format!("<a href=\"/portal/{}/audit/", f.tenant.id)).expect("a row");
    let (status, _, page) = b
        .get(&format!("/portal/{}/audit/{link}", f.tenant.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Correlation id") && page.contains("obrien"),
        "{page}"
    );
    let (status, _, _) = b
        .get(&format!("/portal/{}/audit/not-an-id", f.tenant.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = b
        .get(&format!(
            "/portal/{}/audit/{}",
            f.tenant.id,
            uuid::Uuid::new_v4()
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // the sign-in log has this very sign-in
    let (status, _, page) = b.get(&format!("{}sign-ins", portal(&f))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&f.upn) && page.contains("Success"), "{page}");

    // passcodes for guests: off, then on again; a forged form changes nothing
    let ext = format!("{}external-identities", portal(&f));
    let (_, _, page) = b.get(&ext).await;
    assert!(
        page.contains("<strong>on</strong>") && page.contains("None configured"),
        "{page}"
    );
    let csrf = hidden(&page, "csrf_token");
    let (status, _, _) = b
        .post(&ext, &[("csrf_token", "forged"), ("otp", "off")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, page) = b.post(&ext, &[("csrf_token", &csrf), ("otp", "off")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<strong>off</strong>") && page.contains("are off"),
        "{page}"
    );
    assert!(!f.state.app.email_otp_for_guests(f.tenant.id).await.unwrap());
    let (_, _, page) = b.post(&ext, &[("csrf_token", &csrf), ("otp", "on")]).await;
    assert!(page.contains("<strong>on</strong>"), "{page}");
    assert!(f.state.app.email_otp_for_guests(f.tenant.id).await.unwrap());
    let (status, _, _) = b
        .post(&ext, &[("csrf_token", &csrf), ("otp", "maybe")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn applications_from_the_portal(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    grant(&f, DirectoryRole::GuestInviter).await;
    let mut b = Browser::new(&f, "203.0.113.38");
    sign_in_to(&mut b, &f, &portal(&f)).await;
    let apps = format!("{}apps", portal(&f));
    let (status, _, page) = b.get(&apps).await;
    assert_eq!(status, StatusCode::OK, "a Guest Inviter may look: {page}");
    let csrf = hidden(&page, "csrf_token");
    let (status, _, page) = b
        .post(
            &apps,
            &[
                ("csrf_token", &csrf),
                ("name", "Sneaky"),
                ("redirect_uri", ""),
            ],
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN,
        "but not register: {status} {page}"
    );

    grant(&f, DirectoryRole::GlobalAdministrator).await;
    let (_, _, page) = b.get(&apps).await;
    assert!(
        page.contains(">Web</a>") && page.contains(&f.web_id),
        "{page}"
    );
    let (status, _, page) = b
        .post(
            &apps,
            &[("csrf_token", &csrf), ("name", " "), ("redirect_uri", "")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"name-error\""), "{page}");
    let (status, _, page) = b
        .post(
            &apps,
            &[
                ("csrf_token", &csrf),
                ("name", "Partner portal"),
                ("redirect_uri", "ftp://partner.example/cb"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("id=\"redirect-error\"") && page.contains("value=\"Partner portal\""),
        "{page}"
    );
    let (status, headers, _) = b
        .post(
            &apps,
            &[
                ("csrf_token", &csrf),
                ("name", "Partner portal"),
                ("redirect_uri", "https://partner.example/cb"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let app_url = location(&headers);
    let (status, _, page) = b.get(&app_url).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("https://partner.example/cb") && page.contains("Application (client) id"),
        "{page}"
    );

    // a secret, shown once
    let form = |action: &'static str, k: &'static str, val: &str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("action", action.to_owned()),
            (k, val.to_owned()),
        ]
    };
    let (status, page) = post(&mut b, &app_url, form("secret", "description", "CI")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let shown = attr_after(&page, "id=\"new-secret\">").is_some();
    assert!(shown && page.contains("cannot be shown again"), "{page}");
    let start = page.find("id=\"new-secret\">").unwrap() + "id=\"new-secret\">".len();
    let secret = page[start..start + page[start..].find('<').unwrap()].to_owned();
    assert!(secret.len() >= 32, "{secret}");
    let (_, _, page) = b.get(&app_url).await;
    assert!(
        !page.contains(&secret) && page.contains(">CI<"),
        "never shown again: {page}"
    );

    // assignments
    let (status, page) = post(
        &mut b,
        &app_url,
        form("assign", "email", "alice@contoso.example"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Alice Example is assigned to Partner portal"),
        "{page}"
    );
    let (status, page) = post(
        &mut b,
        &app_url,
        form("assign", "email", "nobody@partner.example"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("invite them first"), "{page}");
    let assignment = attr_after(&page, "name=\"assignment\" value=\"").expect("an assignment row");
    let (status, page) = post(
        &mut b,
        &app_url,
        form("unassign", "assignment", &assignment),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("no longer assigned") && page.contains("Nobody is assigned"),
        "{page}"
    );
    let (status, _) = post(
        &mut b,
        &app_url,
        vec![("csrf_token", "forged".into()), ("action", "secret".into())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = b.get(&format!("{apps}/not-an-id")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = b.get(&format!("{apps}/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn branding_and_restoring_users(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    grant(&f, DirectoryRole::GlobalAdministrator).await;
    let mut b = Browser::new(&f, "203.0.113.39");
    sign_in_to(&mut b, &f, &portal(&f)).await;
    let url = format!("{}branding", portal(&f));
    let (status, _, page) = b.get(&url).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("value=\"Contoso\""), "{page}");
    let csrf = hidden(&page, "csrf_token");
    let form = |accent: &'static str, logo: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("display_name", "Contoso Ltd".to_owned()),
            ("sign_in_name", "Contoso".to_owned()),
            ("logo_url", logo.to_owned()),
            ("accent_color", accent.to_owned()),
            ("privacy_url", "https://contoso.example/privacy".to_owned()),
        ]
    };
    let (status, page) = post(&mut b, &url, form("blue", "")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("id=\"accent_color-error\"") && page.contains("value=\"blue\""),
        "{page}"
    );
    let (status, page) = post(&mut b, &url, form("#112233", "http://cdn.example/logo.png")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"logo_url-error\""), "{page}");
    assert_eq!(
        f.state
            .app
            .store
            .get_tenant(f.tenant.id)
            .await
            .unwrap()
            .display_name,
        "Contoso",
        "nothing saved"
    );
    let (status, page) = post(
        &mut b,
        &url,
        form("#112233", "https://cdn.example/logo.png"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Saved.") && page.contains("Contoso Ltd"),
        "{page}"
    );
    let t = f.state.app.store.get_tenant(f.tenant.id).await.unwrap();
    assert_eq!(t.display_name, "Contoso Ltd");
    assert_eq!(t.branding.accent_color.as_deref(), Some("#112233"));
    let (status, _) = post(
        &mut b,
        &url,
        vec![
            ("csrf_token", "forged".into()),
            ("display_name", "X".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // deleted users come back
    let app = &f.state.app;
    let ctx = Context::system("test");
    let carl = app
        .create_user(
            &ctx,
            f.tenant.id,
            portico_domain::user::NewUser {
                display_name: "Carl Deleted".into(),
                user_principal_name: format!("carl@{}", f.tenant.initial_domain.as_str()),
                ..portico_domain::user::NewUser::default()
            },
            None,
            false,
        )
        .await
        .unwrap();
    app.delete_user(&ctx, f.tenant.id, carl.id).await.unwrap();
    let deleted = format!("{}users/deleted", portal(&f));
    let (status, _, page) = b.get(&deleted).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Carl Deleted"), "{page}");
    let (status, page) = post(
        &mut b,
        &deleted,
        vec![("csrf_token", csrf.clone()), ("user", carl.id.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Carl Deleted was restored") && page.contains("No deleted users"),
        "{page}"
    );
    assert!(app.store.get_user(f.tenant.id, carl.id).await.is_ok());
    let (status, page) = post(
        &mut b,
        &deleted,
        vec![("csrf_token", csrf.clone()), ("user", carl.id.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    let (status, _) = post(
        &mut b,
        &deleted,
        vec![
            ("csrf_token", "forged".into()),
            ("user", carl.id.to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

portico_store::backend_tests!(
    branding_and_restoring_users,
    applications_from_the_portal,
    logs_and_external_identities,
    groups_from_the_portal_and_my_apps,
    bulk_invites_a_csv,
    signs_in_and_sees_the_overview,
    invites_from_the_form,
    my_apps_for_members,
    manages_users_from_their_pages
);
