//! Contracts, roles, forms 413, habilitations and cards as the API shows them.

use santepki_domain::form413::{Form413, StructureCase};
use santepki_domain::values::{
    ContractKind, ContractState, FormState, HabilitationState, RoleKind, RoleState, SignatureMethod,
};
use santepki_domain::CardType;
use santepki_registration::cards::CardView;
use santepki_registration::contracts::{ContractOutcome as RegContractOutcome, ContractView};
use santepki_registration::forms::FormView;
use santepki_registration::habilitations::{
    ChangeOutcome as RegChangeOutcome, HabilitationView, TransferOutcome as RegTransferOutcome,
};
use santepki_storage::directory::CardRow;
use santepki_storage::registration::{ContractRow, FormRow, HabilitationRow, RoleRow};
use serde::Serialize;
use utoipa::ToSchema;

use super::from_fields;

/// A contract with the agency (R3, R6): one per legal entity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    pub id: String,
    /// `1<FINESS juridique>`, `3<SIRET>` or `8<RPPS>`.
    pub legal_entity: String,
    pub kind: ContractKind,
    pub name: String,
    pub state: ContractState,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}
from_fields!(ContractRow => Contract { id, legal_entity, kind, name, state, created_by, created_at, updated_at });

/// A role held by a card holder (R4, R5, R6, R49).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Role {
    pub id: String,
    pub kind: RoleKind,
    pub legal_entity: Option<String>,
    pub card_number: String,
    pub idnat_ps: String,
    /// The paper form it stands for (`101`, `301`, `502`, `503`, `cli`).
    pub form: Option<String>,
    pub state: RoleState,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}
from_fields!(RoleRow => Role {
    id, kind, legal_entity, card_number, idnat_ps, form, state, created_by, created_at, updated_at
});

/// A form 413 as recorded (R19–R24, R47); its signature's bytes are not shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Form {
    pub id: String,
    pub reference: Option<String>,
    #[schema(value_type = StructureCase)]
    pub structure_case: String,
    /// The form as submitted (JSON text).
    pub body: String,
    pub state: FormState,
    pub legal_entity: String,
    pub bulk_id: Option<String>,
    pub vendor: Option<String>,
    pub created_by: String,
    pub created_at: String,
    /// The exact bytes the signer signs.
    pub content: String,
    pub signer_card: Option<String>,
    pub signature_method: Option<SignatureMethod>,
    pub signed_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
    pub updated_at: String,
}
from_fields!(FormRow => Form {
    id, reference, structure_case, body, state, legal_entity, bulk_id, vendor, created_by, created_at, content,
    signer_card, signature_method, signed_at, acknowledged_at, decided_by, decided_at, decision_reason, updated_at
});

/// A form with the form itself and its habilitations once validated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormDetail {
    #[serde(flatten)]
    pub row: Form,
    pub form: Form413,
    pub habilitations: Vec<Habilitation>,
}

impl From<FormView> for FormDetail {
    fn from(v: FormView) -> Self {
        FormDetail { row: v.row.into(), form: v.form, habilitations: list(v.habilitations) }
    }
}

/// A habilitation: one technical administrator for one structure identifier (R25).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Habilitation {
    pub id: String,
    pub idnat_struct: String,
    pub card_number: String,
    pub form_id: String,
    pub vendor: Option<String>,
    pub state: HabilitationState,
    pub created_at: String,
    pub updated_at: String,
    pub withdrawn_by: Option<String>,
    pub withdrawn_reason: Option<String>,
}
from_fields!(HabilitationRow => Habilitation {
    id, idnat_struct, card_number, form_id, vendor, state, created_at, updated_at, withdrawn_by, withdrawn_reason
});

/// A habilitation with the names people read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HabilitationDetail {
    #[serde(flatten)]
    pub row: Habilitation,
    pub structure_name: Option<String>,
    pub administrator: String,
    pub vendor_name: Option<String>,
}
from_fields!(HabilitationView => HabilitationDetail { row, structure_name, administrator, vendor_name });

/// What a change of administrators did (R7).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeOutcome {
    pub withdrawn: Option<Habilitation>,
    pub created: Option<Habilitation>,
}

impl From<RegChangeOutcome> for ChangeOutcome {
    fn from(o: RegChangeOutcome) -> Self {
        ChangeOutcome { withdrawn: o.withdrawn.map(Into::into), created: o.created.map(Into::into) }
    }
}

/// What a transfer between a vendor's administrators did (R49).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferOutcome {
    pub moved: usize,
    /// Structures the new administrator already administered.
    pub already: usize,
    pub habilitations: Vec<Habilitation>,
}

impl From<RegTransferOutcome> for TransferOutcome {
    fn from(o: RegTransferOutcome) -> Self {
        TransferOutcome { moved: o.moved, already: o.already, habilitations: list(o.habilitations) }
    }
}

/// A contract made or found (R3: reused, not duplicated).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractOutcome {
    pub contract: Contract,
    /// True when the legal entity already had a contract (R3).
    pub reused: bool,
    pub legal_representative: Option<Role>,
}

impl From<RegContractOutcome> for ContractOutcome {
    fn from(o: RegContractOutcome) -> Self {
        ContractOutcome {
            contract: o.contract.into(),
            reused: o.reused,
            legal_representative: o.legal_representative.map(Into::into),
        }
    }
}

/// A contract with its roles.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractDetail {
    pub contract: Contract,
    pub roles: Vec<Role>,
}

impl From<ContractView> for ContractDetail {
    fn from(v: ContractView) -> Self {
        ContractDetail { contract: v.contract.into(), roles: list(v.roles) }
    }
}

/// A CPx card as the directory holds it (R2).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardRecord {
    pub card_number: String,
    pub card_type: CardType,
    pub idnat_ps: String,
    pub valid_from: String,
    pub valid_until: String,
    pub opposed_on: Option<String>,
    pub closed_at: Option<String>,
}
from_fields!(CardRow => CardRecord { card_number, card_type, idnat_ps, valid_from, valid_until, opposed_on, closed_at });

/// A card as shown to its holder and to operators.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardDetail {
    pub card: CardRecord,
    pub valid: bool,
    /// Serial numbers (hex) of the card's live authentication certificates.
    pub certificates: Vec<String>,
}
from_fields!(CardView => CardDetail { card, valid, certificates });

/// Converts every item of a list.
pub fn list<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}
