-- The tamper-evident audit log (issue 18). Every audit event becomes a leaf of an append-only
-- RFC 6962 Merkle tree, in commit order: one sequencer at a time (the `audit-sequencer` lease)
-- gives each committed event that has no `leaf_index` yet the next one, and stores the tree's
-- hashes in the same transaction. Signed checkpoints (C2SP tlog-checkpoint notes) commit to the
-- tree; `santepki audit verify` recomputes it from the events and checks every checkpoint.
--
-- audit_events.request_id and node: which HTTP request and which node wrote the event.
ALTER TABLE audit_events ADD COLUMN request_id TEXT;
ALTER TABLE audit_events ADD COLUMN node TEXT;
ALTER TABLE audit_events ADD COLUMN leaf_index BIGINT;
-- Both indexes are partial so that a query on `leaf_index IS NULL` can only take the second (in
-- id order: the sequencer's next batch at once), never walk the first and sort.
CREATE UNIQUE INDEX audit_events_leaf ON audit_events (leaf_index) WHERE leaf_index IS NOT NULL;
-- What the sequencer reads: the events not sequenced yet, oldest id first.
CREATE INDEX audit_events_unsequenced ON audit_events (id) WHERE leaf_index IS NULL;
CREATE INDEX audit_events_actor ON audit_events (actor, at);
CREATE INDEX audit_events_at ON audit_events (at);

-- The tree's stored hashes in the layout of Go's sumdb/tlog (and the tlog_tiles crate):
-- `stored_index` numbers every complete subtree's hash; `hash` is lower-case hex. Tiles
-- (C2SP tlog-tiles) are read from here.
CREATE TABLE audit_tree_hashes (
    stored_index        BIGINT PRIMARY KEY,
    hash                TEXT NOT NULL
);

-- Signed checkpoints, one per tree size signed. `note` is the whole signed note as served at
-- /audit/log/checkpoint.
CREATE TABLE audit_checkpoints (
    tree_size           BIGINT PRIMARY KEY,
    root_hash           TEXT NOT NULL,
    note                TEXT NOT NULL,
    signed_at           TEXT NOT NULL,
    node                TEXT
);

-- The log's identity, set once: its origin line (also the signing key's name) and the key's
-- label in the CA's key custody.
CREATE TABLE audit_log (
    id                  BIGINT PRIMARY KEY CHECK (id = 1),
    origin              TEXT NOT NULL,
    key_label           TEXT NOT NULL,
    verifier_key        TEXT NOT NULL,
    created_at          TEXT NOT NULL
);

-- Leases: a job only one node may run at a time (the audit sequencer). A holder renews before
-- `expires_at`; after it, any node may take the lease over.
CREATE TABLE leases (
    name                TEXT PRIMARY KEY,
    holder              TEXT NOT NULL,
    expires_at          TEXT NOT NULL
);
