-- Cold chain: assets with their bands and alarm timers, sensors, raw readings (event time and
-- receive time), 1-minute and 1-hour rollups, alarms with an append-only audit, suppression windows.
-- Times are UTC ISO-8601 text (edge.store.db.utc_text), so they sort as text; temperatures in °C.

-- A cold room, freezer or truck compartment (a truck compartment's asset_id is its
-- vehicle_compartments.compartment_id, the id crate scans carry). Band NULLs = the class band.
CREATE TABLE cold_assets (
    asset_id          TEXT PRIMARY KEY CHECK (length(asset_id) > 0),
    kind              TEXT NOT NULL CHECK (kind IN ('cold_room', 'freezer', 'truck_compartment')),
    name              TEXT NOT NULL,
    temp_class        TEXT NOT NULL CHECK (temp_class IN ('chilled', 'frozen', 'ambient')),
    band_low_c        REAL,
    band_high_c       REAL,
    vehicle_id        TEXT,
    delay_s           INTEGER NOT NULL DEFAULT 900 CHECK (delay_s >= 0),
    verify_normal_s   INTEGER NOT NULL DEFAULT 300 CHECK (verify_normal_s >= 0),
    hysteresis_c      REAL NOT NULL DEFAULT 1.0 CHECK (hysteresis_c >= 0),
    critical_excess_c REAL NOT NULL DEFAULT 5.0 CHECK (critical_excess_c >= 0),
    critical_after_s  INTEGER NOT NULL DEFAULT 3600 CHECK (critical_after_s >= 0),
    heartbeat_s       INTEGER NOT NULL DEFAULT 300 CHECK (heartbeat_s > 0),
    startup_s         INTEGER NOT NULL DEFAULT 600 CHECK (startup_s >= 0),
    door_limit_s      INTEGER NOT NULL DEFAULT 600 CHECK (door_limit_s >= 0),
    door_recovery_s   INTEGER NOT NULL DEFAULT 300 CHECK (door_recovery_s >= 0),
    active            INTEGER NOT NULL DEFAULT 1,
    updated_at        TEXT NOT NULL,
    CHECK (band_low_c IS NULL OR band_high_c IS NULL OR band_low_c <= band_high_c)
);

-- Stricter bands per SKU (blueberries 0-2 °C inside a 0-4 °C chilled room).
CREATE TABLE cold_sku_bands (
    sku_id     TEXT PRIMARY KEY REFERENCES skus (sku_id),
    low_c      REAL,
    high_c     REAL,
    note       TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    CHECK (low_c IS NOT NULL OR high_c IS NOT NULL),
    CHECK (low_c IS NULL OR high_c IS NULL OR low_c <= high_c)
);

-- The SKUs an asset is dedicated to: its effective band is narrowed by theirs.
CREATE TABLE cold_asset_skus (
    asset_id TEXT NOT NULL REFERENCES cold_assets (asset_id),
    sku_id   TEXT NOT NULL REFERENCES skus (sku_id),
    PRIMARY KEY (asset_id, sku_id)
);

-- A temperature channel: a device's main temperature (probe '') or one named probe of it.
CREATE TABLE cold_sensors (
    sensor_id            TEXT PRIMARY KEY CHECK (length(sensor_id) > 0),
    asset_id             TEXT NOT NULL REFERENCES cold_assets (asset_id),
    device_id            TEXT NOT NULL,
    probe                TEXT NOT NULL DEFAULT '',
    calibration_offset_c REAL NOT NULL DEFAULT 0,
    calibrated_on        TEXT,
    active               INTEGER NOT NULL DEFAULT 1,
    updated_at           TEXT NOT NULL,
    UNIQUE (device_id, probe)
);
CREATE INDEX cold_sensors_by_asset ON cold_sensors (asset_id);

-- Raw readings, immutable. reading_id is the arrival order (a cursor for the uplink);
-- (sensor_id, event_time) is unique so a re-sent reading is stored once.
-- raw_c is what the device said, temperature_c the calibrated value everything else uses.
CREATE TABLE cold_readings (
    reading_id    INTEGER PRIMARY KEY,
    sensor_id     TEXT NOT NULL,
    event_time    TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    temperature_c REAL,
    raw_c         REAL,
    humidity_pct  REAL,
    door_open     INTEGER,
    UNIQUE (sensor_id, event_time)
);

-- Rollups per sensor and bucket start; rebuilt from the finer level whenever a reading lands in
-- the bucket (late ones too), so they always equal a GROUP BY of what is stored. updated_at tells
-- the uplink which buckets changed.
CREATE TABLE cold_rollups_1m (
    sensor_id  TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    min_c      REAL NOT NULL,
    max_c      REAL NOT NULL,
    mean_c     REAL NOT NULL,
    count      INTEGER NOT NULL CHECK (count > 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (sensor_id, bucket)
) WITHOUT ROWID;
CREATE INDEX cold_rollups_1m_changed ON cold_rollups_1m (updated_at);

CREATE TABLE cold_rollups_1h (
    sensor_id  TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    min_c      REAL NOT NULL,
    max_c      REAL NOT NULL,
    mean_c     REAL NOT NULL,
    count      INTEGER NOT NULL CHECK (count > 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (sensor_id, bucket)
) WITHOUT ROWID;
CREATE INDEX cold_rollups_1h_changed ON cold_rollups_1h (updated_at);

-- One row per alarm; its history is in cold_alarm_audit. Times of raise/clear are event times.
CREATE TABLE cold_alarms (
    alarm_id        INTEGER PRIMARY KEY,
    asset_id        TEXT NOT NULL REFERENCES cold_assets (asset_id),
    sensor_id       TEXT NOT NULL REFERENCES cold_sensors (sensor_id),
    kind            TEXT NOT NULL CHECK (kind IN ('temp_high', 'temp_low', 'sensor_silent', 'door_open')),
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
CREATE UNIQUE INDEX cold_alarms_one_active ON cold_alarms (sensor_id, kind) WHERE state = 'active';
CREATE INDEX cold_alarms_by_asset ON cold_alarms (asset_id, raised_at);

-- Every transition of every alarm: who (a person, or the system), when, why. Append-only.
CREATE TABLE cold_alarm_audit (
    audit_id    INTEGER PRIMARY KEY,
    alarm_id    INTEGER NOT NULL REFERENCES cold_alarms (alarm_id),
    transition  TEXT NOT NULL CHECK (transition IN ('raised', 'escalated', 'cleared', 'acknowledged')),
    at          TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    device_id   TEXT,
    severity    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX cold_alarm_audit_by_alarm ON cold_alarm_audit (alarm_id, audit_id);
CREATE TRIGGER cold_alarm_audit_no_update BEFORE UPDATE ON cold_alarm_audit
BEGIN
    SELECT RAISE(ABORT, 'cold_alarm_audit is append-only');
END;
CREATE TRIGGER cold_alarm_audit_no_delete BEFORE DELETE ON cold_alarm_audit
BEGIN
    SELECT RAISE(ABORT, 'cold_alarm_audit is append-only');
END;

-- Planned windows when temperature alarms are held back (defrost, start-up, maintenance).
CREATE TABLE cold_suppressions (
    window_id  INTEGER PRIMARY KEY,
    asset_id   TEXT NOT NULL REFERENCES cold_assets (asset_id),
    reason     TEXT NOT NULL CHECK (reason IN ('defrost', 'startup', 'maintenance')),
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX cold_suppressions_by_asset ON cold_suppressions (asset_id, ends_at);
