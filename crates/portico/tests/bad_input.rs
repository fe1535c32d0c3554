//! Every bad start-up input ends the process with one clear line and a non-zero exit code,
//! never a panic; `check-config` shows the effective configuration with secrets redacted.

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

fn fails(mut cmd: std::process::Command, args: &[&str], code: i32, expect: &[&str]) -> String {
    cmd.args(args);
    let out = run(cmd, None);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = one_error_line(&out);
    for e in expect {
        assert!(line.contains(e), "{args:?}: '{line}' should mention '{e}'");
    }
    line
}

#[test]
fn unknown_flags_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        portico(dir.path()),
        &["serve", "--bogus"],
        2,
        &["--bogus", "portico --help"],
    );
    fails(portico(dir.path()), &["frobnicate"], 2, &["frobnicate"]);
    assert!(
        !dir.path().join("portico.db").exists(),
        "nothing was created"
    );
}

#[test]
fn configuration_errors_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        portico(dir.path()),
        &["--config", "/nonexistent/portico.toml", "serve"],
        2,
        &["cannot read config file", "/nonexistent/portico.toml"],
    );
    let file = dir.path().join("portico.toml");
    std::fs::write(&file, "listen = \"nowhere\"\n").unwrap();
    fails(
        portico(dir.path()),
        &["--config", file.to_str().unwrap(), "serve"],
        2,
        &["listen", "nowhere"],
    );
    std::fs::write(&file, "colour = \"blue\"\n").unwrap();
    fails(
        portico(dir.path()),
        &["--config", file.to_str().unwrap(), "serve"],
        2,
        &["colour"],
    );
    std::fs::write(&file, "not toml [").unwrap();
    fails(
        portico(dir.path()),
        &["--config", file.to_str().unwrap(), "serve"],
        2,
        &[],
    );
    let mut key = portico(dir.path());
    key.env("PORTICO_MASTER_KEY", "too-short");
    fails(key, &["serve"], 2, &["master_key"]);
    let mut env = portico(dir.path());
    env.env("PORTICO_LOG_FORMAT", "xml");
    fails(env, &["serve"], 2, &["log_format", "xml"]);
    fails(
        portico(dir.path()),
        &["serve", "--tls-cert", "/nonexistent/cert.pem"],
        2,
        &["tls_key"],
    );
    fails(
        portico(dir.path()),
        &[
            "serve",
            "--tls-cert",
            "/nonexistent/c.pem",
            "--tls-key",
            file.to_str().unwrap(),
        ],
        2,
        &["tls_cert", "cannot read", "/nonexistent/c.pem"],
    );
}

#[test]
fn bad_tls_files() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "this is not PEM").unwrap();
    let j = junk.to_str().unwrap();
    fails(
        portico(&dir.path().join("d")),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            j,
            "--tls-key",
            j,
        ],
        2,
        &["junk.pem"],
    );
}

#[test]
fn bad_and_unreachable_databases() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        portico(dir.path()),
        &["serve", "--database-url", "mysql://u:secretpw@db/x"],
        2,
        &["database_url", "PostgreSQL URL"],
    );
    let line = fails(
        portico(dir.path()),
        &[
            "serve",
            "--database-url",
            "postgres://u:secretpw@127.0.0.1:1/portico",
        ],
        1,
        &["cannot connect to PostgreSQL", "127.0.0.1:1"],
    );
    assert!(
        !line.contains("secretpw"),
        "passwords are never printed: {line}"
    );
    fails(
        portico(dir.path()),
        &[
            "user",
            "list",
            "--database-url",
            "postgres://127.0.0.1:1/portico",
        ],
        1,
        &["cannot connect to PostgreSQL"],
    );
}

#[test]
fn port_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut cmd = portico(dir.path());
    cmd.args(["serve", "--listen", &addr]);
    let out = run(cmd, None);
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(
        line.contains(&format!("cannot listen on {addr}")) && line.contains("--listen"),
        "{line}"
    );
}

#[test]
fn unusable_data_directories() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut cmd = portico(&file);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let out = run(cmd, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("not a directory"));

    // A directory that cannot be created or written: /proc refuses even root.
    let mut cmd = portico(std::path::Path::new("/proc/portico-data"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let out = run(cmd, None);
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(
        line.contains("/proc/portico-data") && line.contains("--data-dir"),
        "{line}"
    );

    // A read-only directory (only meaningful when not running as root).
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(true);
    if !is_root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let mut cmd = portico(&ro);
        cmd.args(["serve", "--listen", "127.0.0.1:0"]);
        let out = run(cmd, None);
        assert_eq!(out.status.code(), Some(1));
        assert!(one_error_line(&out).contains("not writable"));
    }
}

#[test]
fn check_config_shows_effective_settings_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = portico(dir.path());
    cmd.env(
        "PORTICO_DATABASE_URL",
        "postgres://app:hunter2secret@db.internal:5432/portico",
    )
    .env("PORTICO_BOOTSTRAP_ADMIN_PASSWORD", "Bootstrap-Secret-9")
    .env("PORTICO_LISTEN", "127.0.0.1:9999")
    .args(["check-config", "--listen", "127.0.0.1:7777"]);
    let out = run(cmd, None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("listen = \"127.0.0.1:7777\""),
        "flags beat the environment: {stdout}"
    );
    assert!(stdout.contains("db.internal"), "{stdout}");
    assert!(
        !stdout.contains("hunter2secret") && !stdout.contains("Bootstrap-Secret-9"),
        "{stdout}"
    );
    assert!(stdout.contains("# configuration is valid"));

    let mut bad = portico(dir.path());
    bad.env("PORTICO_LOG_FORMAT", "xml")
        .env("PORTICO_DATABASE_MAX_CONNECTIONS", "0")
        .arg("check-config");
    let out = run(bad, None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("log_format") && stderr.contains("database_max_connections"),
        "every problem is listed: {stderr}"
    );
}
