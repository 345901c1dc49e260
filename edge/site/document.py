"""The site file as written: one YAML document with the warehouse's own facts (docs/site.md).

Parts that other modules already define keep their own format: the walking layout is the routing
library's (docs/routing.md), devices are `drivers.site`'s, cold assets the cold-chain document's,
the fleet the floor's. Each may be written inline or named by a path relative to the site file.
`docs/schemas/site.schema.json` is `SiteDocument.model_json_schema()` (`haolin-edge site schema`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from edge.domain.floor.codes import STATION
from edge.domain.map_tiles import MapTiles
from edge.services.floor.fleet import Vehicle

TempClass = Literal["chilled", "frozen", "ambient"]
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
_ID = r"^[A-Za-z0-9_.:-]+$"


def _inline_or_file(what: str) -> Any:
    """A part written inline (a mapping) or kept in its own file (a path relative to the site file)."""
    return WithJsonSchema({"description": f"{what}: inline, or the path of its file (relative to the site file)",
                           "anyOf": [{"type": "object"}, {"type": "string", "minLength": 1}]})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Position(Strict):
    lat: float = Field(ge=-90, le=90, description="latitude, WGS-84 degrees")
    lon: float = Field(ge=-180, le=180, description="longitude, WGS-84 degrees")


class Warehouse(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=_ID, description="must equal the setting warehouse_id")
    name: str = Field(default="", max_length=200)
    position: Position = Field(description="where the trucks leave from and come back to")


class Points(Strict):
    """Depots of the layout (its `depots:` names) where pick tours begin and end."""

    start: str = Field(min_length=1, description="where pickers take an empty cart")
    drop_off: str = Field(min_length=1, description="where pickers leave a full cart for sorting")


class SortStation(Strict):
    id: str = Field(pattern=STATION.pattern, description="the station's code, as scanned when a cart is dropped")
    point: str = Field(min_length=1, description="a depot of the layout")


class DispatchHours(Strict):
    leave_from: str = Field(pattern=_HHMM, description="HH:MM local: earliest departure from the warehouse")
    back_by: str = Field(pattern=_HHMM, description="HH:MM local: latest return")

    @model_validator(mode="after")
    def _ordered(self) -> DispatchHours:
        if self.back_by <= self.leave_from:
            raise ValueError(f"back_by {self.back_by} must be after leave_from {self.leave_from}")
        return self


class Delivery(Strict):
    dispatch_hours: DispatchHours = Field(default_factory=lambda: DispatchHours(leave_from="04:00", back_by="15:00"))
    max_on_truck_minutes: dict[TempClass, Annotated[int, Field(ge=1, le=24 * 60)]] = Field(
        default_factory=dict,
        description="cold chain: the longest a crate of this class may ride, departure to delivery; a class"
                    " left out has no limit")
    service_minutes: int = Field(default=8, ge=0, le=240,
                                 description="time at a store whose own service time is not known (HQ sends none)")
    speed_kmh: float = Field(default=25.2, gt=0, le=130, description="average road speed, stops excluded")
    circuity: float = Field(default=1.35, ge=1, le=5, description="road distance over straight-line distance")
    travel_matrix: str | None = Field(
        default=None, min_length=1,
        description="CSV file of measured travel times (from,to,seconds,metres); pairs it lacks are estimated")


class SiteDocument(Strict):
    """Everything that differs between warehouses."""

    warehouse: Warehouse
    layout: Annotated[Any, _inline_or_file("the walking layout in the routing library's format")]
    points: Points
    sort_stations: list[SortStation] = Field(default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)
    fleet: list[Vehicle] = Field(default_factory=list, max_length=200,
                                 description="seeds the fleet when the node has none yet")
    devices: Annotated[Any, _inline_or_file("device instances (drivers' site configuration)")] = None
    coldchain: Annotated[Any, _inline_or_file("cold assets, sensors and SKU bands")] = None
    map: MapTiles | None = Field(default=None, description="map tiles behind the supervisor's route map; without"
                                                            " them the map is drawn on a blank ground, offline")

    @model_validator(mode="after")
    def _unique(self) -> SiteDocument:
        for what, ids in (("sort station", [s.id for s in self.sort_stations]),
                          ("vehicle", [v.vehicle_id for v in self.fleet])):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                raise ValueError(f"{what} id used twice: {', '.join(twice)}")
        for vehicle in self.fleet:
            classes = [c.temp_class for c in vehicle.compartments]
            if len(set(classes)) != len(classes):
                raise ValueError(f"vehicle {vehicle.vehicle_id}: one compartment per temperature class")
        return self
