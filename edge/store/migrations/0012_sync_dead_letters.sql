-- HQ sync: events HQ refused (or the agent could not even build) wait here for a supervisor,
-- while everything after them keeps flowing. The outbox row stays; `held_at` keeps it out of pushes.

ALTER TABLE outbox ADD COLUMN held_at TEXT;

CREATE TABLE sync_dead_letters (
    dead_id         INTEGER PRIMARY KEY,
    outbox_seq      INTEGER NOT NULL REFERENCES outbox (seq),
    idempotency_key TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    code            TEXT NOT NULL,                 -- HQ's refusal code, or invalid_at_edge
    detail          TEXT NOT NULL,
    refused_at      TEXT NOT NULL,
    resolved_at     TEXT,
    resolved_by     TEXT,
    resolution      TEXT CHECK (resolution IN ('retried', 'discarded')),
    reason          TEXT                           -- the supervisor's why, for the audit trail
);
CREATE INDEX sync_dead_letters_open ON sync_dead_letters (resolved_at, dead_id);
CREATE UNIQUE INDEX sync_dead_letters_one_open ON sync_dead_letters (outbox_seq) WHERE resolved_at IS NULL;
