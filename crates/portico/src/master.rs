//! The master key that seals signing keys at rest: from `master_key` (config or
//! `PORTICO_MASTER_KEY`), or else a key file in the data directory, created on first use with
//! permissions 0600. Several replicas must share the same key: give it to each in `master_key`.

use crate::error::CliError;
use crate::settings::Validated;
use portico_crypto::master::MasterKey;
use std::io::Write;
use std::path::Path;

/// File name of the generated key in the data directory.
pub const KEY_FILE: &str = "master.key";

/// Loads (or on first use creates) the master key.
pub fn load(v: &Validated) -> Result<MasterKey, CliError> {
    if let Some(text) = &v.master_key {
        return MasterKey::from_base64(&text.0)
            .map_err(|e| CliError::usage(format!("master_key: {e}")));
    }
    let path = v.data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => MasterKey::from_base64(&text)
            .map_err(|e| CliError::runtime(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(&path, &v.data_dir),
        Err(e) => Err(CliError::runtime(format!(
            "cannot read the master key file {}: {e}",
            path.display()
        ))),
    }
}

fn create(path: &Path, dir: &Path) -> Result<MasterKey, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::runtime(format!(
            "cannot create data directory {}: {e}; choose another with --data-dir",
            dir.display()
        ))
    })?;
    let (key, text) = MasterKey::generate().map_err(|e| CliError::runtime(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| {
                    CliError::runtime(format!(
                        "cannot write the master key file {}: {e}",
                        path.display()
                    ))
                })?;
            tracing::info!(path = %path.display(), fingerprint = key.fingerprint(), "created a master key; back it up: signing keys cannot be opened without it");
            Ok(key)
        }
        // Another process created it between our read and our create: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::runtime(format!(
                    "cannot read the master key file {}: {e}",
                    path.display()
                ))
            })?;
            MasterKey::from_base64(&text)
                .map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))
        }
        Err(e) => Err(CliError::runtime(format!(
            "cannot create the master key file {}: {e}",
            path.display()
        ))),
    }
}
