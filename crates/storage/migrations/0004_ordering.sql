-- Ordering (the ordering platform): a product is one certificate ordered by a habilitated
-- technical administrator for a structure (R27, R28), with its order data (R29, R30, R32) and
-- the certificate the CA issued for it. Renewals point to the product they renew (R37).
CREATE TABLE products (
    id                  TEXT PRIMARY KEY,      -- unguessable (prd-…)
    number              TEXT NOT NULL UNIQUE,  -- readable product number, from a shared counter
    structure           TEXT NOT NULL,         -- the habilitated idNat_Struct
    profile             TEXT NOT NULL,         -- org-auth-cli, serv-ssl, pro-sign…
    offer               TEXT NOT NULL,         -- ORG | SERV | PRO
    usage               TEXT NOT NULL,
    service             TEXT,                  -- service applicatif (R29)
    professional        TEXT,                  -- idNat_PS of a PRO certificate
    names               TEXT NOT NULL,         -- JSON: dns, emails, upn as ordered (kept for renewal)
    actor_email         TEXT NOT NULL,         -- R30
    copy_email          TEXT,
    serial              TEXT NOT NULL,
    not_after           TEXT NOT NULL,
    state               TEXT NOT NULL,         -- issued | revoked
    key_origin          TEXT NOT NULL,         -- csr | generated
    renewal_of          TEXT,
    ordered_by          TEXT NOT NULL,         -- card number of the administrator
    expiry_notice_at    TEXT,                  -- when the expiry notice was sent (R35: once)
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX products_structure ON products (structure, created_at);
CREATE INDEX products_serial ON products (serial);
CREATE INDEX products_expiry ON products (state, not_after);
