-- Purchase orders to the suppliers (one per supplier and delivery date, versioned), their
-- confirmations, and each order line's share of a short supply.

CREATE TABLE purchase_orders (
    po_id         TEXT PRIMARY KEY,               -- PO-<yyyymmdd>-<supplier>
    supplier_id   TEXT NOT NULL REFERENCES suppliers (supplier_id),
    delivery_date TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    state         TEXT NOT NULL CHECK (state IN ('sent', 'confirmed', 'shipped', 'receiving', 'received', 'cancelled')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (supplier_id, delivery_date)
);

CREATE TABLE po_lines (
    po_id         TEXT NOT NULL REFERENCES purchase_orders (po_id) ON DELETE CASCADE,
    sku_id        TEXT NOT NULL REFERENCES skus (sku_id),
    quantity      INTEGER NOT NULL CHECK (quantity >= 0),  -- units, whole cases
    case_pack     INTEGER NOT NULL CHECK (case_pack > 0),
    confirmed_qty INTEGER CHECK (confirmed_qty IS NULL OR confirmed_qty >= 0),  -- NULL: not yet confirmed
    PRIMARY KEY (po_id, sku_id)
);

-- Every version as sent, with what it changed: the supplier and HQ see the same history.
CREATE TABLE po_versions (
    po_id       TEXT NOT NULL REFERENCES purchase_orders (po_id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    lines_json  TEXT NOT NULL,
    changes_json TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (po_id, version)
);

-- A change the node could not apply because the dock had started receiving: a supervisor decides.
CREATE TABLE po_conflicts (
    conflict_id INTEGER PRIMARY KEY,
    po_id       TEXT NOT NULL REFERENCES purchase_orders (po_id),
    created_at  TEXT NOT NULL,
    changes_json TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution  TEXT
);

-- Units of the line the short supply covers (NULL: the line is served in full).
ALTER TABLE order_lines ADD COLUMN allocated_qty INTEGER CHECK (allocated_qty IS NULL OR allocated_qty >= 0);

-- Why and when a line was cut, for HQ's refunds; one row per line and allocation run.
CREATE TABLE allocation_shorts (
    hq_order_id  TEXT NOT NULL,
    line_no      INTEGER NOT NULL,
    sku_id       TEXT NOT NULL REFERENCES skus (sku_id),
    ordered_qty  INTEGER NOT NULL,
    allocated_qty INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    allocated_at TEXT NOT NULL,
    PRIMARY KEY (hq_order_id, line_no),
    FOREIGN KEY (hq_order_id, line_no) REFERENCES order_lines (hq_order_id, line_no) ON DELETE CASCADE
);

-- Advance shipping notices from the suppliers (through HQ): pallets, and per pallet lots and units.
CREATE TABLE asns (
    asn_id      TEXT PRIMARY KEY,
    po_id       TEXT NOT NULL REFERENCES purchase_orders (po_id),
    expected_at TEXT,
    received_at TEXT NOT NULL
);

CREATE TABLE asn_lines (
    asn_id   TEXT NOT NULL REFERENCES asns (asn_id) ON DELETE CASCADE,
    sscc     TEXT NOT NULL CHECK (length(sscc) = 18),
    sku_id   TEXT NOT NULL REFERENCES skus (sku_id),
    lot      TEXT NOT NULL,
    expiry   TEXT NOT NULL,
    units    INTEGER NOT NULL CHECK (units > 0),
    PRIMARY KEY (asn_id, sscc, sku_id, lot)
);
CREATE INDEX asn_lines_by_sscc ON asn_lines (sscc);

-- A receipt against a PO (and its ASN, or blind); several partial receipts may serve one PO.
CREATE TABLE receipts (
    receipt_id INTEGER PRIMARY KEY,
    po_id      TEXT NOT NULL REFERENCES purchase_orders (po_id),
    asn_id     TEXT REFERENCES asns (asn_id),
    started_at TEXT NOT NULL,
    started_by TEXT NOT NULL,
    closed_at  TEXT,
    closed_by  TEXT
);

-- Each accepted case scan; `scan_id` comes from the PDA, so a re-sent scan counts once.
CREATE TABLE receipt_scans (
    scan_id      TEXT PRIMARY KEY,
    receipt_id   INTEGER NOT NULL REFERENCES receipts (receipt_id),
    raw          TEXT NOT NULL,
    cases        INTEGER NOT NULL,
    sku_id       TEXT NOT NULL REFERENCES skus (sku_id),
    lot          TEXT NOT NULL,
    expiry       TEXT NOT NULL,
    units        INTEGER NOT NULL CHECK (units > 0),
    net_weight_g INTEGER,
    pallet_sscc  TEXT,
    scanned_at   TEXT NOT NULL,
    scanned_by   TEXT NOT NULL
);
CREATE INDEX receipt_scans_by_receipt ON receipt_scans (receipt_id, sku_id, lot);

-- The receiver's decision on each lot (from its Brix QC), with the remark and any damage photos.
CREATE TABLE receipt_lots (
    receipt_id INTEGER NOT NULL REFERENCES receipts (receipt_id),
    sku_id     TEXT NOT NULL REFERENCES skus (sku_id),
    lot        TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('accepted', 'accepted_with_remark', 'rejected')),
    remark     TEXT NOT NULL DEFAULT '',
    qc_id      INTEGER REFERENCES qc_checks (qc_id),
    damaged_units INTEGER NOT NULL DEFAULT 0 CHECK (damaged_units >= 0),
    decided_at TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    PRIMARY KEY (receipt_id, sku_id, lot)
);

CREATE TABLE receipt_photos (
    photo_id   INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES receipts (receipt_id),
    sku_id     TEXT,
    lot        TEXT,
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    taken_at   TEXT NOT NULL,
    taken_by   TEXT NOT NULL
);

-- The loss ledger: units that left stock other than to a store, and why.
CREATE TABLE loss_entries (
    entry_id    INTEGER PRIMARY KEY,
    sku_id      TEXT NOT NULL REFERENCES skus (sku_id),
    lot         TEXT NOT NULL,
    units       INTEGER NOT NULL CHECK (units > 0),
    reason      TEXT NOT NULL CHECK (reason IN ('damage', 'spoilage', 'qc_reject', 'count_difference', 'expired')),
    source      TEXT NOT NULL,                     -- e.g. receipt:12
    note        TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX loss_by_day ON loss_entries (recorded_at);
