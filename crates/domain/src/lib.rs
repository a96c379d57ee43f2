//! The santepki domain model.
//!
//! This crate has no I/O: it holds the national identifiers of the French health system (each one
//! validates itself and explains precisely why a value is refused), and the directory model built
//! on them: legal entities and geographic establishments, practices, sectors of activity,
//! professionals with their exercise situations, and their CPx cards.
//!
//! Everything else in santepki (storage, import, the certificate authority, the ordering platform)
//! builds on these types, so that an identifier that reached the database has been checked once,
//! here.

pub mod calendar;
pub mod form413;
pub mod ids;
pub mod luhn;
pub mod professional;
pub mod structure;

pub use ids::{
    Adeli, AdeliRang, CardNumber, Finess, IdError, IdKind, IdNatPs, IdNatStruct, Rpps, RppsRang, Siren, Siret,
    ValidationMode,
};
pub use professional::CardType;
pub use structure::{Address, Departement, Sector, StructureKind};
