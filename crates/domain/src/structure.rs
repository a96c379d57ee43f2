//! Structures of the directory: legal entities (EJ), geographic establishments (EG), practices,
//! their sectors of activity, addresses and départements.

use serde::{Deserialize, Serialize};

use crate::ids::IdNatStruct;

/// What a structure is, which decides the identifier it orders certificates with (R10–R18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructureKind {
    /// A legal entity (entité juridique), identified by its FINESS juridique.
    LegalEntity,
    /// A geographic establishment (entité géographique), identified by its FINESS géographique,
    /// attached to exactly one legal entity.
    Establishment,
    /// A practice identified by SIRET (société d'exercice, SA09; R13).
    PracticeSiret,
    /// A practice identified by RPPS rang (individual or SCM practice, SA07/SA08; R14).
    PracticeRppsRang,
    /// A practice identified by ADELI rang.
    PracticeAdeliRang,
    /// A structure known only by SIREN.
    Other,
}

impl StructureKind {
    /// The kind as stored in the directory tables (`legal_entity`, `practice_rpps_rang`…).
    pub fn as_str(self) -> &'static str {
        match self {
            StructureKind::LegalEntity => "legal_entity",
            StructureKind::Establishment => "establishment",
            StructureKind::PracticeSiret => "practice_siret",
            StructureKind::PracticeRppsRang => "practice_rpps_rang",
            StructureKind::PracticeAdeliRang => "practice_adeli_rang",
            StructureKind::Other => "other",
        }
    }

    /// The kind stored as `s` (see [`StructureKind::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "legal_entity" => StructureKind::LegalEntity,
            "establishment" => StructureKind::Establishment,
            "practice_siret" => StructureKind::PracticeSiret,
            "practice_rpps_rang" => StructureKind::PracticeRppsRang,
            "practice_adeli_rang" => StructureKind::PracticeAdeliRang,
            "other" => StructureKind::Other,
            _ => return None,
        })
    }

    /// The French label shown to users.
    pub fn label_fr(self) -> &'static str {
        match self {
            StructureKind::LegalEntity => "Entité juridique",
            StructureKind::Establishment => "Établissement géographique",
            StructureKind::PracticeSiret => "Cabinet (société d'exercice)",
            StructureKind::PracticeRppsRang => "Cabinet (RPPS rang)",
            StructureKind::PracticeAdeliRang => "Cabinet (ADELI rang)",
            StructureKind::Other => "Autre structure",
        }
    }

    /// The kind of structure a national identifier designates on its own. A FINESS may be an EJ
    /// or an EG: the directory decides; this returns `Establishment` for it.
    pub fn from_idnat(id: &IdNatStruct) -> Self {
        match id {
            IdNatStruct::AdeliRang(_) => StructureKind::PracticeAdeliRang,
            IdNatStruct::Finess(_) => StructureKind::Establishment,
            IdNatStruct::Siren(_) => StructureKind::Other,
            IdNatStruct::Siret(_) => StructureKind::PracticeSiret,
            IdNatStruct::RppsRang(_) => StructureKind::PracticeRppsRang,
        }
    }
}

/// An RPPS sector of activity (`SA01`…`SA52`), as carried by exercise situations (R46).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sector(String);

/// Sectors named by the seed documents with their meaning (R46).
const KNOWN_SECTORS: &[(&str, &str)] = &[
    ("SA01", "Établissement public de santé"),
    ("SA02", "Hôpital militaire du Service de Santé des Armées"),
    ("SA03", "Établissement privé PSPH"),
    ("SA04", "Établissement privé non PSPH"),
    ("SA05", "Centre de santé"),
    ("SA06", "Secteur de la pharmacie"),
    ("SA07", "Cabinet individuel"),
    ("SA08", "Cabinet de groupe"),
    ("SA09", "Exercice en société"),
    ("SA10", "Secteur privé PH temps plein"),
    ("SA11", "Transport sanitaire"),
    ("SA12", "Entreprise d'intérim"),
    ("SA13", "Établissement de soins et prévention"),
    ("SA14", "Prévention et soins en entreprise"),
    ("SA15", "Santé scolaire et universitaire"),
    ("SA16", "Recrutement et gestion RH"),
    ("SA17", "Laboratoire de biologie médicale"),
    ("SA18", "Autre établissement sanitaire"),
    ("SA25", "Établissement pour personnes handicapées"),
    ("SA26", "Établissement pour personnes âgées"),
    ("SA29", "Établissement social ou médico-social"),
    ("SA30", "Groupement de coopération sanitaire"),
];

/// Sectors whose structures may hold certificates (R8): health professionals and care
/// structures. Sectors outside the list (recruitment, interim companies…) are refused.
const ELIGIBLE_SECTORS: &[&str] = &[
    "SA01", "SA02", "SA03", "SA04", "SA05", "SA06", "SA07", "SA08", "SA09", "SA10", "SA11", "SA13", "SA17", "SA18",
    "SA25", "SA26", "SA29", "SA30",
];

impl Sector {
    /// Parses `SA` followed by two digits.
    pub fn parse(code: &str) -> Result<Self, String> {
        let b = code.as_bytes();
        if b.len() == 4 && &b[..2] == b"SA" && b[2].is_ascii_digit() && b[3].is_ascii_digit() {
            Ok(Sector(code.to_owned()))
        } else {
            Err(format!("sector {code:?} must be SA followed by two digits (SA01…SA52)"))
        }
    }

    /// The code, `SA` and two digits.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The French label of a sector the seeds name, if known.
    pub fn label_fr(&self) -> Option<&'static str> {
        KNOWN_SECTORS.iter().find(|(c, _)| *c == self.0).map(|(_, l)| *l)
    }

    /// Whether structures of this sector may hold certificates (R8, R46).
    pub fn is_eligible(&self) -> bool {
        ELIGIBLE_SECTORS.contains(&self.0.as_str())
    }
}

impl TryFrom<String> for Sector {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Sector::parse(&s)
    }
}

impl From<Sector> for String {
    fn from(s: Sector) -> String {
        s.0
    }
}

impl std::fmt::Display for Sector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A postal address as the public files carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Complément destinataire / raison sociale line, if any.
    pub recipient: Option<String>,
    /// Numéro de voie.
    pub street_number: Option<String>,
    /// Indice de répétition (`B` for bis, `T` for ter…).
    pub street_number_suffix: Option<String>,
    /// Street type label (`RUE`, `AV`…).
    pub street_type: Option<String>,
    /// Libellé de voie (`NOIR` in `8 RUE NOIR`).
    pub street_name: Option<String>,
    /// Lieu-dit, boîte postale or mention de distribution.
    pub locality: Option<String>,
    /// Code postal.
    pub postal_code: Option<String>,
    /// Town (libellé commune).
    pub town: Option<String>,
}

impl Address {
    /// The street line: `8 RUE NOIR`.
    pub fn street_line(&self) -> String {
        street_line([
            self.street_number.as_deref(),
            self.street_number_suffix.as_deref(),
            self.street_type.as_deref(),
            self.street_name.as_deref(),
        ])
    }

    /// The whole address on one line, recipient first: `CG MAXI 8 RUE NOIR 75001 PARIS`.
    pub fn one_line(&self) -> String {
        let street = self.street_line();
        join_words([
            self.recipient.as_deref(),
            Some(street.as_str()),
            self.locality.as_deref(),
            self.postal_code.as_deref(),
            self.town.as_deref(),
        ])
    }
}

/// A street line from its parts wherever they are stored (number, suffix, street type, street
/// name): `8 RUE NOIR`. [`Address::street_line`] of borrowed parts.
pub fn street_line(parts: [Option<&str>; 4]) -> String {
    join_words(parts)
}

/// The parts of an address line joined by single spaces, missing and blank parts left out.
pub fn join_words<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::new();
    for p in parts.into_iter().flatten().map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// A French département: its code (`01`…`95`, `2A`, `2B`, `971`…`976`) and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departement {
    /// The code (`01`…`95`, `2A`, `2B`, `971`…`976`).
    pub code: String,
    /// The name, with accents (`Côte-d'Or`).
    pub name: String,
}

impl Departement {
    /// Looks a département up by code in the official list (names with their accents).
    pub fn by_code(code: &str) -> Option<Departement> {
        let code = code.trim();
        // FINESS files write overseas départements as `9A`…`9F`; the directory uses 971…976.
        let code = match code {
            "9A" => "971",
            "9B" => "972",
            "9C" => "973",
            "9D" => "974",
            "9E" => "975",
            "9F" => "976",
            c => c,
        };
        DEPARTEMENTS.iter().find(|(c, _)| *c == code).map(|(c, n)| Departement { code: (*c).into(), name: (*n).into() })
    }

    /// The value of the certificate subject's `ST` attribute: `Alpes-Maritimes (06)`.
    pub fn subject_st(&self) -> String {
        format!("{} ({})", self.name, self.code)
    }

    /// Every département, in code order.
    pub fn all() -> impl Iterator<Item = Departement> {
        DEPARTEMENTS.iter().map(|(c, n)| Departement { code: (*c).into(), name: (*n).into() })
    }
}

const DEPARTEMENTS: &[(&str, &str)] = &[
    ("01", "Ain"),
    ("02", "Aisne"),
    ("03", "Allier"),
    ("04", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes"),
    ("06", "Alpes-Maritimes"),
    ("07", "Ardèche"),
    ("08", "Ardennes"),
    ("09", "Ariège"),
    ("10", "Aube"),
    ("11", "Aude"),
    ("12", "Aveyron"),
    ("13", "Bouches-du-Rhône"),
    ("14", "Calvados"),
    ("15", "Cantal"),
    ("16", "Charente"),
    ("17", "Charente-Maritime"),
    ("18", "Cher"),
    ("19", "Corrèze"),
    ("2A", "Corse-du-Sud"),
    ("2B", "Haute-Corse"),
    ("21", "Côte-d'Or"),
    ("22", "Côtes-d'Armor"),
    ("23", "Creuse"),
    ("24", "Dordogne"),
    ("25", "Doubs"),
    ("26", "Drôme"),
    ("27", "Eure"),
    ("28", "Eure-et-Loir"),
    ("29", "Finistère"),
    ("30", "Gard"),
    ("31", "Haute-Garonne"),
    ("32", "Gers"),
    ("33", "Gironde"),
    ("34", "Hérault"),
    ("35", "Ille-et-Vilaine"),
    ("36", "Indre"),
    ("37", "Indre-et-Loire"),
    ("38", "Isère"),
    ("39", "Jura"),
    ("40", "Landes"),
    ("41", "Loir-et-Cher"),
    ("42", "Loire"),
    ("43", "Haute-Loire"),
    ("44", "Loire-Atlantique"),
    ("45", "Loiret"),
    ("46", "Lot"),
    ("47", "Lot-et-Garonne"),
    ("48", "Lozère"),
    ("49", "Maine-et-Loire"),
    ("50", "Manche"),
    ("51", "Marne"),
    ("52", "Haute-Marne"),
    ("53", "Mayenne"),
    ("54", "Meurthe-et-Moselle"),
    ("55", "Meuse"),
    ("56", "Morbihan"),
    ("57", "Moselle"),
    ("58", "Nièvre"),
    ("59", "Nord"),
    ("60", "Oise"),
    ("61", "Orne"),
    ("62", "Pas-de-Calais"),
    ("63", "Puy-de-Dôme"),
    ("64", "Pyrénées-Atlantiques"),
    ("65", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales"),
    ("67", "Bas-Rhin"),
    ("68", "Haut-Rhin"),
    ("69", "Rhône"),
    ("70", "Haute-Saône"),
    ("71", "Saône-et-Loire"),
    ("72", "Sarthe"),
    ("73", "Savoie"),
    ("74", "Haute-Savoie"),
    ("75", "Paris"),
    ("76", "Seine-Maritime"),
    ("77", "Seine-et-Marne"),
    ("78", "Yvelines"),
    ("79", "Deux-Sèvres"),
    ("80", "Somme"),
    ("81", "Tarn"),
    ("82", "Tarn-et-Garonne"),
    ("83", "Var"),
    ("84", "Vaucluse"),
    ("85", "Vendée"),
    ("86", "Vienne"),
    ("87", "Haute-Vienne"),
    ("88", "Vosges"),
    ("89", "Yonne"),
    ("90", "Territoire de Belfort"),
    ("91", "Essonne"),
    ("92", "Hauts-de-Seine"),
    ("93", "Seine-Saint-Denis"),
    ("94", "Val-de-Marne"),
    ("95", "Val-d'Oise"),
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("975", "Saint-Pierre-et-Miquelon"),
    ("976", "Mayotte"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors_r46() {
        for (code, label) in [
            ("SA01", "public"),
            ("SA04", "non PSPH"),
            ("SA07", "individuel"),
            ("SA08", "groupe"),
            ("SA09", "société"),
            ("SA30", "coopération"),
        ] {
            let s = Sector::parse(code).unwrap();
            assert!(s.is_eligible(), "{code} is eligible (R8)");
            assert!(s.label_fr().unwrap().contains(label), "{code}");
        }
        assert!(!Sector::parse("SA16").unwrap().is_eligible());
        assert!(Sector::parse("SA1").is_err());
        assert!(Sector::parse("XX01").is_err());
    }

    #[test]
    fn departement_subject_st() {
        assert_eq!(Departement::by_code("21").unwrap().subject_st(), "Côte-d'Or (21)");
        assert_eq!(Departement::by_code("69").unwrap().subject_st(), "Rhône (69)");
        assert_eq!(Departement::by_code("9A").unwrap().code, "971");
        assert!(Departement::by_code("00").is_none());
        // 101 départements plus Saint-Pierre-et-Miquelon (975), which FINESS files use.
        assert_eq!(Departement::all().count(), 102);
    }

    #[test]
    fn address_lines() {
        let a = Address {
            recipient: Some("CG MAXI".into()),
            street_number: Some("8".into()),
            street_type: Some("RUE".into()),
            street_name: Some("NOIR".into()),
            ..Default::default()
        };
        assert_eq!(a.street_line(), "8 RUE NOIR");
        assert_eq!(a.one_line(), "CG MAXI 8 RUE NOIR");
    }
}
