//! The rows the LDAP server reads, each declared once with its column list ([`ldap_rows!`]):
//! both drivers read them by position from that one list, so a column cannot be added to one
//! reader and forgotten in the other.

/// The SQL of a column: its own name, or the expression given after `=`.
macro_rules! column_sql {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $sql:literal) => {
        $sql
    };
}

/// Declares row structs with `COLUMNS` (the SQL of each field, in field order), a reader of a
/// rusqlite row and an sqlx `FromRow` for the `Any` driver, both by position in that order.
macro_rules! ldap_rows {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty $(= $sql:literal)? ),* $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The SQL of each column, in field order: the select list of both drivers.
            pub const COLUMNS: &'static [&'static str] = &[$( column_sql!($field $(, $sql)?) ),*];

            /// The row from a rusqlite row of [`Self::COLUMNS`].
            // The counter's last increment is never read.
            #[allow(unused_assignments)]
            pub(crate) fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<$name> {
                let mut i = 0;
                // Struct expression fields are evaluated in the order written: field order.
                Ok($name { $( $field: { let v = r.get(i)?; i += 1; v }, )* })
            }
        }

        impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for $name {
            #[allow(unused_assignments)]
            fn from_row(r: &'r sqlx::any::AnyRow) -> Result<$name, sqlx::Error> {
                use sqlx::Row as _;
                let mut i = 0;
                Ok($name { $( $field: { let v = r.try_get(i)?; i += 1; v }, )* })
            }
        }
    )*};
}

ldap_rows! {
    /// A professional, as the LDAP entry shows it.
    pub struct PsRow {
        /// idNat_PS.
        idnat_ps: String,
        /// The type of the national identifier (RPPS, ADELI).
        id_type: String,
        /// The identifier without its type digit.
        national_id: String,
        /// Civilité d'exercice.
        civility: Option<String>,
        /// Nom d'exercice.
        last_name: String,
        /// Prénom d'exercice.
        first_name: String,
        /// The professional's main profession code.
        profession_code: Option<String>,
        /// Its label.
        profession_label: Option<String>,
        /// Catégorie professionnelle.
        category_code: Option<String>,
    }

    /// An exercise situation with the data of its structure (the `st.` columns, NULL without a
    /// structure). The fields are in [`SitColumn`] order.
    pub struct SitRow {
        /// The situation's key, unique per professional.
        situation_key: String = "s.situation_key",
        /// The professional's idNat_PS.
        idnat_ps: String = "s.idnat_ps",
        /// The structure's idNat_Struct, if the situation has a structure.
        idnat_struct: Option<String> = "s.idnat_struct",
        /// Identifiant technique de la structure.
        structure_tech_id: Option<String> = "s.structure_tech_id",
        /// Code profession.
        profession_code: Option<String> = "s.profession_code",
        /// Libellé profession.
        profession_label: Option<String> = "s.profession_label",
        /// Code mode d'exercice.
        mode_code: Option<String> = "s.mode_code",
        /// Code secteur d'activité.
        sector_code: Option<String> = "s.sector_code",
        /// Libellé secteur d'activité.
        sector_label: Option<String> = "s.sector_label",
        /// Code fonction.
        role_code: Option<String> = "s.role_code",
        /// Code genre d'activité.
        activity_code: Option<String> = "s.activity_code",
        /// Raison sociale of the structure.
        name: Option<String> = "st.name",
        /// SIRET of the structure.
        siret: Option<String> = "st.siret",
        /// SIREN of the structure.
        siren: Option<String> = "st.siren",
        /// FINESS of the structure.
        finess: Option<String> = "st.finess",
        /// FINESS juridique of the structure.
        legal_entity_finess: Option<String> = "st.legal_entity_finess",
        /// RPPS rang of the structure.
        rpps_rang: Option<String> = "st.rpps_rang",
        /// Complément destinataire.
        recipient: Option<String> = "st.recipient",
        /// Street number.
        street_number: Option<String> = "st.street_number",
        /// Street number suffix (bis, ter…).
        street_number_suffix: Option<String> = "st.street_number_suffix",
        /// Street type.
        street_type: Option<String> = "st.street_type",
        /// Street name.
        street_name: Option<String> = "st.street_name",
        /// Postal code.
        postal_code: Option<String> = "st.postal_code",
        /// Town.
        town: Option<String> = "st.town",
        /// Telephone number.
        phone: Option<String> = "st.phone",
        /// E-mail address.
        email: Option<String> = "st.email",
    }

    /// A structure, as its LDAP entry shows it.
    pub struct StructRow {
        /// idNat_Struct.
        idnat_struct: String,
        /// Raison sociale.
        name: String,
        /// FINESS.
        finess: Option<String>,
        /// FINESS juridique.
        legal_entity_finess: Option<String>,
        /// SIRET.
        siret: Option<String>,
        /// SIREN.
        siren: Option<String>,
        /// RPPS rang.
        rpps_rang: Option<String>,
        /// Complément destinataire.
        recipient: Option<String>,
        /// Street number.
        street_number: Option<String>,
        /// Street number suffix (bis, ter…).
        street_number_suffix: Option<String>,
        /// Street type.
        street_type: Option<String>,
        /// Street name.
        street_name: Option<String>,
        /// Postal code.
        postal_code: Option<String>,
        /// Town.
        town: Option<String>,
        /// Telephone number.
        phone: Option<String>,
        /// E-mail address.
        email: Option<String>,
    }
}

/// A certification authority as the LDAP PKI subtree shows it: its certificate and its newest
/// full and delta CRLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaEntry {
    /// The CA's name (its RDN value).
    pub name: String,
    /// Whether it is the root.
    pub is_root: bool,
    /// The CA certificate (DER).
    pub certificate: Vec<u8>,
    /// The newest full CRL (DER), if any.
    pub crl: Option<Vec<u8>>,
    /// The newest delta CRL (DER), if any.
    pub delta_crl: Option<Vec<u8>>,
}

/// The columns of a situation read, in [`SitRow`] field order (`SitRow::COLUMNS[c as usize]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // Each is the field of the same name.
pub enum SitColumn {
    SituationKey,
    IdnatPs,
    IdnatStruct,
    StructureTechId,
    ProfessionCode,
    ProfessionLabel,
    ModeCode,
    SectorCode,
    SectorLabel,
    RoleCode,
    ActivityCode,
    Name,
    Siret,
    Siren,
    Finess,
    LegalEntityFiness,
    RppsRang,
    Recipient,
    StreetNumber,
    StreetNumberSuffix,
    StreetType,
    StreetName,
    PostalCode,
    Town,
    Phone,
    Email,
}

/// Which columns a situation read fetches; the others come back NULL (the entries built
/// from the rows do not show them). Fewer columns, less to copy out of each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitColumns(u32);

impl SitColumns {
    /// The columns names and order depend on.
    pub const KEYS: SitColumns = SitColumns(
        1 << SitColumn::SituationKey as u32 | 1 << SitColumn::IdnatPs as u32 | 1 << SitColumn::IdnatStruct as u32,
    );
    /// Every column.
    pub const ALL: SitColumns = SitColumns((1 << SitRow::COLUMNS.len()) - 1);

    /// These columns and `c`.
    pub fn with(self, c: SitColumn) -> SitColumns {
        SitColumns(self.0 | 1 << c as u32)
    }

    /// Whether `c` is read.
    pub fn has(self, c: SitColumn) -> bool {
        self.0 & (1 << c as u32) != 0
    }

    /// The select list: each column, or a typed NULL under its name in its place (the rows are
    /// read by position; the names keep the statement readable in logs and plans).
    pub(crate) fn select_list(self) -> String {
        let mut out = String::with_capacity(800);
        for (i, sql) in SitRow::COLUMNS.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if self.0 & (1 << i) != 0 {
                out.push_str(sql);
            } else {
                let name = sql.rsplit('.').next().unwrap_or(sql);
                out.push_str("CAST(NULL AS TEXT) AS ");
                out.push_str(name);
            }
        }
        out
    }
}

impl SitRow {
    /// The row as a read of `cols` only gives it (what [`SitColumns`] does in SQL), for tests
    /// of code that builds entries from projected rows.
    #[cfg(any(test, feature = "testing"))]
    pub fn project(&self, cols: SitColumns) -> SitRow {
        use SitColumn as C;
        let keep = |c: SitColumn, v: &Option<String>| if cols.has(c) { v.clone() } else { None };
        SitRow {
            situation_key: self.situation_key.clone(),
            idnat_ps: self.idnat_ps.clone(),
            idnat_struct: self.idnat_struct.clone(),
            structure_tech_id: keep(C::StructureTechId, &self.structure_tech_id),
            profession_code: keep(C::ProfessionCode, &self.profession_code),
            profession_label: keep(C::ProfessionLabel, &self.profession_label),
            mode_code: keep(C::ModeCode, &self.mode_code),
            sector_code: keep(C::SectorCode, &self.sector_code),
            sector_label: keep(C::SectorLabel, &self.sector_label),
            role_code: keep(C::RoleCode, &self.role_code),
            activity_code: keep(C::ActivityCode, &self.activity_code),
            name: keep(C::Name, &self.name),
            siret: keep(C::Siret, &self.siret),
            siren: keep(C::Siren, &self.siren),
            finess: keep(C::Finess, &self.finess),
            legal_entity_finess: keep(C::LegalEntityFiness, &self.legal_entity_finess),
            rpps_rang: keep(C::RppsRang, &self.rpps_rang),
            recipient: keep(C::Recipient, &self.recipient),
            street_number: keep(C::StreetNumber, &self.street_number),
            street_number_suffix: keep(C::StreetNumberSuffix, &self.street_number_suffix),
            street_type: keep(C::StreetType, &self.street_type),
            street_name: keep(C::StreetName, &self.street_name),
            postal_code: keep(C::PostalCode, &self.postal_code),
            town: keep(C::Town, &self.town),
            phone: keep(C::Phone, &self.phone),
            email: keep(C::Email, &self.email),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `SitColumn` names the columns of `SitRow` in the same order: each variant is its
    /// column's name in CamelCase.
    #[test]
    fn sit_columns_follow_the_row() {
        use SitColumn as C;
        let all = [
            C::SituationKey,
            C::IdnatPs,
            C::IdnatStruct,
            C::StructureTechId,
            C::ProfessionCode,
            C::ProfessionLabel,
            C::ModeCode,
            C::SectorCode,
            C::SectorLabel,
            C::RoleCode,
            C::ActivityCode,
            C::Name,
            C::Siret,
            C::Siren,
            C::Finess,
            C::LegalEntityFiness,
            C::RppsRang,
            C::Recipient,
            C::StreetNumber,
            C::StreetNumberSuffix,
            C::StreetType,
            C::StreetName,
            C::PostalCode,
            C::Town,
            C::Phone,
            C::Email,
        ];
        assert_eq!(all.len(), SitRow::COLUMNS.len());
        for (i, c) in all.into_iter().enumerate() {
            assert_eq!(c as usize, i);
            let column = SitRow::COLUMNS[i].rsplit('.').next().unwrap();
            let camel: String = column.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
            assert_eq!(format!("{c:?}"), camel);
        }
        assert_eq!(SitColumns::ALL.select_list(), SitRow::COLUMNS.join(", "));
        let keys = SitColumns::KEYS.with(C::Email).select_list();
        assert!(
            keys.starts_with("s.situation_key, s.idnat_ps, s.idnat_struct, CAST(NULL AS TEXT) AS structure_tech_id")
        );
        assert!(keys.ends_with("CAST(NULL AS TEXT) AS phone, st.email"), "{keys}");
    }
}
