//! Tests of the file transport: a parseable `.eml`, idempotence, failures.

use super::*;
use crate::lang::Lang;
use crate::mails::OtpMail;
use crate::transport::Transport;

fn otp_message(code: &str) -> Message {
    let rendered = OtpMail {
        lang: Lang::DeDe,
        org_name: "Contoso Ltd".into(),
        code: code.into(),
        minutes_valid: 10,
        brand_color: None,
        logo_url: None,
    }
    .render()
    .unwrap();
    Message::new(
        "Contoso via Portico <invites@portico.local>",
        "Jörg Guest <guest@fabrikam.example>",
        rendered,
    )
}

/// A parsed message: unfolded headers (lowercased names) and the body.
struct Parsed {
    headers: Vec<(String, String)>,
    body: String,
}

impl Parsed {
    fn parse(raw: &str) -> Parsed {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        Parsed {
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> &str {
        let found: Vec<_> = self.headers.iter().filter(|(n, _)| n == name).collect();
        assert_eq!(found.len(), 1, "header {name} in {:?}", self.headers);
        &found[0].1
    }

    /// The decoded body of a single part.
    fn decoded(&self) -> String {
        match self.header("content-transfer-encoding") {
            "quoted-printable" => decode_qp(&self.body),
            "7bit" | "8bit" => self.body.clone(),
            other => panic!("unexpected encoding {other}"),
        }
    }
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let mut bytes = Vec::new();
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b == b'=' {
            let hex = [it.next().unwrap(), it.next().unwrap()];
            let hex = std::str::from_utf8(&hex).unwrap();
            bytes.push(u8::from_str_radix(hex, 16).unwrap());
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn a_message_is_written_as_a_parseable_eml_file() {
    let dir = tempfile::tempdir().unwrap();
    let sender = Transport::Files(FileSender::new(dir.path().join("outbox")));
    sender
        .send(&otp_message("482913"), "otp-0f8fad5b")
        .await
        .unwrap();

    let path = dir.path().join("outbox").join("otp-0f8fad5b.eml");
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(
        raw.is_ascii(),
        "headers and bodies are encoded for transport"
    );
    let mail = Parsed::parse(&raw);
    assert_eq!(mail.header("message-id"), "<otp-0f8fad5b@portico>");
    let from = mail.header("from");
    assert!(from.contains("Contoso via Portico"), "{from}");
    assert!(from.ends_with("<invites@portico.local>"), "{from}");
    assert!(mail.header("to").ends_with("<guest@fabrikam.example>"));
    assert!(
        !mail.header("to").contains('ö'),
        "non-ASCII names are encoded"
    );
    assert!(
        mail.header("subject").starts_with("=?utf-8?"),
        "{}",
        mail.header("subject")
    );
    assert_eq!(mail.header("mime-version"), "1.0");
    assert!(!mail.header("date").is_empty());

    let content_type = mail.header("content-type");
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let closing = format!("--{boundary}--");
    assert!(mail.body.contains(&closing));
    let parts: Vec<Parsed> = mail
        .body
        .split(&format!("--{boundary}"))
        .map(|p| p.trim_start_matches("\r\n"))
        .filter(|p| !p.trim().is_empty() && !p.starts_with("--"))
        .map(Parsed::parse)
        .collect();
    assert_eq!(parts.len(), 2);
    assert!(parts[0].header("content-type").starts_with("text/plain"));
    assert!(parts[1].header("content-type").starts_with("text/html"));
    let text = parts[0].decoded();
    let html = parts[1].decoded();
    assert!(
        text.contains("Ihr Bestätigungscode lautet: 482913"),
        "{text}"
    );
    assert!(html.contains("482913"), "{html}");
    assert!(html.contains("<html lang=\"de-DE\">"), "{html}");
}

#[tokio::test]
async fn sending_again_keeps_the_first_file_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let sender = FileSender::new(dir.path());
    sender.send(&otp_message("111111"), "m-1").await.unwrap();
    let first = std::fs::read(sender.path_for("m-1")).unwrap();
    sender.send(&otp_message("222222"), "m-1").await.unwrap();
    assert_eq!(std::fs::read(sender.path_for("m-1")).unwrap(), first);

    sender.send(&otp_message("333333"), "m-2").await.unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["m-1.eml", "m-2.eml"]);
}

#[tokio::test]
async fn an_invalid_id_or_address_is_permanent_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sender = FileSender::new(dir.path());
    let err = sender
        .send(&otp_message("1"), "../escape")
        .await
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    let mut bad = otp_message("1");
    bad.to = "not an address".into();
    assert!(!sender.send(&bad, "m-3").await.unwrap_err().is_transient());
    let mut no_sender = otp_message("1");
    no_sender.from = String::new();
    assert!(
        !sender
            .send(&no_sender, "m-4")
            .await
            .unwrap_err()
            .is_transient()
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn an_unwritable_directory_is_transient() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let sender = FileSender::new(blocker.join("outbox"));
    let err = sender.send(&otp_message("1"), "m-5").await.unwrap_err();
    assert!(err.is_transient(), "{err}");
}
