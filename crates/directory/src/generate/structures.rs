//! Legal entities and establishments, each rebuilt from the plan and its own random stream.

use std::io;

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use santepki_domain::{Siren, Siret};

use super::categories::{EgKind, LegalStatus, Profile};
use super::names::{CLINIC_NAMES, GROUP_NAMES, LAB_NAMES, PHARMACY_NAMES, PLACE_NAMES, SURNAMES};
use super::plan::{finess_number, NONE};
use super::tables::{Address, Dept, Town};
use super::{choose, id_error, pick, too_large, Generator, Stream};

/// A legal entity (structureej).
pub(super) struct LegalEntity {
    pub(super) finess: String,
    pub(super) name: String,
    pub(super) long_name: String,
    pub(super) address: Address,
    pub(super) dept: usize,
    pub(super) phone: String,
    pub(super) status: LegalStatus,
    pub(super) siren: String,
    pub(super) ape: &'static str,
    pub(super) created: String,
}

/// A geographic establishment (structureet).
pub(super) struct Establishment {
    pub(super) finess: String,
    pub(super) legal_entity: String,
    pub(super) name: String,
    pub(super) long_name: String,
    pub(super) address: Address,
    pub(super) dept: usize,
    pub(super) phone: String,
    pub(super) fax: String,
    pub(super) kind: EgKind,
    pub(super) siret: String,
    pub(super) opened: String,
    pub(super) authorised: String,
    pub(super) updated: String,
}

/// What an establishment's main site shares with its legal entity.
struct EntityCore {
    name: String,
    /// The distinctive part of the name, reused by its establishments (`DES ARCADES`).
    base: String,
    address: Address,
    siren: Option<Siren>,
    status: LegalStatus,
}

impl Generator {
    /// The first draws of a legal entity's stream: what its establishments need. Returns the
    /// stream to continue with.
    fn entity_core(&self, e: usize) -> io::Result<(EntityCore, ChaCha8Rng)> {
        let mut r = self.rng(Stream::LegalEntity, e);
        let profile = self.plan.ej_profile[e];
        let d = self.plan.ej_dept[e] as usize;
        let town = self.tables.town(d, &mut r);
        let address = self.tables.address(&mut r, town);
        let status = pick(&mut r, profile.info().statuses);
        let main_kind = match self.plan.ej_main_eg[e] {
            NONE => profile.info().main[0].0,
            i => self.plan.eg_kind[i as usize],
        };
        let (base, name) = entity_name(profile, main_kind, status, &address.town, &self.tables.depts[d], &mut r);
        let siren = if r.gen_ratio(19, 20) {
            let body = 40_000_000 + e;
            if body >= 50_000_000 {
                return Err(too_large("more legal entities than SIREN numbers"));
            }
            Some(siren_with_key(body)?)
        } else {
            None
        };
        Ok((EntityCore { name, base, address, siren, status }, r))
    }

    pub(super) fn legal_entity(&self, e: usize) -> io::Result<LegalEntity> {
        let (core, mut r) = self.entity_core(e)?;
        let d = self.plan.ej_dept[e] as usize;
        let dept = &self.tables.depts[d];
        let profile = self.plan.ej_profile[e];
        Ok(LegalEntity {
            finess: finess_number(dept, self.plan.ej_seq[e])?.to_string(),
            long_name: core.name.clone(),
            name: core.name,
            address: core.address,
            dept: d,
            phone: self.tables.phone(d, &mut r),
            status: core.status,
            siren: core.siren.map(|s| s.to_string()).unwrap_or_default(),
            ape: profile.info().ape,
            created: Self::date_between(&mut r, ymd(1950, 1, 1), self.date - Duration::days(30)).to_string(),
        })
    }

    pub(super) fn establishment(&self, i: usize) -> io::Result<Establishment> {
        let e = self.plan.eg_ej[i] as usize;
        let kind = self.plan.eg_kind[i];
        let d = self.plan.eg_dept[i] as usize;
        let profile = self.plan.ej_profile[e];
        let (core, _) = self.entity_core(e)?;
        let mut r = self.rng(Stream::Establishment, i);
        let main = self.plan.ej_main_eg[e] as usize == i;
        let address = if main && profile.info().shares_address {
            core.address.clone()
        } else {
            let town = self.tables.town(d, &mut r);
            self.tables.address(&mut r, town)
        };
        let name = establishment_name(kind, main, &core, &address.town, &mut r);
        let nic = self.plan.eg_nic[i];
        let siret = match &core.siren {
            Some(siren) if nic > 0 && r.gen_ratio(9, 10) => {
                Siret::with_key(siren, &format!("{nic:04}")).map_err(id_error)?.to_string()
            }
            _ => String::new(),
        };
        let opened = Self::date_between(&mut r, ymd(1960, 1, 1), self.date - Duration::days(60));
        let authorised = opened - Duration::days(r.gen_range(0..=365));
        let updated = Self::date_between(&mut r, opened, self.date - Duration::days(1));
        let fax = if r.gen_ratio(1, 3) { self.tables.phone(d, &mut r) } else { String::new() };
        Ok(Establishment {
            finess: finess_number(&self.tables.depts[d], self.plan.eg_seq[i])?.to_string(),
            legal_entity: finess_number(&self.tables.depts[self.plan.ej_dept[e] as usize], self.plan.ej_seq[e])?
                .to_string(),
            long_name: name.clone(),
            name,
            address,
            dept: d,
            phone: self.tables.phone(d, &mut r),
            fax,
            kind,
            siret,
            opened: opened.to_string(),
            authorised: authorised.to_string(),
            updated: updated.to_string(),
        })
    }
}

pub(super) fn siren_with_key(body8: usize) -> io::Result<Siren> {
    let body = format!("{body8:08}");
    let key = santepki_domain::luhn::check_digit(&body);
    Siren::parse(&format!("{body}{key}"), santepki_domain::ValidationMode::Strict).map_err(id_error)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The `(base, full name)` of a legal entity.
fn entity_name(
    profile: Profile,
    main_kind: EgKind,
    status: LegalStatus,
    town: &Town,
    dept: &Dept,
    r: &mut ChaCha8Rng,
) -> (String, String) {
    let form = status.short;
    let town = &town.name;
    match profile {
        Profile::Pharmacy => {
            let base = match r.gen_range(0..10) {
                0..=5 => choose(r, PHARMACY_NAMES).to_owned(),
                6..=7 => choose(r, SURNAMES).to_owned(),
                _ => format!("DE {town}"),
            };
            (base.clone(), format!("{form} PHARMACIE {base}"))
        }
        Profile::Lbm => {
            let base = format!("{} {}", choose(r, LAB_NAMES), dept.upper);
            (base.clone(), format!("{form} {base}"))
        }
        Profile::PublicHospital if main_kind == EgKind::Chr => {
            (town.clone(), format!("CENTRE HOSPITALIER REGIONAL DE {town}"))
        }
        Profile::PublicHospital => (town.clone(), format!("CENTRE HOSPITALIER DE {town}")),
        Profile::Clinic => {
            let base = choose(r, CLINIC_NAMES).to_owned();
            (base.clone(), format!("{form} CLINIQUE {base}"))
        }
        Profile::Association => {
            let base = choose(r, PLACE_NAMES).to_owned();
            let kind = if r.gen_ratio(1, 5) { "FONDATION" } else { "ASSOCIATION" };
            (base.clone(), format!("{kind} {base}"))
        }
        Profile::Ccas => (town.clone(), format!("CCAS DE {town}")),
        Profile::SeniorGroup => {
            let base = choose(r, GROUP_NAMES).to_owned();
            (base.clone(), format!("{form} RESIDENCES {base}"))
        }
        Profile::HealthCentre => (town.clone(), format!("ASSOCIATION CENTRE DE SANTE DE {town}")),
        Profile::ImagingGie => (town.clone(), format!("GIE IMAGERIE {town}")),
    }
}

fn establishment_name(kind: EgKind, main: bool, core: &EntityCore, town: &Town, r: &mut ChaCha8Rng) -> String {
    let base = &core.base;
    match kind {
        EgKind::Pharmacy => format!("PHARMACIE {base}"),
        EgKind::Lbm => format!("LABORATOIRE {base} {}", town.name),
        EgKind::Chr | EgKind::Ch if main => core.name.clone(),
        EgKind::Chr | EgKind::Ch => format!("CH DE {base} SITE {}", choose(r, PLACE_NAMES)),
        EgKind::Sld => format!("USLD DU CH DE {base}"),
        EgKind::Csapa => format!("CSAPA DU CH DE {base}"),
        EgKind::Camsp => format!("CAMSP DU CH DE {base}"),
        EgKind::School => format!("IFSI DU CH DE {base}"),
        EgKind::Clinic if main => format!("CLINIQUE {base}"),
        EgKind::Clinic => format!("CLINIQUE {base} {}", town.name),
        EgKind::HealthCentre => format!("CENTRE DE SANTE {}", town.name),
        EgKind::ImagingGie => core.name.clone(),
        EgKind::Ehpad
        | EgKind::Ime
        | EgKind::Ssiad
        | EgKind::Esat
        | EgKind::Saad
        | EgKind::Chrs
        | EgKind::AdultHome
        | EgKind::SeniorResidence => {
            format!("{} {}", kind.info().name_prefix, choose(r, PLACE_NAMES))
        }
    }
}
