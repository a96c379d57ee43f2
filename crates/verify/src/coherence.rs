//! The DMP's structure coherence (R40): the FINESS géographique of the VIHF token need not equal
//! the certificate's structure; both must belong to the same legal entity. The directory says
//! which legal entity a structure belongs to.

use futures::future::BoxFuture;
use futures::FutureExt;
use santepki_storage::directory as store;
use santepki_storage::Db;

use crate::verdict::{Code, Coherence, Refusal};

/// How the structures are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CoherenceMode {
    /// Same legal entity (the DMP's rule, R40).
    #[default]
    LegalEntity,
    /// The same idNat_Struct (the DMP's former rule).
    Strict,
}

impl CoherenceMode {
    fn name(self) -> &'static str {
        match self {
            CoherenceMode::LegalEntity => "coherence",
            CoherenceMode::Strict => "strict",
        }
    }
}

/// Which legal entity a structure belongs to.
pub trait StructureDirectory: Send + Sync {
    /// The idNat_Struct of the legal entity `id_nat_struct` belongs to (itself for a legal
    /// entity), or `None` when the directory does not know the structure.
    fn legal_entity<'a>(&'a self, id_nat_struct: &'a str) -> BoxFuture<'a, Result<Option<String>, String>>;

    /// Whether the directory knows the professional `id_nat_ps` (the holder a PRO or card
    /// certificate names).
    fn knows_professional<'a>(&'a self, id_nat_ps: &'a str) -> BoxFuture<'a, Result<bool, String>>;
}

/// The directory in santepki's database.
#[derive(Clone)]
pub struct StoredDirectory {
    db: Db,
}

impl StoredDirectory {
    /// The directory of `db`.
    pub fn new(db: Db) -> Self {
        StoredDirectory { db }
    }
}

impl StructureDirectory for StoredDirectory {
    fn legal_entity<'a>(&'a self, id_nat_struct: &'a str) -> BoxFuture<'a, Result<Option<String>, String>> {
        async move {
            let row = store::structure(&self.db, id_nat_struct).await.map_err(|e| e.to_string())?;
            Ok(row.map(|s| match (s.kind.as_str(), s.legal_entity_finess, s.siren) {
                // A FINESS géographique belongs to its FINESS juridique.
                ("establishment", Some(ej), _) => format!("1{ej}"),
                // A site known by its SIRET belongs to the company of its SIREN.
                ("practice_siret", _, Some(siren)) => format!("2{siren}"),
                // A legal entity, a practice known by its RPPS rang or ADELI rang: itself.
                _ => s.idnat_struct,
            }))
        }
        .boxed()
    }

    fn knows_professional<'a>(&'a self, id_nat_ps: &'a str) -> BoxFuture<'a, Result<bool, String>> {
        async move { Ok(store::professional(&self.db, id_nat_ps).await.map_err(|e| e.to_string())?.is_some()) }.boxed()
    }
}

/// Compares `structure` (the VIHF token's) with the certificate's `certificate_structure`.
pub(crate) async fn check(
    directory: Option<&dyn StructureDirectory>,
    mode: CoherenceMode,
    structure: &str,
    certificate_structure: Option<&str>,
    refusals: &mut Vec<Refusal>,
) -> Coherence {
    let mut coherence = Coherence {
        mode: mode.name(),
        structure: structure.to_owned(),
        certificate_structure: certificate_structure.map(str::to_owned),
        structure_legal_entity: None,
        certificate_legal_entity: None,
        coherent: false,
    };
    let Some(cert_structure) = certificate_structure else {
        refusals.push(Refusal::new(
            Code::StructureMissing,
            "the certificate names no structure (no idNat_Struct in its subject OU) to compare with",
        ));
        return coherence;
    };
    if mode == CoherenceMode::Strict || structure == cert_structure {
        coherence.coherent = structure == cert_structure;
        if !coherence.coherent {
            refusals.push(Refusal::new(
                Code::StructureIncoherent,
                format!("strict mode: {structure} is not the certificate's structure {cert_structure}"),
            ));
        }
        return coherence;
    }
    let Some(directory) = directory else {
        refusals.push(Refusal::new(
            Code::StructureUnknown,
            "no directory to tell which legal entity the structures belong to",
        ));
        return coherence;
    };
    for (id, slot) in
        [(structure, &mut coherence.structure_legal_entity), (cert_structure, &mut coherence.certificate_legal_entity)]
    {
        match directory.legal_entity(id).await {
            Ok(Some(entity)) => *slot = Some(entity),
            Ok(None) => {
                refusals.push(Refusal::new(Code::StructureUnknown, format!("the directory knows no structure {id}")))
            }
            Err(e) => refusals.push(Refusal::new(Code::StructureUnknown, format!("directory lookup of {id}: {e}"))),
        }
    }
    if let (Some(a), Some(b)) = (&coherence.structure_legal_entity, &coherence.certificate_legal_entity) {
        coherence.coherent = a == b;
        if !coherence.coherent {
            refusals.push(Refusal::new(
                Code::StructureIncoherent,
                format!(
                    "{structure} belongs to the legal entity {a}, the certificate's structure {cert_structure} to {b}"
                ),
            ));
        }
    }
    coherence
}
