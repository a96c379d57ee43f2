pub mod ca;
pub mod card;
pub mod demo;
pub mod directory;
pub mod serve;

use std::path::PathBuf;

use anyhow::{Context, Result};
use santepki_storage::{redact_url, Db};

use crate::config::{self, Loaded};

/// Loads the configuration and opens (and migrates) the database.
pub async fn open(config_file: Option<PathBuf>) -> Result<(Loaded, Db)> {
    let loaded = config::load(config::discover(config_file.as_deref()))?;
    let url = loaded.database_url();
    let db = Db::connect(&url).await.with_context(|| format!("opening the database {}", redact_url(&url)))?;
    Ok((loaded, db))
}
