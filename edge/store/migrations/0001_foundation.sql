-- Foundation: master data, orders, people and devices, the event log and the outbox.
-- Quantities and money are integers (units, grams, fen); times are UTC ISO-8601 text.

CREATE TABLE stores (
    store_id        TEXT PRIMARY KEY,              -- HQ's id
    name            TEXT NOT NULL,
    owner_name      TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    latitude        REAL,
    longitude       REAL,
    window_start    TEXT NOT NULL DEFAULT '06:00', -- local time of the delivery window
    window_end      TEXT NOT NULL DEFAULT '12:00',
    service_minutes INTEGER NOT NULL DEFAULT 8 CHECK (service_minutes >= 0),
    active          INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE suppliers (
    supplier_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    contact     TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE skus (
    sku_id          TEXT PRIMARY KEY,              -- unified product id
    gtin            TEXT NOT NULL UNIQUE CHECK (length(gtin) = 14),
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    unit            TEXT NOT NULL,
    temp_class      TEXT NOT NULL CHECK (temp_class IN ('chilled', 'frozen', 'ambient')),
    shelf_life_days INTEGER NOT NULL CHECK (shelf_life_days > 0),
    case_pack       INTEGER NOT NULL CHECK (case_pack > 0),
    supplier_id     TEXT NOT NULL REFERENCES suppliers (supplier_id),
    weight_g        INTEGER NOT NULL CHECK (weight_g > 0),
    volume_ml       INTEGER NOT NULL DEFAULT 1000 CHECK (volume_ml > 0),
    brix_min        REAL,
    brix_max        REAL,
    CHECK (brix_min IS NULL OR brix_max IS NULL OR brix_min <= brix_max)
);

CREATE TABLE locations (
    code       TEXT PRIMARY KEY,                  -- e.g. A03-12-2: aisle, bay, level
    zone       TEXT NOT NULL,
    temp_class TEXT NOT NULL CHECK (temp_class IN ('chilled', 'frozen', 'ambient'))
);

CREATE TABLE stock (
    stock_id      INTEGER PRIMARY KEY,
    location_code TEXT NOT NULL REFERENCES locations (code),
    sku_id        TEXT NOT NULL REFERENCES skus (sku_id),
    lot           TEXT NOT NULL,
    expiry        TEXT NOT NULL,                  -- ISO date
    quantity      INTEGER NOT NULL CHECK (quantity >= 0),
    UNIQUE (location_code, sku_id, lot)
);
CREATE INDEX stock_by_sku ON stock (sku_id, expiry);

CREATE TABLE order_batches (
    batch_id       TEXT PRIMARY KEY,
    content_sha256 TEXT NOT NULL,
    source         TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    orders         INTEGER NOT NULL,
    applied        INTEGER NOT NULL,
    conflicts      INTEGER NOT NULL
);

-- status: open -> picking -> picked -> packed -> loaded -> delivered; or cancelled.
CREATE TABLE orders (
    hq_order_id   TEXT PRIMARY KEY,
    version       INTEGER NOT NULL CHECK (version >= 1),
    store_id      TEXT NOT NULL REFERENCES stores (store_id),
    campaign_id   TEXT,
    delivery_date TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                    ('open', 'cancelled', 'picking', 'picked', 'packed', 'loaded', 'delivered')),
    content_sha256 TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX orders_by_date ON orders (delivery_date, status);

CREATE TABLE order_lines (
    hq_order_id    TEXT NOT NULL REFERENCES orders (hq_order_id) ON DELETE CASCADE,
    line_no        INTEGER NOT NULL,
    sku_id         TEXT NOT NULL REFERENCES skus (sku_id),
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_fen INTEGER NOT NULL DEFAULT 0 CHECK (unit_price_fen >= 0),
    picked_qty     INTEGER NOT NULL DEFAULT 0 CHECK (picked_qty >= 0),
    PRIMARY KEY (hq_order_id, line_no)
);
CREATE INDEX order_lines_by_sku ON order_lines (sku_id);

-- What HQ asked for that the edge could not apply on its own: a supervisor and HQ decide.
CREATE TABLE conflicts (
    conflict_id   INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    hq_order_id   TEXT,
    incoming_version INTEGER,
    detail        TEXT NOT NULL,
    incoming_json TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    resolved_at   TEXT,
    resolved_by   TEXT,
    resolution    TEXT,
    UNIQUE (kind, hq_order_id, incoming_version)
);

CREATE TABLE people (
    person_id    TEXT PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,           -- the personal code typed or scanned on a PDA
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('picker', 'sorter', 'driver', 'store_owner', 'supervisor')),
    pin_hash     TEXT NOT NULL,
    store_id     TEXT REFERENCES stores (store_id),  -- a store owner's store
    active       INTEGER NOT NULL DEFAULT 1,
    failed_pins  INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);

-- Machines: HQ and devices (scanner stations, PDAs registered as kiosks) sign in with tokens.
CREATE TABLE machines (
    machine_id TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('hq', 'device')),
    name       TEXT NOT NULL,
    token_id   TEXT NOT NULL UNIQUE,             -- the public half of `<id>.<secret>`
    token_hash TEXT NOT NULL,                    -- scrypt of the secret, salted with the id
    active     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE sessions (
    token_id   TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,                    -- scrypt of the secret, salted with the id
    person_id  TEXT NOT NULL REFERENCES people (person_id),
    role       TEXT NOT NULL,
    device_id  TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Append-only: who did what, on which device, when.
CREATE TABLE events (
    event_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    device_id   TEXT,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Events HQ must learn of, written in the same transaction as the change they report.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER NOT NULL UNIQUE REFERENCES events (event_id),
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    acked_at        TEXT
);
CREATE INDEX outbox_unacked ON outbox (acked_at, seq);
