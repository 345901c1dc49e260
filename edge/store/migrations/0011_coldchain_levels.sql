-- Cold-chain alarms that reach people: alarm levels per asset (JSON, NULL = the class defaults,
-- edge/domain/coldchain/levels.py) replace the single delay and the two escalation knobs; who is
-- notified when (routes, steps per asset or the node's default) and a spool of notifications
-- retried until sent; `sensor_degraded` as an alarm kind (rebuilding cold_alarms for its CHECK,
-- with foreign-key checks deferred to the commit, where every audit row finds its alarm again);
-- an index for the loads of truck compartments (watched from the first crate loaded to the last handoff).
ALTER TABLE cold_assets ADD COLUMN levels TEXT;
ALTER TABLE cold_assets ADD COLUMN notify TEXT;
ALTER TABLE cold_assets DROP COLUMN delay_s;
ALTER TABLE cold_assets DROP COLUMN critical_excess_c;
ALTER TABLE cold_assets DROP COLUMN critical_after_s;

PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE cold_alarms_copy AS SELECT * FROM cold_alarms;
DROP TABLE cold_alarms;
CREATE TABLE cold_alarms (
    alarm_id        INTEGER PRIMARY KEY,
    asset_id        TEXT NOT NULL REFERENCES cold_assets (asset_id),
    sensor_id       TEXT NOT NULL REFERENCES cold_sensors (sensor_id),
    kind            TEXT NOT NULL CHECK (kind IN ('temp_high', 'temp_low', 'sensor_silent', 'door_open',
                                                  'sensor_degraded')),
    severity        TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    state           TEXT NOT NULL CHECK (state IN ('active', 'cleared')),
    started_at      TEXT NOT NULL,
    raised_at       TEXT NOT NULL,
    cleared_at      TEXT,
    limit_c         REAL,
    peak_c          REAL,
    peak_at         TEXT,
    degree_minutes  REAL NOT NULL DEFAULT 0,
    detail          TEXT NOT NULL DEFAULT '',
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    ack_reason      TEXT
);
INSERT INTO cold_alarms SELECT * FROM cold_alarms_copy;
DROP TABLE cold_alarms_copy;
CREATE UNIQUE INDEX cold_alarms_one_active ON cold_alarms (sensor_id, kind) WHERE state = 'active';
CREATE INDEX cold_alarms_by_asset ON cold_alarms (asset_id, raised_at);

-- Where notifications go: a WeCom group robot or a generic webhook (URL with its key: a secret).
CREATE TABLE cold_notify_routes (
    route_id   TEXT PRIMARY KEY CHECK (length(route_id) > 0),
    channel    TEXT NOT NULL CHECK (channel IN ('wecom', 'webhook')),
    url        TEXT NOT NULL,
    mentions   TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
);

-- Node-wide cold-chain settings of the configuration document (the default notification steps).
CREATE TABLE cold_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Every notification owed: one per alarm, step, round (repeats until acknowledged) and transition;
-- kept until sent, retried with backoff; UNIQUE makes planning idempotent.
CREATE TABLE cold_notifications (
    notification_id INTEGER PRIMARY KEY,
    alarm_id        INTEGER NOT NULL REFERENCES cold_alarms (alarm_id),
    route_id        TEXT NOT NULL,
    step            INTEGER NOT NULL,
    round           INTEGER NOT NULL,
    transition      TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    next_try_at     TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    sent_at         TEXT,
    last_error      TEXT,
    UNIQUE (alarm_id, step, round, transition)
);
CREATE INDEX cold_notifications_due ON cold_notifications (state, next_try_at);

-- A truck compartment is watched while it holds crates: its loading scans, read every few seconds.
CREATE INDEX crate_scans_by_compartment ON crate_scans (compartment_id, kind, scanned_at);
