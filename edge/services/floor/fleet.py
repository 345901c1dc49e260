"""The fleet: refrigerated trucks with a compartment per temperature class."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from edge.domain.auth import Principal
from edge.services.floor.errors import FloorError
from edge.store import Store


class Compartment(BaseModel):
    temp_class: Literal["chilled", "frozen", "ambient"]
    capacity_crates: int = Field(ge=1, le=1000)
    capacity_kg: int = Field(ge=1, le=50_000)


class Vehicle(BaseModel):
    vehicle_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    plate: str = Field(default="", max_length=20)
    compartments: list[Compartment] = Field(min_length=1, max_length=3)


class Fleet(BaseModel):
    vehicles: list[Vehicle] = Field(min_length=1, max_length=200)


def get_fleet(store: Store) -> dict[str, Any]:
    vehicles = store.query("SELECT * FROM vehicles WHERE active ORDER BY vehicle_id")
    for v in vehicles:
        v["compartments"] = store.query(
            "SELECT compartment_id, temp_class, capacity_crates, capacity_kg FROM vehicle_compartments"
            " WHERE vehicle_id = ? ORDER BY temp_class", (v["vehicle_id"],))
    return {"vehicles": vehicles}


def put_fleet(store: Store, fleet: Fleet, *, who: Principal, now: dt.datetime) -> dict[str, Any]:
    """Replace the fleet's compartments; trucks left out are retired (kept for old routes)."""
    ids = [v.vehicle_id for v in fleet.vehicles]
    if len(set(ids)) != len(ids):
        raise FloorError("duplicate_vehicle", "a vehicle id appears twice")
    with store.write(who.actor, now, who.device_id) as w:
        w.conn.execute("UPDATE vehicles SET active = 0")
        for v in fleet.vehicles:
            classes = [c.temp_class for c in v.compartments]
            if len(set(classes)) != len(classes):
                raise FloorError("duplicate_compartment", f"{v.vehicle_id}: one compartment per temperature class")
            w.conn.execute("INSERT INTO vehicles (vehicle_id, name, plate, active) VALUES (?, ?, ?, 1)"
                           " ON CONFLICT (vehicle_id) DO UPDATE SET name = excluded.name, plate = excluded.plate,"
                           " active = 1", (v.vehicle_id, v.name, v.plate))
            w.conn.execute("DELETE FROM vehicle_compartments WHERE vehicle_id = ?", (v.vehicle_id,))
            for c in v.compartments:
                w.conn.execute("INSERT INTO vehicle_compartments VALUES (?, ?, ?, ?, ?)",
                               (f"{v.vehicle_id}-{c.temp_class}", v.vehicle_id, c.temp_class, c.capacity_crates,
                                c.capacity_kg))
        w.log("floor.fleet_updated", "fleet", fleet.model_dump())
    return get_fleet(store)
