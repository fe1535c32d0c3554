//! Delivery into a directory: each message becomes `{message_id}.eml` (RFC 5322, as an SMTP
//! server would receive it), for development and tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::message::Message;
use crate::transport::{SendError, build};

/// Writes each message to `{dir}/{message_id}.eml`. The file appears whole or not at all
/// (written to a temporary file, then renamed); a file already there means the message was
/// sent before, and sending it again succeeds without writing.
#[derive(Clone, Debug)]
pub struct FileSender {
    dir: PathBuf,
}

impl FileSender {
    /// A sender writing into `dir`, created on first use.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory messages are written to.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a message id is written to.
    #[must_use]
    pub fn path_for(&self, message_id: &str) -> PathBuf {
        self.dir.join(format!("{message_id}.eml"))
    }

    /// Writes `msg` as `{message_id}.eml` with `Message-ID: <{message_id}@portico>`.
    ///
    /// # Errors
    /// [`SendError::Permanent`] for an invalid id, a missing sender or an invalid address;
    /// [`SendError::Transient`] when the file cannot be written (the directory missing and not
    /// creatable, a full disk).
    pub async fn send(&self, msg: &Message, message_id: &str) -> Result<(), SendError> {
        let email = build(msg, message_id, None, None)?;
        let bytes = email.formatted();
        let dir = self.dir.clone();
        let target = self.path_for(message_id);
        let temp = dir.join(format!(
            ".{message_id}.{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let written = tokio::task::spawn_blocking(move || write_once(&dir, &temp, &target, &bytes))
            .await
            .map_err(|e| SendError::Transient(format!("the mail writer failed: {e}")))?;
        match written {
            Ok(true) => tracing::debug!(message_id, "mail written"),
            Ok(false) => tracing::debug!(message_id, "mail already written"),
            Err(e) => {
                return Err(SendError::Transient(format!(
                    "cannot write mail into {}: {e}",
                    self.dir.display()
                )));
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `target` through `temp` unless `target` exists. `Ok(false)` when it did.
fn write_once(dir: &Path, temp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if target.try_exists()? {
        return Ok(false);
    }
    std::fs::create_dir_all(dir)?;
    let result = (|| {
        let mut file = std::fs::File::create_new(temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(temp, target)
    })();
    if result.is_err() {
        // Best effort: the temporary file is hidden and never read, only untidy.
        let _ = std::fs::remove_file(temp);
    }
    result.map(|()| true)
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
