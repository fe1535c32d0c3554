//! Black-box tests of `portico serve`: bootstrap, readiness, metrics, graceful shutdown,
//! restart, PostgreSQL, HTTPS, JSON logs.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod support;

use std::sync::Arc;
use support::*;

#[test]
fn first_start_bootstraps_once_then_restarts_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(portico(dir.path()));
    let (status, body) = http_get(&server.addr, "/readyz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"sqlite\""));
    assert_eq!(http_get(&server.addr, "/healthz").0, 200);
    let (status, metrics) = http_get(&server.addr, "/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("portico_http_requests_total"));
    let status = server.child.id();
    assert!(status > 0);
    let banner = server.stdout();
    let stderr = server.stderr();
    assert!(server.stop().success(), "SIGTERM ends the process cleanly");
    assert!(
        banner.contains("Global Administrator:  admin@defaultdirectory.onportico.test"),
        "{banner}"
    );
    let password = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("one-time password:"))
        .expect("password line")
        .trim()
        .to_owned();
    assert!(password.len() >= 20);
    assert!(
        !stderr.contains(&password),
        "the password never reaches the log"
    );
    assert!(dir.path().join("portico.db").exists());

    let again = Server::start(portico(dir.path()));
    assert_eq!(http_get(&again.addr, "/readyz").0, 200);
    let banner = again.stdout();
    assert!(again.stop().success());
    assert!(
        !banner.contains("one-time password"),
        "no second bootstrap: {banner}"
    );
}

#[test]
fn operator_supplied_bootstrap_password_and_tenant_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = portico(dir.path());
    cmd.env("PORTICO_BOOTSTRAP_ADMIN_PASSWORD", "Automation-Passw0rd")
        .arg("--tenant-name")
        .arg("Contoso");
    let server = Server::start(cmd);
    let banner = server.stdout();
    assert!(server.stop().success());
    assert!(banner.contains("admin@contoso.onportico.test"), "{banner}");
    assert!(
        !banner.contains("Automation-Passw0rd"),
        "an operator's password is not echoed"
    );
}

#[test]
fn serves_on_postgresql() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(portico_store::testing::TestDb::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = portico(dir.path());
    cmd.arg("--database-url")
        .arg(db.postgres_url_for_schema().unwrap());
    let server = Server::start(cmd);
    let (status, body) = http_get(&server.addr, "/readyz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"postgres\""), "{body}");
    assert!(server.stdout().contains("Global Administrator"));
    assert!(server.stop().success());
    assert!(
        !dir.path().join("portico.db").exists(),
        "PostgreSQL mode writes no SQLite file"
    );
    let tenants = rt.block_on(db.store.list_tenants()).unwrap();
    assert_eq!(tenants.len(), 1, "bootstrapped into PostgreSQL");
    rt.block_on(db.finish());
}

#[test]
fn https_listener_serves_tls() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut cmd = portico(&dir.path().join("data"));
    cmd.arg("--tls-cert")
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path);
    let server = Server::start(cmd);
    assert!(server.stderr().contains("listening on https://"));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut sock = std::net::TcpStream::connect(&server.addr).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    use std::io::{Read, Write};
    write!(
        tls,
        "GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw);
    let (status, body) = parse_response(&raw);
    assert_eq!(status, 200, "{body}");
    // Plain HTTP to the TLS port is refused (no response).
    let (plain_status, _) = http_get(&server.addr, "/readyz");
    assert_ne!(plain_status, 200);
    assert!(server.stop().success());
}

#[test]
fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = portico(dir.path());
    cmd.arg("--log-format")
        .arg("json")
        .arg("--log-level")
        .arg("tower_http=debug,info");
    let server = Server::start(cmd);
    assert_eq!(http_get(&server.addr, "/healthz").0, 200);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let logs = server.stderr();
    assert!(server.stop().success());
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.iter().any(|l| {
        l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("listening on"))
    }));
    let request_line = lines
        .iter()
        .find(|l| l["span"]["path"] == "/healthz")
        .expect("a log line inside the request span");
    assert!(
        request_line["span"]["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{request_line}"
    );
}

#[test]
fn signing_keys_survive_restarts_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let kid_of = |addr: &str| -> String {
        let (status, body) = http_get(addr, "/common/discovery/v2.0/keys");
        assert_eq!(status, 200, "{body}");
        let jwks: serde_json::Value = serde_json::from_str(&body).unwrap();
        jwks["keys"][0]["kid"].as_str().unwrap().to_owned()
    };
    let server = Server::start(portico(dir.path()));
    let kid = kid_of(&server.addr);
    assert!(server.stop().success());
    let key_file = dir.path().join("master.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600,
        "the master key file is private"
    );

    let again = Server::start(portico(dir.path()));
    assert_eq!(kid_of(&again.addr), kid, "the same key after a restart");
    assert!(again.stop().success());

    let mut rotate = portico(dir.path());
    rotate.args(["keys", "rotate", "--now"]);
    let out = run(rotate, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut list = portico(dir.path());
    list.args(["keys", "list"]);
    let listed = String::from_utf8_lossy(&run(list, None).stdout).into_owned();
    assert!(
        listed.contains(&format!("{kid}\tRS256\tretired")),
        "{listed}"
    );
    assert_eq!(
        listed.lines().filter(|l| l.contains("\tactive\t")).count(),
        1,
        "{listed}"
    );

    // A different master key cannot open the stored keys: one clear line at start.
    let mut wrong = portico(dir.path());
    wrong
        .env(
            "PORTICO_MASTER_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .args(["serve", "--listen", "127.0.0.1:0"]);
    let out = run(wrong, None);
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(
        line.contains("master key") && line.contains("master_key"),
        "{line}"
    );
}
