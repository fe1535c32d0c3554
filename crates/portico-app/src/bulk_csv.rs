//! Bulk invitation files, as Entra's "Bulk invite users" takes them: UTF-8 CSV whose header row
//! names the columns (`email` required; `displayName`, `redirectUrl`, `sendEmail`, `message`,
//! `language`; Graph's property names and the labels of Entra's template work too, as does its
//! `version:v1.0` first line). A file is checked whole before anything is invited; each error
//! names the line and says what to change. Used by the CLI (`portico invite --csv`) and the
//! portal's bulk invitation page; the rows are invited with [`crate::App::invite`] one by one.

use crate::bulk_invite::MAX_ROWS;
use portico_domain::invitation::{MessageInfo, NewInvitation};

/// Decodes an uploaded file: UTF-8 (a byte-order mark is dropped); UTF-16 and other
/// encodings are refused with what to do.
pub fn decode<'a>(bytes: &'a [u8], shown: &str) -> Result<&'a str, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "{shown} is UTF-16 text; save it as \"CSV UTF-8 (Comma delimited)\""
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "{shown} is not UTF-8 text (the first bad byte is at offset {}); save it as \"CSV UTF-8 (Comma delimited)\"",
            e.valid_up_to()
        )
    })
}

/// A column of the input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Email,
    DisplayName,
    RedirectUrl,
    SendEmail,
    Message,
    Language,
}

impl Column {
    const ALL: [Self; 6] = [
        Self::Email,
        Self::DisplayName,
        Self::RedirectUrl,
        Self::SendEmail,
        Self::Message,
        Self::Language,
    ];

    /// The name this command documents.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::DisplayName => "displayName",
            Self::RedirectUrl => "redirectUrl",
            Self::SendEmail => "sendEmail",
            Self::Message => "message",
            Self::Language => "language",
        }
    }

    /// Accepted headings, lower case and letters and digits only: ours, Graph's property
    /// names, and the labels and `[property]` names of Entra's bulk invite template.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Email => &[
                "email",
                "emailaddress",
                "emailaddresstoinvite",
                "inviteeemail",
                "inviteduseremailaddress",
            ],
            Self::DisplayName => &["displayname", "name", "inviteduserdisplayname"],
            Self::RedirectUrl => &["redirecturl", "redirectionurl", "inviteredirecturl"],
            Self::SendEmail => &[
                "sendemail",
                "sendinvitationmessage",
                "sendinvitationmessagetrueorfalse",
            ],
            Self::Message => &[
                "message",
                "invitationmessage",
                "customizedinvitationmessage",
                "customizedmessagebody",
            ],
            Self::Language => &["language", "messagelanguage"],
        }
    }

    /// The column a heading names: `displayName`, `Display Name`, or Entra's
    /// `Email address to invite [inviteeEmail] Required`.
    pub fn parse(heading: &str) -> Option<Self> {
        fn squash(s: &str) -> String {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        }
        let (label, property) = match heading.split_once('[') {
            Some((label, rest)) => (label, rest.split_once(']').map(|(p, _)| squash(p))),
            None => (heading, None),
        };
        let label = squash(label);
        let label = label.strip_suffix("required").unwrap_or(&label).to_owned();
        Self::ALL.into_iter().find(|c| {
            c.aliases()
                .iter()
                .any(|a| *a == label || property.as_deref() == Some(*a))
        })
    }
}

/// One data row, as written (trimmed; empty cells are `None`).
#[derive(Debug, Default, Clone)]
pub struct BulkRow {
    /// Line of the file where the row starts.
    pub line: u64,
    /// `email`.
    pub email: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `redirectUrl`.
    pub redirect_url: Option<String>,
    /// `sendEmail`.
    pub send_email: Option<String>,
    /// `message`.
    pub message: Option<String>,
    /// `language`.
    pub language: Option<String>,
}

impl BulkRow {
    fn set(&mut self, column: Column, value: &str) {
        let value = Some(value.to_owned());
        match column {
            Column::Email => self.email = value,
            Column::DisplayName => self.display_name = value,
            Column::RedirectUrl => self.redirect_url = value,
            Column::SendEmail => self.send_email = value,
            Column::Message => self.message = value,
            Column::Language => self.language = value,
        }
    }

    /// The invitation this row asks for, with the command line's defaults; or why there is none.
    pub fn invitation(
        &self,
        default_redirect: Option<&str>,
        default_send: bool,
    ) -> Result<NewInvitation, String> {
        let email = self
            .email
            .clone()
            .ok_or("email is empty: every row needs the address to invite")?;
        let redirect = self
            .redirect_url
            .as_deref()
            .or(default_redirect)
            .ok_or("no redirect URL: the row has no redirectUrl and no default was given")?;
        let send = match self.send_email.as_deref() {
            None => default_send,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => return Err(format!("sendEmail must be true or false, not '{v}'")),
        };
        Ok(NewInvitation {
            invited_user_email_address: email,
            invite_redirect_url: redirect.to_owned(),
            invited_user_display_name: self.display_name.clone(),
            send_invitation_message: send,
            message_info: MessageInfo {
                cc_recipients: Vec::new(),
                customized_message_body: self.message.clone(),
                message_language: self.language.clone(),
            },
            ..NewInvitation::default()
        })
    }
}

/// Parses the text of an input file named `shown`.
pub fn parse(text: &str, shown: &str) -> Result<Vec<BulkRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut columns: Option<Vec<Option<Column>>> = None;
    let mut first = true;
    let mut rows = Vec::new();
    let mut total = 0_usize;
    for record in reader.records() {
        let record = record.map_err(|e| format!("{shown}: {e}"))?;
        let line = record.position().map_or(0, csv::Position::line);
        let blank = record.iter().all(|f| f.trim().is_empty());
        let Some(cols) = &columns else {
            // Entra's template starts with a "version:v1.0" line before the headings.
            let version = record
                .get(0)
                .is_some_and(|f| f.trim().to_ascii_lowercase().starts_with("version:"))
                && record.iter().skip(1).all(|f| f.trim().is_empty());
            if !(blank || first && version) {
                columns = Some(header(&record, line, shown)?);
            }
            first = false;
            continue;
        };
        if blank {
            continue;
        }
        if record.len() > cols.len() {
            return Err(format!(
                "{shown} line {line} has {} fields but the header row has {}; quote values that contain commas (\"...\")",
                record.len(),
                cols.len()
            ));
        }
        total += 1;
        if total > MAX_ROWS {
            continue;
        }
        let mut row = BulkRow {
            line,
            ..BulkRow::default()
        };
        for (column, value) in cols.iter().zip(record.iter()) {
            let value = value.trim();
            if let Some(c) = column
                && !value.is_empty()
            {
                row.set(*c, value);
            }
        }
        rows.push(row);
    }
    if columns.is_none() {
        return Err(format!(
            "{shown} is empty: it needs a header row naming an email column, then one row per person"
        ));
    }
    if total > MAX_ROWS {
        return Err(format!(
            "{shown} has {total} rows; at most {MAX_ROWS} can be invited at once: split the file"
        ));
    }
    if rows.is_empty() {
        return Err(format!("{shown} has a header row but no one to invite"));
    }
    Ok(rows)
}

/// The columns a header row names (`None` for unnamed columns, whose cells are ignored).
fn header(
    record: &csv::StringRecord,
    line: u64,
    shown: &str,
) -> Result<Vec<Option<Column>>, String> {
    let known = Column::ALL.map(Column::name).join(", ");
    let mut columns = Vec::with_capacity(record.len());
    for heading in record {
        let heading = heading.trim();
        if heading.is_empty() {
            columns.push(None);
            continue;
        }
        let Some(column) = Column::parse(heading) else {
            let hint = if heading.contains('@') {
                format!("'{heading}' looks like an address: the first row must be a header row")
            } else if heading.contains([';', '\t']) {
                format!("unknown column '{heading}': separate columns with commas")
            } else {
                format!("unknown column '{heading}'")
            };
            return Err(format!(
                "{shown} line {line}: {hint}; the columns are {known} (or the headings of Entra's bulk invite template)"
            ));
        };
        if columns.contains(&Some(column)) {
            return Err(format!(
                "{shown} line {line}: the {} column appears twice",
                column.name()
            ));
        }
        columns.push(Some(column));
    }
    if !columns.contains(&Some(Column::Email)) {
        return Err(format!(
            "{shown} has no email column: its header row must name one (email, or Entra's \"Email address to invite\")"
        ));
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn headings_are_matched_loosely_and_entra_template_headings_work() {
        for (heading, column) in [
            ("email", Column::Email),
            ("EMAIL", Column::Email),
            ("Email address to invite", Column::Email),
            (
                "Email address to invite [inviteeEmail] Required",
                Column::Email,
            ),
            ("displayName", Column::DisplayName),
            ("Display name", Column::DisplayName),
            ("redirectUrl", Column::RedirectUrl),
            (
                "Redirection url [inviteRedirectURL] Required",
                Column::RedirectUrl,
            ),
            (
                "Send invitation message (true or false) [sendEmail]",
                Column::SendEmail,
            ),
            ("sendEmail", Column::SendEmail),
            (
                "Customized invitation message [customizedMessageBody]",
                Column::Message,
            ),
            ("language", Column::Language),
            ("messageLanguage", Column::Language),
        ] {
            assert_eq!(Column::parse(heading), Some(column), "{heading}");
        }
        assert_eq!(Column::parse("mail address"), None);
        assert_eq!(Column::parse("redirctUrl"), None);
    }

    #[test]
    fn the_entra_template_parses() {
        let text = "\u{feff}version:v1.0\nEmail address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] Required,Send invitation message (true or false) [sendEmail],Customized invitation message [customizedMessageBody]\n a@fabrikam.example ,https://myapps.example/,TRUE,\"Hello, partner\"\n,,,\nb@fabrikam.example\n";
        let rows = parse(text.trim_start_matches('\u{feff}'), "t.csv").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email.as_deref(), Some("a@fabrikam.example"));
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].message.as_deref(), Some("Hello, partner"));
        let inv = rows[0].invitation(None, false).unwrap();
        assert!(inv.send_invitation_message);
        assert_eq!(inv.invite_redirect_url, "https://myapps.example/");
        assert_eq!(rows[1].line, 5);
        assert!(
            rows[1]
                .invitation(None, false)
                .unwrap_err()
                .contains("redirect")
        );
        let inv = rows[1]
            .invitation(Some("https://default.example/"), true)
            .unwrap();
        assert_eq!(inv.invite_redirect_url, "https://default.example/");
        assert!(inv.send_invitation_message);
    }

    #[test]
    fn unusable_files_are_refused_whole() {
        for (text, says) in [
            ("", "empty"),
            (
                "name,redirectUrl\nAnn,https://x.example/\n",
                "no email column",
            ),
            ("email,email\na@b.example,c@d.example\n", "twice"),
            (
                "email,redirctUrl\na@b.example,https://x.example/\n",
                "redirctUrl",
            ),
            ("a@b.example\n", "header row"),
            ("email;displayName\na@b.example;A\n", "commas"),
            ("email\n", "no one to invite"),
            (
                "email,displayName\na@b.example,A,extra\n",
                "line 2 has 3 fields",
            ),
        ] {
            let e = parse(text, "t.csv").err().unwrap();
            assert!(e.contains(says), "{text:?}: {e}");
        }
        let mut big = String::from("email\n");
        for i in 0..=MAX_ROWS {
            big.push_str(&format!("u{i}@fabrikam.example\n"));
        }
        let e = parse(&big, "t.csv").err().unwrap();
        assert!(e.contains("10001 rows"), "{e}");
    }

    #[test]
    fn send_email_must_be_a_boolean() {
        let rows = parse("email,sendEmail\na@b.example,maybe\n", "t.csv").unwrap();
        assert!(
            rows[0]
                .invitation(Some("https://x.example/"), false)
                .unwrap_err()
                .contains("true or false")
        );
    }
}
