//! The public open-data files santepki imports (REFERENCE.md, "Open-data files"), described once
//! here for the importer and the generator.

use std::path::Path;

/// The kinds of files the directory imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// FINESS etalab establishments (`etalab-cs1100502-stock-<date>.csv`): EG records.
    FinessEstablishments,
    /// FINESS etalab legal entities (`etalab-cs1100501-stock-<date>.csv`): EJ records.
    FinessLegalEntities,
    /// RPPS `PS_LibreAcces_Personne_activite_<timestamp>.txt`: one line per exercise situation.
    RppsActivities,
    /// CPx card holders (`Cartes_CPx_<timestamp>.txt`, santepki's format modelled on the
    /// directory's card extract): one line per card.
    Cards,
}

impl FileKind {
    /// Every kind, in import order: legal entities before the establishments that point to them, professionals before
    /// their cards.
    pub const ALL: [FileKind; 4] =
        [FileKind::FinessLegalEntities, FileKind::FinessEstablishments, FileKind::RppsActivities, FileKind::Cards];

    /// The `source` tag stored on rows this kind of file writes.
    pub fn source(self) -> &'static str {
        match self {
            FileKind::FinessEstablishments => "finess_eg",
            FileKind::FinessLegalEntities => "finess_ej",
            FileKind::RppsActivities => "rpps",
            FileKind::Cards => "cards",
        }
    }

    /// The kind's name on the command line and in import reports (`finess-establishments`…).
    pub fn name(self) -> &'static str {
        match self {
            FileKind::FinessEstablishments => "finess-establishments",
            FileKind::FinessLegalEntities => "finess-legal-entities",
            FileKind::RppsActivities => "rpps-activities",
            FileKind::Cards => "cards",
        }
    }

    /// The kind named `s` (see [`FileKind::name`]), if any.
    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The field separator: `;` for FINESS files, `|` for the RPPS and card extracts.
    pub fn delimiter(self) -> u8 {
        match self {
            FileKind::FinessEstablishments | FileKind::FinessLegalEntities => b';',
            FileKind::RppsActivities | FileKind::Cards => b'|',
        }
    }

    /// Whether fields may be `"`-quoted. FINESS files quote; the RPPS extracts do not, and a
    /// stray quote in a name must not swallow the following lines.
    pub fn quoted(self) -> bool {
        matches!(self, FileKind::FinessEstablishments | FileKind::FinessLegalEntities)
    }

    /// Recognises a file from its name and its first lines (bytes, any encoding).
    pub fn detect(path: &Path, head: &[u8]) -> Option<FileKind> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let first = lines.next().unwrap_or_default();
        if first.starts_with(b"finess;etalab") || first.starts_with(b"structure") {
            // The record type of the first data line decides; the file name breaks a tie when the
            // file holds only its header line.
            for l in std::iter::once(first).chain(lines) {
                if l.starts_with(b"structureet;") {
                    return Some(FileKind::FinessEstablishments);
                }
                if l.starts_with(b"structureej;") {
                    return Some(FileKind::FinessLegalEntities);
                }
            }
            if name.contains("cs1100501") {
                return Some(FileKind::FinessLegalEntities);
            }
            if name.contains("cs1100502") {
                return Some(FileKind::FinessEstablishments);
            }
            return None;
        }
        let first = String::from_utf8_lossy(first);
        if first.starts_with("Type de carte") {
            return Some(FileKind::Cards);
        }
        if first.starts_with("Type d") && first.contains("Identification nationale PP") {
            return Some(FileKind::RppsActivities);
        }
        None
    }
}

/// FINESS establishments: the first line is `finess;etalab;<n>;<YYYY-MM-DD>`, then `structureet`
/// records of [`ESTABLISHMENT_FIELDS`](finess::ESTABLISHMENT_FIELDS) fields (2026 files add `numuai`), then `geolocalisation`
/// records. Lines end with a trailing `;`.
pub mod finess {
    /// Record type of the first line, `finess;etalab;<n>;<date>`.
    pub const HEADER_TAG: &str = "finess";
    /// Record type of an establishment (EG) line.
    pub const ESTABLISHMENT_RECORD: &str = "structureet";
    /// Record type of a legal entity (EJ) line.
    pub const LEGAL_ENTITY_RECORD: &str = "structureej";
    /// Record type of a geolocation line (coordinates of an EG, not imported).
    pub const GEOLOCATION_RECORD: &str = "geolocalisation";

    /// The 31 fields of a `structureet` record (REFERENCE.md); newer files append `numuai`.
    pub const ESTABLISHMENT_FIELDS: [&str; 31] = [
        "structureet",
        "nofinesset",
        "nofinessej",
        "rs",
        "rslongue",
        "complrs",
        "compldistrib",
        "numvoie",
        "typvoie",
        "voie",
        "compvoie",
        "lieuditbp",
        "commune",
        "departement",
        "libdepartement",
        "ligneacheminement",
        "telephone",
        "telecopie",
        "categetab",
        "libcategetab",
        "categagretab",
        "libcategagretab",
        "siret",
        "codeape",
        "codemft",
        "libmft",
        "codesph",
        "libsph",
        "dateouv",
        "dateautor",
        "datemaj",
    ];

    /// The 23 fields of a `structureej` record of the legal-entities file.
    pub const LEGAL_ENTITY_FIELDS: [&str; 23] = [
        "structureej",
        "nofiness",
        "rs",
        "rslongue",
        "complrs",
        "numvoie",
        "typvoie",
        "voie",
        "compvoie",
        "compldistrib",
        "lieuditbp",
        "commune",
        "ligneacheminement",
        "departement",
        "libdepartement",
        "telephone",
        "statutjuridique",
        "libstatutjuridique",
        "categetab",
        "libcategetab",
        "siren",
        "codeape",
        "datecrea",
    ];

    /// Index of a field by name in one of the field lists above.
    pub const fn idx(fields: &[&str], name: &str) -> usize {
        let mut i = 0;
        while i < fields.len() {
            if const_eq(fields[i], name) {
                return i;
            }
            i += 1;
        }
        panic!("unknown FINESS field")
    }

    const fn const_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}

/// RPPS `PS_LibreAcces_Personne_activite`: `|`-separated, one header line, trailing `|`.
/// Columns are found by header name, so files with or without the savoir-faire columns import
/// alike.
pub mod rpps {
    /// The header of the full file (REFERENCE.md), as the real file spells it.
    pub const HEADER: [&str; 56] = [
        "Type d'identifiant PP",
        "Identifiant PP",
        "Identification nationale PP",
        "Code civilité d'exercice",
        "Libellé civilité d'exercice",
        "Code civilité",
        "Libellé civilité",
        "Nom d'exercice",
        "Prénom d'exercice",
        "Code profession",
        "Libellé profession",
        "Code catégorie professionnelle",
        "Libellé catégorie professionnelle",
        "Code type savoir-faire",
        "Libellé type savoir-faire",
        "Code savoir-faire",
        "Libellé savoir-faire",
        "Code mode exercice",
        "Libellé mode exercice",
        "Numéro SIRET site",
        "Numéro SIREN site",
        "Numéro FINESS site",
        "Numéro FINESS établissement juridique",
        "Identifiant technique de la structure",
        "Raison sociale site",
        "Enseigne commerciale site",
        "Complément destinataire (coord. structure)",
        "Complément point géographique (coord. structure)",
        "Numéro Voie (coord. structure)",
        "Indice répétition voie (coord. structure)",
        "Code type de voie (coord. structure)",
        "Libellé type de voie (coord. structure)",
        "Libellé Voie (coord. structure)",
        "Mention distribution (coord. structure)",
        "Bureau cedex (coord. structure)",
        "Code postal (coord. structure)",
        "Code commune (coord. structure)",
        "Libellé commune (coord. structure)",
        "Code pays (coord. structure)",
        "Libellé pays (coord. structure)",
        "Téléphone (coord. structure)",
        "Téléphone 2 (coord. structure)",
        "Télécopie (coord. structure)",
        "Adresse e-mail (coord. structure)",
        "Code Département (structure)",
        "Libellé Département (structure)",
        "Ancien identifiant de la structure",
        "Autorité d'enregistrement",
        "Code secteur d'activité",
        "Libellé secteur d'activité",
        "Code section tableau pharmaciens",
        "Libellé section tableau pharmaciens",
        "Code fonction",
        "Libellé fonction",
        "Code genre activité",
        "Libellé genre activité",
    ];

    /// A header name reduced to compare columns whatever the file's spelling: lower case, no
    /// accents, no parenthesised suffix, single spaces.
    pub fn column_key(name: &str) -> String {
        let base = name.split('(').next().unwrap_or(name);
        crate::normalize::name_key(base)
    }
}

/// CPx cards: `|`-separated, one header line, trailing `|`. Dates `YYYY-MM-DD` or `DD/MM/YYYY`.
pub mod cards {
    /// The column names of the header line, in order.
    pub const HEADER: [&str; 6] = [
        "Type de carte",
        "Numéro carte",
        "Identification nationale PP",
        "Date début validité",
        "Date fin validité",
        "Date opposition",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds() {
        let p = Path::new("x.csv");
        assert_eq!(
            FileKind::detect(p, b"finess;etalab;100;2026-01-01\nstructureet;0"),
            Some(FileKind::FinessEstablishments)
        );
        assert_eq!(
            FileKind::detect(p, b"\xEF\xBB\xBFfiness;etalab;1;2026-01-01\r\nstructureej;0"),
            Some(FileKind::FinessLegalEntities)
        );
        assert_eq!(
            FileKind::detect(Path::new("etalab-cs1100501-stock.csv"), b"finess;etalab;0;2026-01-01\n"),
            Some(FileKind::FinessLegalEntities)
        );
        assert_eq!(FileKind::detect(p, rpps::HEADER.join("|").as_bytes()), Some(FileKind::RppsActivities));
        assert_eq!(FileKind::detect(p, cards::HEADER.join("|").as_bytes()), Some(FileKind::Cards));
        assert_eq!(FileKind::detect(p, b"\x00\x01garbage"), None);
        assert_eq!(FileKind::detect(p, b""), None);
    }

    #[test]
    fn column_keys_ignore_spelling() {
        assert_eq!(rpps::column_key("Libellé Voie (coord. structure)"), rpps::column_key("Libelle voie"));
        assert_eq!(finess::idx(&finess::ESTABLISHMENT_FIELDS, "nofinessej"), 2);
    }
}
