//! Harness for black-box tests: runs the real `portico` binary, waits for it to listen,
//! talks HTTP(S) to it over loopback, stops it with SIGTERM.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_portico");

/// A command with cheap password hashing and no inherited Portico settings.
pub fn portico(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("PORTICO_") && k != "PORTICO_TEST_POSTGRES_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.env("PORTICO_PASSWORD_HASHING__MEMORY_KIB", "8192")
        .env("PORTICO_PASSWORD_HASHING__ITERATIONS", "1")
        .arg("--data-dir")
        .arg(data_dir);
    cmd
}

/// Runs a command to completion with a time bound.
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn portico");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("portico did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running server.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stderr: Arc<Mutex<String>>,
    pub stdout: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `portico serve` with extra args and waits (at most 60 s) for "listening on".
    pub fn start(mut cmd: Command) -> Self {
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn portico serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let err_pipe = child.stderr.take().unwrap();
        let err_buf = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                err_buf.lock().unwrap().push_str(&line);
                err_buf.lock().unwrap().push('\n');
                if let Some(i) = line.find("listening on ") {
                    let rest = &line[i + "listening on ".len()..];
                    let url: String = rest
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '"')
                        .collect();
                    let _ = tx.send(url);
                }
            }
        });
        let mut out_pipe = child.stdout.take().unwrap();
        let out_buf = stdout.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = out_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                out_buf
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("server did not start; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        let addr = url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_owned();
        Self {
            child,
            addr,
            stderr,
            stdout,
        }
    }

    /// Sends SIGTERM and waits (at most 30 s) for the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("server ignored SIGTERM for 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET over loopback: (status, body); status 0 when the peer closed or reset
/// the connection without an HTTP answer (e.g. plain HTTP sent to a TLS port).
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut raw = Vec::new();
    if stream.write_all(request.as_bytes()).is_err() || stream.read_to_end(&mut raw).is_err() {
        return (0, String::new());
    }
    parse_response(&raw)
}

/// An HTTP/1.1 form POST over loopback: (status, body).
pub fn http_post_form(addr: &str, path: &str, form: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let mut raw = Vec::new();
    if stream.write_all(request.as_bytes()).is_err() || stream.read_to_end(&mut raw).is_err() {
        return (0, String::new());
    }
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The single non-empty line a failing command printed, asserting there is exactly one and
/// that it is not a panic.
pub fn one_error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    lines[0].to_owned()
}
