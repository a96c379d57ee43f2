//! The seed cases' structures: their legal entities and establishments, as the seeds describe them.

use std::io;

use chrono::{Duration, NaiveDate};

use super::activities::{site_of_establishment, tech_id, Site, TECH_SEED};
use super::categories::{
    EgKind, LegalStatus, STATUS_ASSOCIATION, STATUS_GIE, STATUS_PUBLIC_HOSPITAL, STATUS_SARL, STATUS_SELARL,
    STATUS_SELAS,
};
use super::seed_cases;
use super::structures::{Establishment, LegalEntity};
use super::tables::{Address, StreetType, Tables, Town, AV, CHE, RTE, RUE};

/// The seed cases' structures, built once.
pub(super) struct Seeds {
    pub(super) legal_entities: Vec<LegalEntity>,
    pub(super) establishments: Vec<Establishment>,
}

/// A seed establishment or legal entity's address.
pub(super) struct SeedAddress(
    pub(super) &'static str,
    pub(super) StreetType,
    pub(super) &'static str,
    pub(super) &'static str,
    pub(super) &'static str,
);

impl SeedAddress {
    pub(super) fn build(&self) -> Address {
        let SeedAddress(number, street, name, postal_code, town) = *self;
        Address {
            number: number.into(),
            street,
            street_name: name.into(),
            town: Town { postal_code: postal_code.into(), name: town.into(), commune: String::new() },
            ..Default::default()
        }
    }
}

struct SeedEj {
    finess: &'static str,
    name: &'static str,
    dept: &'static str,
    address: SeedAddress,
    phone: &'static str,
    status: LegalStatus,
    siren: &'static str,
    ape: &'static str,
}

struct SeedEg {
    finess: &'static str,
    ej: &'static str,
    name: &'static str,
    address: SeedAddress,
    phone: &'static str,
    kind: EgKind,
    siret: &'static str,
}

/// The seed's legal entities. The CHU de Nice's SIREN, phone and dates are left empty rather than
/// invented for a real entity.
const SEED_EJS: &[SeedEj] = {
    use seed_cases::*;
    &[
        SeedEj {
            finess: CHU_NICE_EJ,
            name: CHU_NICE_NAME,
            dept: "06",
            address: SeedAddress("4", AV, "REINE VICTORIA", "06003", "NICE CEDEX 1"),
            phone: "",
            status: STATUS_PUBLIC_HOSPITAL,
            siren: "",
            ape: "8610Z",
        },
        SeedEj {
            finess: LBM_SELAS_EJ,
            name: LBM_SELAS_NAME,
            dept: "33",
            address: SeedAddress("12", RUE, "DES GRAVES", "33000", "BORDEAUX"),
            phone: "0556480012",
            status: STATUS_SELAS,
            siren: "300000056",
            ape: "8690B",
        },
        SeedEj {
            finess: LBM_MULTISITE_EJ,
            name: LBM_MULTISITE_NAME,
            dept: "69",
            address: SeedAddress("18", RUE, "DE LA CHARITE", "69002", "LYON"),
            phone: "0478420018",
            status: STATUS_SARL,
            siren: "300000064",
            ape: "8690B",
        },
        SeedEj {
            finess: PHARMACY_EJ,
            name: "SELARL PHARMACIE DU CENTRE",
            dept: "75",
            address: SeedAddress("21", RUE, "DES LILAS", "75019", "PARIS"),
            phone: "0142080021",
            status: STATUS_SELARL,
            siren: "300000049",
            ape: "4773Z",
        },
        SeedEj {
            finess: RADIOLOGY_GIE_EJ,
            name: RADIOLOGY_GIE_NAME,
            dept: "38",
            address: SeedAddress("25", AV, "ALSACE-LORRAINE", "38000", "GRENOBLE"),
            phone: "0476460025",
            status: STATUS_GIE,
            siren: "300000072",
            ape: "8622A",
        },
        SeedEj {
            finess: ESSMS_EJ,
            name: ESSMS_NAME,
            dept: "30",
            address: SeedAddress("6", RUE, "DES ARENES", "30200", "BAGNOLS-SUR-CEZE"),
            phone: "0466890006",
            status: STATUS_ASSOCIATION,
            siren: "300000080",
            ape: "8710A",
        },
        SeedEj {
            finess: HOSPITAL_EJ,
            name: HOSPITAL_NAME,
            dept: "71",
            address: SeedAddress("1", RUE, "DE L'HOPITAL", "71470", "MONTVERT"),
            phone: "0385320001",
            status: STATUS_PUBLIC_HOSPITAL,
            siren: "300000031",
            ape: "8610Z",
        },
    ]
};

/// The seed's establishments: the CHU de Nice's 12 as the seed lists them (names, addresses,
/// phones, categories), then the other cases.
const SEED_EGS: &[SeedEg] = {
    use seed_cases::*;
    const fn chu(
        finess: &'static str,
        name: &'static str,
        address: SeedAddress,
        phone: &'static str,
        kind: EgKind,
    ) -> SeedEg {
        SeedEg { finess, ej: CHU_NICE_EJ, name, address, phone, kind, siret: "" }
    }
    &[
        chu(
            "060024411",
            "CHU DE NICE ANTENNE SMUR SITE HPNCL",
            SeedAddress("57", AV, "DE LA CALIFORNIE", "06000", "NICE"),
            "0492030300",
            EgKind::Chr,
        ),
        chu(
            "060785003",
            "CHU DE NICE HOPITAL PASTEUR",
            SeedAddress("30", AV, "DE LA VOIE ROMANE", "06000", "NICE"),
            "0492037609",
            EgKind::Chr,
        ),
        // The seed prints 060923151, which fails the Luhn key: 060923158 is the same number with
        // its valid key (a transcription error in the seed).
        chu(
            "060923158",
            "CSAPA CHU DE NICE",
            SeedAddress("4", AV, "REINE VICTORIA", "06001", "NICE CEDEX 1"),
            "",
            EgKind::Csapa,
        ),
        chu(
            "060788957",
            "CHU DE NICE HOPITAL DE CIMIEZ",
            SeedAddress("4", AV, "REINE VICTORIA", "06003", "NICE CEDEX 1"),
            "0492034422",
            EgKind::Chr,
        ),
        chu(
            "060793775",
            "CHU DE NICE SLD DE L'HOPITAL DE CIMIEZ",
            SeedAddress("4", AV, "REINE VICTORIA", "06003", "NICE CEDEX 1"),
            "0492034444",
            EgKind::Sld,
        ),
        chu(
            "060790573",
            "CHU DE NICE CTRE CONSULT TRAIT DENT",
            SeedAddress("5", RUE, "PIERRE DEVOLUY", "06006", "NICE CEDEX 1"),
            "0492034503",
            EgKind::Chr,
        ),
        chu(
            "060789195",
            "CHU DE NICE HOPITAL DE L'ARCHET",
            SeedAddress("151", RTE, "SAINT ANTOINE DE GINESTIERE", "06200", "NICE"),
            "0492035525",
            EgKind::Chr,
        ),
        chu(
            "060789799",
            "CAMSP CHU DE NICE",
            SeedAddress("52", AV, "DENIS SEMERIA", "06300", "NICE"),
            "0492036077",
            EgKind::Camsp,
        ),
        chu(
            "060016508",
            "CENTRE DE FORMATION DU CHU DE NICE",
            SeedAddress("10", AV, "BANCO", "06300", "NICE"),
            "0492032120",
            EgKind::School,
        ),
        chu(
            "060004538",
            "ECOLE DE SAGES FEMMES CHU DE NICE",
            SeedAddress("10", AV, "BANCO", "06300", "NICE"),
            "0492032100",
            EgKind::School,
        ),
        chu(
            "060789245",
            "CHU DE NICE HOP ANNEXE DE CANTARON",
            SeedAddress("254", CHE, "DE LA LAUVETTE", "06340", "CANTARON"),
            "0493549970",
            EgKind::Chr,
        ),
        chu(
            "060790177",
            "CHU DE NICE CTRE CONVALESCENCE TENDE",
            SeedAddress("3", RUE, "JEAN MEDECIN", "06430", "TENDE"),
            "0493035000",
            EgKind::Chr,
        ),
        SeedEg {
            finess: LBM_SELAS_SITES[0],
            ej: LBM_SELAS_EJ,
            name: "LABORATOIRE BIOLOGIE DU LITTORAL BORDEAUX",
            address: SeedAddress("12", RUE, "DES GRAVES", "33000", "BORDEAUX"),
            phone: "0556480012",
            kind: EgKind::Lbm,
            siret: "30000005600014",
        },
        SeedEg {
            finess: LBM_SELAS_SITES[1],
            ej: LBM_SELAS_EJ,
            name: "LABORATOIRE BIOLOGIE DU LITTORAL MERIGNAC",
            address: SeedAddress("5", AV, "DE LA MARNE", "33700", "MERIGNAC"),
            phone: "0556470005",
            kind: EgKind::Lbm,
            siret: "30000005600022",
        },
        SeedEg {
            finess: LBM_SELAS_SITES[2],
            ej: LBM_SELAS_EJ,
            name: "LABORATOIRE BIOLOGIE DU LITTORAL PESSAC",
            address: SeedAddress("40", AV, "JEAN JAURES", "33600", "PESSAC"),
            phone: "0556360040",
            kind: EgKind::Lbm,
            siret: "30000005600030",
        },
        SeedEg {
            finess: LBM_MULTISITE_SITES[0],
            ej: LBM_MULTISITE_EJ,
            name: "LABORATOIRE DES DEUX RIVES LYON",
            address: SeedAddress("18", RUE, "DE LA CHARITE", "69002", "LYON"),
            phone: "0478420018",
            kind: EgKind::Lbm,
            siret: "30000006400018",
        },
        SeedEg {
            finess: LBM_MULTISITE_SITES[1],
            ej: LBM_MULTISITE_EJ,
            name: "LABORATOIRE DES DEUX RIVES VILLEURBANNE",
            address: SeedAddress("7", AV, "HENRI BARBUSSE", "69100", "VILLEURBANNE"),
            phone: "0478850007",
            kind: EgKind::Lbm,
            siret: "30000006400026",
        },
        SeedEg {
            finess: PHARMACY_EG,
            ej: PHARMACY_EJ,
            name: PHARMACY_NAME,
            address: SeedAddress("21", RUE, "DES LILAS", "75019", "PARIS"),
            phone: "0142080021",
            kind: EgKind::Pharmacy,
            siret: "30000004900019",
        },
        SeedEg {
            finess: RADIOLOGY_GIE_EG,
            ej: RADIOLOGY_GIE_EJ,
            name: RADIOLOGY_GIE_NAME,
            address: SeedAddress("25", AV, "ALSACE-LORRAINE", "38000", "GRENOBLE"),
            phone: "0476460025",
            kind: EgKind::ImagingGie,
            siret: "30000007200011",
        },
        SeedEg {
            finess: ESSMS_EGS[0],
            ej: ESSMS_EJ,
            name: "EHPAD LES TERRASSES DE LA CEZE",
            address: SeedAddress("14", CHE, "DES VIGNES", "30200", "BAGNOLS-SUR-CEZE"),
            phone: "0466890014",
            kind: EgKind::Ehpad,
            siret: "30000008000014",
        },
        SeedEg {
            finess: ESSMS_EGS[1],
            ej: ESSMS_EJ,
            name: "IME LE VAL DE CEZE",
            address: SeedAddress("2", RTE, "D'AVIGNON", "30200", "BAGNOLS-SUR-CEZE"),
            phone: "0466890002",
            kind: EgKind::Ime,
            siret: "30000008000022",
        },
        SeedEg {
            finess: ESSMS_EGS[2],
            ej: ESSMS_EJ,
            name: "SSIAD DU VAL DE CEZE",
            address: SeedAddress("6", RUE, "DES ARENES", "30200", "BAGNOLS-SUR-CEZE"),
            phone: "0466890006",
            kind: EgKind::Ssiad,
            siret: "30000008000030",
        },
        SeedEg {
            finess: HOSPITAL_EG,
            ej: HOSPITAL_EJ,
            name: HOSPITAL_NAME,
            address: SeedAddress("1", RUE, "DE L'HOPITAL", "71470", "MONTVERT"),
            phone: "0385320001",
            kind: EgKind::Ch,
            siret: HOSPITAL_SIRET,
        },
    ]
};

impl Seeds {
    pub(super) fn new(tables: &Tables, date: NaiveDate) -> io::Result<Seeds> {
        let updated = (date - Duration::days(30)).to_string();
        let mut legal_entities = Vec::with_capacity(SEED_EJS.len());
        for s in SEED_EJS {
            let dept = tables.dept_index(s.dept)?;
            legal_entities.push(LegalEntity {
                finess: s.finess.into(),
                name: s.name.into(),
                long_name: s.name.into(),
                address: s.address.build(),
                dept,
                phone: s.phone.into(),
                status: s.status,
                siren: s.siren.into(),
                ape: s.ape,
                created: String::new(),
            });
        }
        let mut establishments = Vec::with_capacity(SEED_EGS.len());
        for s in SEED_EGS {
            establishments.push(Establishment {
                finess: s.finess.into(),
                legal_entity: s.ej.into(),
                name: s.name.into(),
                long_name: s.name.into(),
                address: s.address.build(),
                dept: tables.dept_index(&s.finess[..2])?,
                phone: s.phone.into(),
                fax: String::new(),
                kind: s.kind,
                siret: s.siret.into(),
                opened: String::new(),
                authorised: String::new(),
                updated: updated.clone(),
            });
        }
        Ok(Seeds { legal_entities, establishments })
    }

    /// A seed establishment as the activities file names it.
    pub(super) fn site(&self, finess: &str) -> io::Result<Site> {
        let (s, eg) = self
            .establishments
            .iter()
            .enumerate()
            .find(|(_, e)| e.finess == finess)
            .ok_or_else(|| io::Error::other(format!("seed establishment {finess} is missing")))?;
        Ok(site_of_establishment(eg, tech_id(TECH_SEED, s as u64 + 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use santepki_domain::{Finess, IdNatStruct, Rpps, RppsRang, Siren, Siret, ValidationMode};

    #[test]
    fn seed_identifiers_are_valid() {
        use seed_cases::*;
        let strict = ValidationMode::Strict;
        let finess: Vec<&str> = [
            CHU_NICE_EJ,
            LBM_SELAS_EJ,
            LBM_MULTISITE_EJ,
            PHARMACY_EJ,
            PHARMACY_EG,
            RADIOLOGY_GIE_EJ,
            RADIOLOGY_GIE_EG,
            ESSMS_EJ,
            HOSPITAL_EJ,
            HOSPITAL_EG,
        ]
        .into_iter()
        .chain(CHU_NICE_EGS)
        .chain(LBM_SELAS_SITES)
        .chain(LBM_MULTISITE_SITES)
        .chain(ESSMS_EGS)
        .collect();
        for f in &finess {
            Finess::parse(f, strict).unwrap();
        }
        let mut unique = finess.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), finess.len(), "seed FINESS numbers are unique");
        for s in [SOCIETE_EXERCICE_SIRET, SCM_RADIOLOGIST_SIRET, HOSPITAL_SIRET] {
            Siret::parse(s, strict).unwrap();
        }
        for eg in SEED_EGS {
            if !eg.siret.is_empty() {
                Siret::parse(eg.siret, strict).unwrap();
            }
        }
        for ej in SEED_EJS {
            if !ej.siren.is_empty() {
                Siren::parse(ej.siren, strict).unwrap();
            }
        }
        for r in SCM_RADIOLOGIST_RPPS_RANGS {
            assert!(r.starts_with(SCM_RADIOLOGIST_RPPS));
            RppsRang::parse(r, strict).unwrap();
        }
        for p in PROFESSIONALS {
            Rpps::parse(p.rpps, strict).unwrap();
            assert!(
                p.rpps == TEST_PS_RPPS || !p.rpps.starts_with("997"),
                "only the R44 professional is a test identity"
            );
            assert_eq!(p.card.len(), 10);
        }
        for row in TEST_PS_SITUATIONS {
            IdNatStruct::parse(row.ou, ValidationMode::Test).unwrap();
        }
        // The seed's transcription error, kept out.
        assert!(Finess::parse("060923151", strict).is_err());
    }
}
