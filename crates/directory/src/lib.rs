//! The national directory of santepki.
//!
//! - [`formats`]: the public open-data files a real deployment imports (FINESS etalab
//!   establishments and legal entities, RPPS `PS_LibreAcces_Personne_activite`, CPx cards), their
//!   columns and how to recognise them;
//! - [`reader`]: a streaming, encoding-aware record reader that reports every bad line with its
//!   number instead of failing;
//! - [`import`]: import of those files into storage, in transactional batches, updating what
//!   changed and closing what disappeared;
//! - [`runs`]: import runs left `running` by a killed process are marked `abandoned`, and the
//!   indexes a killed first load dropped are rebuilt;
//! - [`generate`]: deterministic synthetic files in exactly those formats, from demo size to
//!   national scale, always containing the cases of the seed documents;
//! - [`search`]: look-ups like annuaire.sante.fr (R45) by RPPS, idNat_PS, card number, FINESS,
//!   SIRET, RPPS rang or name prefix.

pub mod formats;
pub mod generate;
pub mod import;
pub mod normalize;
pub mod reader;
pub mod runs;
pub mod search;

pub use import::{import_file, ImportError, ImportOptions, ImportReport};
pub use search::{SearchError, SearchResult};
