//! Generated professionals: who they are, where they exercise, their cards.

use std::io;

use chrono::{Duration, Months};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use santepki_domain::{Rpps, RppsRang, Siret};

use super::activities::{
    site_of_establishment, tech_id, Exercise, Person, ProfessionalWriter, Site, TECH_EG, TECH_RANG, TECH_SIRET,
};
use super::categories::EgKind;
use super::names::{FEMALE_FIRST_NAMES, MALE_FIRST_NAMES, PLACE_NAMES, SURNAMES};
use super::professions::{
    Choice, BIOLOGIST, BIOLOGIST_HEAD, COORDINATING_PHYSICIAN, EMPLOYEE, HOSPITAL_PRACTITIONER, LIBERAL, PARTNER,
    PHARMACIST_ASSISTANT, PHARMACIST_OWNER, PRACTICE_HOLDER, PRIVATE_PRACTITIONER, PROFESSIONS, PROFESSION_WEIGHTS,
    RADIOLOGY_CHOICES, SALARIED, SECTION_A, SECTION_D, SECTION_G, SECTION_H, VOLUNTEER,
};
use super::structures::{siren_with_key, Establishment};
use super::tables::Town;
use super::{choose, id_error, pick, too_large, Generator, Stream};

/// How many situations a professional has, and how often (2.15 on average).
const SITUATION_COUNTS: [(usize, u32); 4] = [(1, 35), (2, 30), (3, 20), (4, 15)];

/// Where a generated professional exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Establishment(usize),
    /// An individual (SA07) or group (SA08) practice identified by RPPS rang (R14).
    RppsRang {
        rank: u16,
        group: bool,
    },
    /// A société d'exercice identified by SIRET (SA09, R13).
    Siret,
}

impl Generator {
    fn person(&self, p: usize, r: &mut ChaCha8Rng) -> io::Result<Person> {
        let profession = &PROFESSIONS[pick(r, &PROFESSION_WEIGHTS)];
        let specialty = &profession.specialties[pick(r, profession.specialty_weights)];
        let female = r.gen_ratio(profession.female_per_100, 100);
        let first_name = if female { choose(r, FEMALE_FIRST_NAMES) } else { choose(r, MALE_FIRST_NAMES) };
        let body = 1_000_100_000 + p as u64;
        if body >= 1_100_000_000 {
            return Err(too_large("more professionals than RPPS numbers starting with 10"));
        }
        Ok(Person {
            rpps: Rpps::with_key(&body.to_string()).map_err(id_error)?.to_string(),
            last_name: choose(r, SURNAMES).to_owned(),
            first_name: first_name.to_owned(),
            female,
            profession,
            specialty,
        })
    }

    pub(super) fn write_generated_professional(&self, out: &mut ProfessionalWriter, p: usize) -> io::Result<()> {
        let mut r = self.rng(Stream::Professional, p);
        let person = self.person(p, &mut r)?;
        let d = self.tables.pick_dept(&mut r);
        let places = self.choose_places(&person, d, &mut r);
        for place in places {
            let (site, ex) = match place {
                Place::Establishment(i) => {
                    let eg = self.establishment(i)?;
                    let ex = self.exercise_at(&eg, &person, &mut r);
                    (site_of_establishment(&eg, tech_id(TECH_EG, i as u64)), ex)
                }
                Place::RppsRang { rank, group } => self.rang_practice(&person, p, rank, group, d, &mut r)?,
                Place::Siret => self.siret_practice(&person, p)?,
            };
            out.situation(&self.tables, &person, &site, &ex)?;
        }
        out.counts.professionals += 1;
        self.write_generated_cards(out, &person, &mut r)
    }

    /// 1–4 places at distinct structures (the importer keys a situation by professional and
    /// structure), at most one société d'exercice.
    fn choose_places(&self, person: &Person, d: usize, r: &mut ChaCha8Rng) -> Vec<Place> {
        let n = pick(r, &SITUATION_COUNTS);
        let mut places = Vec::with_capacity(n);
        let mut rank = 0u16;
        for _ in 0..n {
            for _attempt in 0..4 {
                let place = match pick(r, person.specialty.choices) {
                    Choice::Rang { group } => {
                        rank += 1;
                        Some(Place::RppsRang { rank, group })
                    }
                    Choice::Siret => Some(Place::Siret),
                    Choice::Establishment(kinds) => self.plan.pick_eg(kinds, d, r).map(Place::Establishment),
                };
                if let Some(place) = place.filter(|p| !places.contains(p)) {
                    places.push(place);
                    break;
                }
            }
        }
        if places.is_empty() {
            // Nothing fitting exists at this scale: an individual practice always does.
            places.push(Place::RppsRang { rank: 1, group: false });
        }
        places
    }

    /// Sector, mode and function of a situation at an establishment.
    fn exercise_at(&self, eg: &Establishment, person: &Person, r: &mut ChaCha8Rng) -> Exercise {
        let info = eg.kind.info();
        let prof = person.profession.code;
        let (mode, role, section) = match eg.kind {
            EgKind::Pharmacy if r.gen_ratio(2, 5) => (LIBERAL, PHARMACIST_OWNER, Some(SECTION_A)),
            EgKind::Pharmacy => (SALARIED, PHARMACIST_ASSISTANT, Some(SECTION_D)),
            EgKind::Lbm => {
                let role = if r.gen_ratio(1, 4) { BIOLOGIST_HEAD } else { BIOLOGIST };
                let mode = if r.gen_bool(0.5) { LIBERAL } else { SALARIED };
                (mode, role, (prof == "21").then_some(SECTION_G))
            }
            EgKind::Clinic | EgKind::ImagingGie if prof == "10" && r.gen_ratio(7, 10) => {
                (LIBERAL, PRIVATE_PRACTITIONER, None)
            }
            _ if info.public && matches!(prof, "10" | "21") => {
                (SALARIED, HOSPITAL_PRACTITIONER, (prof == "21").then_some(SECTION_H))
            }
            EgKind::Ehpad if prof == "10" => (SALARIED, COORDINATING_PHYSICIAN, None),
            EgKind::Ehpad | EgKind::Ime | EgKind::Ssiad if r.gen_ratio(1, 40) => (VOLUNTEER, EMPLOYEE, None),
            _ => (SALARIED, EMPLOYEE, (prof == "21").then_some(SECTION_H)),
        };
        Exercise { sector: info.sector, mode, role, section }
    }

    /// A practice identified by the professional's RPPS rang. Only its holder's line names it,
    /// so it may draw from the holder's stream.
    fn rang_practice(
        &self,
        person: &Person,
        p: usize,
        rank: u16,
        group: bool,
        d: usize,
        r: &mut ChaCha8Rng,
    ) -> io::Result<(Site, Exercise)> {
        let rpps = Rpps::parse(&person.rpps, santepki_domain::ValidationMode::Strict).map_err(id_error)?;
        let rang = RppsRang::new(&rpps, rank).map_err(id_error)?;
        let town = self.tables.town(d, r);
        let address = self.tables.address(r, town);
        let name = practice_name(person, group, &address.town, r);
        let site = Site {
            idnat_struct: format!("4{rang}"),
            tech_id: tech_id(TECH_RANG, p as u64 * 16 + u64::from(rank)),
            name,
            address,
            dept: Some(d),
            phone: self.tables.phone(d, r),
            ..Default::default()
        };
        let sector = if group { "SA08" } else { "SA07" };
        Ok((site, Exercise { sector, mode: LIBERAL, role: PRACTICE_HOLDER, section: None }))
    }

    /// The société d'exercice a professional belongs to: consecutive professionals of the same
    /// profession share one (a SELARL of up to three associates). Every line naming it rebuilds
    /// it from its own stream, so they all agree.
    fn siret_practice(&self, person: &Person, p: usize) -> io::Result<(Site, Exercise)> {
        let prof = PROFESSIONS.iter().position(|x| x.code == person.profession.code).unwrap_or(0);
        let k = (p / 3) * PROFESSIONS.len() + prof;
        let body = 50_000_000 + k;
        if body >= 60_000_000 {
            return Err(too_large("more sociétés d'exercice than SIREN numbers"));
        }
        let mut r = self.rng(Stream::SiretPractice, k);
        let siren = siren_with_key(body)?;
        let siret = Siret::with_key(&siren, "0001").map_err(id_error)?;
        let d = self.tables.pick_dept(&mut r);
        let town = self.tables.town(d, &mut r);
        let address = self.tables.address(&mut r, town);
        let form = if r.gen_ratio(3, 4) { "SELARL" } else { "SCP" };
        let name = match r.gen_range(0..3) {
            0 => format!("{form} {} ET {}", choose(&mut r, SURNAMES), choose(&mut r, SURNAMES)),
            1 => format!("{form} {} {}", person.profession.practice_word, choose(&mut r, PLACE_NAMES)),
            _ => format!("{form} {} {}", person.profession.practice_word, address.town.name),
        };
        let site = Site {
            idnat_struct: format!("3{siret}"),
            tech_id: tech_id(TECH_SIRET, k as u64),
            siren: siren.to_string(),
            siret: siret.to_string(),
            name,
            address,
            dept: Some(d),
            phone: self.tables.phone(d, &mut r),
            ..Default::default()
        };
        Ok((site, Exercise { sector: "SA09", mode: LIBERAL, role: PARTNER, section: None }))
    }

    /// One CPS per professional; ~3% also hold their previous, expired card; ~1% hold only an
    /// opposed (revoked) card, not yet replaced.
    fn write_generated_cards(
        &self,
        out: &mut ProfessionalWriter,
        person: &Person,
        r: &mut ChaCha8Rng,
    ) -> io::Result<()> {
        let age = r.gen_range(1..=1000);
        let from = self.date - Duration::days(age);
        let roll = r.gen_range(0..100);
        if roll < 3 {
            let previous = from - Months::new(36) - Duration::days(r.gen_range(0..60));
            let number = out.next_card_number();
            out.card(&number, &person.rpps, previous, None)?;
        }
        let opposed = (roll == 3).then(|| from + Duration::days(r.gen_range(0..age)));
        let number = out.next_card_number();
        out.card(&number, &person.rpps, from, opposed)
    }
}

/// The name of an RPPS rang practice.
fn practice_name(person: &Person, group: bool, town: &Town, r: &mut ChaCha8Rng) -> String {
    let radiology = person.specialty.choices == RADIOLOGY_CHOICES;
    let (single, plural) =
        if radiology { ("CABINET DE RADIOLOGIE", "CABINET DE RADIOLOGIE") } else { person.profession.cabinet };
    if group {
        match r.gen_range(0..2) {
            0 => format!("{plural} {}", choose(r, PLACE_NAMES)),
            _ => format!("{plural} DE {}", town.name),
        }
    } else if person.profession.doctor_title {
        format!("{single} DU DR {}", person.last_name)
    } else {
        format!("{single} {}", person.last_name)
    }
}
