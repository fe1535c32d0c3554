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
    if path.exists() {
        read(&path)
    } else {
        create(&path, &v.data_dir)
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
    // Written to a private temporary file, synced, then linked into place: a crash or a
    // concurrent start never leaves an empty or partial key file behind.
    let temp = dir.join(format!(".{KEY_FILE}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&temp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    let linked = write().and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), fingerprint = key.fingerprint(), "created a master key; back it up: signing keys cannot be opened without it");
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(CliError::runtime(format!(
            "cannot create the master key file {}: {e}",
            path.display()
        ))),
    }
}

fn read(path: &Path) -> Result<MasterKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::runtime(format!(
            "cannot read the master key file {}: {e}",
            path.display()
        ))
    })?;
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the master key file is readable by other users; restrict it with chmod 600");
        }
    }
    MasterKey::from_base64(&text).map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))
}
