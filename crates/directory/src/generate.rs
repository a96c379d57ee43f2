//! Deterministic synthetic directory files, in exactly the formats of [`crate::formats`], from a
//! handful of lines to national scale, always containing the cases of the seed documents
//! ([`seed_cases`]).
//!
//! Why synthetic files: the real extracts are large, change every day and name real people; the
//! demo, the tests and load tests need files that import cleanly, exercise every rule the seeds
//! describe (R10–R18, R43–R46) and are byte-identical for the same options.
//!
//! How it stays fast and small at national scale:
//! - a small *plan* is computed first (for each establishment: its legal entity, kind,
//!   département and FINESS sequence — a few bytes each);
//! - every record is then a pure function of `(seed, kind of record, index)`: each one draws from
//!   its own ChaCha8 stream ([`ChaCha8Rng::set_stream`]), so a situation line can rebuild the
//!   establishment it refers to instead of keeping 100,000 establishments in memory, and adding a
//!   record never shifts the random draws of the others;
//! - lines are streamed to buffered files.
//!
//! Identifiers are built from sequences, never drawn at random, so they are unique by construction
//! and all carry their right Luhn key: FINESS from département + sequence (seed cases use the
//! sequence range `0xxxxx`, generated ones `1xxxxx` and above), RPPS from `10…` (never the `997`
//! test range), SIREN/SIRET from disjoint sequences.
//!
//! Codes and labels: the sector codes are the domain's ([`Sector`]); profession, FINESS category
//! codes named by the seeds and REFERENCE.md are exact. Other nomenclature values (aggregated
//! categories, legal status codes, savoir-faire codes, function codes `FON-nn`) are plausible
//! values chosen by this project: the importer stores their labels but gives them no meaning.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Duration, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use santepki_domain::{Departement, Finess, IdError, Rpps, RppsRang, Sector, Siren, Siret};
use serde::Serialize;

use crate::formats::{cards as cards_fmt, finess, rpps as rpps_fmt};

// =============================================================================================
// Public API
// =============================================================================================

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// About 400 legal entities, 700 establishments and 5,000 situation lines.
    Demo,
    /// About 60,000 legal entities, 100,000 establishments and 1.3 million situation lines, like
    /// the real national extracts.
    National,
    /// Explicit sizes; `situations` is the approximate number of activity lines.
    Custom { legal_entities: usize, establishments: usize, situations: usize },
}

impl Scale {
    /// A tiny directory for fast tests.
    pub const SMALL: Scale = Scale::Custom { legal_entities: 30, establishments: 50, situations: 300 };

    /// `demo`, `national` or `small` (tiny, for fast tests).
    pub fn parse(s: &str) -> Option<Scale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "demo" => Some(Scale::Demo),
            "national" => Some(Scale::National),
            "small" => Some(Scale::SMALL),
            _ => None,
        }
    }

    /// Generated counts, seed cases not included.
    fn sizes(self) -> Sizes {
        let (legal_entities, establishments, situations) = match self {
            Scale::Demo => (400, 700, 5_000),
            Scale::National => (60_000, 100_000, 1_300_000),
            Scale::Custom { legal_entities, establishments, situations } => (legal_entities, establishments, situations),
        };
        // Professionals have 1–4 situations, 2.15 on average (SITUATION_COUNTS).
        let professionals = (situations * 100).div_ceil(215);
        Sizes { legal_entities, establishments, professionals }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// The same seed (with the same scale and date) gives byte-identical files.
    pub seed: u64,
    pub scale: Scale,
    /// The date the files are dated: their names, header lines and the validity of cards. Not
    /// today by default, so that the output is deterministic.
    pub date: NaiveDate,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { seed: 1, scale: Scale::Demo, date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("a valid date") }
    }
}

/// The files written and what they hold.
#[derive(Debug, Clone)]
pub struct GeneratedFiles {
    pub legal_entities: PathBuf,
    pub establishments: PathBuf,
    pub activities: PathBuf,
    pub cards: PathBuf,
    pub counts: GeneratedCounts,
}

/// Record counts of the generated files (seed cases included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GeneratedCounts {
    pub legal_entities: u64,
    pub establishments: u64,
    pub professionals: u64,
    pub situation_lines: u64,
    pub cards: u64,
}

impl GeneratedFiles {
    /// Files in the order they must be imported (EJ, EG, activities, cards): establishments refer
    /// to legal entities, situations to establishments, cards to professionals.
    pub fn in_import_order(&self) -> [&Path; 4] {
        [&self.legal_entities, &self.establishments, &self.activities, &self.cards]
    }
}

/// Writes the four files into `dir` (created if missing), overwriting files of the same names.
pub fn generate(dir: &Path, opts: &GenerateOptions) -> io::Result<GeneratedFiles> {
    fs::create_dir_all(dir)?;
    let generator = Generator::new(opts)?;
    let day = opts.date.format("%Y-%m-%d").to_string();
    let stamp = opts.date.format("%Y%m%d0000").to_string();
    let files = GeneratedFiles {
        legal_entities: dir.join(format!("etalab-cs1100501-stock-{day}.csv")),
        establishments: dir.join(format!("etalab-cs1100502-stock-{day}.csv")),
        activities: dir.join(format!("PS_LibreAcces_Personne_activite_{stamp}.txt")),
        cards: dir.join(format!("Cartes_CPx_{stamp}.txt")),
        counts: GeneratedCounts::default(),
    };
    let mut counts = GeneratedCounts {
        legal_entities: generator.write_legal_entities(&files.legal_entities)?,
        establishments: generator.write_establishments(&files.establishments)?,
        ..Default::default()
    };
    generator.write_professionals(&files.activities, &files.cards, &mut counts)?;
    Ok(GeneratedFiles { counts, ..files })
}

// =============================================================================================
// The seed cases
// =============================================================================================

/// Identifiers of the cases of the seed documents, present in every generated directory at every
/// scale (the demo and the tests name them). Non-test identifiers below are synthetic but valid
/// (Luhn keys right); a unit test checks every one.
pub mod seed_cases {
    /// One row of the R44 table: what the LDAP query returns for the test professional.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct R44Row {
        /// The practice's idNat_Struct.
        pub ou: &'static str,
        pub raison_sociale: &'static str,
        pub postal_address: &'static str,
        pub sector: &'static str,
    }

    /// A professional of the seed cases with their CPS card.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct SeedProfessional {
        pub rpps: &'static str,
        pub card: &'static str,
        pub last_name: &'static str,
        pub first_name: &'static str,
        /// RPPS profession code: 10 Médecin, 21 Pharmacien, 60 Infirmier.
        pub profession: &'static str,
        /// Civilité `MME` (else `M`).
        pub female: bool,
    }

    // --- R44: the agency's test professional --------------------------------------------------
    pub const TEST_PS_RPPS: &str = "99700270616";
    pub const TEST_PS_IDNAT: &str = "899700270616";
    pub const TEST_PS_LAST_NAME: &str = "MAXIMAXIMAXIMAXIM";
    pub const TEST_PS_FIRST_NAME: &str = "MAXIME";
    pub const TEST_PS_CARD: &str = "8000000001";
    /// The SIRET of `SOCIETE MAXI`: a 13-digit test-environment SIRET, accepted in test mode only.
    pub const TEST_PS_SOCIETE_SIRET: &str = "9999999800514";
    /// R44: the four practices of the test professional, as the LDAP directory lists them.
    pub const TEST_PS_SITUATIONS: [R44Row; 4] = [
        R44Row { ou: "499700270616029", raison_sociale: "CG MAXI0027061", postal_address: "CG MAXI 8 RUE NOIR", sector: "SA08" },
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
        R44Row { ou: "39999999800514", raison_sociale: "SOCIETE MAXI", postal_address: "SOCIETE MAXI 6 RUE NOIR", sector: "SA09" },
    ];

    // --- Seed 001: the CHU de Nice, one legal entity and its 12 establishments (R16, R18) -----
    pub const CHU_NICE_EJ: &str = "060785011";
    pub const CHU_NICE_NAME: &str = "CENTRE HOSPITALIER UNIVERSITAIRE DE NICE";
    /// In the seed's order. The seed prints the CSAPA as `060923151`, whose Luhn key is wrong (a
    /// transcription error); `060923158` is the same number with its valid key.
    pub const CHU_NICE_EGS: [&str; 12] = [
        "060024411", "060785003", "060923158", "060788957", "060793775", "060790573", "060789195", "060789799", "060016508", "060004538",
        "060789245", "060790177",
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
    pub const LBM_SELAS_EJ: &str = "330900010";
    pub const LBM_SELAS_NAME: &str = "SELAS BIOLOGIE DU LITTORAL";
    pub const LBM_SELAS_MAIN_EG: &str = "330900028";
    /// Its sites, the main one first.
    pub const LBM_SELAS_SITES: [&str; 3] = ["330900028", "330900036", "330900044"];
    /// Its biologists, the legal representative first.
    pub const LBM_SELAS_BIOLOGISTS_RPPS: [&str; 3] = ["10000000041", "10000000058", "10000000066"];
    /// The SELAS's legal representative, a pharmacist biologist (the demo's "LBM legal
    /// representative").
    pub const LBM_SELAS_LEGAL_REP_RPPS: &str = "10000000041";
    pub const LBM_SELAS_LEGAL_REP_CARD: &str = "8000000005";

    // --- R12: a multi-site LBM that is not a SELAS --------------------------------------------
    pub const LBM_MULTISITE_EJ: &str = "690900014";
    pub const LBM_MULTISITE_NAME: &str = "SARL LABORATOIRE DES DEUX RIVES";
    pub const LBM_MULTISITE_MAIN_EG: &str = "690900022";
    pub const LBM_MULTISITE_SITES: [&str; 2] = ["690900022", "690900030"];
    pub const LBM_MULTISITE_BIOLOGISTS_RPPS: [&str; 2] = ["10000000074", "10000000082"];

    // --- R10: a pharmacy, ordered with its FINESS géographique --------------------------------
    pub const PHARMACY_EJ: &str = "750900011";
    pub const PHARMACY_NAME: &str = "PHARMACIE DU CENTRE";
    pub const PHARMACY_EG: &str = "750900029";
    /// The titulaire, the pharmacy's legal representative (the demo's "pharmacist legal
    /// representative").
    pub const PHARMACIST_RPPS: &str = "10000000090";
    pub const PHARMACIST_CARD: &str = "8000000010";
    /// The assistant pharmacist (pharmacien adjoint).
    pub const PHARMACY_ASSISTANT_RPPS: &str = "10000000108";

    // --- R13: a société d'exercice, ordered with its SIRET -----------------------------------
    pub const SOCIETE_EXERCICE_SIRET: &str = "30000001500010";
    pub const SOCIETE_EXERCICE_NAME: &str = "SELARL IMAGERIE DU PARC";
    pub const SOCIETE_EXERCICE_RADIOLOGISTS_RPPS: [&str; 2] = ["10000000116", "10000000124"];

    // --- R14: a radiologist with six SCM practices (RPPS rang) and one SELARL (SIRET) --------
    pub const SCM_RADIOLOGIST_RPPS: &str = "10000000132";
    pub const SCM_RADIOLOGIST_CARD: &str = "8000000014";
    /// His six practices: two forms of 413 (4 + 2 RPPS rang).
    pub const SCM_RADIOLOGIST_RPPS_RANGS: [&str; 6] =
        ["10000000132001", "10000000132002", "10000000132003", "10000000132004", "10000000132005", "10000000132006"];
    /// His SELARL (SA09): a third form, with the SIRET.
    pub const SCM_RADIOLOGIST_SIRET: &str = "30000002300014";
    pub const SCM_RADIOLOGIST_SELARL_NAME: &str = "SELARL RADIOLOGIE VERMEILLE";

    // --- R15: a radiology GIE (SA04), ordered with its FINESS ---------------------------------
    pub const RADIOLOGY_GIE_EJ: &str = "380900019";
    pub const RADIOLOGY_GIE_EG: &str = "380900027";
    pub const RADIOLOGY_GIE_NAME: &str = "GIE IMAGERIE MEDICALE DES ALPES";
    pub const RADIOLOGY_GIE_RADIOLOGISTS_RPPS: [&str; 2] = ["10000000140", "10000000157"];

    // --- R16: a social and medico-social manager with three establishments --------------------
    pub const ESSMS_EJ: &str = "300900016";
    pub const ESSMS_NAME: &str = "ASSOCIATION ACCUEIL ET SOINS DU VAL DE CEZE";
    /// EHPAD (500), IME (183), SSIAD (354).
    pub const ESSMS_EGS: [&str; 3] = ["300900024", "300900032", "300900040"];
    /// Nurses at the EHPAD (SA26), the SSIAD (SA29) and the IME (SA25).
    pub const ESSMS_NURSES_RPPS: [&str; 3] = ["10000000165", "10000000173", "10000000181"];

    // --- R17: a hospital whose establishment carries a SIRET ----------------------------------
    pub const HOSPITAL_EJ: &str = "710900010";
    pub const HOSPITAL_EG: &str = "710900028";
    pub const HOSPITAL_SIRET: &str = "30000003100017";
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
}

// =============================================================================================
// The generator
// =============================================================================================

/// Generated record counts, seed cases not included.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    legal_entities: usize,
    establishments: usize,
    professionals: usize,
}

/// The independent random streams: each record draws from `(stream, index)` only.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Plan = 1,
    LegalEntity = 2,
    Establishment = 3,
    Geolocation = 4,
    Professional = 5,
    SiretPractice = 6,
}

struct Generator {
    date: NaiveDate,
    base: ChaCha8Rng,
    tables: Tables,
    plan: Plan,
    sizes: Sizes,
    seeds: Seeds,
}

impl Generator {
    fn new(opts: &GenerateOptions) -> io::Result<Generator> {
        let base = ChaCha8Rng::seed_from_u64(opts.seed);
        let tables = Tables::new();
        let sizes = opts.scale.sizes();
        let plan = Plan::build(sizes, &tables, &mut stream_rng(&base, Stream::Plan, 0))?;
        let seeds = Seeds::new(&tables, opts.date)?;
        Ok(Generator { date: opts.date, base, tables, plan, sizes, seeds })
    }

    fn rng(&self, stream: Stream, index: usize) -> ChaCha8Rng {
        stream_rng(&self.base, stream, index as u64)
    }

    /// A date between `from` and `to` (inclusive).
    fn date_between(r: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(0);
        from + Duration::days(r.gen_range(0..=span))
    }
}

fn stream_rng(base: &ChaCha8Rng, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut r = base.clone();
    r.set_stream(((stream as u64) << 56) | index);
    r
}

fn id_error(e: IdError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

fn too_large(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("scale too large: {what}"))
}

// =============================================================================================
// The plan: which establishment belongs to which legal entity, where, of what kind
// =============================================================================================

/// The few bytes per structure that records are built from. Establishment `i < legal entities`
/// is the main site of legal entity `i`; the others are extra sites of multi-site entities.
struct Plan {
    ej_profile: Vec<Profile>,
    ej_dept: Vec<u8>,
    ej_seq: Vec<u32>,
    /// The main establishment of each legal entity (`NONE` if it has none).
    ej_main_eg: Vec<u32>,
    eg_ej: Vec<u32>,
    eg_kind: Vec<EgKind>,
    eg_dept: Vec<u8>,
    eg_seq: Vec<u32>,
    /// The establishment's rank in its legal entity, the NIC of its SIRET (0: no SIRET).
    eg_nic: Vec<u16>,
    /// Establishments by kind, and by kind and département, for situations to pick from.
    by_kind: Vec<Vec<u32>>,
    by_kind_dept: Vec<Vec<u32>>,
    n_depts: usize,
}

const NONE: u32 = u32::MAX;

/// FINESS sequences (after the département) of generated structures; seed cases use `0xxxxx`.
/// Overseas FINESS have one digit less of sequence (`97` + département digit + 5 digits).
const EJ_SEQ: (u32, u32) = (100_000, 300_000);
const EG_SEQ: (u32, u32) = (300_000, 1_000_000);
const EJ_SEQ_OVERSEAS: (u32, u32) = (10_000, 50_000);
const EG_SEQ_OVERSEAS: (u32, u32) = (50_000, 100_000);

impl Plan {
    fn build(sizes: Sizes, tables: &Tables, r: &mut ChaCha8Rng) -> io::Result<Plan> {
        let n_depts = tables.depts.len();
        if sizes.establishments > 0 && sizes.legal_entities == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "establishments need at least one legal entity"));
        }
        let mut plan = Plan {
            ej_profile: Vec::with_capacity(sizes.legal_entities),
            ej_dept: Vec::with_capacity(sizes.legal_entities),
            ej_seq: Vec::with_capacity(sizes.legal_entities),
            ej_main_eg: vec![NONE; sizes.legal_entities],
            eg_ej: Vec::with_capacity(sizes.establishments),
            eg_kind: Vec::with_capacity(sizes.establishments),
            eg_dept: Vec::with_capacity(sizes.establishments),
            eg_seq: Vec::with_capacity(sizes.establishments),
            eg_nic: Vec::with_capacity(sizes.establishments),
            by_kind: vec![Vec::new(); EgKind::ALL.len()],
            by_kind_dept: vec![Vec::new(); EgKind::ALL.len() * n_depts],
            n_depts,
        };
        let mut ej_counter = vec![0u32; n_depts];
        let mut eg_counter = vec![0u32; n_depts];
        let mut nic_counter = vec![0u16; sizes.legal_entities];
        let mut by_profile: Vec<Vec<u32>> = vec![Vec::new(); Profile::ALL.len()];
        let profile_weights: Vec<(Profile, u32)> = Profile::ALL.iter().map(|p| (*p, p.info().weight)).collect();

        for e in 0..sizes.legal_entities {
            let profile = pick(r, &profile_weights);
            let d = tables.pick_dept(r);
            plan.ej_seq.push(next_seq(&mut ej_counter[d], &tables.depts[d], EJ_SEQ, EJ_SEQ_OVERSEAS)?);
            plan.ej_profile.push(profile);
            plan.ej_dept.push(d as u8);
            by_profile[profile as usize].push(e as u32);
        }
        let n_main = sizes.legal_entities.min(sizes.establishments);
        for e in 0..n_main {
            let kind = pick(r, plan.ej_profile[e].info().main);
            let d = plan.ej_dept[e] as usize;
            plan.push_eg(e, kind, d, tables, &mut eg_counter, &mut nic_counter)?;
        }
        // Extra sites go to legal entities of multi-site profiles (hospitals, labs, managers…).
        let extra_weights: Vec<(Profile, u32)> = Profile::ALL
            .iter()
            .filter(|p| p.info().extra_weight > 0 && !by_profile[**p as usize].is_empty())
            .map(|p| (*p, p.info().extra_weight))
            .collect();
        for _ in n_main..sizes.establishments {
            let (e, kind) = if extra_weights.is_empty() {
                // No multi-site entity at this scale: another site of any entity, of its kind.
                let e = r.gen_range(0..sizes.legal_entities);
                (e, pick(r, plan.ej_profile[e].info().main))
            } else {
                let profile = pick(r, &extra_weights);
                let members = &by_profile[profile as usize];
                let e = members[r.gen_range(0..members.len())] as usize;
                (e, pick(r, profile.info().extra))
            };
            let spread = plan.ej_profile[e].info().spread;
            let d = if r.gen_ratio(spread, 100) { tables.pick_dept(r) } else { plan.ej_dept[e] as usize };
            plan.push_eg(e, kind, d, tables, &mut eg_counter, &mut nic_counter)?;
        }
        Ok(plan)
    }

    fn push_eg(
        &mut self,
        e: usize,
        kind: EgKind,
        d: usize,
        tables: &Tables,
        eg_counter: &mut [u32],
        nic_counter: &mut [u16],
    ) -> io::Result<()> {
        let i = self.eg_ej.len() as u32;
        if self.ej_main_eg[e] == NONE {
            self.ej_main_eg[e] = i;
        }
        self.eg_seq.push(next_seq(&mut eg_counter[d], &tables.depts[d], EG_SEQ, EG_SEQ_OVERSEAS)?);
        // NICs 0001–9998; an entity with more sites leaves the extra ones without SIRET.
        let nic = &mut nic_counter[e];
        *nic = nic.saturating_add(1);
        self.eg_nic.push(if *nic < 9999 { *nic } else { 0 });
        self.eg_ej.push(e as u32);
        self.eg_kind.push(kind);
        self.eg_dept.push(d as u8);
        self.by_kind[kind as usize].push(i);
        self.by_kind_dept[kind as usize * self.n_depts + d].push(i);
        Ok(())
    }

    /// An establishment of one of `kinds`, preferably in département `d`, proportionally to how
    /// many there are. A biology lab is replaced by its legal entity's main site: every
    /// biologist's situation is registered there (R11, R12).
    fn pick_eg(&self, kinds: &[EgKind], d: usize, r: &mut ChaCha8Rng) -> Option<usize> {
        let local = |k: &EgKind| &self.by_kind_dept[*k as usize * self.n_depts + d];
        let local_total: usize = kinds.iter().map(|k| local(k).len()).sum();
        let use_local = local_total > 0 && r.gen_ratio(4, 5);
        let list = |k: &EgKind| if use_local { local(k) } else { &self.by_kind[*k as usize] };
        let total: usize = kinds.iter().map(|k| list(k).len()).sum();
        if total == 0 {
            return None;
        }
        let mut n = r.gen_range(0..total);
        for l in kinds.iter().map(list) {
            if n < l.len() {
                let i = l[n] as usize;
                return Some(if self.eg_kind[i] == EgKind::Lbm { self.ej_main_eg[self.eg_ej[i] as usize] as usize } else { i });
            }
            n -= l.len();
        }
        None
    }
}

/// The next FINESS sequence number of a département.
fn next_seq(counter: &mut u32, dept: &Dept, metro: (u32, u32), overseas: (u32, u32)) -> io::Result<u32> {
    let (start, end) = if dept.finess_prefix.len() == 3 { overseas } else { metro };
    let seq = start + *counter;
    if seq >= end {
        return Err(too_large(&format!("more FINESS numbers than département {} can hold", dept.code)));
    }
    *counter += 1;
    Ok(seq)
}

fn finess_number(dept: &Dept, seq: u32) -> io::Result<Finess> {
    let width = 8 - dept.finess_prefix.len();
    Finess::with_key(&format!("{}{:0width$}", dept.finess_prefix, seq)).map_err(id_error)
}

// =============================================================================================
// Records
// =============================================================================================

/// A postal address, in the parts both file formats carry.
#[derive(Debug, Clone, Default)]
struct Address {
    /// Complément destinataire (RPPS only).
    recipient: String,
    number: String,
    /// Indice de répétition (`B`, `T`).
    suffix: &'static str,
    street: StreetType,
    street_name: String,
    /// Lieu-dit or boîte postale.
    locality: String,
    town: Town,
}

#[derive(Debug, Clone, Default)]
struct Town {
    postal_code: String,
    /// As written after the postal code: `NICE`, `NICE CEDEX 1`.
    name: String,
    /// The 3-digit commune code of FINESS files, when known.
    commune: String,
}

impl Town {
    fn acheminement(&self) -> String {
        match (self.postal_code.is_empty(), self.name.is_empty()) {
            (false, false) => format!("{} {}", self.postal_code, self.name),
            (false, true) => self.postal_code.clone(),
            _ => self.name.clone(),
        }
    }
}

/// A street type: the abbreviation FINESS files use, the label of RPPS files.
#[derive(Debug, Clone, Copy, Default)]
struct StreetType {
    code: &'static str,
    label: &'static str,
}

const RUE: StreetType = StreetType { code: "RUE", label: "RUE" };
const AV: StreetType = StreetType { code: "AV", label: "AVENUE" };
const BD: StreetType = StreetType { code: "BD", label: "BOULEVARD" };
const CHE: StreetType = StreetType { code: "CHE", label: "CHEMIN" };
const PL: StreetType = StreetType { code: "PL", label: "PLACE" };
const RTE: StreetType = StreetType { code: "RTE", label: "ROUTE" };
const STREET_TYPES: [(StreetType, u32); 6] = [(RUE, 50), (AV, 20), (BD, 8), (CHE, 8), (PL, 6), (RTE, 8)];

/// A legal entity (structureej).
struct LegalEntity {
    finess: String,
    name: String,
    long_name: String,
    address: Address,
    dept: usize,
    phone: String,
    status: LegalStatus,
    siren: String,
    ape: &'static str,
    created: String,
}

/// A geographic establishment (structureet).
struct Establishment {
    finess: String,
    legal_entity: String,
    name: String,
    long_name: String,
    address: Address,
    dept: usize,
    phone: String,
    fax: String,
    kind: EgKind,
    siret: String,
    opened: String,
    authorised: String,
    updated: String,
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

    fn legal_entity(&self, e: usize) -> io::Result<LegalEntity> {
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

    fn establishment(&self, i: usize) -> io::Result<Establishment> {
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
            Some(siren) if nic > 0 && r.gen_ratio(9, 10) => Siret::with_key(siren, &format!("{nic:04}")).map_err(id_error)?.to_string(),
            _ => String::new(),
        };
        let opened = Self::date_between(&mut r, ymd(1960, 1, 1), self.date - Duration::days(60));
        let authorised = opened - Duration::days(r.gen_range(0..=365));
        let updated = Self::date_between(&mut r, opened, self.date - Duration::days(1));
        let fax = if r.gen_ratio(1, 3) { self.tables.phone(d, &mut r) } else { String::new() };
        Ok(Establishment {
            finess: finess_number(&self.tables.depts[d], self.plan.eg_seq[i])?.to_string(),
            legal_entity: finess_number(&self.tables.depts[self.plan.ej_dept[e] as usize], self.plan.ej_seq[e])?.to_string(),
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

fn siren_with_key(body8: usize) -> io::Result<Siren> {
    let body = format!("{body8:08}");
    let key = santepki_domain::luhn::check_digit(&body);
    Siren::parse(&format!("{body}{key}"), santepki_domain::ValidationMode::Strict).map_err(id_error)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The `(base, full name)` of a legal entity.
fn entity_name(profile: Profile, main_kind: EgKind, status: LegalStatus, town: &Town, dept: &Dept, r: &mut ChaCha8Rng) -> (String, String) {
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
        Profile::PublicHospital if main_kind == EgKind::Chr => (town.clone(), format!("CENTRE HOSPITALIER REGIONAL DE {town}")),
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

// =============================================================================================
// FINESS files
// =============================================================================================

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
    fn write_legal_entities(&self, path: &Path) -> io::Result<u64> {
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
    fn write_establishments(&self, path: &Path) -> io::Result<u64> {
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

// =============================================================================================
// Professionals: activities and cards
// =============================================================================================

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
struct Person {
    rpps: String,
    last_name: String,
    first_name: String,
    female: bool,
    profession: &'static Profession,
    specialty: &'static Specialty,
}

/// Where a situation is exercised: the structure as the activities file describes it.
#[derive(Debug, Clone, Default)]
struct Site {
    /// idNat_Struct (`1`+FINESS, `3`+SIRET, `4`+RPPS rang), written to "Ancien identifiant".
    idnat_struct: String,
    tech_id: String,
    siret: String,
    siren: String,
    finess: String,
    finess_ej: String,
    name: String,
    address: Address,
    /// Département index; `None` leaves the département and country columns empty (R44 lines).
    dept: Option<usize>,
    phone: String,
    email: String,
}

/// How a situation is exercised.
#[derive(Debug, Clone, Copy)]
struct Exercise {
    sector: &'static str,
    mode: CodeLabel,
    role: CodeLabel,
    section: Option<CodeLabel>,
}

/// Identifiant technique de la structure: `R` + 11 digits, stable per structure. Ranges: seed
/// structures, establishments, SIRET practices, RPPS rang practices.
fn tech_id(range: u64, n: u64) -> String {
    format!("R{:011}", 10_000_000_000 + range + n)
}
const TECH_SEED: u64 = 0;
const TECH_EG: u64 = 1_000;
const TECH_SIRET: u64 = 200_000_000;
const TECH_RANG: u64 = 1_000_000_000;

/// An establishment as the situations exercised there name it.
fn site_of_establishment(eg: &Establishment, tech_id: String) -> Site {
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
struct ProfessionalWriter {
    activities: BufWriter<File>,
    cards: BufWriter<File>,
    counts: GeneratedCounts,
    next_card: u64,
}

impl ProfessionalWriter {
    fn situation(&mut self, tables: &Tables, person: &Person, site: &Site, ex: &Exercise) -> io::Result<()> {
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
    fn card(&mut self, number: &str, rpps: &str, from: NaiveDate, opposed: Option<NaiveDate>) -> io::Result<()> {
        let idnat = format!("8{rpps}");
        let (from_s, until) = (from.to_string(), (from + Months::new(36)).to_string());
        let opposed = opposed.map(|d| d.to_string()).unwrap_or_default();
        write_pipe_record(&mut self.cards, &["CPS", number, &idnat, &from_s, &until, &opposed])?;
        self.counts.cards += 1;
        Ok(())
    }

    /// The next generated card number: `1` + 9 digits (seed cards start with `8`).
    fn next_card_number(&mut self) -> String {
        self.next_card += 1;
        format!("{}", 1_000_000_000 + self.next_card)
    }
}

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
    fn write_professionals(&self, activities: &Path, cards: &Path, counts: &mut GeneratedCounts) -> io::Result<()> {
        let mut out = ProfessionalWriter { activities: create(activities)?, cards: create(cards)?, counts: *counts, next_card: 0 };
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

    fn write_generated_professional(&self, out: &mut ProfessionalWriter, p: usize) -> io::Result<()> {
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
            EgKind::Clinic | EgKind::ImagingGie if prof == "10" && r.gen_ratio(7, 10) => (LIBERAL, PRIVATE_PRACTITIONER, None),
            _ if info.public && matches!(prof, "10" | "21") => (SALARIED, HOSPITAL_PRACTITIONER, (prof == "21").then_some(SECTION_H)),
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
    fn write_generated_cards(&self, out: &mut ProfessionalWriter, person: &Person, r: &mut ChaCha8Rng) -> io::Result<()> {
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
    let (single, plural) = if radiology { ("CABINET DE RADIOLOGIE", "CABINET DE RADIOLOGIE") } else { person.profession.cabinet };
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

// =============================================================================================
// Seed cases: data and lines
// =============================================================================================

/// The seed cases' structures, built once.
struct Seeds {
    legal_entities: Vec<LegalEntity>,
    establishments: Vec<Establishment>,
}

/// A seed establishment or legal entity's address.
struct SeedAddress(&'static str, StreetType, &'static str, &'static str, &'static str);

impl SeedAddress {
    fn build(&self) -> Address {
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
    const fn chu(finess: &'static str, name: &'static str, address: SeedAddress, phone: &'static str, kind: EgKind) -> SeedEg {
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
        chu("060923158", "CSAPA CHU DE NICE", SeedAddress("4", AV, "REINE VICTORIA", "06001", "NICE CEDEX 1"), "", EgKind::Csapa),
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
        chu("060789799", "CAMSP CHU DE NICE", SeedAddress("52", AV, "DENIS SEMERIA", "06300", "NICE"), "0492036077", EgKind::Camsp),
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
    fn new(tables: &Tables, date: NaiveDate) -> io::Result<Seeds> {
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
    fn site(&self, finess: &str) -> io::Result<Site> {
        let (s, eg) = self
            .establishments
            .iter()
            .enumerate()
            .find(|(_, e)| e.finess == finess)
            .ok_or_else(|| io::Error::other(format!("seed establishment {finess} is missing")))?;
        Ok(site_of_establishment(eg, tech_id(TECH_SEED, s as u64 + 1)))
    }
}

/// A seed professional's profession and specialty, by code.
fn seed_person(rpps: &str, specialty: &str) -> io::Result<Person> {
    let seed = seed_cases::professional(rpps).ok_or_else(|| io::Error::other(format!("seed professional {rpps} is missing")))?;
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
    fn write_seed_professionals(&self, out: &mut ProfessionalWriter) -> io::Result<()> {
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
        self.seed_professional(out, CHU_NICE_PHYSICIANS_RPPS[2], "Pédiatrie", &[("060789195", hospital), ("060789799", hospital)])?;

        // R11: every biologist of the SELAS at its main site; the legal representative first.
        let head = exercise("SA17", LIBERAL, BIOLOGIST_HEAD, Some(SECTION_G));
        self.seed_professional(out, LBM_SELAS_BIOLOGISTS_RPPS[0], "Biologie médicale", &[(LBM_SELAS_MAIN_EG, head)])?;
        let bio_md = exercise("SA17", LIBERAL, BIOLOGIST, None);
        self.seed_professional(out, LBM_SELAS_BIOLOGISTS_RPPS[1], "Biologie médicale", &[(LBM_SELAS_MAIN_EG, bio_md)])?;
        let bio_pharm = exercise("SA17", SALARIED, BIOLOGIST, Some(SECTION_G));
        self.seed_professional(out, LBM_SELAS_BIOLOGISTS_RPPS[2], "Biologie médicale", &[(LBM_SELAS_MAIN_EG, bio_pharm)])?;

        // R12: the multi-site lab that is not a SELAS, biologists at its main site.
        self.seed_professional(out, LBM_MULTISITE_BIOLOGISTS_RPPS[0], "Biologie médicale", &[(LBM_MULTISITE_MAIN_EG, head)])?;
        let bio_md_salaried = exercise("SA17", SALARIED, BIOLOGIST, None);
        self.seed_professional(out, LBM_MULTISITE_BIOLOGISTS_RPPS[1], "Biologie médicale", &[(LBM_MULTISITE_MAIN_EG, bio_md_salaried)])?;

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
        let seed = seed_cases::professional(&person.rpps).ok_or_else(|| io::Error::other("seed professional without card"))?;
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
        let parts =
            [("CG MAXI", "8"), ("CABINET DE M. MAXIMAXIMAXIMAXIM", "4"), ("CABINET DE M. MAXIMAXIMAXIMAXIM", "4"), ("SOCIETE MAXI", "6")];
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
            ("CABINET DE RADIOLOGIE DU VIEUX PORT", "SA08", SeedAddress("12", RUE, "DE LA REPUBLIQUE", "13002", "MARSEILLE")),
            ("CABINET DE RADIOLOGIE DE LA CANEBIERE", "SA08", SeedAddress("48", BD, "DE LA LIBERATION", "13001", "MARSEILLE")),
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

// =============================================================================================
// Writers
// =============================================================================================

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(1 << 20, File::create(path)?))
}

/// A FINESS record: `;`-separated with a trailing `;`; a field is `"`-quoted (inner quotes
/// doubled) only if it holds a `;` or a `"`.
fn write_finess_record(w: &mut impl Write, fields: &[&str]) -> io::Result<()> {
    for f in fields {
        let f = clean(f);
        if f.contains([';', '"']) {
            write!(w, "\"{}\";", f.replace('"', "\"\""))?;
        } else {
            write!(w, "{f};")?;
        }
    }
    w.write_all(b"\n")
}

/// An RPPS or card record: `|`-separated with a trailing `|`, unquoted (the importer reads these
/// files without quoting), so a `|` inside a field would shift columns: it becomes `/`.
fn write_pipe_record(w: &mut impl Write, fields: &[&str]) -> io::Result<()> {
    for f in fields {
        let f = clean(f);
        if f.contains('|') {
            w.write_all(f.replace('|', "/").as_bytes())?;
        } else {
            w.write_all(f.as_bytes())?;
        }
        w.write_all(b"|")?;
    }
    w.write_all(b"\n")
}

/// Control characters (line breaks included) would split or break a record: spaces instead. The
/// generated values never hold any; this guards the seed data and future edits.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        std::borrow::Cow::Owned(s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn pick<T: Copy>(r: &mut ChaCha8Rng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut n = r.gen_range(0..total.max(1));
    for (v, w) in weighted {
        if n < *w {
            return *v;
        }
        n -= w;
    }
    weighted[0].0
}

fn choose<'a>(r: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[r.gen_range(0..list.len())]
}

// =============================================================================================
// Reference tables
// =============================================================================================

/// A département as the generator uses it.
struct Dept {
    code: &'static str,
    /// `Alpes-Maritimes`, as the RPPS file writes it.
    name: String,
    /// `ALPES-MARITIMES`, as FINESS files write it.
    upper: String,
    /// The first characters of its FINESS numbers: `06`, `2A`, `971`.
    finess_prefix: &'static str,
    /// The FINESS files' `departement` field: `06`, `2A`, `9A` (Guadeloupe).
    finess_code: &'static str,
    weight: u32,
    towns: &'static [(&'static str, &'static str)],
    phone_prefix: &'static str,
}

struct Tables {
    depts: Vec<Dept>,
    dept_weights: Vec<(usize, u32)>,
    sectors: Vec<(&'static str, &'static str)>,
}

impl Tables {
    fn new() -> Tables {
        let depts: Vec<Dept> = DEPARTEMENTS
            .iter()
            .map(|&(code, weight, towns)| {
                let name = Departement::by_code(code).map(|d| d.name).unwrap_or_else(|| code.to_owned());
                let (finess_prefix, finess_code) = match code {
                    "971" => ("971", "9A"),
                    "972" => ("972", "9B"),
                    "973" => ("973", "9C"),
                    "974" => ("974", "9D"),
                    c => (c, c),
                };
                Dept { code, upper: upper_ascii(&name), name, finess_prefix, finess_code, weight, towns, phone_prefix: phone_prefix(code) }
            })
            .collect();
        let dept_weights = depts.iter().enumerate().map(|(i, d)| (i, d.weight)).collect();
        let sectors = SECTORS_USED.iter().map(|code| (*code, Sector::parse(code).ok().and_then(|s| s.label_fr()).unwrap_or(""))).collect();
        Tables { depts, dept_weights, sectors }
    }

    fn pick_dept(&self, r: &mut ChaCha8Rng) -> usize {
        pick(r, &self.dept_weights)
    }

    fn dept_index(&self, code: &str) -> io::Result<usize> {
        let code = if code == "97" { "971" } else { code };
        self.depts.iter().position(|d| d.code == code).ok_or_else(|| io::Error::other(format!("unknown département {code}")))
    }

    fn sector_label(&self, code: &str) -> &'static str {
        self.sectors.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }

    /// A town of the département: one of its main towns, or a generic `COMMUNE <n>` with a
    /// postal code of the département.
    fn town(&self, d: usize, r: &mut ChaCha8Rng) -> Town {
        let dept = &self.depts[d];
        if r.gen_ratio(3, 5) && !dept.towns.is_empty() {
            let (postal_code, name) = dept.towns[r.gen_range(0..dept.towns.len())];
            let postal_code = match dept.code {
                "75" => format!("750{:02}", r.gen_range(1..=20)),
                "13" if name == "MARSEILLE" => format!("130{:02}", r.gen_range(1..=16)),
                "69" if name == "LYON" => format!("6900{}", r.gen_range(1..=9)),
                _ => postal_code.to_owned(),
            };
            return Town { postal_code, name: name.to_owned(), commune: String::new() };
        }
        let n: u32 = r.gen_range(10..100);
        let postal_code = match dept.code {
            "2A" => format!("201{}0", n % 10),
            "2B" => format!("20{}{}0", 2 + (n / 10) % 4, n % 10),
            c if c.len() == 3 => format!("{c}{}0", n % 10),
            c => format!("{c}{n:02}0"),
        };
        Town { postal_code, name: format!("COMMUNE {n}"), commune: format!("{n:03}") }
    }

    fn address(&self, r: &mut ChaCha8Rng, town: Town) -> Address {
        Address {
            recipient: String::new(),
            number: r.gen_range(1..=180).to_string(),
            suffix: if r.gen_ratio(1, 30) { "B" } else { "" },
            street: pick(r, &STREET_TYPES),
            street_name: choose(r, STREET_NAMES).to_owned(),
            locality: if r.gen_ratio(1, 20) { format!("BP {}", r.gen_range(10..1000)) } else { String::new() },
            town,
        }
    }

    /// A 10-digit phone number of the département's region.
    fn phone(&self, d: usize, r: &mut ChaCha8Rng) -> String {
        let prefix = self.depts[d].phone_prefix;
        let mut s = String::with_capacity(10);
        s.push_str(prefix);
        while s.len() < 10 {
            s.push(char::from(b'0' + r.gen_range(0..10u8)));
        }
        s
    }
}

/// Upper case without accents, as FINESS files write département names.
fn upper_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'A',
            'é' | 'è' | 'ê' | 'ë' => 'E',
            'î' | 'ï' => 'I',
            'ô' | 'ö' => 'O',
            'ù' | 'û' | 'ü' => 'U',
            'ç' => 'C',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// The regional prefix of phone numbers (01 Île-de-France … 05 south-west; overseas).
fn phone_prefix(dept: &str) -> &'static str {
    match dept {
        "75" | "77" | "78" | "91" | "92" | "93" | "94" | "95" => "01",
        "14" | "18" | "22" | "27" | "28" | "29" | "35" | "36" | "37" | "41" | "44" | "45" | "49" | "50" | "53" | "56" | "61" | "72"
        | "76" | "85" => "02",
        "02" | "08" | "10" | "21" | "25" | "39" | "51" | "52" | "54" | "55" | "57" | "58" | "59" | "60" | "62" | "67" | "68" | "70"
        | "71" | "80" | "88" | "89" | "90" => "03",
        "09" | "12" | "16" | "17" | "19" | "23" | "24" | "31" | "32" | "33" | "40" | "46" | "47" | "64" | "65" | "79" | "81" | "82"
        | "86" | "87" => "05",
        "971" => "0590",
        "972" => "0596",
        "973" => "0594",
        "974" => "0262",
        _ => "04",
    }
}

/// A code and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CodeLabel {
    code: &'static str,
    label: &'static str,
}

const fn cl(code: &'static str, label: &'static str) -> CodeLabel {
    CodeLabel { code, label }
}

const LIBERAL: CodeLabel = cl("L", "Libéral");
const SALARIED: CodeLabel = cl("S", "Salarié");
const VOLUNTEER: CodeLabel = cl("B", "Bénévole");

/// Functions (`Code fonction`): this project's codes, used consistently.
const PRACTICE_HOLDER: CodeLabel = cl("FON-01", "Titulaire de cabinet");
const PARTNER: CodeLabel = cl("FON-02", "Associé de société d'exercice");
const EMPLOYEE: CodeLabel = cl("FON-03", "Salarié");
const PHARMACIST_OWNER: CodeLabel = cl("FON-04", "Pharmacien titulaire d'officine");
const PHARMACIST_ASSISTANT: CodeLabel = cl("FON-05", "Pharmacien adjoint d'officine");
const BIOLOGIST_HEAD: CodeLabel = cl("FON-06", "Biologiste responsable");
const BIOLOGIST: CodeLabel = cl("FON-07", "Biologiste médical");
const HOSPITAL_PRACTITIONER: CodeLabel = cl("FON-08", "Praticien hospitalier");
const COORDINATING_PHYSICIAN: CodeLabel = cl("FON-09", "Médecin coordonnateur");
const PRIVATE_PRACTITIONER: CodeLabel = cl("FON-10", "Praticien libéral en établissement");

/// Sections of the pharmacists' register.
const SECTION_A: CodeLabel = cl("A", "Pharmaciens titulaires d'officine");
const SECTION_D: CodeLabel = cl("D", "Pharmaciens adjoints et autres exercices");
const SECTION_G: CodeLabel = cl("G", "Pharmaciens biologistes");
const SECTION_H: CodeLabel = cl("H", "Pharmaciens des établissements de santé");

const SECTORS_USED: [&str; 12] = ["SA01", "SA04", "SA05", "SA06", "SA07", "SA08", "SA09", "SA17", "SA25", "SA26", "SA29", "SA30"];

/// A legal status (statut juridique) and the short form prefixed to company names.
#[derive(Debug, Clone, Copy)]
struct LegalStatus {
    code: &'static str,
    label: &'static str,
    short: &'static str,
}

const fn status(code: &'static str, label: &'static str, short: &'static str) -> LegalStatus {
    LegalStatus { code, label, short }
}

const STATUS_PUBLIC_HOSPITAL: LegalStatus = status("13", "Etablissement Public Communal d'Hospitalisation", "");
const STATUS_ASSOCIATION: LegalStatus = status("60", "Association Loi 1901 non Reconnue d'Utilité Publique", "");
const STATUS_FOUNDATION: LegalStatus = status("63", "Fondation", "");
const STATUS_CCAS: LegalStatus = status("17", "Centre Communal d'Action Sociale", "");
const STATUS_SARL: LegalStatus = status("72", "Société à Responsabilité Limitée (S.A.R.L.)", "SARL");
const STATUS_SA: LegalStatus = status("73", "Société Anonyme (S.A.)", "SA");
const STATUS_SAS: LegalStatus = status("95", "Société par Actions Simplifiée (S.A.S.)", "SAS");
const STATUS_SELARL: LegalStatus = status("85", "Société d'Exercice Libéral à Responsabilité Limitée (S.E.L.A.R.L.)", "SELARL");
const STATUS_SELAS: LegalStatus = status("86", "Société d'Exercice Libéral par Actions Simplifiée (S.E.L.A.S.)", "SELAS");
const STATUS_SNC: LegalStatus = status("47", "Société en Nom Collectif (S.N.C.)", "SNC");
const STATUS_GIE: LegalStatus = status("88", "Groupement d'Intérêt Economique (G.I.E.)", "GIE");

/// Kinds of establishments (FINESS categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EgKind {
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

struct KindInfo {
    code: &'static str,
    label: &'static str,
    aggregate_code: &'static str,
    aggregate_label: &'static str,
    ape: &'static str,
    /// The sector of situations there.
    sector: &'static str,
    /// A public health establishment (funding and status fields filled).
    public: bool,
    /// The name prefix of social and medico-social establishments.
    name_prefix: &'static str,
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
    kind("611", "Laboratoire de Biologie Médicale", ("3101", "Laboratoires de Biologie Médicale"), "8690B", "SA17", false, "LABORATOIRE"),
    kind("101", "Centre Hospitalier Régional (C.H.R.)", ("1101", "Centres Hospitaliers Régionaux"), "8610Z", "SA01", true, "CHR"),
    kind("355", "Centre Hospitalier (C.H.)", AGR_CH, "8610Z", "SA01", true, "CH"),
    kind("362", "Etablissement de Soins Longue Durée", ("1105", "Etablissements de Soins de Longue Durée"), "8610Z", "SA01", true, "USLD"),
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
    kind("698", "Autre Etablissement Loi Hospitalière", ("1103", "Autres Etablissements de Soins"), "8622A", "SA04", false, "GIE"),
    kind("500", "Etablissement d'hébergement pour personnes âgées dépendantes", AGR_ELDERLY, "8710A", "SA26", false, "EHPAD"),
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
    kind("246", "Etablissement et Service d'Aide par le Travail (E.S.A.T.)", AGR_DISABLED, "8810C", "SA25", false, "ESAT"),
    kind("460", "Service d'Aide et d'Accompagnement à Domicile (S.A.A.D.)", AGR_ELDERLY, "8810A", "SA29", false, "SAAD"),
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
    const ALL: [EgKind; 19] = [
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

    fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }
}

/// Kinds of legal entities, and the establishments they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
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

struct ProfileInfo {
    /// Share of legal entities (per mille).
    weight: u32,
    /// Share of the extra (non-main) establishments (per mille); 0 for single-site entities.
    extra_weight: u32,
    main: &'static [(EgKind, u32)],
    extra: &'static [(EgKind, u32)],
    statuses: &'static [(LegalStatus, u32)],
    ape: &'static str,
    /// The main establishment is at the legal entity's address.
    shares_address: bool,
    /// Chance (per 100) that an extra site is in another département: groups spread, hospitals
    /// and communal services stay local.
    spread: u32,
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
        extra: &[(EgKind::Ch, 30), (EgKind::Ehpad, 25), (EgKind::Sld, 15), (EgKind::Csapa, 10), (EgKind::Camsp, 5), (EgKind::School, 15)],
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
    const ALL: [Profile; 9] = [
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

    fn info(self) -> &'static ProfileInfo {
        &PROFILES[self as usize]
    }
}

/// Where a professional may exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
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
const RADIOLOGY_CHOICES: &[(Choice, u32)] = &[
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
const OFFICINE_CHOICES: &[(Choice, u32)] = &[(Choice::Establishment(PHARMACIES), 95), (Choice::Establishment(HOSPITALS), 5)];
const HOSPITAL_PHARMACY_CHOICES: &[(Choice, u32)] = &[(Choice::Establishment(HOSPITALS), 90), (Choice::Establishment(CLINICS), 10)];
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
struct Specialty {
    code: &'static str,
    label: &'static str,
    choices: &'static [(Choice, u32)],
}

const fn sf(code: &'static str, label: &'static str, choices: &'static [(Choice, u32)]) -> Specialty {
    Specialty { code, label, choices }
}

struct Profession {
    code: &'static str,
    label: &'static str,
    authority: &'static str,
    /// `DR Docteur` as civilité d'exercice.
    doctor_title: bool,
    female_per_100: u32,
    specialties: &'static [Specialty],
    specialty_weights: &'static [(usize, u32)],
    /// Individual and group practice names.
    cabinet: (&'static str, &'static str),
    /// The word naming the profession in a société d'exercice's name.
    practice_word: &'static str,
}

const PROFESSIONS: [Profession; 6] = [
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
        specialty_weights: &[(0, 45), (1, 4), (2, 4), (3, 4), (4, 6), (5, 6), (6, 2), (7, 4), (8, 5), (9, 4), (10, 3), (11, 5)],
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
const PROFESSION_WEIGHTS: [(usize, u32); 6] = [(0, 30), (1, 9), (2, 6), (3, 3), (4, 40), (5, 12)];

/// Département code, weight (about its population in tens of thousands) and main towns.
type DeptRow = (&'static str, u32, &'static [(&'static str, &'static str)]);
const DEPARTEMENTS: &[DeptRow] = &[
    ("01", 66, &[("01000", "BOURG-EN-BRESSE"), ("01100", "OYONNAX")]),
    ("02", 53, &[("02000", "LAON"), ("02100", "SAINT-QUENTIN"), ("02200", "SOISSONS")]),
    ("03", 34, &[("03000", "MOULINS"), ("03100", "MONTLUCON"), ("03200", "VICHY")]),
    ("04", 16, &[("04000", "DIGNE-LES-BAINS"), ("04100", "MANOSQUE")]),
    ("05", 14, &[("05000", "GAP"), ("05100", "BRIANCON")]),
    ("06", 110, &[("06000", "NICE"), ("06400", "CANNES"), ("06600", "ANTIBES")]),
    ("07", 33, &[("07000", "PRIVAS"), ("07100", "ANNONAY"), ("07200", "AUBENAS")]),
    ("08", 27, &[("08000", "CHARLEVILLE-MEZIERES"), ("08200", "SEDAN")]),
    ("09", 15, &[("09000", "FOIX"), ("09100", "PAMIERS")]),
    ("10", 31, &[("10000", "TROYES")]),
    ("11", 37, &[("11000", "CARCASSONNE"), ("11100", "NARBONNE")]),
    ("12", 28, &[("12000", "RODEZ"), ("12100", "MILLAU")]),
    ("13", 200, &[("13001", "MARSEILLE"), ("13100", "AIX-EN-PROVENCE"), ("13200", "ARLES")]),
    ("14", 70, &[("14000", "CAEN"), ("14100", "LISIEUX"), ("14400", "BAYEUX")]),
    ("15", 14, &[("15000", "AURILLAC")]),
    ("16", 35, &[("16000", "ANGOULEME"), ("16100", "COGNAC")]),
    ("17", 65, &[("17000", "LA ROCHELLE"), ("17100", "SAINTES"), ("17300", "ROCHEFORT")]),
    ("18", 30, &[("18000", "BOURGES"), ("18100", "VIERZON")]),
    ("19", 24, &[("19000", "TULLE"), ("19100", "BRIVE-LA-GAILLARDE")]),
    ("2A", 16, &[("20000", "AJACCIO"), ("20137", "PORTO-VECCHIO")]),
    ("2B", 18, &[("20200", "BASTIA"), ("20250", "CORTE")]),
    ("21", 53, &[("21000", "DIJON"), ("21200", "BEAUNE")]),
    ("22", 60, &[("22000", "SAINT-BRIEUC"), ("22300", "LANNION")]),
    ("23", 12, &[("23000", "GUERET")]),
    ("24", 41, &[("24000", "PERIGUEUX"), ("24100", "BERGERAC")]),
    ("25", 54, &[("25000", "BESANCON"), ("25200", "MONTBELIARD")]),
    ("26", 52, &[("26000", "VALENCE"), ("26200", "MONTELIMAR")]),
    ("27", 60, &[("27000", "EVREUX"), ("27200", "VERNON")]),
    ("28", 43, &[("28000", "CHARTRES"), ("28100", "DREUX")]),
    ("29", 91, &[("29000", "QUIMPER"), ("29200", "BREST"), ("29600", "MORLAIX")]),
    ("30", 75, &[("30000", "NIMES"), ("30100", "ALES"), ("30200", "BAGNOLS-SUR-CEZE")]),
    ("31", 140, &[("31000", "TOULOUSE"), ("31800", "SAINT-GAUDENS")]),
    ("32", 19, &[("32000", "AUCH")]),
    ("33", 160, &[("33000", "BORDEAUX"), ("33700", "MERIGNAC"), ("33600", "PESSAC")]),
    ("34", 120, &[("34000", "MONTPELLIER"), ("34500", "BEZIERS"), ("34200", "SETE")]),
    ("35", 108, &[("35000", "RENNES"), ("35400", "SAINT-MALO")]),
    ("36", 22, &[("36000", "CHATEAUROUX")]),
    ("37", 60, &[("37000", "TOURS"), ("37400", "AMBOISE")]),
    ("38", 127, &[("38000", "GRENOBLE"), ("38200", "VIENNE"), ("38300", "BOURGOIN-JALLIEU")]),
    ("39", 26, &[("39000", "LONS-LE-SAUNIER"), ("39100", "DOLE")]),
    ("40", 41, &[("40000", "MONT-DE-MARSAN"), ("40100", "DAX")]),
    ("41", 33, &[("41000", "BLOIS"), ("41100", "VENDOME")]),
    ("42", 76, &[("42000", "SAINT-ETIENNE"), ("42300", "ROANNE")]),
    ("43", 23, &[("43000", "LE PUY-EN-VELAY")]),
    ("44", 140, &[("44000", "NANTES"), ("44600", "SAINT-NAZAIRE")]),
    ("45", 68, &[("45000", "ORLEANS"), ("45200", "MONTARGIS")]),
    ("46", 17, &[("46000", "CAHORS")]),
    ("47", 33, &[("47000", "AGEN"), ("47300", "VILLENEUVE-SUR-LOT")]),
    ("48", 8, &[("48000", "MENDE")]),
    ("49", 82, &[("49000", "ANGERS"), ("49300", "CHOLET"), ("49400", "SAUMUR")]),
    ("50", 49, &[("50000", "SAINT-LO"), ("50100", "CHERBOURG-EN-COTENTIN")]),
    ("51", 57, &[("51100", "REIMS"), ("51000", "CHALONS-EN-CHAMPAGNE"), ("51200", "EPERNAY")]),
    ("52", 17, &[("52000", "CHAUMONT"), ("52100", "SAINT-DIZIER")]),
    ("53", 31, &[("53000", "LAVAL")]),
    ("54", 73, &[("54000", "NANCY"), ("54400", "LONGWY")]),
    ("55", 18, &[("55000", "BAR-LE-DUC"), ("55100", "VERDUN")]),
    ("56", 76, &[("56000", "VANNES"), ("56100", "LORIENT")]),
    ("57", 104, &[("57000", "METZ"), ("57100", "THIONVILLE")]),
    ("58", 20, &[("58000", "NEVERS")]),
    ("59", 260, &[("59000", "LILLE"), ("59100", "ROUBAIX"), ("59200", "TOURCOING")]),
    ("60", 83, &[("60000", "BEAUVAIS"), ("60200", "COMPIEGNE")]),
    ("61", 28, &[("61000", "ALENCON")]),
    ("62", 146, &[("62000", "ARRAS"), ("62100", "CALAIS"), ("62200", "BOULOGNE-SUR-MER")]),
    ("63", 66, &[("63000", "CLERMONT-FERRAND"), ("63200", "RIOM")]),
    ("64", 68, &[("64000", "PAU"), ("64100", "BAYONNE")]),
    ("65", 23, &[("65000", "TARBES"), ("65100", "LOURDES")]),
    ("66", 48, &[("66000", "PERPIGNAN")]),
    ("67", 115, &[("67000", "STRASBOURG"), ("67500", "HAGUENAU")]),
    ("68", 76, &[("68000", "COLMAR"), ("68100", "MULHOUSE")]),
    ("69", 188, &[("69001", "LYON"), ("69100", "VILLEURBANNE"), ("69400", "VILLEFRANCHE-SUR-SAONE")]),
    ("70", 23, &[("70000", "VESOUL")]),
    ("71", 55, &[("71000", "MACON"), ("71100", "CHALON-SUR-SAONE")]),
    ("72", 57, &[("72000", "LE MANS")]),
    ("73", 44, &[("73000", "CHAMBERY"), ("73100", "AIX-LES-BAINS")]),
    ("74", 83, &[("74000", "ANNECY"), ("74100", "ANNEMASSE")]),
    ("75", 210, &[("75001", "PARIS")]),
    ("76", 125, &[("76000", "ROUEN"), ("76600", "LE HAVRE"), ("76200", "DIEPPE")]),
    ("77", 142, &[("77000", "MELUN"), ("77100", "MEAUX")]),
    ("78", 145, &[("78000", "VERSAILLES"), ("78100", "SAINT-GERMAIN-EN-LAYE")]),
    ("79", 37, &[("79000", "NIORT")]),
    ("80", 57, &[("80000", "AMIENS"), ("80100", "ABBEVILLE")]),
    ("81", 39, &[("81000", "ALBI"), ("81100", "CASTRES")]),
    ("82", 26, &[("82000", "MONTAUBAN")]),
    ("83", 108, &[("83000", "TOULON"), ("83300", "DRAGUIGNAN"), ("83400", "HYERES")]),
    ("84", 56, &[("84000", "AVIGNON"), ("84200", "CARPENTRAS")]),
    ("85", 69, &[("85000", "LA ROCHE-SUR-YON")]),
    ("86", 44, &[("86000", "POITIERS"), ("86100", "CHATELLERAULT")]),
    ("87", 37, &[("87000", "LIMOGES")]),
    ("88", 36, &[("88000", "EPINAL")]),
    ("89", 33, &[("89000", "AUXERRE"), ("89100", "SENS")]),
    ("90", 14, &[("90000", "BELFORT")]),
    ("91", 130, &[("91000", "EVRY-COURCOURONNES"), ("91300", "MASSY")]),
    ("92", 162, &[("92000", "NANTERRE"), ("92100", "BOULOGNE-BILLANCOURT")]),
    ("93", 166, &[("93000", "BOBIGNY"), ("93100", "MONTREUIL"), ("93200", "SAINT-DENIS")]),
    ("94", 140, &[("94000", "CRETEIL"), ("94300", "VINCENNES")]),
    ("95", 125, &[("95000", "CERGY"), ("95100", "ARGENTEUIL")]),
    ("971", 38, &[("97110", "POINTE-A-PITRE"), ("97100", "BASSE-TERRE")]),
    ("972", 36, &[("97200", "FORT-DE-FRANCE")]),
    ("973", 29, &[("97300", "CAYENNE")]),
    ("974", 87, &[("97400", "SAINT-DENIS"), ("97410", "SAINT-PIERRE")]),
];

/// Common French surnames. None is a seed case's name, so that those are found by name alone.
const SURNAMES: &[&str] = &[
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT", "SIMON", "MICHEL", "LEFEBVRE",
    "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
    "MULLER", "LEFEVRE", "FAURE", "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER", "FRANCOIS", "LEGRAND",
    "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLEMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND",
    "DUVAL", "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOEL", "MEYER", "DUFOUR", "MEUNIER", "BRUN", "BLANCHARD", "GIRAUD", "JOLY", "RIVIERE",
    "LUCAS", "BRUNET", "GAILLARD", "BARBIER", "ARNAUD", "MARTINEZ", "GERARD", "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN",
    "VIDAL", "CARON", "PICARD", "ROGER", "FABRE", "AUBERT", "LEMOINE", "RENAUD", "DUMAS", "LACROIX", "OLIVIER", "PHILIPPE", "BOURGEOIS",
    "PIERRE", "BENOIT", "REY", "LECLERC", "PAYET", "ROLLAND", "LECLERCQ", "GUILLAUME", "LECOMTE", "LOPEZ", "JEAN", "DUPUY", "GUILLOT",
    "HUBERT", "BERGER", "CARPENTIER", "SANCHEZ", "DUPUIS", "MOULIN", "LOUIS", "DESCHAMPS", "HUET", "VASSEUR", "PEREZ", "BOUCHER", "FLEURY",
    "ROYER", "KLEIN", "JACQUET", "ADAM", "POIRIER", "MARTY", "AUBRY", "GUYOT", "CARRE", "CHARLES", "RENAULT", "CHARPENTIER", "MENARD",
    "MAILLARD", "BARON", "BERTIN", "BAILLY", "HERVE", "SCHNEIDER", "FERNANDEZ", "LE GALL", "COLLET", "LEGER", "BOUVIER", "JULIEN",
    "PREVOST", "MILLET", "PERROT", "DANIEL", "LE ROUX", "COUSIN", "GERMAIN", "BRETON", "BESSON", "LANGLOIS", "REMY", "LE GOFF",
    "PELLETIER", "LEVEQUE", "PERRIER", "LEBLANC", "BARRE", "LEBRUN", "MARCHAL", "WEBER", "MALLET", "HAMON", "BOULANGER", "JACOB",
    "MONNIER", "MICHAUD", "RODRIGUEZ", "GUICHARD", "GILLET", "ETIENNE", "GRONDIN", "POULAIN", "TESSIER", "CHEVALLIER", "COLLIN", "CHAUVIN",
    "DA SILVA", "BOUCHET", "GAY", "LEMAITRE", "BENARD", "MARECHAL", "HUMBERT", "REYNAUD", "ANTOINE", "HOARAU", "PERRET", "BARTHELEMY",
    "CORDIER", "PICHON", "LEJEUNE", "GILBERT", "LAMY", "DELAUNAY", "PASQUIER", "CARLIER", "LAPORTE",
];

const FEMALE_FIRST_NAMES: &[&str] = &[
    "MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "FRANÇOISE", "VALÉRIE", "CHRISTINE", "SANDRINE", "STÉPHANIE", "CÉLINE",
    "AURÉLIE", "JULIE", "CAMILLE", "LAURA", "SARAH", "EMMA", "LÉA", "CHLOÉ", "MANON", "PAULINE", "CAROLINE", "VIRGINIE", "ÉMILIE",
    "ÉLODIE", "AUDREY", "MÉLANIE", "ANNE", "HÉLÈNE", "CLAIRE", "AGNÈS", "SOPHIE", "LAETITIA", "DELPHINE", "CORINNE", "MARTINE", "BÉATRICE",
    "NADIA", "INÈS", "AMÉLIE",
];

const MALE_FIRST_NAMES: &[&str] = &[
    "JEAN", "PIERRE", "MICHEL", "PHILIPPE", "ALAIN", "NICOLAS", "CHRISTOPHE", "PATRICK", "FRÉDÉRIC", "LAURENT", "STÉPHANE", "DAVID",
    "SÉBASTIEN", "JULIEN", "THOMAS", "OLIVIER", "ÉRIC", "FRANÇOIS", "PASCAL", "THIERRY", "VINCENT", "ANTOINE", "MAXIME", "ALEXANDRE",
    "GUILLAUME", "ROMAIN", "LUC", "MARC", "YVES", "BRUNO", "DIDIER", "HUGO", "LUCAS", "LOUIS", "PAUL", "ARTHUR", "MATHIEU", "BENOÎT",
    "JÉRÔME", "CÉDRIC",
];

const STREET_NAMES: &[&str] = &[
    "DE LA REPUBLIQUE", "JEAN JAURES", "VICTOR HUGO", "DU GENERAL DE GAULLE", "PASTEUR", "DE LA GARE", "DES ECOLES", "DU MOULIN",
    "DE LA LIBERATION", "GAMBETTA", "DE PARIS", "DES LILAS", "DU STADE", "SAINT-MARTIN", "DE L'EGLISE", "DES TILLEULS", "FOCH", "CARNOT",
    "DE LA PAIX", "DU 8 MAI 1945", "DES ROSES", "DU MARECHAL LECLERC", "JULES FERRY", "DE VERDUN", "DU CHATEAU", "DES PEUPLIERS",
    "ALSACE-LORRAINE", "DE LA MAIRIE", "DU COMMERCE", "EMILE ZOLA", "ANATOLE FRANCE", "DES ACACIAS", "DU PORT", "NATIONALE",
    "DE LA FONTAINE", "DES JARDINS", "CLEMENCEAU", "DU PRESIDENT WILSON", "DES CERISIERS", "DE LA POSTE",
];

/// Pharmacy names (never `DU CENTRE`: the seed pharmacy is found by that name).
const PHARMACY_NAMES: &[&str] = &[
    "DE LA GARE", "DES ARCADES", "DU MARCHE", "DE LA MAIRIE", "DU PORT", "DES HALLES", "DE L'EGLISE", "SAINT-MICHEL", "DES TILLEULS",
    "DU LAC", "DE LA PLACE", "PRINCIPALE", "DES ECOLES", "DU PONT", "DE LA POSTE", "DU MAIL", "DES QUATRE CHEMINS", "DE LA FONTAINE",
    "DU ROND-POINT", "DU CHATEAU", "CENTRALE", "DES REMPARTS", "DE LA CATHEDRALE", "DU BOURG",
];

/// Residence-like names of social establishments, associations and group practices (none begins
/// like a seed case's name).
const PLACE_NAMES: &[&str] = &[
    "LES GLYCINES", "LES TILLEULS", "LES CHENES", "LE BOIS FLEURI", "LES JARDINS DU LAC", "LES OLIVIERS", "LA ROSERAIE", "LES MIMOSAS",
    "LE CLOS SAINT-JEAN", "LES LAVANDES", "LES CEDRES", "LE PRE VERT", "LES PINS", "LA SOURCE", "LES MAGNOLIAS", "LES HORTENSIAS",
    "LE VAL FLEURI", "LES CHARMILLES", "LES IRIS", "L'ESTERELLE", "LES SAULES", "LE BEL AIR", "LES AUBEPINES", "LES PRIMEVERES",
    "LA COLLINE", "LES VIGNES", "LE HAMEAU", "LES ERABLES", "SAINTE-ANNE", "SAINT-JOSEPH",
];

const CLINIC_NAMES: &[&str] = &[
    "SAINT-JEAN", "DES CEDRES", "DU PARC", "SAINTE-MARIE", "DES LILAS", "DU PONT DE CHAUME", "SAINT-GEORGES", "DES FLEURS", "BELLEDONNE",
    "DU MONT-BLANC", "SAINT-AUGUSTIN", "DE L'ESPERANCE", "PASTEUR", "DU VAL D'OR", "SAINT-FRANCOIS",
];

/// Biology lab brand words (never `BIOLOGIE DU LITTORAL` nor `DES DEUX RIVES`: seed cases).
const LAB_NAMES: &[&str] = &["BIOVIE", "BIOMEDIS", "LABOSUD", "BIONORD", "BIOEST", "BIOUEST", "BIOVAL", "BIORIVES", "BIOSANTE", "BIOPLUS"];

const GROUP_NAMES: &[&str] = &["HARMONIE", "LES AINES", "SERENITE", "AGE D'OR", "BEL AGE", "DOUCEUR DE VIVRE", "HORIZON SENIORS"];

#[cfg(test)]
mod tests {
    use super::*;
    use santepki_domain::{IdNatStruct, ValidationMode};

    #[test]
    fn seed_identifiers_are_valid() {
        use seed_cases::*;
        let strict = ValidationMode::Strict;
        let finess: Vec<&str> = [
            CHU_NICE_EJ, LBM_SELAS_EJ, LBM_MULTISITE_EJ, PHARMACY_EJ, PHARMACY_EG, RADIOLOGY_GIE_EJ, RADIOLOGY_GIE_EG, ESSMS_EJ,
            HOSPITAL_EJ, HOSPITAL_EG,
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
            assert!(p.rpps == TEST_PS_RPPS || !p.rpps.starts_with("997"), "only the R44 professional is a test identity");
            assert_eq!(p.card.len(), 10);
        }
        for row in TEST_PS_SITUATIONS {
            IdNatStruct::parse(row.ou, ValidationMode::Test).unwrap();
        }
        // The seed's transcription error, kept out.
        assert!(Finess::parse("060923151", strict).is_err());
    }

    #[test]
    fn seed_names_are_not_generated_names() {
        for p in seed_cases::PROFESSIONALS {
            assert!(!SURNAMES.contains(&p.last_name), "{}", p.last_name);
        }
        assert!(!PHARMACY_NAMES.iter().any(|n| n.starts_with("DU CENTRE")));
        assert!(!LAB_NAMES.iter().any(|n| n.contains("LITTORAL") || n.contains("DEUX RIVES")));
    }

    #[test]
    fn scales() {
        assert_eq!(Scale::parse("Demo"), Some(Scale::Demo));
        assert_eq!(Scale::parse("national"), Some(Scale::National));
        assert_eq!(Scale::parse("small"), Some(Scale::SMALL));
        assert_eq!(Scale::parse("huge"), None);
        assert_eq!(Scale::National.sizes().professionals, 604_652);
    }

    #[test]
    fn finess_records_quote_only_when_needed() {
        let mut out = Vec::new();
        write_finess_record(&mut out, &["a", "b;c", "d\"e", "L'ARCHET"]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a;\"b;c\";\"d\"\"e\";L'ARCHET;\n");
        let mut out = Vec::new();
        write_pipe_record(&mut out, &["a|b", "c\nd", ""]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a/b|c d||\n");
    }

    #[test]
    fn generated_identifiers_keep_to_their_ranges() {
        let tables = Tables::new();
        let corse = tables.dept_index("2A").unwrap();
        assert_eq!(finess_number(&tables.depts[corse], 100_000).unwrap().as_str(), Finess::with_key("2A100000").unwrap().as_str());
        let guadeloupe = tables.dept_index("971").unwrap();
        let f = finess_number(&tables.depts[guadeloupe], 10_000).unwrap();
        assert!(f.as_str().starts_with("97110000"), "{f}");
        assert_eq!(tables.depts[guadeloupe].finess_code, "9A");
        assert_eq!(Departement::by_code(tables.depts[guadeloupe].finess_code).unwrap().code, "971");
        assert_eq!(tables.depts.len(), 100, "metropolitan 01–95 without 20, 2A, 2B, and four overseas");
    }
}
