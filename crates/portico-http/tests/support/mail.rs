//! Reading the mail Portico queued: delivers the outbox into a folder and decodes the text
//! parts of each message (quoted-printable or base64), as a mail client would.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::browser::Fixture;
use base64::Engine as _;

/// A delivered message: its headers and its decoded text parts, joined.
pub(crate) struct Mail {
    pub(crate) headers: String,
    pub(crate) text: String,
}

impl Mail {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }
}

/// An outbox reader with its own folder.
pub(crate) struct Outbox {
    sender: portico_mail::Transport,
    dir: std::path::PathBuf,
    seen: std::collections::HashSet<std::path::PathBuf>,
}

impl Outbox {
    pub(crate) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("portico-outbox-{}", uuid::Uuid::new_v4()));
        Self {
            sender: portico_mail::Transport::Files(portico_mail::FileSender::new(dir.clone())),
            dir,
            seen: Default::default(),
        }
    }

    /// Delivers what is due and returns the messages not read before.
    pub(crate) async fn deliver(&mut self, f: &Fixture) -> Vec<Mail> {
        f.state.app.deliver_mail(&self.sender).await.unwrap();
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths {
            if self.seen.insert(p.clone()) {
                out.push(parse(&std::fs::read_to_string(&p).unwrap()));
            }
        }
        out
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn parse(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = raw.split_once("\n\n").unwrap();
    let mut text = String::new();
    // Each MIME part: headers, a blank line, the body up to the next boundary.
    for part in body.split("\n--") {
        let Some((h, b)) = part.split_once("\n\n") else {
            continue;
        };
        let h = h.to_ascii_lowercase();
        if !h.contains("content-type: text/") {
            continue;
        }
        let decoded = if h.contains("content-transfer-encoding: base64") {
            let joined: String = b.lines().map(str::trim).collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined.trim_end_matches('-'))
                    .unwrap_or_default(),
            )
            .unwrap_or_default()
        } else if h.contains("content-transfer-encoding: quoted-printable") {
            quoted_printable(b)
        } else {
            b.to_owned()
        };
        text.push_str(&decoded);
        text.push('\n');
    }
    Mail {
        headers: headers.to_owned(),
        text,
    }
}

fn quoted_printable(s: &str) -> String {
    let s = s.replace("=\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first run of exactly `n` digits in `text`.
pub(crate) fn digits(text: &str, n: usize) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == n)
        .map(str::to_owned)
}
