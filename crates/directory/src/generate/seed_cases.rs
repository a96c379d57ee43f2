//! Identifiers of the cases of the seed documents, present in every generated directory at every
//! scale (the demo and the tests name them). Non-test identifiers below are synthetic but valid
//! (Luhn keys right); a unit test checks every one.

/// One row of the R44 table: what the LDAP query returns for the test professional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct R44Row {
    /// The practice's idNat_Struct.
    pub ou: &'static str,
    /// Raison sociale of the practice.
    pub raison_sociale: &'static str,
    /// Postal address, as the `postalAddress` attribute shows it.
    pub postal_address: &'static str,
    /// Sector of activity (`sectActRPPS`).
    pub sector: &'static str,
}

/// A professional of the seed cases with their CPS card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedProfessional {
    /// RPPS number (11 digits).
    pub rpps: &'static str,
    /// Number of the current, valid CPS card.
    pub card: &'static str,
    /// Exercise last name.
    pub last_name: &'static str,
    /// Exercise first name.
    pub first_name: &'static str,
    /// RPPS profession code: 10 Médecin, 21 Pharmacien, 60 Infirmier.
    pub profession: &'static str,
    /// Civilité `MME` (else `M`).
    pub female: bool,
}

// --- R44: the agency's test professional --------------------------------------------------
/// RPPS of the agency's test professional (test RPPS start with `997`).
pub const TEST_PS_RPPS: &str = "99700270616";
/// idNat_PS of the test professional: `8` + RPPS, the `cn` the R44 query looks for.
pub const TEST_PS_IDNAT: &str = "899700270616";
/// Last name of the test professional.
pub const TEST_PS_LAST_NAME: &str = "MAXIMAXIMAXIMAXIM";
/// First name of the test professional.
pub const TEST_PS_FIRST_NAME: &str = "MAXIME";
/// CPS card number of the test professional.
pub const TEST_PS_CARD: &str = "8000000001";
/// The SIRET of `SOCIETE MAXI`: a 13-digit test-environment SIRET, accepted in test mode only.
pub const TEST_PS_SOCIETE_SIRET: &str = "9999999800514";
/// R44: the four practices of the test professional, as the LDAP directory lists them.
pub const TEST_PS_SITUATIONS: [R44Row; 4] = [
    R44Row {
        ou: "499700270616029",
        raison_sociale: "CG MAXI0027061",
        postal_address: "CG MAXI 8 RUE NOIR",
        sector: "SA08",
    },
    R44Row {
        ou: "499700270616011",
        raison_sociale: "CABINET DE M. MAXIMAXIMAXIMAXIM0027061",
        postal_address: "CABINET DE M. MAXIMAXIMAXIMAXIM 4 RUE NOIR",
        sector: "SA07",
    },
    R44Row {
        ou: "499700270616003",
        raison_sociale: "CABINET DE M. MAXIMAXIMAXIMAXIM0027061",
        postal_address: "CABINET DE M. MAXIMAXIMAXIMAXIM 4 RUE NOIR",
        sector: "SA07",
    },
    R44Row {
        ou: "39999999800514",
        raison_sociale: "SOCIETE MAXI",
        postal_address: "SOCIETE MAXI 6 RUE NOIR",
        sector: "SA09",
    },
];

// --- Seed 001: the CHU de Nice, one legal entity and its 12 establishments (R16, R18) -----
/// FINESS juridique of the CHU de Nice.
pub const CHU_NICE_EJ: &str = "060785011";
/// Raison sociale of the CHU de Nice.
pub const CHU_NICE_NAME: &str = "CENTRE HOSPITALIER UNIVERSITAIRE DE NICE";
/// In the seed's order. The seed prints the CSAPA as `060923151`, whose Luhn key is wrong (a
/// transcription error); `060923158` is the same number with its valid key.
pub const CHU_NICE_EGS: [&str; 12] = [
    "060024411",
    "060785003",
    "060923158",
    "060788957",
    "060793775",
    "060790573",
    "060789195",
    "060789799",
    "060016508",
    "060004538",
    "060789245",
    "060790177",
];
/// Hôpital Pasteur, the site the seed highlights.
pub const CHU_NICE_PASTEUR_EG: &str = "060785003";
/// Physicians with SA01 situations at the CHU.
pub const CHU_NICE_PHYSICIANS_RPPS: [&str; 3] = ["10000000017", "10000000025", "10000000033"];
/// The first CHU physician also holds this expired card (and a valid current one).
pub const EXPIRED_CARD: &str = "8000000090";
/// The second CHU physician's previous card, opposed (revoked); they hold a valid replacement.
pub const OPPOSED_CARD: &str = "8000000091";

// --- R11: an LBM SELAS with three sites; all biologists at the main site ------------------
/// FINESS juridique of the SELAS.
pub const LBM_SELAS_EJ: &str = "330900010";
/// Raison sociale of the SELAS.
pub const LBM_SELAS_NAME: &str = "SELAS BIOLOGIE DU LITTORAL";
/// FINESS géographique of the main site, where all its biologists' CPS situations are registered: the identifier it
/// orders with (R11).
pub const LBM_SELAS_MAIN_EG: &str = "330900028";
/// Its sites, the main one first.
pub const LBM_SELAS_SITES: [&str; 3] = ["330900028", "330900036", "330900044"];
/// Its biologists, the legal representative first.
pub const LBM_SELAS_BIOLOGISTS_RPPS: [&str; 3] = ["10000000041", "10000000058", "10000000066"];
/// The SELAS's legal representative, a pharmacist biologist (the demo's "LBM legal
/// representative").
pub const LBM_SELAS_LEGAL_REP_RPPS: &str = "10000000041";
/// CPS card number of the SELAS's legal representative.
pub const LBM_SELAS_LEGAL_REP_CARD: &str = "8000000005";

// --- R12: a multi-site LBM that is not a SELAS --------------------------------------------
/// FINESS juridique of the multi-site LBM.
pub const LBM_MULTISITE_EJ: &str = "690900014";
/// Raison sociale of the multi-site LBM.
pub const LBM_MULTISITE_NAME: &str = "SARL LABORATOIRE DES DEUX RIVES";
/// FINESS géographique of the main site, the identifier it orders with (R12).
pub const LBM_MULTISITE_MAIN_EG: &str = "690900022";
/// Its sites, the main one first.
pub const LBM_MULTISITE_SITES: [&str; 2] = ["690900022", "690900030"];
/// Its biologists, registered at the main site.
pub const LBM_MULTISITE_BIOLOGISTS_RPPS: [&str; 2] = ["10000000074", "10000000082"];

// --- R10: a pharmacy, ordered with its FINESS géographique --------------------------------
/// FINESS juridique of the pharmacy.
pub const PHARMACY_EJ: &str = "750900011";
/// Raison sociale of the pharmacy.
pub const PHARMACY_NAME: &str = "PHARMACIE DU CENTRE";
/// FINESS géographique of the pharmacy, the identifier it orders with (R10).
pub const PHARMACY_EG: &str = "750900029";
/// The titulaire, the pharmacy's legal representative (the demo's "pharmacist legal
/// representative").
pub const PHARMACIST_RPPS: &str = "10000000090";
/// CPS card number of the titulaire.
pub const PHARMACIST_CARD: &str = "8000000010";
/// The assistant pharmacist (pharmacien adjoint).
pub const PHARMACY_ASSISTANT_RPPS: &str = "10000000108";

// --- R13: a société d'exercice, ordered with its SIRET -----------------------------------
/// SIRET of the société d'exercice, the identifier it orders with (R13).
pub const SOCIETE_EXERCICE_SIRET: &str = "30000001500010";
/// Raison sociale of the société d'exercice.
pub const SOCIETE_EXERCICE_NAME: &str = "SELARL IMAGERIE DU PARC";
/// Its radiologists, with SA09 situations at the société.
pub const SOCIETE_EXERCICE_RADIOLOGISTS_RPPS: [&str; 2] = ["10000000116", "10000000124"];

// --- R14: a radiologist with six SCM practices (RPPS rang) and one SELARL (SIRET) --------
/// RPPS of the radiologist whose practices are identified by RPPS rang.
pub const SCM_RADIOLOGIST_RPPS: &str = "10000000132";
/// CPS card number of that radiologist.
pub const SCM_RADIOLOGIST_CARD: &str = "8000000014";
/// His six practices: two forms of 413 (4 + 2 RPPS rang).
pub const SCM_RADIOLOGIST_RPPS_RANGS: [&str; 6] =
    ["10000000132001", "10000000132002", "10000000132003", "10000000132004", "10000000132005", "10000000132006"];
/// His SELARL (SA09): a third form, with the SIRET.
pub const SCM_RADIOLOGIST_SIRET: &str = "30000002300014";
/// Raison sociale of that radiologist's SELARL.
pub const SCM_RADIOLOGIST_SELARL_NAME: &str = "SELARL RADIOLOGIE VERMEILLE";

// --- R15: a radiology GIE (SA04), ordered with its FINESS ---------------------------------
/// FINESS juridique of the GIE.
pub const RADIOLOGY_GIE_EJ: &str = "380900019";
/// FINESS géographique of the GIE's site, the identifier it orders with (R15).
pub const RADIOLOGY_GIE_EG: &str = "380900027";
/// Raison sociale of the GIE.
pub const RADIOLOGY_GIE_NAME: &str = "GIE IMAGERIE MEDICALE DES ALPES";
/// Its radiologists, with SA04 situations at the site.
pub const RADIOLOGY_GIE_RADIOLOGISTS_RPPS: [&str; 2] = ["10000000140", "10000000157"];

// --- R16: a social and medico-social manager with three establishments --------------------
/// FINESS juridique of the manager, the one identifier its establishments order with (R16).
pub const ESSMS_EJ: &str = "300900016";
/// Raison sociale of the manager.
pub const ESSMS_NAME: &str = "ASSOCIATION ACCUEIL ET SOINS DU VAL DE CEZE";
/// EHPAD (500), IME (183), SSIAD (354).
pub const ESSMS_EGS: [&str; 3] = ["300900024", "300900032", "300900040"];
/// Nurses at the EHPAD (SA26), the SSIAD (SA29) and the IME (SA25).
pub const ESSMS_NURSES_RPPS: [&str; 3] = ["10000000165", "10000000173", "10000000181"];

// --- R17: a hospital whose establishment carries a SIRET ----------------------------------
/// FINESS juridique of the hospital.
pub const HOSPITAL_EJ: &str = "710900010";
/// FINESS géographique of the hospital's site.
pub const HOSPITAL_EG: &str = "710900028";
/// SIRET the establishment carries, asked on the form 413 for PRO certificates (R17).
pub const HOSPITAL_SIRET: &str = "30000003100017";
/// Raison sociale of the hospital.
pub const HOSPITAL_NAME: &str = "CENTRE HOSPITALIER DE MONTVERT";
/// Two physicians and a hospital pharmacist.
pub const HOSPITAL_STAFF_RPPS: [&str; 3] = ["10000000199", "10000000207", "10000000215"];

/// Every seed professional with their current (valid) CPS card.
pub const PROFESSIONALS: [SeedProfessional; 22] = [
    m(TEST_PS_RPPS, TEST_PS_CARD, TEST_PS_LAST_NAME, TEST_PS_FIRST_NAME, "10"),
    f("10000000017", "8000000002", "ALBERTINI", "ROSE", "10"),
    m("10000000025", "8000000003", "GIORDANENGO", "MARC", "10"),
    f("10000000033", "8000000004", "PASTORELLI", "LUCIE", "10"),
    f(LBM_SELAS_LEGAL_REP_RPPS, LBM_SELAS_LEGAL_REP_CARD, "ESCARGUEIL", "HELENE", "21"),
    m("10000000058", "8000000006", "DUBERNET", "PAUL", "10"),
    f("10000000066", "8000000007", "LAFARGUE", "SOPHIE", "21"),
    f("10000000074", "8000000008", "MONTCHAL", "ISABELLE", "21"),
    m("10000000082", "8000000009", "PERRACHON", "THOMAS", "10"),
    f(PHARMACIST_RPPS, PHARMACIST_CARD, "FONTANEL", "CLAIRE", "21"),
    m(PHARMACY_ASSISTANT_RPPS, "8000000011", "RIVOLET", "NICOLAS", "21"),
    m("10000000116", "8000000012", "KERVADEC", "YANN", "10"),
    f("10000000124", "8000000013", "GUILLOUX", "MARINE", "10"),
    m(SCM_RADIOLOGIST_RPPS, SCM_RADIOLOGIST_CARD, "VERMEILLE", "AURELIEN", "10"),
    m("10000000140", "8000000015", "COUTTET", "JULIEN", "10"),
    f("10000000157", "8000000016", "BALMAT", "CHLOE", "10"),
    f("10000000165", "8000000017", "ROUMANILLE", "ODILE", "60"),
    m("10000000173", "8000000018", "CEZERAC", "BRUNO", "60"),
    f("10000000181", "8000000019", "AUBANEL", "MARIE", "60"),
    m("10000000199", "8000000020", "MONTVERNIER", "PIERRE", "10"),
    f("10000000207", "8000000021", "BRANCION", "ELISE", "10"),
    m("10000000215", "8000000022", "TOURNUS", "ALAIN", "21"),
];
/// A man of the seed cases.
const fn m(
    rpps: &'static str,
    card: &'static str,
    last_name: &'static str,
    first_name: &'static str,
    profession: &'static str,
) -> SeedProfessional {
    SeedProfessional { rpps, card, last_name, first_name, profession, female: false }
}

/// A woman of the seed cases.
const fn f(
    rpps: &'static str,
    card: &'static str,
    last_name: &'static str,
    first_name: &'static str,
    profession: &'static str,
) -> SeedProfessional {
    SeedProfessional { rpps, card, last_name, first_name, profession, female: true }
}

/// The seed professional with this RPPS.
pub fn professional(rpps: &str) -> Option<&'static SeedProfessional> {
    PROFESSIONALS.iter().find(|p| p.rpps == rpps)
}
