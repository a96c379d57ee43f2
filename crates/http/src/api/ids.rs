//! OpenAPI schemas of the national identifiers the routes take (REFERENCE.md, R43), with the
//! pattern of each as far as a regular expression can check it: the Luhn keys of FINESS, SIRET
//! and RPPS are checked by `santepki_domain::ids`, which answers 400 naming the fault.

use super::text_schema;

text_schema!(
    /// A FINESS number.
    Finess,
    pattern = r"^[0-9][0-9A-Z][0-9]{7}$",
    "FINESS: 9 characters, the département first (`2A`/`2B` for Corsica; a letter in position 2 in the test environment), a Luhn key last"
);
text_schema!(
    /// A SIRET number.
    Siret,
    pattern = r"^[0-9]{14}$",
    "SIRET: 14 digits with a Luhn key (La Poste's: digit sum divisible by 5)"
);
text_schema!(
    /// An RPPS number.
    Rpps,
    pattern = r"^[0-9]{11}$",
    "RPPS: 11 digits with a Luhn key (test identities start with 997)"
);
text_schema!(
    /// An RPPS rang.
    RppsRang,
    pattern = r"^[0-9]{14}$",
    "RPPS rang: the RPPS of the practice's holder and a 3-digit rank (14 digits)"
);
text_schema!(
    /// An idNat_PS.
    IdNatPs,
    pattern = r"^(0([0-9]{2}|2[AB])[0-9]{7}|8[0-9]{11})$",
    "idNat_PS (R43): `0` + ADELI (9 characters) or `8` + RPPS (11 digits)"
);
text_schema!(
    /// An idNat_Struct.
    IdNatStruct,
    pattern = r"^(0([0-9]{2}|2[AB])[0-9]{10}|1[0-9][0-9A-Z][0-9]{7}|2[0-9]{9}|3[0-9]{14}|4[0-9]{14})$",
    "idNat_Struct (R43): `0` + ADELI rang, `1` + FINESS, `2` + SIREN, `3` + SIRET, `4` + RPPS rang"
);
text_schema!(
    /// A professional's identifier on the directory's routes.
    ProfessionalId,
    pattern = r"^([0-9]{11}|0([0-9]{2}|2[AB])[0-9]{7}|8[0-9]{11}|([0-9]{2}|2[AB])[0-9]{7})$",
    "RPPS (11 digits), idNat_PS (12 characters) or ADELI (9 characters)"
);
text_schema!(
    /// A structure's identifier on the directory's routes.
    StructureId,
    pattern = r"^([0-9][0-9A-Z][0-9]{7}|[0-9]{14}|0([0-9]{2}|2[AB])[0-9]{10}|1[0-9][0-9A-Z][0-9]{7}|2[0-9]{9}|3[0-9]{14}|4[0-9]{14})$",
    "idNat_Struct, FINESS (9 characters), SIRET (14 digits) or RPPS rang (14 digits)"
);
text_schema!(
    /// A CPx card number.
    CardNumber,
    pattern = r"^[0-9]{10}$",
    "CPx card number: 10 digits"
);
