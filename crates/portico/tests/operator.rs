//! Operator commands act on the same database as a running server.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod support;

use support::*;

fn ok(cmd: std::process::Command, stdin: Option<&str>) -> String {
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cmd(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut c = portico(dir);
    c.args(args);
    c
}

#[test]
fn manage_the_directory_from_the_command_line_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Before any tenant exists, commands say what to do.
    let out = run(cmd(d, &["user", "list"]), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("portico serve"));

    let server = Server::start(portico(d));
    let tenants = ok(cmd(d, &["tenant", "list"]), None);
    assert!(
        tenants.contains("defaultdirectory.onportico.test"),
        "{tenants}"
    );

    let created = ok(
        cmd(
            d,
            &[
                "user",
                "create",
                "--upn",
                "ann@defaultdirectory.onportico.test",
                "--display-name",
                "Ann Lee",
                "--password-stdin",
            ],
        ),
        Some("Str0ng-Password\n"),
    );
    assert!(
        created.contains("ann@defaultdirectory.onportico.test\tMember"),
        "{created}"
    );
    let generated = ok(
        cmd(
            d,
            &[
                "user",
                "create",
                "--upn",
                "bob@defaultdirectory.onportico.test",
                "--display-name",
                "Bob",
                "--guest",
            ],
        ),
        None,
    );
    assert!(generated.contains("one-time password:"), "{generated}");
    let out = run(
        cmd(
            d,
            &[
                "user",
                "create",
                "--upn",
                "ANN@defaultdirectory.onportico.test",
                "--display-name",
                "Dup",
                "--no-password",
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("userPrincipalName"));
    let out = run(
        cmd(
            d,
            &[
                "user",
                "create",
                "--upn",
                "eve@elsewhere.example",
                "--display-name",
                "Eve",
                "--no-password",
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("verified domain"));
    let out = run(
        cmd(
            d,
            &[
                "user",
                "create",
                "--upn",
                "weak@defaultdirectory.onportico.test",
                "--display-name",
                "W",
                "--password",
                "weak",
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("password"));

    let guests = ok(cmd(d, &["user", "list", "--guests"]), None);
    assert!(
        guests.contains("bob@") && !guests.contains("ann@"),
        "{guests}"
    );
    ok(
        cmd(
            d,
            &[
                "user",
                "set-password",
                "ann@defaultdirectory.onportico.test",
                "--password-stdin",
                "--force-change",
            ],
        ),
        Some("An0ther-Password\n"),
    );

    let group = ok(
        cmd(
            d,
            &[
                "group",
                "create",
                "--name",
                "Partners",
                "--owner",
                "ann@defaultdirectory.onportico.test",
            ],
        ),
        None,
    );
    let group_id = group.split('\t').next().unwrap().trim().to_owned();
    ok(
        cmd(
            d,
            &[
                "group",
                "add-member",
                &group_id,
                "bob@defaultdirectory.onportico.test",
            ],
        ),
        None,
    );
    let members = ok(cmd(d, &["group", "members", &group_id]), None);
    assert!(members.contains("\tuser"), "{members}");
    let out = run(
        cmd(
            d,
            &[
                "group",
                "add-member",
                &group_id,
                "bob@defaultdirectory.onportico.test",
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(1), "adding twice is refused");
    let out = run(
        cmd(
            d,
            &[
                "group",
                "add-member",
                "not-a-guid",
                "bob@defaultdirectory.onportico.test",
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(2));

    let added = ok(cmd(d, &["domain", "add", "partners.example"]), None);
    assert!(added.contains("portico-verification="), "{added}");
    ok(
        cmd(d, &["domain", "verify", "partners.example", "--override"]),
        None,
    );
    let domains = ok(cmd(d, &["domain", "list"]), None);
    assert!(domains.contains("partners.example\tverified"), "{domains}");
    ok(
        cmd(
            d,
            &[
                "user",
                "create",
                "--upn",
                "carol@partners.example",
                "--display-name",
                "Carol",
                "--no-password",
            ],
        ),
        None,
    );
    ok(
        cmd(
            d,
            &["role", "assign", "carol@partners.example", "Guest Inviter"],
        ),
        None,
    );
    let roles = ok(cmd(d, &["role", "list"]), None);
    assert!(
        roles.contains("Guest Inviter") && roles.contains("Global Administrator"),
        "{roles}"
    );
    let out = run(
        cmd(d, &["role", "assign", "carol@partners.example", "Emperor"]),
        None,
    );
    assert_eq!(out.status.code(), Some(2));

    let deleted = ok(
        cmd(
            d,
            &["user", "delete", "bob@defaultdirectory.onportico.test"],
        ),
        None,
    );
    let bob_id = deleted
        .rsplit("restore ")
        .next()
        .unwrap()
        .trim_end_matches([')', '\'', '\n'])
        .to_owned();
    assert!(!ok(cmd(d, &["user", "list"]), None).contains("bob@"));
    ok(cmd(d, &["user", "restore", &bob_id]), None);
    assert!(ok(cmd(d, &["user", "list"]), None).contains("bob@"));

    let second = ok(cmd(d, &["tenant", "create", "Fabrikam"]), None);
    assert!(second.contains("fabrikam.onportico.test"));
    let out = run(cmd(d, &["user", "list"]), None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "with two tenants, --tenant is required"
    );
    assert!(
        ok(
            cmd(d, &["user", "list", "--tenant", "fabrikam.onportico.test"]),
            None
        )
        .is_empty()
    );

    assert_eq!(
        http_get(&server.addr, "/readyz").0,
        200,
        "the server kept running throughout"
    );
    assert!(server.stop().success());
    let out = ok(cmd(d, &["migrate"]), None);
    let versions: Vec<&str> = out
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(versions.len(), 2, "{out}");
    assert_eq!(versions[0], versions[1], "fully migrated: {out}");
}

#[test]
fn app_create_prints_credentials_that_get_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Server::start(portico(d));
    let api: serde_json::Value = serde_json::from_str(&ok(
        cmd(
            d,
            &[
                "app",
                "create",
                "--name",
                "Orders API",
                "--identifier-uri",
                "api://orders",
                "--app-role",
                "Orders.Read",
            ],
        ),
        None,
    ))
    .unwrap();
    let daemon: serde_json::Value = serde_json::from_str(&ok(
        cmd(d, &["app", "create", "--name", "Nightly job"]),
        None,
    ))
    .unwrap();
    for key in [
        "appId",
        "password",
        "tenant",
        "servicePrincipalId",
        "passwordEndDateTime",
    ] {
        assert!(
            daemon[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {daemon}"
        );
    }
    let (client, secret, tenant) = (
        daemon["appId"].as_str().unwrap(),
        daemon["password"].as_str().unwrap(),
        daemon["tenant"].as_str().unwrap(),
    );
    ok(
        cmd(
            d,
            &[
                "app",
                "grant",
                client,
                api["appId"].as_str().unwrap(),
                "Orders.Read",
            ],
        ),
        None,
    );
    let out = run(
        cmd(
            d,
            &[
                "app",
                "grant",
                client,
                api["appId"].as_str().unwrap(),
                "Orders.Delete",
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(2), "unknown roles are refused");

    let form = format!(
        "grant_type=client_credentials&client_id={client}&client_secret={secret}&scope=api%3A%2F%2Forders%2F.default"
    );
    let (status, body) =
        http_post_form(&server.addr, &format!("/{tenant}/oauth2/v2.0/token"), &form);
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (_, jwks) = http_get(&server.addr, &format!("/{tenant}/discovery/v2.0/keys"));
    let jwks: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    let claims = portico_crypto::jws::verify_rs256(
        token["access_token"].as_str().unwrap(),
        &jwks["keys"][0],
    )
    .unwrap();
    assert_eq!(claims["roles"], serde_json::json!(["Orders.Read"]));
    let (status, body) = http_post_form(
        &server.addr,
        &format!("/{tenant}/oauth2/v2.0/token"),
        &form.replace(secret, "nope"),
    );
    assert_eq!(status, 401, "{body}");
    assert!(server.stop().success());
}

/// The tenant's audit events, read from the SQLite database of data directory `d`.
fn audit_events(d: &std::path::Path, tenant: &str) -> Vec<portico_domain::audit::AuditEvent> {
    let tenant: portico_domain::TenantId = tenant.parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = portico_store::open(
            &portico_store::DatabaseTarget::Sqlite {
                path: d.join("portico.db"),
            },
            portico_store::PoolSettings::default(),
        )
        .await
        .unwrap();
        let events = store.list_audit_events(tenant, 500, None).await.unwrap();
        store.close().await;
        events
    })
}

/// The rows of a results file: (email, status, userId, inviteRedeemUrl, error).
fn results(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(
        rows[0],
        ["email", "status", "userId", "inviteRedeemUrl", "error"],
        "header row"
    );
    rows[1..].to_vec()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn invite_guests_in_bulk_from_a_csv_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = ok(cmd(d, &["tenant", "create", "Contoso"]), None);
    let tenant = created.split('\t').next().unwrap().trim().to_owned();
    ok(
        cmd(
            d,
            &[
                "user",
                "create",
                "--upn",
                "ann@contoso.onportico.test",
                "--display-name",
                "Ann",
                "--mail",
                "ann@partner.example",
                "--no-password",
            ],
        ),
        None,
    );
    let guests = |d: &std::path::Path| -> Vec<String> {
        ok(cmd(d, &["user", "list", "--guests"]), None)
            .lines()
            .map(str::to_owned)
            .collect()
    };

    // Good rows, a malformed address, a row without a redirect URL, a tenant member's
    // address, the same address twice, a bad sendEmail, and a blank line (skipped).
    let input = d.join("guests.csv");
    std::fs::write(
        &input,
        "Email,displayName,redirectUrl,sendEmail,message,language\n\
         alice@fabrikam.example,Alice Smith,https://myapps.example/,false,\"Welcome, Alice\",fr-FR\n\
         not-an-address,Nobody,https://myapps.example/,,,\n\
         carol@fabrikam.example,Carol,,,,\n\
         \n\
         ann@partner.example,Ann again,https://myapps.example/,,,\n\
         ALICE@fabrikam.example,Alice twice,https://myapps.example/,,,\n\
         dave@fabrikam.example,,https://myapps.example/,maybe,,\n\
         erin@fabrikam.example,Erin,https://myapps.example/,,,\n",
    )
    .unwrap();
    let out = run(cmd(d, &["invite", "--csv", input.to_str().unwrap()]), None);
    let result_path = d.join("guests.results.csv");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "some rows failed: {stdout}");
    assert_eq!(
        stdout.trim(),
        format!("invited 2, failed 5, results in {}", result_path.display())
    );
    assert!(one_error_line(&out).contains("5 of 7 rows failed"));
    #[cfg(unix)]
    assert_eq!(mode(&result_path), 0o600, "redeem URLs are secrets");
    let rows = results(&result_path);
    let summary: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("alice@fabrikam.example", "invited"),
            ("not-an-address", "failed"),
            ("carol@fabrikam.example", "failed"),
            ("ann@partner.example", "failed"),
            ("ALICE@fabrikam.example", "failed"),
            ("dave@fabrikam.example", "failed"),
            ("erin@fabrikam.example", "invited"),
        ]
    );
    for (row, says) in [
        (1, "invitedUserEmailAddress"),
        (2, "redirect"),
        (3, "member of this organization"),
        (4, "line 2"),
        (5, "true or false"),
    ] {
        assert!(rows[row][4].contains(says), "{:?}", rows[row]);
        assert!(rows[row][2].is_empty() && rows[row][3].is_empty());
    }
    for row in [&rows[0], &rows[6]] {
        assert!(row[4].is_empty(), "{row:?}");
        assert!(
            row[3].contains(&format!("/redeem?tenant={tenant}&")) && row[3].contains("ticket="),
            "{row:?}"
        );
    }
    let listed = guests(d);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed[0].starts_with(&rows[0][2]) || listed[1].starts_with(&rows[0][2]),
        "the userId is the guest's: {listed:?}"
    );
    let all = listed.join("\n");
    assert!(
        all.contains("alice_fabrikam.example#EXT#@contoso.onportico.test\tGuest")
            && all.contains("Alice Smith")
            && all.contains("erin_fabrikam.example#EXT#@"),
        "{all}"
    );

    // The bulk operation is bracketed in the tenant's audit log, with the row invitations
    // under the same correlation id.
    let events = audit_events(d, &tenant);
    let started = events
        .iter()
        .find(|e| e.activity_display_name == "Bulk invite users - started (bulk)")
        .expect("started event");
    let finished = events
        .iter()
        .find(|e| e.activity_display_name == "Bulk invite users - finished (bulk)")
        .expect("finished event");
    assert_eq!(started.correlation_id, finished.correlation_id);
    assert_eq!(
        finished.result_reason.as_deref(),
        Some("invited 2, failed 5 of 7 rows")
    );
    assert_eq!(
        finished.target_resources[0].display_name.as_deref(),
        Some("guests.csv")
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.activity_display_name == "Invite external user"
                && e.correlation_id == started.correlation_id)
            .count(),
        2
    );

    // Entra's template, defaults from the command line, an existing results file narrowed to
    // 0600: everything invited is exit 0.
    let template = d.join("template.csv");
    std::fs::write(
        &template,
        "\u{feff}version:v1.0\n\
         Email address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] Required,Send invitation message (true or false) [sendEmail],Customized invitation message [customizedMessageBody]\n\
         carol@fabrikam.example,,,Hello from Contoso\n",
    )
    .unwrap();
    let second = d.join("second.csv");
    std::fs::write(&second, "old").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&second, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let printed = ok(
        cmd(
            d,
            &[
                "invite",
                "--csv",
                template.to_str().unwrap(),
                "--output",
                second.to_str().unwrap(),
                "--redirect-url",
                "https://default.example/",
                "--send-email",
            ],
        ),
        None,
    );
    assert_eq!(
        printed.trim(),
        format!("invited 1, failed 0, results in {}", second.display())
    );
    #[cfg(unix)]
    assert_eq!(mode(&second), 0o600);
    let rows = results(&second);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], "invited", "{rows:?}");
    assert_eq!(guests(d).len(), 3);

    // Files refused whole, before anything is invited: exit 2, no results file.
    let big = d.join("big.csv");
    let mut text = String::from("email,redirectUrl\n");
    for i in 0..10_001 {
        text.push_str(&format!(
            "user{i}@fabrikam.example,https://myapps.example/\n"
        ));
    }
    std::fs::write(&big, text).unwrap();
    let no_email = d.join("no-email.csv");
    std::fs::write(
        &no_email,
        "displayName,redirectUrl\nZed,https://myapps.example/\n",
    )
    .unwrap();
    let latin1 = d.join("latin1.csv");
    std::fs::write(
        &latin1,
        b"email,displayName\nzoe@fabrikam.example,Zo\xeb\n".as_slice(),
    )
    .unwrap();
    for (file, says) in [
        (&no_email, "no email column"),
        (&big, "10001 rows; at most 10000"),
        (&latin1, "not UTF-8"),
    ] {
        let out = run(cmd(d, &["invite", "--csv", file.to_str().unwrap()]), None);
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        let line = one_error_line(&out);
        assert!(line.contains(says), "{line}");
        assert!(!file.with_extension("results.csv").exists());
    }
    let out = run(
        cmd(
            d,
            &[
                "invite",
                "--csv",
                input.to_str().unwrap(),
                "--output",
                input.to_str().unwrap(),
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(2), "the input is never overwritten");
    assert_eq!(guests(d).len(), 3, "nothing more was invited");
    assert_eq!(
        audit_events(d, &tenant)
            .iter()
            .filter(|e| e.activity_display_name.starts_with("Bulk invite users"))
            .count(),
        4,
        "refused files start no bulk operation"
    );
}

#[test]
fn identity_providers_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Server::start(portico(d));
    let secret = "GOCSPX-cli-secret";

    // the secret only from standard input
    let out = run(
        cmd(
            d,
            &[
                "idp",
                "add",
                "--type",
                "google",
                "--client-id",
                "cli-client",
            ],
        ),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("--client-secret-stdin"));
    let out = run(
        cmd(
            d,
            &[
                "idp",
                "add",
                "--type",
                "amazon",
                "--client-id",
                "x",
                "--client-secret-stdin",
            ],
        ),
        Some("s\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("identityProviderType"));

    let added = ok(
        cmd(
            d,
            &[
                "idp",
                "add",
                "--type",
                "google",
                "--client-id",
                "cli-client",
                "--name",
                "Gmail",
                "--client-secret-stdin",
            ],
        ),
        Some(&format!("{secret}\n")),
    );
    assert!(added.contains("Google-OAUTH"), "{added}");
    assert!(!added.contains(secret));
    // one of each type
    let out = run(
        cmd(
            d,
            &[
                "idp",
                "add",
                "--type",
                "Google",
                "--client-id",
                "again",
                "--client-secret-stdin",
            ],
        ),
        Some("s\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("already has a Google identity provider"));

    let list = ok(cmd(d, &["idp", "list"]), None);
    assert_eq!(list.trim(), "Google-OAUTH\tGoogle\tGmail\tcli-client");
    let out = run(cmd(d, &["idp", "update", "Google-OAUTH"]), None);
    assert_eq!(out.status.code(), Some(2), "nothing to change");
    ok(
        cmd(
            d,
            &[
                "idp",
                "update",
                "google-oauth",
                "--client-id",
                "cli-client-2",
                "--client-secret-stdin",
            ],
        ),
        Some("rotated\n"),
    );
    let list = ok(cmd(d, &["idp", "list"]), None);
    assert!(list.contains("cli-client-2"), "{list}");
    ok(cmd(d, &["idp", "remove", "Google-OAUTH"]), None);
    assert_eq!(ok(cmd(d, &["idp", "list"]), None), "");
    let out = run(cmd(d, &["idp", "remove", "Google-OAUTH"]), None);
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("not found"));

    // audited as the CLI, never with the secret
    let tenant = ok(cmd(d, &["tenant", "list"]), None);
    let tenant = tenant.split_whitespace().next().unwrap().to_owned();
    let events = audit_events(d, &tenant);
    let idp: Vec<_> = events
        .iter()
        .filter(|e| e.activity_display_name.contains("identity provider"))
        .collect();
    assert_eq!(idp.len(), 3, "add, update, delete");
    let text = format!("{idp:?}");
    assert!(text.contains("Portico CLI"), "{text}");
    assert!(!text.contains(secret) && !text.contains("rotated"));
    drop(server);
}
