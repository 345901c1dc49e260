-- The device supervisor's last word on each device, so `haolin-edge devices list` and the
-- supervisor page can show live status from another process than the one running the drivers.
CREATE TABLE device_status (
    device_id       TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    profile         TEXT,
    link            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    reason          TEXT,
    since           TEXT NOT NULL,
    frames          INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    reconnects      INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_reading    TEXT,                 -- JSON of the last good reading
    last_reading_at TEXT,
    updated_at      TEXT NOT NULL         -- when the running node last wrote this row
);
