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
use portico_app::bulk_csv::{BulkRow, decode, parse};
use portico_app::bulk_invite::{BulkInviteOutcome, InvitedInRun, MAX_ROWS, RESULT_COLUMNS};
use portico_app::{App, Context};
use std::path::{Path, PathBuf};

/// Largest input file read (10000 rows with long messages fit well within it).
const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// The actor the invitations are made (and audited) as.
const ACTOR: &str = "portico invite --csv";

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
    let mut done = InvitedInRun::new();
    let mut stopped = None;
    for row in &rows {
        let email = row.email.as_deref().unwrap_or_default();
        let outcome = app
            .invite_bulk_row(
                &ctx,
                t.id,
                row,
                (redirect_url.as_deref(), send_email),
                &mut done,
            )
            .await;
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
fn read_rows(path: &Path) -> Result<Vec<BulkRow>, CliError> {
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
    let shown = shown.to_string();
    let text = decode(&bytes, &shown).map_err(CliError::usage)?;
    parse(text, &shown).map_err(CliError::usage)
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
