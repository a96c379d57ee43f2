//! Professions, their specialties and where their holders exercise; modes, functions and
//! pharmacists' register sections.

use super::categories::EgKind;

/// A code and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CodeLabel {
    pub(super) code: &'static str,
    pub(super) label: &'static str,
}

const fn cl(code: &'static str, label: &'static str) -> CodeLabel {
    CodeLabel { code, label }
}

pub(super) const LIBERAL: CodeLabel = cl("L", "Libéral");
pub(super) const SALARIED: CodeLabel = cl("S", "Salarié");
pub(super) const VOLUNTEER: CodeLabel = cl("B", "Bénévole");

/// Functions (`Code fonction`): this project's codes, used consistently.
pub(super) const PRACTICE_HOLDER: CodeLabel = cl("FON-01", "Titulaire de cabinet");
pub(super) const PARTNER: CodeLabel = cl("FON-02", "Associé de société d'exercice");
pub(super) const EMPLOYEE: CodeLabel = cl("FON-03", "Salarié");
pub(super) const PHARMACIST_OWNER: CodeLabel = cl("FON-04", "Pharmacien titulaire d'officine");
pub(super) const PHARMACIST_ASSISTANT: CodeLabel = cl("FON-05", "Pharmacien adjoint d'officine");
pub(super) const BIOLOGIST_HEAD: CodeLabel = cl("FON-06", "Biologiste responsable");
pub(super) const BIOLOGIST: CodeLabel = cl("FON-07", "Biologiste médical");
pub(super) const HOSPITAL_PRACTITIONER: CodeLabel = cl("FON-08", "Praticien hospitalier");
pub(super) const COORDINATING_PHYSICIAN: CodeLabel = cl("FON-09", "Médecin coordonnateur");
pub(super) const PRIVATE_PRACTITIONER: CodeLabel = cl("FON-10", "Praticien libéral en établissement");

/// Sections of the pharmacists' register.
pub(super) const SECTION_A: CodeLabel = cl("A", "Pharmaciens titulaires d'officine");
pub(super) const SECTION_D: CodeLabel = cl("D", "Pharmaciens adjoints et autres exercices");
pub(super) const SECTION_G: CodeLabel = cl("G", "Pharmaciens biologistes");
pub(super) const SECTION_H: CodeLabel = cl("H", "Pharmaciens des établissements de santé");

/// Where a professional may exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Choice {
    Establishment(&'static [EgKind]),
    Rang { group: bool },
    Siret,
}

const HOSPITALS: &[EgKind] = &[EgKind::Chr, EgKind::Ch, EgKind::Sld];
const CLINICS: &[EgKind] = &[EgKind::Clinic];
const HEALTH_CENTRES: &[EgKind] = &[EgKind::HealthCentre];
const EHPADS: &[EgKind] = &[EgKind::Ehpad];
const LABS: &[EgKind] = &[EgKind::Lbm];
const PHARMACIES: &[EgKind] = &[EgKind::Pharmacy];
const GIES: &[EgKind] = &[EgKind::ImagingGie];

const GENERAL_CHOICES: &[(Choice, u32)] = &[
    (Choice::Rang { group: false }, 40),
    (Choice::Rang { group: true }, 20),
    (Choice::Siret, 12),
    (Choice::Establishment(HOSPITALS), 25),
    (Choice::Establishment(CLINICS), 8),
    (Choice::Establishment(HEALTH_CENTRES), 6),
    (Choice::Establishment(EHPADS), 5),
    (Choice::Establishment(&[EgKind::Csapa, EgKind::Camsp]), 3),
];
pub(super) const RADIOLOGY_CHOICES: &[(Choice, u32)] = &[
    (Choice::Rang { group: false }, 15),
    (Choice::Rang { group: true }, 20),
    (Choice::Siret, 25),
    (Choice::Establishment(GIES), 15),
    (Choice::Establishment(HOSPITALS), 15),
    (Choice::Establishment(CLINICS), 10),
];
const BIOLOGY_CHOICES: &[(Choice, u32)] = &[(Choice::Establishment(LABS), 80), (Choice::Establishment(HOSPITALS), 20)];
const HOSPITAL_CHOICES: &[(Choice, u32)] = &[
    (Choice::Establishment(HOSPITALS), 55),
    (Choice::Establishment(CLINICS), 25),
    (Choice::Rang { group: false }, 10),
    (Choice::Siret, 10),
];
const OFFICINE_CHOICES: &[(Choice, u32)] =
    &[(Choice::Establishment(PHARMACIES), 95), (Choice::Establishment(HOSPITALS), 5)];
const HOSPITAL_PHARMACY_CHOICES: &[(Choice, u32)] =
    &[(Choice::Establishment(HOSPITALS), 90), (Choice::Establishment(CLINICS), 10)];
const DENTAL_CHOICES: &[(Choice, u32)] = &[
    (Choice::Rang { group: false }, 45),
    (Choice::Rang { group: true }, 15),
    (Choice::Siret, 25),
    (Choice::Establishment(HEALTH_CENTRES), 10),
    (Choice::Establishment(HOSPITALS), 5),
];
const MIDWIFE_CHOICES: &[(Choice, u32)] = &[
    (Choice::Establishment(HOSPITALS), 55),
    (Choice::Establishment(CLINICS), 20),
    (Choice::Rang { group: false }, 20),
    (Choice::Establishment(HEALTH_CENTRES), 5),
];
const NURSE_CHOICES: &[(Choice, u32)] = &[
    (Choice::Establishment(HOSPITALS), 38),
    (Choice::Establishment(CLINICS), 10),
    (Choice::Establishment(EHPADS), 14),
    (Choice::Establishment(&[EgKind::Ssiad]), 8),
    (Choice::Establishment(&[EgKind::Ime]), 3),
    (Choice::Establishment(HEALTH_CENTRES), 2),
    (Choice::Rang { group: false }, 36),
    (Choice::Rang { group: true }, 16),
];
const PHYSIO_CHOICES: &[(Choice, u32)] = &[
    (Choice::Rang { group: false }, 45),
    (Choice::Rang { group: true }, 20),
    (Choice::Siret, 12),
    (Choice::Establishment(HOSPITALS), 10),
    (Choice::Establishment(CLINICS), 10),
    (Choice::Establishment(EHPADS), 10),
];

/// A savoir-faire (specialty) and where its holders exercise. Codes are illustrative; the
/// importer does not read them. An empty code writes no savoir-faire.
pub(super) struct Specialty {
    pub(super) code: &'static str,
    pub(super) label: &'static str,
    pub(super) choices: &'static [(Choice, u32)],
}

const fn sf(code: &'static str, label: &'static str, choices: &'static [(Choice, u32)]) -> Specialty {
    Specialty { code, label, choices }
}

pub(super) struct Profession {
    pub(super) code: &'static str,
    pub(super) label: &'static str,
    pub(super) authority: &'static str,
    /// `DR Docteur` as civilité d'exercice.
    pub(super) doctor_title: bool,
    pub(super) female_per_100: u32,
    pub(super) specialties: &'static [Specialty],
    pub(super) specialty_weights: &'static [(usize, u32)],
    /// Individual and group practice names.
    pub(super) cabinet: (&'static str, &'static str),
    /// The word naming the profession in a société d'exercice's name.
    pub(super) practice_word: &'static str,
}

pub(super) const PROFESSIONS: [Profession; 6] = [
    Profession {
        code: "10",
        label: "Médecin",
        authority: "CNOM",
        doctor_title: true,
        female_per_100: 50,
        specialties: &[
            sf("SM54", "Médecine générale", GENERAL_CHOICES),
            sf("SM44", "Radio-diagnostic", RADIOLOGY_CHOICES),
            sf("SM04", "Cardiologie", GENERAL_CHOICES),
            sf("SM40", "Pédiatrie", GENERAL_CHOICES),
            sf("SM42", "Psychiatrie", GENERAL_CHOICES),
            sf("SM02", "Anesthésie-réanimation", HOSPITAL_CHOICES),
            sf("SM05", "Biologie médicale", BIOLOGY_CHOICES),
            sf("SM20", "Gynécologie-obstétrique", HOSPITAL_CHOICES),
            sf("SM08", "Chirurgie générale", HOSPITAL_CHOICES),
            sf("SM38", "Ophtalmologie", GENERAL_CHOICES),
            sf("SM15", "Dermatologie et vénéréologie", GENERAL_CHOICES),
            sf("SM57", "Médecine d'urgence", HOSPITAL_CHOICES),
        ],
        specialty_weights: &[
            (0, 45),
            (1, 4),
            (2, 4),
            (3, 4),
            (4, 6),
            (5, 6),
            (6, 2),
            (7, 4),
            (8, 5),
            (9, 4),
            (10, 3),
            (11, 5),
        ],
        cabinet: ("CABINET", "CABINET MEDICAL"),
        practice_word: "MEDICALE",
    },
    Profession {
        code: "21",
        label: "Pharmacien",
        authority: "CNOP",
        doctor_title: true,
        female_per_100: 68,
        specialties: &[
            sf("", "Pharmacie d'officine", OFFICINE_CHOICES),
            sf("", "Pharmacie hospitalière", HOSPITAL_PHARMACY_CHOICES),
            sf("SM05", "Biologie médicale", BIOLOGY_CHOICES),
        ],
        specialty_weights: &[(0, 75), (1, 15), (2, 10)],
        cabinet: ("PHARMACIE", "PHARMACIE"),
        practice_word: "PHARMACEUTIQUE",
    },
    Profession {
        code: "40",
        label: "Chirurgien-Dentiste",
        authority: "CNOCD",
        doctor_title: true,
        female_per_100: 48,
        specialties: &[sf("", "Chirurgie dentaire", DENTAL_CHOICES)],
        specialty_weights: &[(0, 1)],
        cabinet: ("CABINET DENTAIRE", "CABINET DENTAIRE"),
        practice_word: "DENTAIRE",
    },
    Profession {
        code: "50",
        label: "Sage-Femme",
        authority: "CNOSF",
        doctor_title: false,
        female_per_100: 97,
        specialties: &[sf("", "Maïeutique", MIDWIFE_CHOICES)],
        specialty_weights: &[(0, 1)],
        cabinet: ("CABINET DE SAGE-FEMME", "CABINET DE SAGES-FEMMES"),
        practice_word: "MAIEUTIQUE",
    },
    Profession {
        code: "60",
        label: "Infirmier",
        authority: "ONI",
        doctor_title: false,
        female_per_100: 87,
        specialties: &[sf("", "", NURSE_CHOICES)],
        specialty_weights: &[(0, 1)],
        cabinet: ("CABINET INFIRMIER", "CABINET DE SOINS INFIRMIERS"),
        practice_word: "INFIRMIERE",
    },
    Profession {
        code: "70",
        label: "Masseur-Kinésithérapeute",
        authority: "CNOMK",
        doctor_title: false,
        female_per_100: 50,
        specialties: &[sf("", "", PHYSIO_CHOICES)],
        specialty_weights: &[(0, 1)],
        cabinet: ("CABINET DE KINESITHERAPIE", "CABINET DE KINESITHERAPIE"),
        practice_word: "KINESITHERAPIE",
    },
];

/// Share of each profession among professionals (index into [`PROFESSIONS`]).
pub(super) const PROFESSION_WEIGHTS: [(usize, u32); 6] = [(0, 30), (1, 9), (2, 6), (3, 3), (4, 40), (5, 12)];
