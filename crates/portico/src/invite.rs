//! `portico invite --csv FILE`: bulk B2B invitations, as Entra's "Bulk invite users".
//!
//! The file is read and checked whole before anything is invited: UTF-8 CSV, a header row that
//! names an email column and only known columns, at most
//! [`MAX_ROWS`](portico_app::bulk_invite::MAX_ROWS) rows. A file that fails those checks is a
//! usage error (exit 2). Then the run is opened in the audit log, each row is invited on its
//! own through `App::invite` (one row's failure never stops the others) and its outcome is
//! written to the results file at once, so an interrupted run still tells what it did; the
//! run is closed in the audit log with its counts.
//!
//! The results file holds each guest's redeem URL, a bearer secret, so it is created with
//! mode 0600 on Unix (and an existing file is narrowed to 0600 before anything is written).

use crate::admin;
use crate::cli::InviteArgs;
use crate::error::CliError;
use portico_app::bulk_invite::{BulkInviteOutcome, MAX_ROWS};
use portico_app::{App, Context};
use portico_domain::invitation::{MessageInfo, NewInvitation};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Largest input file read (10000 rows with long messages fit well within it).
const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// The actor the invitations are made (and audited) as.
const ACTOR: &str = "portico invite --csv";

/// The columns of the results file.
const RESULT_COLUMNS: [&str; 5] = ["email", "status", "userId", "inviteRedeemUrl", "error"];

/// A column of the input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
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
    fn name(self) -> &'static str {
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
    fn parse(heading: &str) -> Option<Self> {
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
#[derive(Debug, Default)]
struct Row {
    /// Line of the file where the row starts.
    line: u64,
    email: Option<String>,
    display_name: Option<String>,
    redirect_url: Option<String>,
    send_email: Option<String>,
    message: Option<String>,
    language: Option<String>,
}

impl Row {
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
    fn invitation(
        &self,
        default_redirect: Option<&str>,
        default_send: bool,
    ) -> Result<NewInvitation, String> {
        let email = self
            .email
            .clone()
            .ok_or("email is empty: every row needs the address to invite")?;
        let redirect = self.redirect_url.as_deref().or(default_redirect).ok_or(
            "no redirect URL: the row has no redirectUrl and --redirect-url was not given",
        )?;
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

/// `portico invite --csv FILE ...`
pub async fn invite_cmd(app: &App, args: InviteArgs) -> Result<(), CliError> {
    let InviteArgs {
        tenant,
        csv,
        output,
        redirect_url,
        send_email,
    } = args;
    let rows = read_rows(&csv)?;
    if let Some(url) = &redirect_url {
        portico_domain::validate::absolute_url("--redirect-url", url, false)
            .map_err(|e| CliError::usage(e.to_string()))?;
    }
    let t = admin::tenant(app, &tenant).await?;
    let output = output_path(&csv, output)?;
    let mut results = Results::create(&output)?;
    let ctx = Context::system(ACTOR);
    let source = csv.file_name().map_or_else(
        || csv.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bulk = match app.start_bulk_invite(&ctx, t.id, &source, rows.len()).await {
        Ok(b) => b,
        Err(e) => {
            // Nothing was invited: leave no results file behind.
            drop(results);
            let _ = std::fs::remove_file(&output);
            return Err(e.into());
        }
    };

    let (mut invited, mut failed) = (0_usize, 0_usize);
    // Addresses invited by this run (lower case) and their lines: inviting one again would
    // replace the first invitation and so void the redeem URL already written for it.
    let mut done: HashMap<String, u64> = HashMap::new();
    let mut stopped = None;
    for row in &rows {
        let email = row.email.as_deref().unwrap_or_default();
        let key = email.to_lowercase();
        let outcome = match row.invitation(redirect_url.as_deref(), send_email) {
            Err(why) => Err(why),
            Ok(_) if done.contains_key(&key) => Err(format!(
                "{email} is also on line {} of this file, where it was invited; an address is invited once per file",
                done.get(&key).copied().unwrap_or_default()
            )),
            Ok(new) => match app.invite(&ctx, t.id, new).await {
                Ok(inv) => {
                    done.insert(key, row.line);
                    Ok(inv)
                }
                Err(e) => Err(e.to_string()),
            },
        };
        let written = match &outcome {
            Ok(inv) => {
                invited += 1;
                results.write([
                    email,
                    "invited",
                    &inv.user.id.to_string(),
                    &inv.redeem_url,
                    "",
                ])
            }
            Err(why) => {
                failed += 1;
                results.write([email, "failed", "", "", why])
            }
        };
        if let Err(e) = written {
            stopped = Some(format!(
                "cannot write the results file {} at line {} of {}: {e}",
                output.display(),
                row.line,
                csv.display()
            ));
            break;
        }
    }

    let finished = app
        .finish_bulk_invite(
            &ctx,
            t.id,
            &bulk,
            BulkInviteOutcome {
                invited,
                failed,
                stopped: stopped.as_deref(),
            },
        )
        .await;
    out!(
        "invited {invited}, failed {failed}, results in {}",
        output.display()
    );
    if let Some(why) = stopped {
        return Err(CliError::runtime(format!(
            "{why}; stopped after {} of {} rows",
            invited + failed,
            rows.len()
        )));
    }
    if let Err(e) = finished {
        return Err(CliError::runtime(format!(
            "the invitations were made, but the end of the bulk operation could not be audited: {e}"
        )));
    }
    if failed > 0 {
        return Err(CliError::runtime(format!(
            "{failed} of {} rows failed; the error column of {} says why",
            rows.len(),
            output.display()
        )));
    }
    Ok(())
}

/// Reads and checks the whole input file: every way it can be unusable is a usage error.
fn read_rows(path: &Path) -> Result<Vec<Row>, CliError> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::usage(format!("cannot read {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(CliError::usage(format!("{shown} is not a file")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(CliError::usage(format!(
            "{shown} is {} MiB; a bulk invitation file may hold at most {} MiB and {MAX_ROWS} rows: split it",
            meta.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| CliError::usage(format!("cannot read {shown}: {e}")))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(CliError::usage(format!(
            "{shown} is UTF-16 text; save it as \"CSV UTF-8 (Comma delimited)\""
        )));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        CliError::usage(format!(
            "{shown} is not UTF-8 text (the first bad byte is at offset {}); save it as \"CSV UTF-8 (Comma delimited)\"",
            e.valid_up_to()
        ))
    })?;
    parse(text, &shown.to_string())
}

/// Parses the text of an input file named `shown`.
fn parse(text: &str, shown: &str) -> Result<Vec<Row>, CliError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut columns: Option<Vec<Option<Column>>> = None;
    let mut first = true;
    let mut rows = Vec::new();
    let mut total = 0_usize;
    for record in reader.records() {
        let record = record.map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
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
            return Err(CliError::usage(format!(
                "{shown} line {line} has {} fields but the header row has {}; quote values that contain commas (\"...\")",
                record.len(),
                cols.len()
            )));
        }
        total += 1;
        if total > MAX_ROWS {
            continue;
        }
        let mut row = Row {
            line,
            ..Row::default()
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
        return Err(CliError::usage(format!(
            "{shown} is empty: it needs a header row naming an email column, then one row per person"
        )));
    }
    if total > MAX_ROWS {
        return Err(CliError::usage(format!(
            "{shown} has {total} rows; at most {MAX_ROWS} can be invited at once: split the file"
        )));
    }
    if rows.is_empty() {
        return Err(CliError::usage(format!(
            "{shown} has a header row but no one to invite"
        )));
    }
    Ok(rows)
}

/// The columns a header row names (`None` for unnamed columns, whose cells are ignored).
fn header(
    record: &csv::StringRecord,
    line: u64,
    shown: &str,
) -> Result<Vec<Option<Column>>, CliError> {
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
            return Err(CliError::usage(format!(
                "{shown} line {line}: {hint}; the columns are {known} (or the headings of Entra's bulk invite template)"
            )));
        };
        if columns.contains(&Some(column)) {
            return Err(CliError::usage(format!(
                "{shown} line {line}: the {} column appears twice",
                column.name()
            )));
        }
        columns.push(Some(column));
    }
    if !columns.contains(&Some(Column::Email)) {
        return Err(CliError::usage(format!(
            "{shown} has no email column: its header row must name one (email, or Entra's \"Email address to invite\")"
        )));
    }
    Ok(columns)
}

/// `--output`, or `<FILE stem>.results.csv` next to FILE; never FILE itself.
fn output_path(input: &Path, output: Option<PathBuf>) -> Result<PathBuf, CliError> {
    let path = output.unwrap_or_else(|| {
        let stem = input
            .file_stem()
            .map_or_else(|| "invitations".into(), |s| s.to_string_lossy());
        input.with_file_name(format!("{stem}.results.csv"))
    });
    let same = match (std::fs::canonicalize(input), std::fs::canonicalize(&path)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(CliError::usage(format!(
            "--output {} is the input file; choose another results file",
            path.display()
        )));
    }
    Ok(path)
}

/// The results file, written and flushed row by row.
struct Results {
    writer: csv::Writer<std::fs::File>,
}

impl Results {
    /// Creates (or truncates) the file readable by its owner only, and writes the header row.
    fn create(path: &Path) -> Result<Self, CliError> {
        let cannot = |e: &dyn std::fmt::Display| {
            CliError::usage(format!(
                "cannot create the results file {}: {e}; choose another with --output",
                path.display()
            ))
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(|e| cannot(&e))?;
        // An existing file keeps its mode when opened: narrow it before writing any secret.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| cannot(&e))?;
        }
        let mut results = Self {
            writer: csv::Writer::from_writer(file),
        };
        results.write(RESULT_COLUMNS).map_err(|e| cannot(&e))?;
        Ok(results)
    }

    /// Writes one row and flushes it to the file.
    fn write(&mut self, fields: [&str; 5]) -> Result<(), std::io::Error> {
        self.writer.write_record(fields)?;
        self.writer.flush()
    }
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
            assert_eq!(e.code, 2);
            assert!(e.message.contains(says), "{text:?}: {}", e.message);
        }
        let mut big = String::from("email\n");
        for i in 0..=MAX_ROWS {
            big.push_str(&format!("u{i}@fabrikam.example\n"));
        }
        let e = parse(&big, "t.csv").err().unwrap();
        assert!(e.message.contains("10001 rows"), "{}", e.message);
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
