//! The FINESS files: legal entities (`structureej`), establishments (`structureet`) and their
//! `geolocalisation` lines.

use std::io::{self, Write};
use std::path::Path;

use chrono::Duration;
use rand::Rng;

use crate::formats::finess;

use super::plan::finess_number;
use super::structures::{Establishment, LegalEntity};
use super::writers::{create, write_finess_record};
use super::{Generator, Stream};

mod ej_col {
    use crate::formats::finess::{idx, LEGAL_ENTITY_FIELDS as F};
    pub const N: usize = F.len();
    pub const NOFINESS: usize = idx(&F, "nofiness");
    pub const RS: usize = idx(&F, "rs");
    pub const RSLONGUE: usize = idx(&F, "rslongue");
    pub const NUMVOIE: usize = idx(&F, "numvoie");
    pub const TYPVOIE: usize = idx(&F, "typvoie");
    pub const VOIE: usize = idx(&F, "voie");
    pub const COMPVOIE: usize = idx(&F, "compvoie");
    pub const LIEUDITBP: usize = idx(&F, "lieuditbp");
    pub const COMMUNE: usize = idx(&F, "commune");
    pub const ACHEMINEMENT: usize = idx(&F, "ligneacheminement");
    pub const DEPARTEMENT: usize = idx(&F, "departement");
    pub const LIBDEPARTEMENT: usize = idx(&F, "libdepartement");
    pub const TELEPHONE: usize = idx(&F, "telephone");
    pub const STATUT: usize = idx(&F, "statutjuridique");
    pub const LIBSTATUT: usize = idx(&F, "libstatutjuridique");
    pub const SIREN: usize = idx(&F, "siren");
    pub const CODEAPE: usize = idx(&F, "codeape");
    pub const DATECREA: usize = idx(&F, "datecrea");
}

mod eg_col {
    use crate::formats::finess::{idx, ESTABLISHMENT_FIELDS as F};
    pub const N: usize = F.len();
    pub const NOFINESSET: usize = idx(&F, "nofinesset");
    pub const NOFINESSEJ: usize = idx(&F, "nofinessej");
    pub const RS: usize = idx(&F, "rs");
    pub const RSLONGUE: usize = idx(&F, "rslongue");
    pub const NUMVOIE: usize = idx(&F, "numvoie");
    pub const TYPVOIE: usize = idx(&F, "typvoie");
    pub const VOIE: usize = idx(&F, "voie");
    pub const COMPVOIE: usize = idx(&F, "compvoie");
    pub const LIEUDITBP: usize = idx(&F, "lieuditbp");
    pub const COMMUNE: usize = idx(&F, "commune");
    pub const DEPARTEMENT: usize = idx(&F, "departement");
    pub const LIBDEPARTEMENT: usize = idx(&F, "libdepartement");
    pub const ACHEMINEMENT: usize = idx(&F, "ligneacheminement");
    pub const TELEPHONE: usize = idx(&F, "telephone");
    pub const TELECOPIE: usize = idx(&F, "telecopie");
    pub const CATEGETAB: usize = idx(&F, "categetab");
    pub const LIBCATEGETAB: usize = idx(&F, "libcategetab");
    pub const CATEGAGRETAB: usize = idx(&F, "categagretab");
    pub const LIBCATEGAGRETAB: usize = idx(&F, "libcategagretab");
    pub const SIRET: usize = idx(&F, "siret");
    pub const CODEAPE: usize = idx(&F, "codeape");
    pub const CODEMFT: usize = idx(&F, "codemft");
    pub const LIBMFT: usize = idx(&F, "libmft");
    pub const CODESPH: usize = idx(&F, "codesph");
    pub const LIBSPH: usize = idx(&F, "libsph");
    pub const DATEOUV: usize = idx(&F, "dateouv");
    pub const DATEAUTOR: usize = idx(&F, "dateautor");
    pub const DATEMAJ: usize = idx(&F, "datemaj");
}

/// Geolocation stream indexes of seed establishments, after any generated one.
const SEED_GEOLOCATION: usize = 1 << 40;

/// Funding and status fields of public health establishments (as in REFERENCE.md's example).
const PUBLIC_MFT: (&str, &str) = ("03", "ARS établissements Publics de santé dotation globale");
const PUBLIC_SPH: (&str, &str) = ("1", "Etablissement public de santé");

impl Generator {
    /// The legal entities file; returns the number of `structureej` lines.
    pub(super) fn write_legal_entities(&self, path: &Path) -> io::Result<u64> {
        let mut w = create(path)?;
        let total = self.seeds.legal_entities.len() + self.sizes.legal_entities;
        writeln!(w, "{};etalab;{total};{}", finess::HEADER_TAG, self.date)?;
        for ej in &self.seeds.legal_entities {
            self.write_legal_entity(&mut w, ej)?;
        }
        for e in 0..self.sizes.legal_entities {
            self.write_legal_entity(&mut w, &self.legal_entity(e)?)?;
        }
        w.flush()?;
        Ok(total as u64)
    }

    fn write_legal_entity(&self, w: &mut impl Write, ej: &LegalEntity) -> io::Result<()> {
        let dept = &self.tables.depts[ej.dept];
        let acheminement = ej.address.town.acheminement();
        let mut f = [""; ej_col::N];
        f[0] = finess::LEGAL_ENTITY_RECORD;
        f[ej_col::NOFINESS] = &ej.finess;
        f[ej_col::RS] = &ej.name;
        f[ej_col::RSLONGUE] = &ej.long_name;
        f[ej_col::NUMVOIE] = &ej.address.number;
        f[ej_col::TYPVOIE] = ej.address.street.code;
        f[ej_col::VOIE] = &ej.address.street_name;
        f[ej_col::COMPVOIE] = ej.address.suffix;
        f[ej_col::LIEUDITBP] = &ej.address.locality;
        f[ej_col::COMMUNE] = &ej.address.town.commune;
        f[ej_col::ACHEMINEMENT] = &acheminement;
        f[ej_col::DEPARTEMENT] = dept.finess_code;
        f[ej_col::LIBDEPARTEMENT] = &dept.upper;
        f[ej_col::TELEPHONE] = &ej.phone;
        f[ej_col::STATUT] = ej.status.code;
        f[ej_col::LIBSTATUT] = ej.status.label;
        f[ej_col::SIREN] = &ej.siren;
        f[ej_col::CODEAPE] = ej.ape;
        f[ej_col::DATECREA] = &ej.created;
        write_finess_record(w, &f)
    }

    /// The establishments file: `structureet` lines, then one `geolocalisation` line per
    /// establishment. Returns the number of establishments.
    pub(super) fn write_establishments(&self, path: &Path) -> io::Result<u64> {
        let mut w = create(path)?;
        let total = self.seeds.establishments.len() + self.sizes.establishments;
        writeln!(w, "{};etalab;{total};{}", finess::HEADER_TAG, self.date)?;
        for eg in &self.seeds.establishments {
            self.write_establishment(&mut w, eg)?;
        }
        for i in 0..self.sizes.establishments {
            self.write_establishment(&mut w, &self.establishment(i)?)?;
        }
        for (s, eg) in self.seeds.establishments.iter().enumerate() {
            self.write_geolocation(&mut w, &eg.finess, eg.dept, SEED_GEOLOCATION + s)?;
        }
        for i in 0..self.sizes.establishments {
            let d = self.plan.eg_dept[i] as usize;
            let eg = finess_number(&self.tables.depts[d], self.plan.eg_seq[i])?;
            self.write_geolocation(&mut w, eg.as_str(), d, i)?;
        }
        w.flush()?;
        Ok(total as u64)
    }

    fn write_establishment(&self, w: &mut impl Write, eg: &Establishment) -> io::Result<()> {
        let dept = &self.tables.depts[eg.dept];
        let info = eg.kind.info();
        let acheminement = eg.address.town.acheminement();
        let mut f = [""; eg_col::N];
        f[0] = finess::ESTABLISHMENT_RECORD;
        f[eg_col::NOFINESSET] = &eg.finess;
        f[eg_col::NOFINESSEJ] = &eg.legal_entity;
        f[eg_col::RS] = &eg.name;
        f[eg_col::RSLONGUE] = &eg.long_name;
        f[eg_col::NUMVOIE] = &eg.address.number;
        f[eg_col::TYPVOIE] = eg.address.street.code;
        f[eg_col::VOIE] = &eg.address.street_name;
        f[eg_col::COMPVOIE] = eg.address.suffix;
        f[eg_col::LIEUDITBP] = &eg.address.locality;
        f[eg_col::COMMUNE] = &eg.address.town.commune;
        f[eg_col::DEPARTEMENT] = dept.finess_code;
        f[eg_col::LIBDEPARTEMENT] = &dept.upper;
        f[eg_col::ACHEMINEMENT] = &acheminement;
        f[eg_col::TELEPHONE] = &eg.phone;
        f[eg_col::TELECOPIE] = &eg.fax;
        f[eg_col::CATEGETAB] = info.code;
        f[eg_col::LIBCATEGETAB] = info.label;
        f[eg_col::CATEGAGRETAB] = info.aggregate_code;
        f[eg_col::LIBCATEGAGRETAB] = info.aggregate_label;
        f[eg_col::SIRET] = &eg.siret;
        f[eg_col::CODEAPE] = info.ape;
        if info.public {
            (f[eg_col::CODEMFT], f[eg_col::LIBMFT]) = PUBLIC_MFT;
            (f[eg_col::CODESPH], f[eg_col::LIBSPH]) = PUBLIC_SPH;
        }
        f[eg_col::DATEOUV] = &eg.opened;
        f[eg_col::DATEAUTOR] = &eg.authorised;
        f[eg_col::DATEMAJ] = &eg.updated;
        write_finess_record(w, &f)
    }

    /// `geolocalisation;<nofinesset>;<x>;<y>;<source>;<date>;`. Coordinates are random within the
    /// projection's area (metropolitan Lambert 93, or the overseas département's UTM zone), not
    /// the real position of the address.
    fn write_geolocation(&self, w: &mut impl Write, finess_eg: &str, d: usize, index: usize) -> io::Result<()> {
        let mut r = self.rng(Stream::Geolocation, index);
        let (projection, (x0, x1), (y0, y1)) = projection(self.tables.depts[d].code);
        let x = r.gen_range(x0..x1) as f64 / 10.0;
        let y = r.gen_range(y0..y1) as f64 / 10.0;
        let date = self.date - Duration::days(r.gen_range(1..=90));
        let source = format!("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,{projection}");
        let (x, y, date) = (format!("{x:.1}"), format!("{y:.1}"), date.to_string());
        write_finess_record(w, &[finess::GEOLOCATION_RECORD, finess_eg, &x, &y, &source, &date])
    }
}

/// Projection name and coordinate ranges (in tenths of metres) of a département.
fn projection(dept: &str) -> (&'static str, (u64, u64), (u64, u64)) {
    match dept {
        "971" => ("UTM_N20", (6_400_000, 7_000_000), (17_600_000, 18_300_000)),
        "972" => ("UTM_N20", (6_900_000, 7_400_000), (15_900_000, 16_500_000)),
        "973" => ("UTM_N22", (1_500_000, 4_000_000), (2_300_000, 6_000_000)),
        "974" => ("UTM_S40", (3_150_000, 3_800_000), (76_300_000, 76_900_000)),
        _ => ("LAMBERT_93", (1_500_000, 10_800_000), (61_000_000, 70_900_000)),
    }
}
