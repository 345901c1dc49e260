-- ETAs the customers see: each stop still to deliver on a departed route, re-timed from the actual
-- times (departure, each handoff, the truck's shared position). `late` when the truck is expected
-- after the store's window closes: the supervisor sees it before the window does.
CREATE TABLE route_etas (
    route_id     TEXT NOT NULL REFERENCES routes (route_id),
    stop_no      INTEGER NOT NULL CHECK (stop_no >= 1),
    store_id     TEXT NOT NULL REFERENCES stores (store_id),
    eta          TEXT NOT NULL,                   -- expected start of the handoff, UTC
    eta_from     TEXT NOT NULL,                   -- the window the customer is told, UTC
    eta_to       TEXT NOT NULL,
    window_end   TEXT NOT NULL,                   -- the store's window closes, UTC
    late         INTEGER NOT NULL CHECK (late IN (0, 1)),
    basis        TEXT NOT NULL CHECK (basis IN ('departure', 'handoff', 'position')),
    computed_at  TEXT NOT NULL,
    PRIMARY KEY (route_id, stop_no)
);

-- The truck's last position as the driver's phone shared it.
CREATE TABLE route_positions (
    route_id    TEXT PRIMARY KEY REFERENCES routes (route_id),
    latitude    REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude   REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    at          TEXT NOT NULL
);
