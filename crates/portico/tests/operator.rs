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
