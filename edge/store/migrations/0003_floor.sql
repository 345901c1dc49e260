-- The floor: waves and pick tours, the scan log, sort-to-store crates and their labels,
-- the fleet and delivery routes, loading, handoff at the store, exceptions and overrides.
-- Quantities are integers (units, or grams for variable-weight SKUs); times are UTC ISO-8601 text.

-- SKUs sold by weight: their order quantities and pick counts are grams (GS1 AI 310x on the pack).
CREATE TABLE variable_weight_skus (
    sku_id TEXT PRIMARY KEY REFERENCES skus (sku_id)
);

-- One wave per delivery date: the pick-by-SKU list cut into tours.
CREATE TABLE waves (
    wave_id       TEXT PRIMARY KEY,
    delivery_date TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    layout_name   TEXT NOT NULL,
    cart_volume_ml INTEGER NOT NULL CHECK (cart_volume_ml > 0)
);

-- status: open -> assigned -> picking -> done -> dropped. `version` grows on every
-- reassignment, so a page still holding an older copy is refused (stale_tour).
CREATE TABLE tours (
    tour_id       TEXT PRIMARY KEY,
    wave_id       TEXT NOT NULL REFERENCES waves (wave_id),
    delivery_date TEXT NOT NULL,
    tour_no       INTEGER NOT NULL,
    temp_class    TEXT NOT NULL CHECK (temp_class IN ('chilled', 'frozen', 'ambient')),
    version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    status        TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'assigned', 'picking', 'done', 'dropped')),
    picker_id     TEXT REFERENCES people (person_id),
    distance_m    REAL NOT NULL,
    walk_seconds  REAL NOT NULL,
    path_method   TEXT NOT NULL,
    path_optimal  INTEGER NOT NULL,
    volume_ml     INTEGER NOT NULL,
    assigned_at   TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    dropped_at    TEXT,
    drop_station  TEXT,
    UNIQUE (wave_id, tour_no)
);
CREATE INDEX tours_by_status ON tours (delivery_date, status, tour_no);
CREATE INDEX tours_by_picker ON tours (picker_id, status);

-- The stops of a tour in walking order. status: open -> done | short.
CREATE TABLE tour_lines (
    tour_id       TEXT NOT NULL REFERENCES tours (tour_id),
    stop_no       INTEGER NOT NULL CHECK (stop_no >= 1),
    location_code TEXT NOT NULL,
    sku_id        TEXT NOT NULL REFERENCES skus (sku_id),
    lot           TEXT NOT NULL,
    expiry        TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    picked_qty    INTEGER NOT NULL DEFAULT 0 CHECK (picked_qty >= 0 AND picked_qty <= quantity),
    at_location   INTEGER NOT NULL DEFAULT 0,   -- the stop's location was scanned
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'short')),
    short_reason  TEXT,
    PRIMARY KEY (tour_id, stop_no)
);
CREATE INDEX tour_lines_by_sku ON tour_lines (sku_id);

-- Every scan or action a page sent, keyed by the page's own id: a re-sent scan gets the
-- answer it got the first time and changes nothing.
CREATE TABLE floor_scans (
    scan_id      TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,                  -- pick, sort, stage, load, handoff
    subject      TEXT NOT NULL,                  -- tour id, sort date, route id, route/stop
    actor        TEXT NOT NULL,
    device_id    TEXT,
    device_seq   INTEGER,
    code         TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL,                  -- ok or a refusal code
    scanned_at   TEXT NOT NULL,                  -- the page's time of the scan
    received_at  TEXT NOT NULL,
    response     TEXT NOT NULL                   -- the JSON answer, returned again on a re-send
);
CREATE INDEX floor_scans_by_device ON floor_scans (device_id, device_seq);

-- A sort station's (device's) current SKU between the item scan and the crate scan.
CREATE TABLE sort_stations (
    station_id    TEXT PRIMARY KEY,
    delivery_date TEXT NOT NULL,
    sku_id        TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A store's crate, one temperature class per crate, named by its SSCC-18.
-- status: open -> closed -> loaded -> delivered (or missing/damaged at handoff).
CREATE TABLE crates (
    sscc          TEXT PRIMARY KEY CHECK (length(sscc) = 18),
    delivery_date TEXT NOT NULL,
    store_id      TEXT NOT NULL REFERENCES stores (store_id),
    temp_class    TEXT NOT NULL CHECK (temp_class IN ('chilled', 'frozen', 'ambient')),
    crate_no      INTEGER NOT NULL CHECK (crate_no >= 1),
    status        TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'closed', 'loaded', 'delivered', 'missing', 'damaged')),
    units         INTEGER NOT NULL DEFAULT 0,
    weight_g      INTEGER NOT NULL DEFAULT 0,
    volume_ml     INTEGER NOT NULL DEFAULT 0,
    opened_at     TEXT NOT NULL,
    closed_at     TEXT,
    route_id      TEXT,
    stop_no       INTEGER,
    loaded_at     TEXT,
    delivered_at  TEXT,
    UNIQUE (delivery_date, store_id, temp_class, crate_no)
);
CREATE INDEX crates_by_store ON crates (delivery_date, store_id, status);
CREATE INDEX crates_by_route ON crates (route_id, stop_no);

CREATE TABLE crate_lines (
    sscc     TEXT NOT NULL REFERENCES crates (sscc),
    sku_id   TEXT NOT NULL REFERENCES skus (sku_id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (sscc, sku_id)
);

-- Each put of the sort, and the order lines it fulfilled (picked_qty), deterministically.
CREATE TABLE sort_puts (
    put_id        INTEGER PRIMARY KEY,
    delivery_date TEXT NOT NULL,
    sku_id        TEXT NOT NULL REFERENCES skus (sku_id),
    store_id      TEXT NOT NULL REFERENCES stores (store_id),
    sscc          TEXT NOT NULL REFERENCES crates (sscc),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    scan_id       TEXT NOT NULL,
    put_at        TEXT NOT NULL
);
CREATE INDEX sort_puts_by_sku ON sort_puts (delivery_date, sku_id, store_id);

-- Where each crate was seen, for cold-chain exposure: every crate scan, with the cold asset
-- (room, truck compartment) it was in when known.
CREATE TABLE crate_scans (
    crate_scan_id  INTEGER PRIMARY KEY,
    sscc           TEXT NOT NULL REFERENCES crates (sscc),
    kind           TEXT NOT NULL CHECK (kind IN ('sorted', 'packed', 'staged', 'loaded', 'delivered')),
    asset_id       TEXT,                         -- cold room or other asset (cold-chain's assets table)
    route_id       TEXT,
    vehicle_id     TEXT,
    compartment_id TEXT,
    scanned_at     TEXT NOT NULL,
    actor          TEXT NOT NULL,
    device_id      TEXT
);
CREATE INDEX crate_scans_by_sscc ON crate_scans (sscc, scanned_at);

-- Serial references for SSCCs, per extension digit: never reused.
CREATE TABLE sscc_serials (
    extension_digit INTEGER PRIMARY KEY CHECK (extension_digit BETWEEN 0 AND 9),
    next_serial     INTEGER NOT NULL CHECK (next_serial >= 1)
);

CREATE TABLE label_prints (
    print_id   INTEGER PRIMARY KEY,
    sscc       TEXT NOT NULL REFERENCES crates (sscc),
    reprint    INTEGER NOT NULL,
    reason     TEXT,
    printer    TEXT NOT NULL,
    outcome    TEXT NOT NULL,                    -- printed, or the printer's error
    bytes      INTEGER NOT NULL,
    printed_at TEXT NOT NULL,
    actor      TEXT NOT NULL
);

-- The fleet: refrigerated trucks with compartments per temperature class.
CREATE TABLE vehicles (
    vehicle_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    plate      TEXT NOT NULL DEFAULT '',
    active     INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE vehicle_compartments (
    compartment_id TEXT PRIMARY KEY,
    vehicle_id     TEXT NOT NULL REFERENCES vehicles (vehicle_id),
    temp_class     TEXT NOT NULL CHECK (temp_class IN ('chilled', 'frozen', 'ambient')),
    capacity_crates INTEGER NOT NULL CHECK (capacity_crates > 0),
    capacity_kg    INTEGER NOT NULL CHECK (capacity_kg > 0),
    UNIQUE (vehicle_id, temp_class)
);

-- status: planned -> loading -> departed -> done.
CREATE TABLE routes (
    route_id      TEXT PRIMARY KEY,
    delivery_date TEXT NOT NULL,
    route_no      INTEGER NOT NULL,
    vehicle_id    TEXT NOT NULL REFERENCES vehicles (vehicle_id),
    driver_id     TEXT REFERENCES people (person_id),
    status        TEXT NOT NULL DEFAULT 'planned'
                    CHECK (status IN ('planned', 'loading', 'departed', 'done')),
    distance_m    INTEGER NOT NULL,
    duration_s    INTEGER NOT NULL,
    planned_at    TEXT NOT NULL,
    departed_at   TEXT,
    UNIQUE (delivery_date, route_no)
);
CREATE TABLE route_stops (
    route_id     TEXT NOT NULL REFERENCES routes (route_id),
    stop_no      INTEGER NOT NULL CHECK (stop_no >= 1),
    store_id     TEXT NOT NULL REFERENCES stores (store_id),
    arrival      TEXT NOT NULL,                 -- planned arrival, UTC
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    confirmed_by TEXT,
    confirmed_at TEXT,
    photo_path   TEXT,
    PRIMARY KEY (route_id, stop_no),
    UNIQUE (route_id, store_id)
);
CREATE INDEX route_stops_by_store ON route_stops (store_id);

-- What went wrong on the floor: short picks, wrong-truck and missing crates, damaged or warm
-- crates at handoff. A supervisor closes them.
CREATE TABLE floor_exceptions (
    exception_id  INTEGER PRIMARY KEY,
    delivery_date TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN
                    ('short_pick', 'wrong_truck', 'missing_at_loading', 'missing', 'damaged', 'warm')),
    subject       TEXT NOT NULL,                 -- tour/stop, SSCC
    detail        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    resolved_at   TEXT,
    resolved_by   TEXT,
    resolution    TEXT
);
CREATE INDEX floor_exceptions_open ON floor_exceptions (delivery_date, resolved_at);

-- A supervisor's decision to let something through that a rule would stop, with the reason.
CREATE TABLE overrides (
    override_id INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                   -- depart_with_missing
    subject     TEXT NOT NULL,                   -- route id
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    detail      TEXT NOT NULL DEFAULT '{}',
    supervisor  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX overrides_by_subject ON overrides (kind, subject);
