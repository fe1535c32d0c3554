//! The SMTP pool against a scripted SMTP server on loopback: reuse, servers that close,
//! refusals (permanent and transient), missing STARTTLS, and the connection cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::mails::Rendered;
use crate::message::Message;
use crate::smtp::{Security, SmtpSender, SmtpSettings};
use crate::smtp_pool::MAX_CONNECTIONS;

/// How the scripted server behaves.
#[derive(Clone, Copy)]
struct Script {
    /// Reply to `RCPT TO`.
    rcpt: &'static str,
    /// Close the connection after each accepted message.
    close_after_message: bool,
    /// How long to wait before accepting a message (to hold connections open).
    hold: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            rcpt: "250 OK",
            close_after_message: false,
            hold: Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    open: AtomicUsize,
    most_open: AtomicUsize,
    mails_from: AtomicUsize,
    messages: AtomicUsize,
}

/// Starts the server; returns its port and what it saw.
async fn server(script: Script) -> (u16, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let s = s.clone();
            tokio::spawn(async move {
                s.connections.fetch_add(1, Ordering::SeqCst);
                let now = s.open.fetch_add(1, Ordering::SeqCst) + 1;
                s.most_open.fetch_max(now, Ordering::SeqCst);
                let _ = converse(sock, script, &s).await;
                s.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (port, seen)
}

async fn converse(sock: tokio::net::TcpStream, script: Script, seen: &Seen) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r);
    w.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        let reply: &str = if cmd.starts_with("EHLO") {
            "250-sink\r\n250 8BITMIME"
        } else if cmd.starts_with("MAIL") {
            seen.mails_from.fetch_add(1, Ordering::SeqCst);
            "250 OK"
        } else if cmd.starts_with("RCPT") {
            script.rcpt
        } else if cmd == "DATA" {
            w.write_all(b"354 go ahead\r\n").await?;
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
            }
            tokio::time::sleep(script.hold).await;
            seen.messages.fetch_add(1, Ordering::SeqCst);
            w.write_all(b"250 queued\r\n").await?;
            if script.close_after_message {
                return Ok(());
            }
            continue;
        } else if cmd == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if cmd == "NOOP" || cmd == "RSET" {
            "250 OK"
        } else {
            "502 not implemented"
        };
        w.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

fn sender(port: u16, security: Security) -> SmtpSender {
    SmtpSender::new(&SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        username: None,
        password: None,
        timeout: Duration::from_secs(5),
        from: "Portico <noreply@portico.local>".into(),
    })
    .unwrap()
}

fn message(to: &str) -> Message {
    Message::new(
        "",
        to,
        Rendered {
            subject: "Hello".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
        },
    )
}

#[tokio::test]
async fn one_connection_carries_many_messages() {
    let (port, seen) = server(Script::default()).await;
    let s = sender(port, Security::Plain);
    for i in 0..5 {
        s.send(&message("guest@fabrikam.example"), &format!("reuse-{i}"))
            .await
            .unwrap();
    }
    assert_eq!(seen.messages.load(Ordering::SeqCst), 5);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1, "reused");
}

#[tokio::test]
async fn a_connection_the_server_closed_is_replaced_before_use() {
    let (port, seen) = server(Script {
        close_after_message: true,
        ..Script::default()
    })
    .await;
    let s = sender(port, Security::Plain);
    for i in 0..3 {
        s.send(&message("guest@fabrikam.example"), &format!("closed-{i}"))
            .await
            .unwrap();
    }
    assert_eq!(seen.messages.load(Ordering::SeqCst), 3);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn refusals_are_classified_and_the_connection_is_not_reused() {
    let (port, seen) = server(Script {
        rcpt: "550 no such user",
        ..Script::default()
    })
    .await;
    let s = sender(port, Security::Plain);
    let err = s
        .send(&message("nobody@fabrikam.example"), "refused-1")
        .await
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    let err = s
        .send(&message("nobody@fabrikam.example"), "refused-2")
        .await
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert_eq!(seen.messages.load(Ordering::SeqCst), 0);
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        2,
        "a failed conversation is closed"
    );

    let (port, _) = server(Script {
        rcpt: "452 too many recipients for now",
        ..Script::default()
    })
    .await;
    let err = sender(port, Security::Plain)
        .send(&message("guest@fabrikam.example"), "busy-1")
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
async fn starttls_required_but_not_offered_sends_nothing() {
    let (port, seen) = server(Script::default()).await;
    let mut settings_sender = sender(port, Security::StartTls);
    // The server's certificate is never looked at: it offers no STARTTLS at all.
    let err = settings_sender
        .send(&message("guest@fabrikam.example"), "tls-1")
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("STARTTLS"), "{err}");
    assert_eq!(
        seen.mails_from.load(Ordering::SeqCst),
        0,
        "no MAIL FROM in clear"
    );
    settings_sender = sender(port, Security::Plain);
    settings_sender
        .send(&message("guest@fabrikam.example"), "tls-2")
        .await
        .unwrap();
}

#[tokio::test]
async fn at_most_max_connections_are_open_at_once() {
    let (port, seen) = server(Script {
        hold: Duration::from_millis(50),
        ..Script::default()
    })
    .await;
    let s = sender(port, Security::Plain);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..(MAX_CONNECTIONS * 3) {
        let s = s.clone();
        set.spawn(async move {
            s.send(&message("guest@fabrikam.example"), &format!("cap-{i}"))
                .await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(seen.messages.load(Ordering::SeqCst), MAX_CONNECTIONS * 3);
    let most = seen.most_open.load(Ordering::SeqCst);
    assert!(most <= MAX_CONNECTIONS, "{most} connections at once");
    assert!(
        seen.connections.load(Ordering::SeqCst) <= MAX_CONNECTIONS,
        "connections are reused rather than reopened"
    );
}
