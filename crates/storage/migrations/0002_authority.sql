-- The certificate authority: its CAs, every certificate it ever signed (or was about to sign),
-- and the CRLs it published.
--
-- Same portable rules as 0001 (TEXT, BIGINT, RFC 3339 UTC timestamps), plus BYTEA for DER
-- (SQLite stores the bytes as a BLOB whatever the declared type).
--
-- A certificate row is written as `pending` with its to-be-signed bytes *before* the CA key
-- signs, and becomes `issued` with the signed DER after: a crash between the two leaves a
-- pending row that recovery completes (see santepki_authority::issue), never a certificate in a
-- client's hands that the database does not know.

CREATE TABLE ca_authorities (
    id                  TEXT PRIMARY KEY,      -- short name used in URLs: ACR-EL, ACI-EL-ORG…
    name                TEXT NOT NULL,         -- the CA's CN
    parent_id           TEXT,                  -- NULL for a root
    role                TEXT NOT NULL,         -- root | organisations | personnes
    key_backend         TEXT NOT NULL,         -- software | pkcs11
    key_label           TEXT NOT NULL,         -- file name or PKCS#11 label of the CA key
    key_algorithm       TEXT NOT NULL,
    certificate         BYTEA NOT NULL,        -- DER
    spki_sha1           TEXT NOT NULL,         -- issuerKeyHash of OCSP CertIDs (hex)
    name_sha1           TEXT NOT NULL,         -- issuerNameHash of OCSP CertIDs (hex)
    crl_number          BIGINT NOT NULL,       -- last CRL number used (full and delta share it)
    crl_dirty           BIGINT NOT NULL,       -- 1 when a revocation is not yet in a full CRL
    created_at          TEXT NOT NULL
);

CREATE TABLE ca_certificates (
    serial              TEXT PRIMARY KEY,      -- lowercase hex, 32 digits (16 random bytes)
    ca_id               TEXT NOT NULL REFERENCES ca_authorities (id),
    profile             TEXT NOT NULL,
    status              TEXT NOT NULL,         -- pending | issued | revoked
    subject             TEXT NOT NULL,         -- RFC 4514 text, for people and searches
    structure_id        TEXT,                  -- idNat_Struct of the beneficiary structure
    professional_id     TEXT,                  -- idNat_PS for PRO and card certificates
    spki_sha256         TEXT NOT NULL,         -- rule R37: one live certificate per key
    tbs                 BYTEA NOT NULL,        -- the to-be-signed certificate, written first
    der                 BYTEA,                 -- the signed certificate (NULL while pending)
    not_before          TEXT NOT NULL,
    not_after           TEXT NOT NULL,
    requested_by        TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    issued_at           TEXT,
    revoked_at          TEXT,
    revocation_reason   TEXT
);
CREATE INDEX ca_certificates_spki ON ca_certificates (spki_sha256);
CREATE INDEX ca_certificates_revoked ON ca_certificates (ca_id, revoked_at);
CREATE INDEX ca_certificates_status ON ca_certificates (status, created_at);
CREATE INDEX ca_certificates_structure ON ca_certificates (structure_id);

-- Pre-signed OCSP responses, one per certificate, refreshed ahead of next_update and replaced on
-- revocation. Several nodes share them: whichever signs first stores, the others read.
CREATE TABLE ca_ocsp_responses (
    serial              TEXT PRIMARY KEY REFERENCES ca_certificates (serial),
    status              TEXT NOT NULL,         -- the status the response states
    this_update         TEXT NOT NULL,
    next_update         TEXT NOT NULL,
    der                 BYTEA NOT NULL
);
CREATE INDEX ca_ocsp_responses_next ON ca_ocsp_responses (next_update);

CREATE TABLE ca_crls (
    ca_id               TEXT NOT NULL REFERENCES ca_authorities (id),
    number              BIGINT NOT NULL,
    kind                TEXT NOT NULL,         -- full | delta
    base_number         BIGINT,                -- for a delta: the full CRL it completes
    this_update         TEXT NOT NULL,
    next_update         TEXT NOT NULL,
    entries             BIGINT NOT NULL,
    der                 BYTEA NOT NULL,
    PRIMARY KEY (ca_id, number)
);
CREATE INDEX ca_crls_latest ON ca_crls (ca_id, kind, number);
