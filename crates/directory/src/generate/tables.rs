//! Reference tables: départements, towns, addresses and phone numbers.

use std::io;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use santepki_domain::{Departement, Sector};

use super::names::STREET_NAMES;
use super::{choose, pick};

/// A postal address, in the parts both file formats carry.
#[derive(Debug, Clone, Default)]
pub(super) struct Address {
    /// Complément destinataire (RPPS only).
    pub(super) recipient: String,
    pub(super) number: String,
    /// Indice de répétition (`B`, `T`).
    pub(super) suffix: &'static str,
    pub(super) street: StreetType,
    pub(super) street_name: String,
    /// Lieu-dit or boîte postale.
    pub(super) locality: String,
    pub(super) town: Town,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Town {
    pub(super) postal_code: String,
    /// As written after the postal code: `NICE`, `NICE CEDEX 1`.
    pub(super) name: String,
    /// The 3-digit commune code of FINESS files, when known.
    pub(super) commune: String,
}

impl Town {
    pub(super) fn acheminement(&self) -> String {
        match (self.postal_code.is_empty(), self.name.is_empty()) {
            (false, false) => format!("{} {}", self.postal_code, self.name),
            (false, true) => self.postal_code.clone(),
            _ => self.name.clone(),
        }
    }
}

/// A street type: the abbreviation FINESS files use, the label of RPPS files.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StreetType {
    pub(super) code: &'static str,
    pub(super) label: &'static str,
}

pub(super) const RUE: StreetType = StreetType { code: "RUE", label: "RUE" };
pub(super) const AV: StreetType = StreetType { code: "AV", label: "AVENUE" };
pub(super) const BD: StreetType = StreetType { code: "BD", label: "BOULEVARD" };
pub(super) const CHE: StreetType = StreetType { code: "CHE", label: "CHEMIN" };
pub(super) const PL: StreetType = StreetType { code: "PL", label: "PLACE" };
pub(super) const RTE: StreetType = StreetType { code: "RTE", label: "ROUTE" };
const STREET_TYPES: [(StreetType, u32); 6] = [(RUE, 50), (AV, 20), (BD, 8), (CHE, 8), (PL, 6), (RTE, 8)];

/// A département as the generator uses it.
pub(super) struct Dept {
    pub(super) code: &'static str,
    /// `Alpes-Maritimes`, as the RPPS file writes it.
    pub(super) name: String,
    /// `ALPES-MARITIMES`, as FINESS files write it.
    pub(super) upper: String,
    /// The first characters of its FINESS numbers: `06`, `2A`, `971`.
    pub(super) finess_prefix: &'static str,
    /// The FINESS files' `departement` field: `06`, `2A`, `9A` (Guadeloupe).
    pub(super) finess_code: &'static str,
    weight: u32,
    towns: &'static [(&'static str, &'static str)],
    phone_prefix: &'static str,
}

pub(super) struct Tables {
    pub(super) depts: Vec<Dept>,
    dept_weights: Vec<(usize, u32)>,
    sectors: Vec<(&'static str, &'static str)>,
}

impl Tables {
    pub(super) fn new() -> Tables {
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
                Dept {
                    code,
                    upper: upper_ascii(&name),
                    name,
                    finess_prefix,
                    finess_code,
                    weight,
                    towns,
                    phone_prefix: phone_prefix(code),
                }
            })
            .collect();
        let dept_weights = depts.iter().enumerate().map(|(i, d)| (i, d.weight)).collect();
        let sectors = SECTORS_USED
            .iter()
            .map(|code| (*code, Sector::parse(code).ok().and_then(|s| s.label_fr()).unwrap_or("")))
            .collect();
        Tables { depts, dept_weights, sectors }
    }

    pub(super) fn pick_dept(&self, r: &mut ChaCha8Rng) -> usize {
        pick(r, &self.dept_weights)
    }

    pub(super) fn dept_index(&self, code: &str) -> io::Result<usize> {
        let code = if code == "97" { "971" } else { code };
        self.depts
            .iter()
            .position(|d| d.code == code)
            .ok_or_else(|| io::Error::other(format!("unknown département {code}")))
    }

    pub(super) fn sector_label(&self, code: &str) -> &'static str {
        self.sectors.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }

    /// A town of the département: one of its main towns, or a generic `COMMUNE <n>` with a
    /// postal code of the département.
    pub(super) fn town(&self, d: usize, r: &mut ChaCha8Rng) -> Town {
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

    pub(super) fn address(&self, r: &mut ChaCha8Rng, town: Town) -> Address {
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
    pub(super) fn phone(&self, d: usize, r: &mut ChaCha8Rng) -> String {
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
        "14" | "18" | "22" | "27" | "28" | "29" | "35" | "36" | "37" | "41" | "44" | "45" | "49" | "50" | "53"
        | "56" | "61" | "72" | "76" | "85" => "02",
        "02" | "08" | "10" | "21" | "25" | "39" | "51" | "52" | "54" | "55" | "57" | "58" | "59" | "60" | "62"
        | "67" | "68" | "70" | "71" | "80" | "88" | "89" | "90" => "03",
        "09" | "12" | "16" | "17" | "19" | "23" | "24" | "31" | "32" | "33" | "40" | "46" | "47" | "64" | "65"
        | "79" | "81" | "82" | "86" | "87" => "05",
        "971" => "0590",
        "972" => "0596",
        "973" => "0594",
        "974" => "0262",
        _ => "04",
    }
}

const SECTORS_USED: [&str; 12] =
    ["SA01", "SA04", "SA05", "SA06", "SA07", "SA08", "SA09", "SA17", "SA25", "SA26", "SA29", "SA30"];

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
