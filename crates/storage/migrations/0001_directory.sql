-- The national directory: structures (FINESS EJ/EG, practices), professionals, their exercise
-- situations and cards, plus import runs and the audit log.
--
-- One schema for SQLite and PostgreSQL: portable types only (TEXT, BIGINT), natural text keys,
-- timestamps as RFC 3339 UTC text (sortable), no autoincrement.
--
-- Managed columns on imported tables:
--   source        which file kind last wrote the row (finess_ej, finess_eg, rpps, cards)
--   content_hash  xxh3 of the imported values, to tell changed rows from unchanged ones
--   last_import   id of the last import run that saw the row (rows not seen by a complete run
--                 of their source are closed)
--   closed_at     when the row disappeared from a newer file (NULL while present)
-- There is deliberately no index on (source, last_import): every import touches every row it
-- sees, and keeping such an index current cost more than the one scan that closes rows.

CREATE TABLE structures (
    idnat_struct        TEXT PRIMARY KEY,
    kind                TEXT NOT NULL,
    finess              TEXT,
    legal_entity_finess TEXT,
    siret               TEXT,
    siren               TEXT,
    rpps_rang           TEXT,
    name                TEXT NOT NULL,
    name_key            TEXT NOT NULL,
    long_name           TEXT,
    recipient           TEXT,
    street_number       TEXT,
    street_number_suffix TEXT,
    street_type         TEXT,
    street_name         TEXT,
    locality            TEXT,
    postal_code         TEXT,
    town                TEXT,
    departement_code    TEXT,
    phone               TEXT,
    email               TEXT,
    category_code       TEXT,
    category_label      TEXT,
    legal_status_code   TEXT,
    legal_status_label  TEXT,
    opened_on           TEXT,
    source              TEXT NOT NULL,
    content_hash        BIGINT NOT NULL,
    last_import         BIGINT NOT NULL,
    closed_at           TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
-- Partial indexes: most structures are practices known by RPPS rang, without FINESS or SIRET.
CREATE INDEX structures_finess ON structures (finess) WHERE finess IS NOT NULL;
CREATE INDEX structures_legal_entity ON structures (legal_entity_finess) WHERE legal_entity_finess IS NOT NULL;
CREATE INDEX structures_siret ON structures (siret) WHERE siret IS NOT NULL;
CREATE INDEX structures_name_key ON structures (name_key);

CREATE TABLE professionals (
    idnat_ps            TEXT PRIMARY KEY,
    id_type             TEXT NOT NULL,
    national_id         TEXT NOT NULL,
    civility            TEXT,
    last_name           TEXT NOT NULL,
    first_name          TEXT NOT NULL,
    name_key            TEXT NOT NULL,
    profession_code     TEXT,
    profession_label    TEXT,
    category_code       TEXT,
    category_label      TEXT,
    source              TEXT NOT NULL,
    content_hash        BIGINT NOT NULL,
    last_import         BIGINT NOT NULL,
    closed_at           TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX professionals_name_key ON professionals (name_key);

-- An exercise situation links a professional to a structure (the site) with a role, a sector
-- and a mode. The site's name, address and contacts live on the structure row, once.
CREATE TABLE situations (
    situation_key       TEXT PRIMARY KEY,
    idnat_ps            TEXT NOT NULL,
    idnat_struct        TEXT,
    structure_tech_id   TEXT,
    profession_code     TEXT,
    profession_label    TEXT,
    mode_code           TEXT,
    mode_label          TEXT,
    sector_code         TEXT,
    sector_label        TEXT,
    role_code           TEXT,
    role_label          TEXT,
    activity_code       TEXT,
    activity_label      TEXT,
    registration_authority TEXT,
    source              TEXT NOT NULL,
    content_hash        BIGINT NOT NULL,
    last_import         BIGINT NOT NULL,
    closed_at           TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX situations_idnat_ps ON situations (idnat_ps);
CREATE INDEX situations_idnat_struct ON situations (idnat_struct);

CREATE TABLE cards (
    card_number         TEXT PRIMARY KEY,
    card_type           TEXT NOT NULL,
    idnat_ps            TEXT NOT NULL,
    valid_from          TEXT NOT NULL,
    valid_until         TEXT NOT NULL,
    opposed_on          TEXT,
    source              TEXT NOT NULL,
    content_hash        BIGINT NOT NULL,
    last_import         BIGINT NOT NULL,
    closed_at           TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX cards_idnat_ps ON cards (idnat_ps);

CREATE TABLE import_runs (
    id                  BIGINT PRIMARY KEY,
    file_kind           TEXT NOT NULL,
    file_name           TEXT NOT NULL,
    file_date           TEXT,
    started_at          TEXT NOT NULL,
    finished_at         TEXT,
    status              TEXT NOT NULL,
    lines_read          BIGINT NOT NULL DEFAULT 0,
    records_imported    BIGINT NOT NULL DEFAULT 0,
    lines_rejected      BIGINT NOT NULL DEFAULT 0,
    rows_inserted       BIGINT NOT NULL DEFAULT 0,
    rows_updated        BIGINT NOT NULL DEFAULT 0,
    rows_unchanged      BIGINT NOT NULL DEFAULT 0,
    rows_closed         BIGINT NOT NULL DEFAULT 0,
    message             TEXT
);

-- Every state change of the platform: who, what, when, before and after (JSON text).
-- Ids are chosen by the writer (time-ordered, random suffix) so that several nodes can append.
CREATE TABLE audit_events (
    id                  TEXT PRIMARY KEY,
    at                  TEXT NOT NULL,
    actor               TEXT NOT NULL,
    action              TEXT NOT NULL,
    subject             TEXT NOT NULL,
    before_json         TEXT,
    after_json          TEXT
);
CREATE INDEX audit_events_subject ON audit_events (subject, at);
