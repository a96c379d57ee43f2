//! The RPPS activities and CPx cards files: their lines, and the writer that streams the seed
//! professionals then the generated ones into them.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{Months, NaiveDate};

use crate::formats::{cards as cards_fmt, rpps as rpps_fmt};

use super::professions::{CodeLabel, Profession, Specialty};
use super::structures::Establishment;
use super::tables::{Address, Tables};
use super::writers::{create, write_pipe_record};
use super::{GeneratedCounts, Generator};

/// Column indexes of the activities file, checked against the header at compile time.
mod col {
    use crate::formats::finess::idx;
    use crate::formats::rpps::HEADER as H;
    pub const N: usize = H.len();
    pub const TYPE_ID: usize = idx(&H, "Type d'identifiant PP");
    pub const ID: usize = idx(&H, "Identifiant PP");
    pub const IDNAT: usize = idx(&H, "Identification nationale PP");
    pub const CIV_EX: usize = idx(&H, "Code civilité d'exercice");
    pub const CIV_EX_LABEL: usize = idx(&H, "Libellé civilité d'exercice");
    pub const CIV: usize = idx(&H, "Code civilité");
    pub const CIV_LABEL: usize = idx(&H, "Libellé civilité");
    pub const LAST_NAME: usize = idx(&H, "Nom d'exercice");
    pub const FIRST_NAME: usize = idx(&H, "Prénom d'exercice");
    pub const PROFESSION: usize = idx(&H, "Code profession");
    pub const PROFESSION_LABEL: usize = idx(&H, "Libellé profession");
    pub const CATEGORY: usize = idx(&H, "Code catégorie professionnelle");
    pub const CATEGORY_LABEL: usize = idx(&H, "Libellé catégorie professionnelle");
    pub const SF_TYPE: usize = idx(&H, "Code type savoir-faire");
    pub const SF_TYPE_LABEL: usize = idx(&H, "Libellé type savoir-faire");
    pub const SF: usize = idx(&H, "Code savoir-faire");
    pub const SF_LABEL: usize = idx(&H, "Libellé savoir-faire");
    pub const MODE: usize = idx(&H, "Code mode exercice");
    pub const MODE_LABEL: usize = idx(&H, "Libellé mode exercice");
    pub const SIRET: usize = idx(&H, "Numéro SIRET site");
    pub const SIREN: usize = idx(&H, "Numéro SIREN site");
    pub const FINESS: usize = idx(&H, "Numéro FINESS site");
    pub const FINESS_EJ: usize = idx(&H, "Numéro FINESS établissement juridique");
    pub const TECH_ID: usize = idx(&H, "Identifiant technique de la structure");
    pub const NAME: usize = idx(&H, "Raison sociale site");
    pub const RECIPIENT: usize = idx(&H, "Complément destinataire (coord. structure)");
    pub const NUMBER: usize = idx(&H, "Numéro Voie (coord. structure)");
    pub const SUFFIX: usize = idx(&H, "Indice répétition voie (coord. structure)");
    pub const STREET_CODE: usize = idx(&H, "Code type de voie (coord. structure)");
    pub const STREET_LABEL: usize = idx(&H, "Libellé type de voie (coord. structure)");
    pub const STREET: usize = idx(&H, "Libellé Voie (coord. structure)");
    pub const DISTRIBUTION: usize = idx(&H, "Mention distribution (coord. structure)");
    pub const POSTAL_CODE: usize = idx(&H, "Code postal (coord. structure)");
    pub const TOWN: usize = idx(&H, "Libellé commune (coord. structure)");
    pub const COUNTRY: usize = idx(&H, "Code pays (coord. structure)");
    pub const COUNTRY_LABEL: usize = idx(&H, "Libellé pays (coord. structure)");
    pub const PHONE: usize = idx(&H, "Téléphone (coord. structure)");
    pub const EMAIL: usize = idx(&H, "Adresse e-mail (coord. structure)");
    pub const DEPT: usize = idx(&H, "Code Département (structure)");
    pub const DEPT_LABEL: usize = idx(&H, "Libellé Département (structure)");
    pub const IDNAT_STRUCT: usize = idx(&H, "Ancien identifiant de la structure");
    pub const AUTHORITY: usize = idx(&H, "Autorité d'enregistrement");
    pub const SECTOR: usize = idx(&H, "Code secteur d'activité");
    pub const SECTOR_LABEL: usize = idx(&H, "Libellé secteur d'activité");
    pub const SECTION: usize = idx(&H, "Code section tableau pharmaciens");
    pub const SECTION_LABEL: usize = idx(&H, "Libellé section tableau pharmaciens");
    pub const ROLE: usize = idx(&H, "Code fonction");
    pub const ROLE_LABEL: usize = idx(&H, "Libellé fonction");
    pub const GENRE: usize = idx(&H, "Code genre activité");
    pub const GENRE_LABEL: usize = idx(&H, "Libellé genre activité");
}

/// A health professional.
pub(super) struct Person {
    pub(super) rpps: String,
    pub(super) last_name: String,
    pub(super) first_name: String,
    pub(super) female: bool,
    pub(super) profession: &'static Profession,
    pub(super) specialty: &'static Specialty,
}

/// Where a situation is exercised: the structure as the activities file describes it.
#[derive(Debug, Clone, Default)]
pub(super) struct Site {
    /// idNat_Struct (`1`+FINESS, `3`+SIRET, `4`+RPPS rang), written to "Ancien identifiant".
    pub(super) idnat_struct: String,
    pub(super) tech_id: String,
    pub(super) siret: String,
    pub(super) siren: String,
    pub(super) finess: String,
    pub(super) finess_ej: String,
    pub(super) name: String,
    pub(super) address: Address,
    /// Département index; `None` leaves the département and country columns empty (R44 lines).
    pub(super) dept: Option<usize>,
    pub(super) phone: String,
    pub(super) email: String,
}

/// How a situation is exercised.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exercise {
    pub(super) sector: &'static str,
    pub(super) mode: CodeLabel,
    pub(super) role: CodeLabel,
    pub(super) section: Option<CodeLabel>,
}

/// Identifiant technique de la structure: `R` + 11 digits, stable per structure. Ranges: seed
/// structures, establishments, SIRET practices, RPPS rang practices.
pub(super) fn tech_id(range: u64, n: u64) -> String {
    format!("R{:011}", 10_000_000_000 + range + n)
}
pub(super) const TECH_SEED: u64 = 0;
pub(super) const TECH_EG: u64 = 1_000;
pub(super) const TECH_SIRET: u64 = 200_000_000;
pub(super) const TECH_RANG: u64 = 1_000_000_000;

/// An establishment as the situations exercised there name it.
pub(super) fn site_of_establishment(eg: &Establishment, tech_id: String) -> Site {
    Site {
        idnat_struct: format!("1{}", eg.finess),
        tech_id,
        siren: eg.siret.get(..9).unwrap_or_default().to_owned(),
        siret: eg.siret.clone(),
        finess: eg.finess.clone(),
        finess_ej: eg.legal_entity.clone(),
        name: eg.name.clone(),
        address: eg.address.clone(),
        dept: Some(eg.dept),
        phone: eg.phone.clone(),
        email: String::new(),
    }
}

/// Counts while writing the activities and cards files.
pub(super) struct ProfessionalWriter {
    activities: BufWriter<File>,
    cards: BufWriter<File>,
    pub(super) counts: GeneratedCounts,
    next_card: u64,
}

impl ProfessionalWriter {
    pub(super) fn situation(&mut self, tables: &Tables, person: &Person, site: &Site, ex: &Exercise) -> io::Result<()> {
        let idnat = format!("8{}", person.rpps);
        let (civ, civ_label) = if person.female { ("MME", "Madame") } else { ("M", "Monsieur") };
        let (civ_ex, civ_ex_label) = if person.profession.doctor_title { ("DR", "Docteur") } else { ("", "") };
        let spec = person.specialty;
        let mut f = [""; col::N];
        f[col::TYPE_ID] = "8";
        f[col::ID] = &person.rpps;
        f[col::IDNAT] = &idnat;
        f[col::CIV_EX] = civ_ex;
        f[col::CIV_EX_LABEL] = civ_ex_label;
        f[col::CIV] = civ;
        f[col::CIV_LABEL] = civ_label;
        f[col::LAST_NAME] = &person.last_name;
        f[col::FIRST_NAME] = &person.first_name;
        f[col::PROFESSION] = person.profession.code;
        f[col::PROFESSION_LABEL] = person.profession.label;
        f[col::CATEGORY] = "C";
        f[col::CATEGORY_LABEL] = "Civil";
        if !spec.code.is_empty() {
            f[col::SF_TYPE] = "S";
            f[col::SF_TYPE_LABEL] = "Spécialité ordinale";
            f[col::SF] = spec.code;
            f[col::SF_LABEL] = spec.label;
        }
        f[col::MODE] = ex.mode.code;
        f[col::MODE_LABEL] = ex.mode.label;
        f[col::SIRET] = &site.siret;
        f[col::SIREN] = &site.siren;
        f[col::FINESS] = &site.finess;
        f[col::FINESS_EJ] = &site.finess_ej;
        f[col::TECH_ID] = &site.tech_id;
        f[col::NAME] = &site.name;
        let a = &site.address;
        f[col::RECIPIENT] = &a.recipient;
        f[col::NUMBER] = &a.number;
        f[col::SUFFIX] = a.suffix;
        f[col::STREET_CODE] = a.street.code;
        f[col::STREET_LABEL] = a.street.label;
        f[col::STREET] = &a.street_name;
        f[col::DISTRIBUTION] = &a.locality;
        f[col::POSTAL_CODE] = &a.town.postal_code;
        f[col::TOWN] = &a.town.name;
        if let Some(d) = site.dept {
            let dept = &tables.depts[d];
            f[col::COUNTRY] = "99000";
            f[col::COUNTRY_LABEL] = "France";
            f[col::DEPT] = dept.code;
            f[col::DEPT_LABEL] = &dept.name;
        }
        f[col::PHONE] = &site.phone;
        f[col::EMAIL] = &site.email;
        f[col::IDNAT_STRUCT] = &site.idnat_struct;
        f[col::AUTHORITY] = person.profession.authority;
        f[col::SECTOR] = ex.sector;
        f[col::SECTOR_LABEL] = tables.sector_label(ex.sector);
        if let Some(s) = ex.section {
            f[col::SECTION] = s.code;
            f[col::SECTION_LABEL] = s.label;
        }
        f[col::ROLE] = ex.role.code;
        f[col::ROLE_LABEL] = ex.role.label;
        f[col::GENRE] = "GENR01";
        f[col::GENRE_LABEL] = "Activité standard";
        write_pipe_record(&mut self.activities, &f)?;
        self.counts.situation_lines += 1;
        Ok(())
    }

    /// One CPS card line, valid 3 years from `from`.
    pub(super) fn card(
        &mut self,
        number: &str,
        rpps: &str,
        from: NaiveDate,
        opposed: Option<NaiveDate>,
    ) -> io::Result<()> {
        let idnat = format!("8{rpps}");
        let (from_s, until) = (from.to_string(), (from + Months::new(36)).to_string());
        let opposed = opposed.map(|d| d.to_string()).unwrap_or_default();
        write_pipe_record(&mut self.cards, &["CPS", number, &idnat, &from_s, &until, &opposed])?;
        self.counts.cards += 1;
        Ok(())
    }

    /// The next generated card number: `1` + 9 digits (seed cards start with `8`).
    pub(super) fn next_card_number(&mut self) -> String {
        self.next_card += 1;
        format!("{}", 1_000_000_000 + self.next_card)
    }
}

impl Generator {
    /// The activities and cards files: the seed professionals, then the generated ones. Adds
    /// what it writes to `counts`.
    pub(super) fn write_professionals(
        &self,
        activities: &Path,
        cards: &Path,
        counts: &mut GeneratedCounts,
    ) -> io::Result<()> {
        let mut out = ProfessionalWriter {
            activities: create(activities)?,
            cards: create(cards)?,
            counts: *counts,
            next_card: 0,
        };
        write_pipe_record(&mut out.activities, &rpps_fmt::HEADER)?;
        write_pipe_record(&mut out.cards, &cards_fmt::HEADER)?;
        self.write_seed_professionals(&mut out)?;
        for p in 0..self.sizes.professionals {
            self.write_generated_professional(&mut out, p)?;
        }
        out.activities.flush()?;
        out.cards.flush()?;
        *counts = out.counts;
        Ok(())
    }
}
