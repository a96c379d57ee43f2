//! Who is acting: the card behind the authenticated session, and the roles it holds.

use chrono::{NaiveDate, Utc};
use santepki_domain::values::{ContractKind, RoleKind, RoleState};
use santepki_domain::CardType;
use santepki_storage::directory as dir;
use santepki_storage::registration as store;
use serde::Serialize;

use crate::{RegError, Registration};

/// How an actor speaks for a legal entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The professional holding RPPS-rang practices (R14, entity `8<RPPS>`).
    Holder,
    /// Its legal representative or mandataire (R4, R5).
    Role(RoleKind),
}

/// An authenticated card holder.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Actor {
    /// The card number (10 digits, third line of the card; R21).
    pub card_number: String,
    /// CPS, CPE or CPA (R2).
    pub card_type: CardType,
    /// The holder's national identifier (type digit plus RPPS/ADELI; R43).
    pub idnat_ps: String,
    /// Last name as on the card.
    pub last_name: String,
    /// First name as on the card.
    pub first_name: String,
}

impl Actor {
    /// The id written in audit events: `card:<number>`.
    pub fn audit_id(&self) -> String {
        format!("card:{}", self.card_number)
    }
}

/// Whether a card is usable today: within its validity, not opposed, still in the directory (R2).
pub(crate) fn card_is_valid(card: &dir::CardRow, today: NaiveDate) -> bool {
    let day = |s: &str| NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok();
    let from_ok = day(&card.valid_from).is_some_and(|d| d <= today);
    let until_ok = day(&card.valid_until).is_some_and(|d| today <= d);
    let opposed = card.opposed_on.as_deref().and_then(day).is_some_and(|d| d <= today);
    card.closed_at.is_none() && from_ok && until_ok && !opposed
}

impl Registration {
    /// The actor behind a valid card. An expired, opposed or unknown card acts for nobody.
    pub async fn actor_for_card(&self, card_number: &str) -> Result<Actor, RegError> {
        let card = dir::card(self.db(), card_number)
            .await?
            .ok_or_else(|| RegError::forbidden("card_unknown", Some("R2"), "carte inconnue"))?;
        if !card_is_valid(&card, Utc::now().date_naive()) {
            return Err(RegError::forbidden(
                "card_invalid",
                Some("R2"),
                format!("la carte {card_number} est expirée ou en opposition"),
            ));
        }
        let card_type = card.card_type;
        let holder = dir::professional(self.db(), &card.idnat_ps).await?;
        let (last_name, first_name) = holder.map(|p| (p.last_name, p.first_name)).unwrap_or_default();
        Ok(Actor { card_number: card.card_number, card_type, idnat_ps: card.idnat_ps, last_name, first_name })
    }

    /// The actor behind a card certificate presented over mutual TLS (DER): a card certificate
    /// this CA issued and still holds good, for a card that is valid today.
    pub async fn actor_from_certificate(&self, der: &[u8]) -> Result<Actor, RegError> {
        let card = self.require_authority()?.card_of_certificate(der).await?;
        self.actor_for_card(&card.card_number).await
    }

    /// The roles a card holds now.
    pub async fn active_roles(&self, actor: &Actor) -> Result<Vec<store::RoleRow>, RegError> {
        Ok(store::roles_of_card(self.db(), &actor.card_number)
            .await?
            .into_iter()
            .filter(|r| r.state == RoleState::Active)
            .collect())
    }

    /// Whether the actor holds an active operator role (may validate forms 413, R24).
    pub async fn is_operator(&self, actor: &Actor) -> Result<bool, RegError> {
        Ok(self.active_roles(actor).await?.iter().any(|r| r.kind == RoleKind::Operator))
    }

    pub(crate) async fn require_operator(&self, actor: &Actor) -> Result<(), RegError> {
        if self.is_operator(actor).await? {
            Ok(())
        } else {
            Err(RegError::forbidden("operator_only", None, "réservé aux opérateurs de l'Agence"))
        }
    }

    /// How the actor speaks for a legal entity, if they do: as its legal representative, its
    /// mandataire (R4, R5), or as the professional holding RPPS-rang practices (R14, entity
    /// `8<RPPS>`).
    pub async fn represents(&self, actor: &Actor, legal_entity: &str) -> Result<Option<Speaker>, RegError> {
        if legal_entity.starts_with('8') && legal_entity == actor.idnat_ps {
            return Ok(Some(Speaker::Holder));
        }
        for r in self.active_roles(actor).await? {
            if r.legal_entity.as_deref() == Some(legal_entity)
                && matches!(r.kind, RoleKind::LegalRepresentative | RoleKind::Mandataire)
            {
                return Ok(Some(Speaker::Role(r.kind)));
            }
        }
        Ok(None)
    }

    /// The vendors (legal entities) the actor works for as administrator, legal representative
    /// or mandataire.
    pub(crate) async fn vendors_of(&self, actor: &Actor) -> Result<Vec<(String, RoleKind)>, RegError> {
        let mut out = Vec::new();
        for r in self.active_roles(actor).await? {
            let Some(entity) = r.legal_entity.clone() else { continue };
            let is_vendor = store::contract_by_entity(self.db().pool(), &entity)
                .await?
                .is_some_and(|c| c.kind == ContractKind::Vendor);
            if is_vendor {
                out.push((entity, r.kind));
            }
        }
        Ok(out)
    }
}
