pub mod audit;
pub mod backup;
pub mod ca;
pub mod card;
pub mod demo;
pub mod directory;
pub mod serve;
pub mod verify;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use santepki_storage::{redact_url, Db};

use crate::config::{self, Loaded};

/// Loads the configuration and opens (and migrates) the database.
pub async fn open(config_file: Option<PathBuf>) -> Result<(Loaded, Db)> {
    let loaded = config::load(config::discover(config_file.as_deref()))?;
    let url = loaded.database_url();
    let read_url = loaded.config.database.read_url.clone();
    let db = Db::connect_with_reader(&url, read_url.as_deref())
        .await
        .with_context(|| format!("opening the database {}", redact_url(&url)))?;
    Ok((loaded, db))
}

/// Creates `dir` (and its missing parents) as a folder only its owner can enter, whatever the umask, and narrows it
/// to 0700 if it exists already: for folders that hold secrets (the demo folder with its configuration, key and card
/// folders, the TLS key).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        // The mode only removes bits from what the umask allows, so 0700 stays 0700 even under umask 000.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private", dir.display()))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(())
}
