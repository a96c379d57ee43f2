//! The log as C2SP `tlog-tiles`: `checkpoint`, hash tiles `tile/<L>/<N>[.p/<W>]` and entry
//! bundles `tile/entries/<N>[.p/<W>]`, so that a mirror or an auditor fetches the tree with
//! standard tooling. Only what the latest checkpoint covers is served: tiles are immutable once
//! served.

use santepki_storage::audit::log as store;
use santepki_storage::Db;
use tlog_tiles::tile::Tile;

use crate::reader::{with_stored_hashes, Source};
use crate::{leaf, AuditError};

/// The tile height of C2SP tlog-tiles (256 hashes per tile).
const HEIGHT: u8 = 8;

/// What a tile request gets.
#[derive(Debug)]
pub enum TileAnswer {
    /// The tile's bytes.
    Tile(Vec<u8>),
    /// Not a tile path.
    BadPath,
    /// Beyond the latest checkpoint (not published yet).
    NotFound,
}

/// Whether `path` (after the log's prefix, e.g. `tile/0/x001/234.p/7`) names entries.
pub fn is_entries(path: &str) -> bool {
    path.starts_with("tile/entries/")
}

/// The tile at `path` (after the log's prefix).
pub async fn read(db: &Db, path: &str) -> Result<TileAnswer, AuditError> {
    // tlog_tiles parses Go's sumdb paths, which also name the height: C2SP's omit it (always 8)
    // and call the data tiles `entries`.
    let Some(rest) = path.strip_prefix("tile/") else { return Ok(TileAnswer::BadPath) };
    let sumdb = match rest.strip_prefix("entries/") {
        Some(n) => format!("tile/{HEIGHT}/data/{n}"),
        None => format!("tile/{HEIGHT}/{rest}"),
    };
    let Ok(tile) = Tile::from_path(&sumdb) else { return Ok(TileAnswer::BadPath) };
    let size = match store::latest_checkpoint(db.pool()).await? {
        Some(c) => c.tree_size as u64,
        None => return Ok(TileAnswer::NotFound),
    };
    // The leaves the tile covers end at (N·256 + W)·256^L, which the checkpoint must include.
    let end = tile
        .level_index()
        .saturating_mul(256)
        .saturating_add(u64::from(tile.width()))
        .saturating_mul(1u64.checked_shl(8 * u32::from(tile.level())).unwrap_or(u64::MAX));
    if end > size {
        return Ok(TileAnswer::NotFound);
    }
    if tile.is_data() {
        let first = tile.level_index().saturating_mul(256);
        let events = store::events_from_leaf(db.pool(), first, i64::from(tile.width())).await?;
        let mut bundle = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if e.leaf_index != Some((first + i as u64) as i64) {
                return Ok(TileAnswer::NotFound);
            }
            let data = leaf::bytes(e);
            let Ok(len) = u16::try_from(data.len()) else {
                return Err(AuditError::Checkpoint(format!("event {} is over 65535 bytes", e.id)));
            };
            bundle.extend_from_slice(&len.to_be_bytes());
            bundle.extend_from_slice(&data);
        }
        if events.len() != tile.width() as usize {
            return Ok(TileAnswer::NotFound);
        }
        return Ok(TileAnswer::Tile(bundle));
    }
    Ok(TileAnswer::Tile(with_stored_hashes(Source::Db(db), |r| tile.read_data(r)).await?))
}
