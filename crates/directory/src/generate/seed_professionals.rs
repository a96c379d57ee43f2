//! The seed cases' professionals: their situations and cards.

use std::io;

use chrono::{Duration, Months};

use super::activities::{tech_id, Exercise, Person, ProfessionalWriter, Site, TECH_SEED};
use super::professions::{
    CodeLabel, BIOLOGIST, BIOLOGIST_HEAD, EMPLOYEE, HOSPITAL_PRACTITIONER, LIBERAL, PARTNER, PHARMACIST_ASSISTANT,
    PHARMACIST_OWNER, PRACTICE_HOLDER, PRIVATE_PRACTITIONER, PROFESSIONS, SALARIED, SECTION_A, SECTION_D, SECTION_G,
    SECTION_H,
};
use super::seed_cases;
use super::seeds::SeedAddress;
use super::tables::{Address, StreetType, AV, BD, PL, RUE};
use super::Generator;

/// A seed professional's profession and specialty, by code.
fn seed_person(rpps: &str, specialty: &str) -> io::Result<Person> {
    let seed = seed_cases::professional(rpps)
        .ok_or_else(|| io::Error::other(format!("seed professional {rpps} is missing")))?;
    let profession = PROFESSIONS
        .iter()
        .find(|p| p.code == seed.profession)
        .ok_or_else(|| io::Error::other(format!("unknown profession {}", seed.profession)))?;
    let specialty = profession
        .specialties
        .iter()
        .find(|s| s.label == specialty)
        .ok_or_else(|| io::Error::other(format!("unknown specialty {specialty}")))?;
    Ok(Person {
        rpps: seed.rpps.into(),
        last_name: seed.last_name.into(),
        first_name: seed.first_name.into(),
        female: seed.female,
        profession,
        specialty,
    })
}

const fn exercise(sector: &'static str, mode: CodeLabel, role: CodeLabel, section: Option<CodeLabel>) -> Exercise {
    Exercise { sector, mode, role, section }
}

impl Generator {
    pub(super) fn write_seed_professionals(&self, out: &mut ProfessionalWriter) -> io::Result<()> {
        use seed_cases::*;
        self.write_test_professional(out)?;

        // CHU de Nice: physicians with SA01 situations (seed 001).
        let hospital = exercise("SA01", SALARIED, HOSPITAL_PRACTITIONER, None);
        self.seed_professional(
            out,
            CHU_NICE_PHYSICIANS_RPPS[0],
            "Cardiologie",
            &[(CHU_NICE_PASTEUR_EG, hospital), ("060788957", hospital)],
        )?;
        self.seed_professional(out, CHU_NICE_PHYSICIANS_RPPS[1], "Médecine d'urgence", &[("060024411", hospital)])?;
        self.seed_professional(
            out,
            CHU_NICE_PHYSICIANS_RPPS[2],
            "Pédiatrie",
            &[("060789195", hospital), ("060789799", hospital)],
        )?;

        // R11: every biologist of the SELAS at its main site; the legal representative first.
        let head = exercise("SA17", LIBERAL, BIOLOGIST_HEAD, Some(SECTION_G));
        self.seed_professional(out, LBM_SELAS_BIOLOGISTS_RPPS[0], "Biologie médicale", &[(LBM_SELAS_MAIN_EG, head)])?;
        let bio_md = exercise("SA17", LIBERAL, BIOLOGIST, None);
        self.seed_professional(out, LBM_SELAS_BIOLOGISTS_RPPS[1], "Biologie médicale", &[(LBM_SELAS_MAIN_EG, bio_md)])?;
        let bio_pharm = exercise("SA17", SALARIED, BIOLOGIST, Some(SECTION_G));
        self.seed_professional(
            out,
            LBM_SELAS_BIOLOGISTS_RPPS[2],
            "Biologie médicale",
            &[(LBM_SELAS_MAIN_EG, bio_pharm)],
        )?;

        // R12: the multi-site lab that is not a SELAS, biologists at its main site.
        self.seed_professional(
            out,
            LBM_MULTISITE_BIOLOGISTS_RPPS[0],
            "Biologie médicale",
            &[(LBM_MULTISITE_MAIN_EG, head)],
        )?;
        let bio_md_salaried = exercise("SA17", SALARIED, BIOLOGIST, None);
        self.seed_professional(
            out,
            LBM_MULTISITE_BIOLOGISTS_RPPS[1],
            "Biologie médicale",
            &[(LBM_MULTISITE_MAIN_EG, bio_md_salaried)],
        )?;

        // R10: the pharmacy's titulaire (legal representative) and assistant, at its FINESS EG.
        let owner = exercise("SA06", LIBERAL, PHARMACIST_OWNER, Some(SECTION_A));
        self.seed_professional(out, PHARMACIST_RPPS, "Pharmacie d'officine", &[(PHARMACY_EG, owner)])?;
        let assistant = exercise("SA06", SALARIED, PHARMACIST_ASSISTANT, Some(SECTION_D));
        self.seed_professional(out, PHARMACY_ASSISTANT_RPPS, "Pharmacie d'officine", &[(PHARMACY_EG, assistant)])?;

        // R13: two radiologists of a société d'exercice, identified by its SIRET.
        let parc = self.seed_practice_siret(
            SOCIETE_EXERCICE_SIRET,
            SOCIETE_EXERCICE_NAME,
            3,
            SeedAddress("15", BD, "DES ANGLAIS", "44100", "NANTES"),
        )?;
        for rpps in SOCIETE_EXERCICE_RADIOLOGISTS_RPPS {
            let person = seed_person(rpps, "Radio-diagnostic")?;
            out.situation(&self.tables, &person, &parc, &exercise("SA09", LIBERAL, PARTNER, None))?;
            self.seed_card(out, &person)?;
        }

        self.write_scm_radiologist(out)?;

        // R15: radiologists of the GIE, sector SA04.
        let gie = exercise("SA04", LIBERAL, PRIVATE_PRACTITIONER, None);
        for rpps in RADIOLOGY_GIE_RADIOLOGISTS_RPPS {
            self.seed_professional(out, rpps, "Radio-diagnostic", &[(RADIOLOGY_GIE_EG, gie)])?;
        }

        // R16: nurses of the manager's EHPAD (SA26), SSIAD (SA29) and IME (SA25, handicap).
        let nurse = |sector| exercise(sector, SALARIED, EMPLOYEE, None);
        self.seed_professional(out, ESSMS_NURSES_RPPS[0], "", &[(ESSMS_EGS[0], nurse("SA26"))])?;
        self.seed_professional(out, ESSMS_NURSES_RPPS[1], "", &[(ESSMS_EGS[2], nurse("SA29"))])?;
        self.seed_professional(out, ESSMS_NURSES_RPPS[2], "", &[(ESSMS_EGS[1], nurse("SA25"))])?;

        // R17: the hospital's physicians and pharmacist, SA01.
        self.seed_professional(out, HOSPITAL_STAFF_RPPS[0], "Anesthésie-réanimation", &[(HOSPITAL_EG, hospital)])?;
        self.seed_professional(out, HOSPITAL_STAFF_RPPS[1], "Médecine d'urgence", &[(HOSPITAL_EG, hospital)])?;
        let pui = exercise("SA01", SALARIED, HOSPITAL_PRACTITIONER, Some(SECTION_H));
        self.seed_professional(out, HOSPITAL_STAFF_RPPS[2], "Pharmacie hospitalière", &[(HOSPITAL_EG, pui)])
    }

    /// A seed professional with situations at seed establishments, and their card.
    fn seed_professional(
        &self,
        out: &mut ProfessionalWriter,
        rpps: &str,
        specialty: &str,
        situations: &[(&str, Exercise)],
    ) -> io::Result<()> {
        let person = seed_person(rpps, specialty)?;
        for (finess, ex) in situations {
            out.situation(&self.tables, &person, &self.seeds.site(finess)?, ex)?;
        }
        self.seed_card(out, &person)
    }

    /// The seed professional's valid card; the first two CHU physicians also hold an expired
    /// and an opposed card.
    fn seed_card(&self, out: &mut ProfessionalWriter, person: &Person) -> io::Result<()> {
        let seed =
            seed_cases::professional(&person.rpps).ok_or_else(|| io::Error::other("seed professional without card"))?;
        let from = self.date - Duration::days(200);
        if seed.rpps == seed_cases::CHU_NICE_PHYSICIANS_RPPS[0] {
            out.card(seed_cases::EXPIRED_CARD, seed.rpps, from - Months::new(36), None)?;
        }
        if seed.rpps == seed_cases::CHU_NICE_PHYSICIANS_RPPS[1] {
            out.card(seed_cases::OPPOSED_CARD, seed.rpps, from - Months::new(12), Some(from))?;
        }
        out.card(seed.card, seed.rpps, from, None)?;
        out.counts.professionals += 1;
        Ok(())
    }

    /// R44: the test professional's four practices, with the values the LDAP query returns. Only
    /// the recipient and street columns are filled so that the postal address comes out
    /// verbatim; postal code, town and département stay empty.
    fn write_test_professional(&self, out: &mut ProfessionalWriter) -> io::Result<()> {
        use seed_cases::*;
        let person = seed_person(TEST_PS_RPPS, "Radio-diagnostic")?;
        let parts = [
            ("CG MAXI", "8"),
            ("CABINET DE M. MAXIMAXIMAXIMAXIM", "4"),
            ("CABINET DE M. MAXIMAXIMAXIMAXIM", "4"),
            ("SOCIETE MAXI", "6"),
        ];
        for (n, (row, (recipient, number))) in TEST_PS_SITUATIONS.iter().zip(parts).enumerate() {
            let siret = if row.sector == "SA09" { TEST_PS_SOCIETE_SIRET } else { "" };
            let site = Site {
                idnat_struct: row.ou.into(),
                tech_id: tech_id(TECH_SEED, 100 + n as u64),
                siret: siret.into(),
                siren: siret.get(..9).unwrap_or_default().into(),
                name: row.raison_sociale.into(),
                address: Address {
                    recipient: recipient.into(),
                    number: number.into(),
                    street: StreetType { code: "", label: "RUE" },
                    street_name: "NOIR".into(),
                    ..Default::default()
                },
                dept: None,
                ..Default::default()
            };
            let role = if row.sector == "SA09" { PARTNER } else { PRACTICE_HOLDER };
            out.situation(&self.tables, &person, &site, &exercise(row.sector, LIBERAL, role, None))?;
        }
        self.seed_card(out, &person)
    }

    /// R14: six RPPS rang practices (SA07/SA08) and one SELARL (SA09, SIRET).
    fn write_scm_radiologist(&self, out: &mut ProfessionalWriter) -> io::Result<()> {
        use seed_cases::*;
        let person = seed_person(SCM_RADIOLOGIST_RPPS, "Radio-diagnostic")?;
        let practices = [
            (
                "CABINET DE RADIOLOGIE DU VIEUX PORT",
                "SA08",
                SeedAddress("12", RUE, "DE LA REPUBLIQUE", "13002", "MARSEILLE"),
            ),
            (
                "CABINET DE RADIOLOGIE DE LA CANEBIERE",
                "SA08",
                SeedAddress("48", BD, "DE LA LIBERATION", "13001", "MARSEILLE"),
            ),
            ("CABINET DE RADIOLOGIE DU DR VERMEILLE", "SA07", SeedAddress("7", AV, "DU PRADO", "13006", "MARSEILLE")),
            ("CABINET DE RADIOLOGIE D'AUBAGNE", "SA08", SeedAddress("3", PL, "DE LA LIBERATION", "13400", "AUBAGNE")),
            ("CABINET DE RADIOLOGIE DE LA CIOTAT", "SA08", SeedAddress("22", AV, "EMILE BODIN", "13600", "LA CIOTAT")),
            ("CABINET DE RADIOLOGIE DE CASSIS", "SA07", SeedAddress("5", RUE, "DE L'ARENE", "13260", "CASSIS")),
        ];
        let dept = self.tables.dept_index("13")?;
        for (n, ((name, sector, address), rang)) in practices.into_iter().zip(SCM_RADIOLOGIST_RPPS_RANGS).enumerate() {
            let site = Site {
                idnat_struct: format!("4{rang}"),
                tech_id: tech_id(TECH_SEED, 200 + n as u64),
                name: name.into(),
                address: address.build(),
                dept: Some(dept),
                phone: format!("04915400{:02}", n + 1),
                ..Default::default()
            };
            out.situation(&self.tables, &person, &site, &exercise(sector, LIBERAL, PRACTICE_HOLDER, None))?;
        }
        let selarl = self.seed_practice_siret(
            SCM_RADIOLOGIST_SIRET,
            SCM_RADIOLOGIST_SELARL_NAME,
            4,
            SeedAddress("20", RUE, "PARADIS", "13001", "MARSEILLE"),
        )?;
        out.situation(&self.tables, &person, &selarl, &exercise("SA09", LIBERAL, PARTNER, None))?;
        self.seed_card(out, &person)
    }

    fn seed_practice_siret(&self, siret: &str, name: &str, n: u64, address: SeedAddress) -> io::Result<Site> {
        let dept = self.tables.dept_index(&address.3[..2])?;
        Ok(Site {
            idnat_struct: format!("3{siret}"),
            tech_id: tech_id(TECH_SEED, 300 + n),
            siret: siret.into(),
            siren: siret[..9].into(),
            name: name.into(),
            address: address.build(),
            dept: Some(dept),
            ..Default::default()
        })
    }
}
