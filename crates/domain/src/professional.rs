//! The CPx cards' types and what each lets its holder do (R2, R4, R5).

use serde::{Deserialize, Serialize};

/// The types of CPx cards (R2, R4, R5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum CardType {
    /// Carte de Professionnel de Santé.
    Cps,
    /// Carte de Professionnel d'Établissement (employee who is not a health professional).
    Cpe,
    /// Carte de Personnel Autorisé (software vendor or integrator technician).
    Cpa,
    /// Carte de Directeur d'Établissement.
    Cde,
    /// Carte de Directeur d'Autre organisme (vendor director).
    Cda,
    /// Carte de Professionnel en Formation.
    Cpf,
}

impl CardType {
    /// Every card type.
    pub const ALL: [CardType; 6] =
        [CardType::Cps, CardType::Cpe, CardType::Cpa, CardType::Cde, CardType::Cda, CardType::Cpf];

    /// The card type as written in the directory and on forms (`CPS`, `CPE`…).
    pub fn as_str(self) -> &'static str {
        match self {
            CardType::Cps => "CPS",
            CardType::Cpe => "CPE",
            CardType::Cpa => "CPA",
            CardType::Cde => "CDE",
            CardType::Cda => "CDA",
            CardType::Cpf => "CPF",
        }
    }

    /// Parses a card type in any case, surrounding spaces ignored.
    pub fn parse(s: &str) -> Option<Self> {
        CardType::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The value of the card certificate's product-type extension `1.2.250.1.71.1.2.2`
    /// (0 CPS, 1 CPF, 2 CDE/CPE, 3 CDA/CPA; REFERENCE.md).
    pub fn product_type(self) -> u8 {
        match self {
            CardType::Cps => 0,
            CardType::Cpf => 1,
            CardType::Cde | CardType::Cpe => 2,
            CardType::Cda | CardType::Cpa => 3,
        }
    }

    /// Whether a holder of this card may be a technical administrator (R2: CPS, CPE or CPA).
    pub fn can_be_technical_administrator(self) -> bool {
        matches!(self, CardType::Cps | CardType::Cpe | CardType::Cpa)
    }

    /// Whether a holder of this card may be a legal representative (R4: CPS, or CDE/CDA).
    pub fn can_be_legal_representative(self) -> bool {
        matches!(self, CardType::Cps | CardType::Cde | CardType::Cda)
    }
}

impl std::fmt::Display for CardType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_roles_r2_r4() {
        assert!(CardType::Cpa.can_be_technical_administrator());
        assert!(!CardType::Cde.can_be_technical_administrator());
        assert!(CardType::Cde.can_be_legal_representative());
        assert!(!CardType::Cpe.can_be_legal_representative());
        assert_eq!(CardType::parse("cpa"), Some(CardType::Cpa));
        assert_eq!(CardType::Cda.product_type(), 3);
    }
}
