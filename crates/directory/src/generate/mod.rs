//! Deterministic synthetic directory files, in exactly the formats of [`crate::formats`], from a
//! handful of lines to national scale, always containing the cases of the seed documents
//! ([`seed_cases`]).
//!
//! Why synthetic files: the real extracts are large, change every day and name real people; the
//! demo, the tests and load tests need files that import cleanly, exercise every rule the seeds
//! describe (R10–R18, R43–R46) and are byte-identical for the same options.
//!
//! How it stays fast and small at national scale:
//! - a small *plan* is computed first (for each establishment: its legal entity, kind,
//!   département and FINESS sequence — a few bytes each);
//! - every record is then a pure function of `(seed, kind of record, index)`: each one draws from
//!   its own ChaCha8 stream ([`ChaCha8Rng::set_stream`]), so a situation line can rebuild the
//!   establishment it refers to instead of keeping 100,000 establishments in memory, and adding a
//!   record never shifts the random draws of the others;
//! - lines are streamed to buffered files.
//!
//! Identifiers are built from sequences, never drawn at random, so they are unique by construction
//! and all carry their right Luhn key: FINESS from département + sequence (seed cases use the
//! sequence range `0xxxxx`, generated ones `1xxxxx` and above), RPPS from `10…` (never the `997`
//! test range), SIREN/SIRET from disjoint sequences.
//!
//! Codes and labels: the sector codes are the domain's ([`Sector`]); profession, FINESS category
//! codes named by the seeds and REFERENCE.md are exact. Other nomenclature values (aggregated
//! categories, legal status codes, savoir-faire codes, function codes `FON-nn`) are plausible
//! values chosen by this project: the importer stores their labels but gives them no meaning.
//!
//! [`Sector`]: santepki_domain::Sector

mod activities;
mod categories;
mod finess;
mod names;
mod plan;
mod professionals;
mod professions;
pub mod seed_cases;
mod seed_professionals;
mod seeds;
mod structures;
mod tables;
mod writers;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use santepki_domain::IdError;
use serde::Serialize;

use plan::Plan;
use seeds::Seeds;
use tables::Tables;

// =============================================================================================
// Public API
// =============================================================================================

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// About 400 legal entities, 700 establishments and 5,000 situation lines.
    Demo,
    /// About 60,000 legal entities, 100,000 establishments and 1.3 million situation lines, like
    /// the real national extracts.
    National,
    /// Explicit sizes.
    Custom {
        /// FINESS legal entities (EJ).
        legal_entities: usize,
        /// FINESS establishments (EG).
        establishments: usize,
        /// Approximate number of RPPS activity lines.
        situations: usize,
    },
}

impl Scale {
    /// A tiny directory for fast tests.
    pub const SMALL: Scale = Scale::Custom { legal_entities: 30, establishments: 50, situations: 300 };

    /// `demo`, `national` or `small` (tiny, for fast tests).
    pub fn parse(s: &str) -> Option<Scale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "demo" => Some(Scale::Demo),
            "national" => Some(Scale::National),
            "small" => Some(Scale::SMALL),
            _ => None,
        }
    }

    /// Generated counts, seed cases not included.
    fn sizes(self) -> Sizes {
        let (legal_entities, establishments, situations) = match self {
            Scale::Demo => (400, 700, 5_000),
            Scale::National => (60_000, 100_000, 1_300_000),
            Scale::Custom { legal_entities, establishments, situations } => {
                (legal_entities, establishments, situations)
            }
        };
        // Professionals have 1–4 situations, 2.15 on average (SITUATION_COUNTS).
        let professionals = (situations * 100).div_ceil(215);
        Sizes { legal_entities, establishments, professionals }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// The same seed (with the same scale and date) gives byte-identical files.
    pub seed: u64,
    /// How many records to generate.
    pub scale: Scale,
    /// The date the files are dated: their names, header lines and the validity of cards. Not
    /// today by default, so that the output is deterministic.
    pub date: NaiveDate,
}

/// The default generation date, fixed so that the output is deterministic.
const DEFAULT_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 1) {
    Some(date) => date,
    None => panic!("2026-11-01 is a date"),
};

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { seed: 1, scale: Scale::Demo, date: DEFAULT_DATE }
    }
}

/// The files written and what they hold.
#[derive(Debug, Clone)]
pub struct GeneratedFiles {
    /// The FINESS legal entities file (`etalab-cs1100501-stock-<date>.csv`).
    pub legal_entities: PathBuf,
    /// The FINESS establishments file (`etalab-cs1100502-stock-<date>.csv`).
    pub establishments: PathBuf,
    /// The RPPS activities file (`PS_LibreAcces_Personne_activite_<timestamp>.txt`).
    pub activities: PathBuf,
    /// The CPx cards file (`Cartes_CPx_<timestamp>.txt`).
    pub cards: PathBuf,
    /// How many records each file holds.
    pub counts: GeneratedCounts,
}

/// Record counts of the generated files (seed cases included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GeneratedCounts {
    /// `structureej` records.
    pub legal_entities: u64,
    /// `structureet` records.
    pub establishments: u64,
    /// Distinct professionals.
    pub professionals: u64,
    /// Lines of the RPPS activities file, one per exercise situation.
    pub situation_lines: u64,
    /// Lines of the cards file, one per card.
    pub cards: u64,
}

impl GeneratedFiles {
    /// Files in the order they must be imported (EJ, EG, activities, cards): establishments refer
    /// to legal entities, situations to establishments, cards to professionals.
    pub fn in_import_order(&self) -> [&Path; 4] {
        [&self.legal_entities, &self.establishments, &self.activities, &self.cards]
    }
}

/// Writes the four files into `dir` (created if missing), overwriting files of the same names.
pub fn generate(dir: &Path, opts: &GenerateOptions) -> io::Result<GeneratedFiles> {
    fs::create_dir_all(dir)?;
    let generator = Generator::new(opts)?;
    let day = opts.date.format("%Y-%m-%d").to_string();
    let stamp = opts.date.format("%Y%m%d0000").to_string();
    let files = GeneratedFiles {
        legal_entities: dir.join(format!("etalab-cs1100501-stock-{day}.csv")),
        establishments: dir.join(format!("etalab-cs1100502-stock-{day}.csv")),
        activities: dir.join(format!("PS_LibreAcces_Personne_activite_{stamp}.txt")),
        cards: dir.join(format!("Cartes_CPx_{stamp}.txt")),
        counts: GeneratedCounts::default(),
    };
    let mut counts = GeneratedCounts {
        legal_entities: generator.write_legal_entities(&files.legal_entities)?,
        establishments: generator.write_establishments(&files.establishments)?,
        ..Default::default()
    };
    generator.write_professionals(&files.activities, &files.cards, &mut counts)?;
    Ok(GeneratedFiles { counts, ..files })
}

// =============================================================================================
// The generator
// =============================================================================================

/// Generated record counts, seed cases not included.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    legal_entities: usize,
    establishments: usize,
    professionals: usize,
}

/// The independent random streams: each record draws from `(stream, index)` only.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Plan = 1,
    LegalEntity = 2,
    Establishment = 3,
    Geolocation = 4,
    Professional = 5,
    SiretPractice = 6,
}

struct Generator {
    date: NaiveDate,
    base: ChaCha8Rng,
    tables: Tables,
    plan: Plan,
    sizes: Sizes,
    seeds: Seeds,
}

impl Generator {
    fn new(opts: &GenerateOptions) -> io::Result<Generator> {
        let base = ChaCha8Rng::seed_from_u64(opts.seed);
        let tables = Tables::new();
        let sizes = opts.scale.sizes();
        let plan = Plan::build(sizes, &tables, &mut stream_rng(&base, Stream::Plan, 0))?;
        let seeds = Seeds::new(&tables, opts.date)?;
        Ok(Generator { date: opts.date, base, tables, plan, sizes, seeds })
    }

    fn rng(&self, stream: Stream, index: usize) -> ChaCha8Rng {
        stream_rng(&self.base, stream, index as u64)
    }

    /// A date between `from` and `to` (inclusive).
    fn date_between(r: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(0);
        from + Duration::days(r.gen_range(0..=span))
    }
}

fn stream_rng(base: &ChaCha8Rng, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut r = base.clone();
    r.set_stream(((stream as u64) << 56) | index);
    r
}

fn id_error(e: IdError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

fn too_large(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("scale too large: {what}"))
}

fn pick<T: Copy>(r: &mut ChaCha8Rng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut n = r.gen_range(0..total.max(1));
    for (v, w) in weighted {
        if n < *w {
            return *v;
        }
        n -= w;
    }
    weighted[0].0
}

fn choose<'a>(r: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[r.gen_range(0..list.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales() {
        assert_eq!(Scale::parse("Demo"), Some(Scale::Demo));
        assert_eq!(Scale::parse("national"), Some(Scale::National));
        assert_eq!(Scale::parse("small"), Some(Scale::SMALL));
        assert_eq!(Scale::parse("huge"), None);
        assert_eq!(Scale::National.sizes().professionals, 604_652);
    }
}
