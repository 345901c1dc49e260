-- A floor that is safe on a shared LAN (docs/security.md).

-- Failed sign-ins counted per account, per device and per address, so guessing is slowed
-- whichever of the three an attacker varies. Replaces the per-person counter.
CREATE TABLE sign_in_limits (
    scope           TEXT NOT NULL CHECK (scope IN ('account', 'device', 'address')),
    key             TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until    TEXT,
    PRIMARY KEY (scope, key)
);
ALTER TABLE people DROP COLUMN failed_pins;
ALTER TABLE people DROP COLUMN locked_until;

-- Idle timeout besides the shift limit: when the session was last used.
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
CREATE INDEX sessions_by_person ON sessions (person_id);

-- A reused scan id with different content is refused: the hash of what was sent the first time.
ALTER TABLE floor_scans ADD COLUMN content_sha256 TEXT;

-- Keys the node signs with (handoff approvals and the stores' handoff codes); never leave the node.
CREATE TABLE node_secrets (
    name   TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);
