-- Import runs that outlive their process, and the CA's published URLs.
--
-- A directory import keeps its run's `heartbeat_at` fresh while it works and records which
-- process owns it (`owner`: boot id, pid and process start time): a run left `running` by a
-- killed process is then recognised and marked `abandoned` (santepki_directory::runs) instead of
-- staying `running` forever.
--
-- import_runs.status: running | done | done_with_rejections | failed | abandoned
ALTER TABLE import_runs ADD COLUMN owner TEXT;
ALTER TABLE import_runs ADD COLUMN heartbeat_at TEXT;

-- Settings of the CA that certificates carry and that must therefore not depend on who runs
-- the issuing command: `public_url`, the base of the CRL distribution points and AIA URLs
-- (santepki_authority::published). Written when the CA is created, changed only by an explicit,
-- audited operator command.
CREATE TABLE ca_settings (
    name                TEXT PRIMARY KEY,
    value               TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL
);
