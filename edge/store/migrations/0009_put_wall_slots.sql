-- The put wall's slots: one per store with goods that day, numbered once and then kept, so the
-- slot labels printed in the morning stay right however the day's orders grow.
CREATE TABLE put_wall_slots (
    delivery_date TEXT NOT NULL,
    slot_no       INTEGER NOT NULL CHECK (slot_no >= 1),
    store_id      TEXT NOT NULL REFERENCES stores (store_id),
    PRIMARY KEY (delivery_date, slot_no),
    UNIQUE (delivery_date, store_id)
);
