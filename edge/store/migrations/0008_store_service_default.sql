-- rebuilds tables
-- A store's service time may be unknown: HQ's store records carry none, so the site file's default
-- (delivery.service_minutes) applies to such stores. Stores keep the minutes they had.
CREATE TABLE stores_new (
    store_id        TEXT PRIMARY KEY,              -- HQ's id
    name            TEXT NOT NULL,
    owner_name      TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    latitude        REAL,
    longitude       REAL,
    window_start    TEXT NOT NULL DEFAULT '06:00', -- local time of the delivery window
    window_end      TEXT NOT NULL DEFAULT '12:00',
    service_minutes INTEGER CHECK (service_minutes >= 0), -- NULL: the site's default
    active          INTEGER NOT NULL DEFAULT 1
);
INSERT INTO stores_new (store_id, name, owner_name, phone, address, latitude, longitude, window_start, window_end,
                        service_minutes, active)
    SELECT store_id, name, owner_name, phone, address, latitude, longitude, window_start, window_end,
           service_minutes, active FROM stores;
DROP TABLE stores;
ALTER TABLE stores_new RENAME TO stores;
