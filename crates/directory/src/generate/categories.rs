//! Categories of structures: legal statuses, kinds of establishments (FINESS categories) and
//! kinds of legal entities (profiles).

/// A legal status (statut juridique) and the short form prefixed to company names.
#[derive(Debug, Clone, Copy)]
pub(super) struct LegalStatus {
    pub(super) code: &'static str,
    pub(super) label: &'static str,
    pub(super) short: &'static str,
}

const fn status(code: &'static str, label: &'static str, short: &'static str) -> LegalStatus {
    LegalStatus { code, label, short }
}

pub(super) const STATUS_PUBLIC_HOSPITAL: LegalStatus =
    status("13", "Etablissement Public Communal d'Hospitalisation", "");
pub(super) const STATUS_ASSOCIATION: LegalStatus =
    status("60", "Association Loi 1901 non Reconnue d'Utilité Publique", "");
const STATUS_FOUNDATION: LegalStatus = status("63", "Fondation", "");
const STATUS_CCAS: LegalStatus = status("17", "Centre Communal d'Action Sociale", "");
pub(super) const STATUS_SARL: LegalStatus = status("72", "Société à Responsabilité Limitée (S.A.R.L.)", "SARL");
const STATUS_SA: LegalStatus = status("73", "Société Anonyme (S.A.)", "SA");
const STATUS_SAS: LegalStatus = status("95", "Société par Actions Simplifiée (S.A.S.)", "SAS");
pub(super) const STATUS_SELARL: LegalStatus =
    status("85", "Société d'Exercice Libéral à Responsabilité Limitée (S.E.L.A.R.L.)", "SELARL");
pub(super) const STATUS_SELAS: LegalStatus =
    status("86", "Société d'Exercice Libéral par Actions Simplifiée (S.E.L.A.S.)", "SELAS");
const STATUS_SNC: LegalStatus = status("47", "Société en Nom Collectif (S.N.C.)", "SNC");
pub(super) const STATUS_GIE: LegalStatus = status("88", "Groupement d'Intérêt Economique (G.I.E.)", "GIE");

/// Kinds of establishments (FINESS categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EgKind {
    Pharmacy,
    Lbm,
    Chr,
    Ch,
    Sld,
    Csapa,
    Camsp,
    School,
    Clinic,
    HealthCentre,
    ImagingGie,
    Ehpad,
    Ime,
    Ssiad,
    Esat,
    Saad,
    Chrs,
    AdultHome,
    SeniorResidence,
}

pub(super) struct KindInfo {
    pub(super) code: &'static str,
    pub(super) label: &'static str,
    pub(super) aggregate_code: &'static str,
    pub(super) aggregate_label: &'static str,
    pub(super) ape: &'static str,
    /// The sector of situations there.
    pub(super) sector: &'static str,
    /// A public health establishment (funding and status fields filled).
    pub(super) public: bool,
    /// The name prefix of social and medico-social establishments.
    pub(super) name_prefix: &'static str,
}

const fn kind(
    code: &'static str,
    label: &'static str,
    agr: (&'static str, &'static str),
    ape: &'static str,
    sector: &'static str,
    public: bool,
    name_prefix: &'static str,
) -> KindInfo {
    KindInfo { code, label, aggregate_code: agr.0, aggregate_label: agr.1, ape, sector, public, name_prefix }
}

const AGR_CH: (&str, &str) = ("1102", "Centres Hospitaliers");
const AGR_ELDERLY: (&str, &str) = ("4401", "Etablissements et Services pour Personnes Agées");
const AGR_DISABLED: (&str, &str) = ("4301", "Etablissements et Services pour Adultes Handicapés");

/// Indexed by [`EgKind`]: the categories named by the seeds (101, 191, 362, 190, 300, 611, 620,
/// 355, 500, 183, 354) are exact; the aggregated categories are approximations.
const KINDS: [KindInfo; 19] = [
    kind("620", "Pharmacie d'Officine", ("3301", "Pharmacies d'Officine"), "4773Z", "SA06", false, "PHARMACIE"),
    kind(
        "611",
        "Laboratoire de Biologie Médicale",
        ("3101", "Laboratoires de Biologie Médicale"),
        "8690B",
        "SA17",
        false,
        "LABORATOIRE",
    ),
    kind(
        "101",
        "Centre Hospitalier Régional (C.H.R.)",
        ("1101", "Centres Hospitaliers Régionaux"),
        "8610Z",
        "SA01",
        true,
        "CHR",
    ),
    kind("355", "Centre Hospitalier (C.H.)", AGR_CH, "8610Z", "SA01", true, "CH"),
    kind(
        "362",
        "Etablissement de Soins Longue Durée",
        ("1105", "Etablissements de Soins de Longue Durée"),
        "8610Z",
        "SA01",
        true,
        "USLD",
    ),
    kind(
        "191",
        "Centre soins accompagnement prévention addictologie (CSAPA)",
        ("1205", "Centres de Lutte contre les Addictions"),
        "8610Z",
        "SA01",
        true,
        "CSAPA",
    ),
    kind(
        "190",
        "Centre Action Médico-Sociale Précoce (C.A.M.S.P.)",
        ("4101", "Etablissements et Services pour l'Enfance Handicapée"),
        "8610Z",
        "SA01",
        true,
        "CAMSP",
    ),
    kind(
        "300",
        "Ecoles Formant aux Professions Sanitaires",
        ("1401", "Ecoles Formant aux Professions Sanitaires"),
        "8542Z",
        "SA01",
        true,
        "IFSI",
    ),
    kind(
        "365",
        "Etablissement de Soins Pluridisciplinaire",
        ("1103", "Autres Etablissements de Soins"),
        "8610Z",
        "SA04",
        false,
        "CLINIQUE",
    ),
    kind("124", "Centre de Santé", ("1204", "Centres de Santé"), "8621Z", "SA05", false, "CENTRE DE SANTE"),
    kind(
        "698",
        "Autre Etablissement Loi Hospitalière",
        ("1103", "Autres Etablissements de Soins"),
        "8622A",
        "SA04",
        false,
        "GIE",
    ),
    kind(
        "500",
        "Etablissement d'hébergement pour personnes âgées dépendantes",
        AGR_ELDERLY,
        "8710A",
        "SA26",
        false,
        "EHPAD",
    ),
    kind(
        "183",
        "Institut Médico-Educatif (I.M.E.)",
        ("4101", "Etablissements et Services pour l'Enfance Handicapée"),
        "8710B",
        "SA25",
        false,
        "IME",
    ),
    kind("354", "Service de Soins Infirmiers A Domicile (S.S.I.A.D)", AGR_ELDERLY, "8810A", "SA29", false, "SSIAD"),
    kind(
        "246",
        "Etablissement et Service d'Aide par le Travail (E.S.A.T.)",
        AGR_DISABLED,
        "8810C",
        "SA25",
        false,
        "ESAT",
    ),
    kind(
        "460",
        "Service d'Aide et d'Accompagnement à Domicile (S.A.A.D.)",
        AGR_ELDERLY,
        "8810A",
        "SA29",
        false,
        "SAAD",
    ),
    kind(
        "214",
        "Centre Hébergement & Réinsertion Sociale (C.H.R.S.)",
        ("4501", "Etablissements et Services pour Personnes en Difficulté"),
        "8790B",
        "SA29",
        false,
        "CHRS",
    ),
    kind("252", "Foyer Hébergement Adultes Handicapés", AGR_DISABLED, "8720A", "SA25", false, "FOYER D'HEBERGEMENT"),
    kind("202", "Résidences autonomie", AGR_ELDERLY, "8730A", "SA26", false, "RESIDENCE AUTONOMIE"),
];

impl EgKind {
    pub(super) const ALL: [EgKind; 19] = [
        EgKind::Pharmacy,
        EgKind::Lbm,
        EgKind::Chr,
        EgKind::Ch,
        EgKind::Sld,
        EgKind::Csapa,
        EgKind::Camsp,
        EgKind::School,
        EgKind::Clinic,
        EgKind::HealthCentre,
        EgKind::ImagingGie,
        EgKind::Ehpad,
        EgKind::Ime,
        EgKind::Ssiad,
        EgKind::Esat,
        EgKind::Saad,
        EgKind::Chrs,
        EgKind::AdultHome,
        EgKind::SeniorResidence,
    ];

    pub(super) fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }
}

/// Kinds of legal entities, and the establishments they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Profile {
    Pharmacy,
    Lbm,
    PublicHospital,
    Clinic,
    Association,
    Ccas,
    SeniorGroup,
    HealthCentre,
    ImagingGie,
}

pub(super) struct ProfileInfo {
    /// Share of legal entities (per mille).
    pub(super) weight: u32,
    /// Share of the extra (non-main) establishments (per mille); 0 for single-site entities.
    pub(super) extra_weight: u32,
    pub(super) main: &'static [(EgKind, u32)],
    pub(super) extra: &'static [(EgKind, u32)],
    pub(super) statuses: &'static [(LegalStatus, u32)],
    pub(super) ape: &'static str,
    /// The main establishment is at the legal entity's address.
    pub(super) shares_address: bool,
    /// Chance (per 100) that an extra site is in another département: groups spread, hospitals
    /// and communal services stay local.
    pub(super) spread: u32,
}

const ASSOCIATION_KINDS: &[(EgKind, u32)] = &[
    (EgKind::Ehpad, 20),
    (EgKind::Ime, 15),
    (EgKind::Ssiad, 10),
    (EgKind::Esat, 15),
    (EgKind::Saad, 15),
    (EgKind::Chrs, 10),
    (EgKind::AdultHome, 15),
];
const CCAS_KINDS: &[(EgKind, u32)] = &[(EgKind::SeniorResidence, 40), (EgKind::Saad, 30), (EgKind::Ehpad, 30)];

const PROFILES: [ProfileInfo; 9] = [
    ProfileInfo {
        weight: 350,
        extra_weight: 0,
        main: &[(EgKind::Pharmacy, 1)],
        extra: &[(EgKind::Pharmacy, 1)],
        statuses: &[(STATUS_SELARL, 45), (STATUS_SNC, 25), (STATUS_SELAS, 15), (STATUS_SARL, 15)],
        ape: "4773Z",
        shares_address: true,
        spread: 0,
    },
    ProfileInfo {
        weight: 12,
        extra_weight: 90,
        main: &[(EgKind::Lbm, 1)],
        extra: &[(EgKind::Lbm, 1)],
        statuses: &[(STATUS_SELAS, 70), (STATUS_SELARL, 30)],
        ape: "8690B",
        shares_address: true,
        spread: 15,
    },
    ProfileInfo {
        weight: 20,
        extra_weight: 150,
        main: &[(EgKind::Ch, 9), (EgKind::Chr, 1)],
        extra: &[
            (EgKind::Ch, 30),
            (EgKind::Ehpad, 25),
            (EgKind::Sld, 15),
            (EgKind::Csapa, 10),
            (EgKind::Camsp, 5),
            (EgKind::School, 15),
        ],
        statuses: &[(STATUS_PUBLIC_HOSPITAL, 1)],
        ape: "8610Z",
        shares_address: true,
        spread: 0,
    },
    ProfileInfo {
        weight: 25,
        extra_weight: 30,
        main: &[(EgKind::Clinic, 1)],
        extra: &[(EgKind::Clinic, 1)],
        statuses: &[(STATUS_SAS, 70), (STATUS_SA, 30)],
        ape: "8610Z",
        shares_address: true,
        spread: 0,
    },
    ProfileInfo {
        weight: 300,
        extra_weight: 500,
        main: ASSOCIATION_KINDS,
        extra: ASSOCIATION_KINDS,
        statuses: &[(STATUS_ASSOCIATION, 85), (STATUS_FOUNDATION, 15)],
        ape: "8899B",
        shares_address: false,
        spread: 10,
    },
    ProfileInfo {
        weight: 120,
        extra_weight: 80,
        main: CCAS_KINDS,
        extra: CCAS_KINDS,
        statuses: &[(STATUS_CCAS, 1)],
        ape: "8899B",
        shares_address: false,
        spread: 0,
    },
    ProfileInfo {
        weight: 80,
        extra_weight: 100,
        main: &[(EgKind::Ehpad, 1)],
        extra: &[(EgKind::Ehpad, 1)],
        statuses: &[(STATUS_SAS, 80), (STATUS_SA, 20)],
        ape: "8710A",
        shares_address: false,
        spread: 40,
    },
    ProfileInfo {
        weight: 80,
        extra_weight: 50,
        main: &[(EgKind::HealthCentre, 1)],
        extra: &[(EgKind::HealthCentre, 1)],
        statuses: &[(STATUS_ASSOCIATION, 1)],
        ape: "8621Z",
        shares_address: true,
        spread: 5,
    },
    ProfileInfo {
        weight: 13,
        extra_weight: 0,
        main: &[(EgKind::ImagingGie, 1)],
        extra: &[(EgKind::ImagingGie, 1)],
        statuses: &[(STATUS_GIE, 1)],
        ape: "8622A",
        shares_address: true,
        spread: 0,
    },
];

impl Profile {
    pub(super) const ALL: [Profile; 9] = [
        Profile::Pharmacy,
        Profile::Lbm,
        Profile::PublicHospital,
        Profile::Clinic,
        Profile::Association,
        Profile::Ccas,
        Profile::SeniorGroup,
        Profile::HealthCentre,
        Profile::ImagingGie,
    ];

    pub(super) fn info(self) -> &'static ProfileInfo {
        &PROFILES[self as usize]
    }
}
