-- Live Brix and receiving QC; the HQ uplink's store-and-forward spool.
-- Times are UTC ISO-8601 text. Brix and temperatures are what the instrument printed (REAL).

-- Every refractometer result, as the meter sent it (or typed in for meters without data-out).
-- reading_id doubles as the live page's SSE event id, so a reconnecting page replays from here.
CREATE TABLE brix_readings (
    reading_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id     TEXT NOT NULL,
    event_time    TEXT NOT NULL,                -- the meter's own time, else the receive time
    received_at   TEXT NOT NULL,
    brix          REAL NOT NULL,
    temperature_c REAL,
    sample_id     TEXT,
    source        TEXT NOT NULL CHECK (source IN ('meter', 'manual'))
);
CREATE INDEX brix_readings_by_device ON brix_readings (device_id, reading_id);

-- A receiving check of one SKU lot: open while readings are taken, closed with its result.
CREATE TABLE qc_checks (
    qc_id      INTEGER PRIMARY KEY,
    sku_id     TEXT NOT NULL REFERENCES skus (sku_id),
    lot        TEXT NOT NULL CHECK (length(lot) > 0),
    device_id  TEXT,                            -- the meter whose readings attach while open
    min_readings INTEGER NOT NULL CHECK (min_readings >= 2),
    opened_at  TEXT NOT NULL,
    opened_by  TEXT NOT NULL,
    closed_at  TEXT,
    closed_by  TEXT,
    n          INTEGER,
    mean_brix  REAL,
    sd_brix    REAL,
    brix_min   REAL,                            -- the SKU's spec when the check closed
    brix_max   REAL,
    passed     INTEGER CHECK (passed IN (0, 1)),
    verdict    TEXT                             -- pass, low, high, too_few, no_spec
);
CREATE UNIQUE INDEX qc_checks_one_open_per_device ON qc_checks (device_id)
    WHERE closed_at IS NULL AND device_id IS NOT NULL;
CREATE INDEX qc_checks_by_lot ON qc_checks (sku_id, lot, closed_at);

CREATE TABLE qc_check_readings (
    qc_id      INTEGER NOT NULL REFERENCES qc_checks (qc_id),
    reading_id INTEGER NOT NULL UNIQUE REFERENCES brix_readings (reading_id),
    PRIMARY KEY (qc_id, reading_id)
);

-- Messages for HQ's MQTT uplink, in the order they must arrive. A row is deleted when the broker
-- acknowledged it (PUBACK); seq never repeats (AUTOINCREMENT), so HQ drops duplicates by it.
CREATE TABLE uplink_spool (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    topic      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    priority   INTEGER NOT NULL,                -- lowest is evicted first when over the disk budget
    payload    BLOB NOT NULL,
    bytes      INTEGER NOT NULL CHECK (bytes > 0),
    created_at TEXT NOT NULL
);
CREATE INDEX uplink_spool_eviction ON uplink_spool (priority, seq);

-- Which version (updated_at) of a closed rollup bucket was spooled, so a bucket is sent once per
-- change (a late reading changes it again, and HQ gets the revision). Pruned behind the cursor.
CREATE TABLE uplink_rollups_sent (
    level      TEXT NOT NULL CHECK (level IN ('1m', '1h')),
    sensor_id  TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (level, sensor_id, bucket)
) WITHOUT ROWID;
CREATE INDEX uplink_rollups_sent_age ON uplink_rollups_sent (level, updated_at);

-- Counters and cursors of the uplink (depth and bytes kept by triggers, so reading them is O(1)).
CREATE TABLE uplink_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO uplink_state VALUES
    ('epoch', lower(hex(randomblob(8)))),      -- names this spool's seq space for HQ's dedup
    ('depth', '0'), ('bytes', '0'), ('acked', '0'),
    ('evicted', '0'), ('evicted_bytes', '0');

CREATE TRIGGER uplink_spool_added AFTER INSERT ON uplink_spool
BEGIN
    UPDATE uplink_state SET value = CAST(value AS INTEGER) + 1 WHERE key = 'depth';
    UPDATE uplink_state SET value = CAST(value AS INTEGER) + NEW.bytes WHERE key = 'bytes';
END;
CREATE TRIGGER uplink_spool_removed AFTER DELETE ON uplink_spool
BEGIN
    UPDATE uplink_state SET value = CAST(value AS INTEGER) - 1 WHERE key = 'depth';
    UPDATE uplink_state SET value = CAST(value AS INTEGER) - OLD.bytes WHERE key = 'bytes';
END;
