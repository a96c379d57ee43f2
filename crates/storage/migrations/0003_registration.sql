-- Registration: contracts, roles, the digital form 413, habilitations and outgoing mail.
--
-- Same portable rules as 0001 (TEXT, BIGINT, RFC 3339 UTC timestamps). Every row change goes with
-- an audit event written in the same transaction (santepki_storage::audit).

-- The card a card certificate was issued for: the mutual-TLS front end maps a presented
-- certificate to its card through this column (card certificates carry no card number).
ALTER TABLE ca_certificates ADD COLUMN card_number TEXT;

-- Rule R3: one contract per legal entity, reused, never duplicated. `legal_entity` is an
-- idNat-style key: `1` + FINESS juridique, `3` + SIRET (société d'exercice, vendor, establishment
-- without FINESS juridique), `8` + RPPS (the holder of RPPS-rang practices).
CREATE TABLE contracts (
    id                  TEXT PRIMARY KEY,
    legal_entity        TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL,         -- structure | vendor
    name                TEXT NOT NULL,
    state               TEXT NOT NULL,         -- active | terminated
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

-- Roles held by card holders: legal representative and mandataire of a contract's legal entity
-- (R4, R5), a vendor's technical administrators (R6, R49), agency operators. A role request
-- (forms 101/301/502) starts as `requested` and an operator makes it `active`.
CREATE TABLE roles (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL,         -- legal-representative | mandataire | vendor-administrator | operator
    legal_entity        TEXT,                  -- the contract's legal entity (NULL for operators)
    card_number         TEXT NOT NULL,
    idnat_ps            TEXT NOT NULL,
    form                TEXT,                  -- 101 | 301 | 502 | 503 | cli
    state               TEXT NOT NULL,         -- requested | active | ended | refused
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX roles_card ON roles (card_number, state);
CREATE INDEX roles_entity ON roles (legal_entity, kind, state);

-- Counters shared by every node (file reference numbers), taken with UPDATE … RETURNING.
CREATE TABLE counters (
    name                TEXT PRIMARY KEY,
    value               BIGINT NOT NULL
);

-- The digital form 413 (R19–R23, R47). `body` is the form as submitted (JSON); `content` the exact
-- bytes the signer signed (canonical JSON of the body and the form id), kept with the signature.
CREATE TABLE forms413 (
    id                  TEXT PRIMARY KEY,
    reference           TEXT UNIQUE,           -- file reference number, on acknowledgement (R24)
    structure_case      TEXT NOT NULL,
    body                TEXT NOT NULL,
    state               TEXT NOT NULL,         -- awaiting-signature | acknowledged | validated | rejected | withdrawn
    legal_entity        TEXT NOT NULL,         -- the contract's legal entity
    bulk_id             TEXT,                  -- the bulk submission it came in (R48)
    vendor              TEXT,                  -- the vendor's legal entity, for vendor-prepared forms (R26, R48)
    created_by          TEXT NOT NULL,         -- card number of whoever prepared it
    created_at          TEXT NOT NULL,
    content             TEXT NOT NULL,
    signer_card         TEXT,
    signature_method    TEXT,                  -- session | cms
    signature           BYTEA,                 -- the detached CMS (method cms)
    signed_at           TEXT,
    acknowledged_at     TEXT,
    decided_by          TEXT,
    decided_at          TEXT,
    decision_reason     TEXT,
    updated_at          TEXT NOT NULL
);
CREATE INDEX forms413_state ON forms413 (state, acknowledged_at);
CREATE INDEX forms413_entity ON forms413 (legal_entity);
CREATE INDEX forms413_bulk ON forms413 (bulk_id);

-- The structure identifiers a form names, for "who can see this form" and conflict checks.
CREATE TABLE form413_structures (
    form_id             TEXT NOT NULL REFERENCES forms413 (id),
    idnat_struct        TEXT NOT NULL,
    PRIMARY KEY (form_id, idnat_struct)
);
CREATE INDEX form413_structures_struct ON form413_structures (idnat_struct);

-- Rule R25: one habilitation per (structure identifier × technical administrator).
CREATE TABLE habilitations (
    id                  TEXT PRIMARY KEY,
    idnat_struct        TEXT NOT NULL,
    card_number         TEXT NOT NULL,         -- the technical administrator's card
    form_id             TEXT NOT NULL,
    vendor              TEXT,                  -- the vendor the administrator works for (R49)
    state               TEXT NOT NULL,         -- active | withdrawn
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    withdrawn_by        TEXT,
    withdrawn_reason    TEXT
);
CREATE INDEX habilitations_struct ON habilitations (idnat_struct, state);
CREATE INDEX habilitations_card ON habilitations (card_number, state);
CREATE INDEX habilitations_vendor ON habilitations (vendor, state);

-- Outgoing mail, written in the transaction of the state change it announces and delivered
-- afterwards by whichever node claims it first (a transactional outbox: no mail is lost when a
-- node stops, none is sent for a change that was rolled back).
CREATE TABLE mail_outbox (
    id                  TEXT PRIMARY KEY,
    recipients          TEXT NOT NULL,         -- comma-separated addresses
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL,
    about               TEXT NOT NULL,         -- the form or habilitation the mail is about
    state               TEXT NOT NULL,         -- queued | sending | sent | failed
    attempts            BIGINT NOT NULL,
    last_error          TEXT,
    claimed_at          TEXT,
    created_at          TEXT NOT NULL,
    sent_at             TEXT
);
CREATE INDEX mail_outbox_state ON mail_outbox (state, created_at);
