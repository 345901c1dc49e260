-- HQ sync: the agent's state (feed cursor, what it last saw of HQ) and reconciliation exceptions.

CREATE TABLE sync_state (
    key        TEXT PRIMARY KEY,                -- feed_cursor, hq_head_seq, last_pull_at, last_error ...
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO sync_state VALUES ('feed_cursor', '0', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- What neither HQ's rule (order content, pre-pick cancellation) nor the edge's (fulfillment facts)
-- settles: a supervisor decides, and HQ is told through the outbox.
CREATE TABLE sync_exceptions (
    exception_id  INTEGER PRIMARY KEY,
    hq_order_id   TEXT NOT NULL,
    delivery_date TEXT NOT NULL,
    reason        TEXT NOT NULL,                -- e.g. cancelled_after_picking, unknown_at_hq
    detail        TEXT NOT NULL,
    hq_version    INTEGER NOT NULL DEFAULT 0,    -- 0: HQ has no version of it
    edge_version  INTEGER,
    created_at    TEXT NOT NULL,
    resolved_at   TEXT,
    resolved_by   TEXT,
    UNIQUE (hq_order_id, reason, hq_version)
);
CREATE INDEX sync_exceptions_open ON sync_exceptions (resolved_at, delivery_date);
