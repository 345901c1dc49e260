"""What a node runs on, in one document: for `haolin-edge site show` and for checking a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge.services.floor.fleet import get_fleet
from edge.settings import Settings
from edge.site.load import Site
from edge.site.node import device_sources
from edge.store import Store


def site_facts(site: Site) -> dict[str, Any]:
    """The site file's facts as the node resolves them (layout measured, matrix counted)."""
    doc, layout = site.document, site.layout
    travel = site.travel
    return {
        "site_file": str(site.file),
        "warehouse": doc.warehouse.model_dump(),
        "layout": {
            "name": layout.name, "aisle_prefix": layout.aisle_prefix,
            "blocks": [{"name": b.name, "aisles": f"{b.first_aisle}-{b.first_aisle + b.aisles - 1}",
                        "bays_per_side": b.bays_per_side, "levels": b.levels,
                        "cross_aisles": len(b.cross_ys)} for b in layout.blocks],
            "zones": [{"name": z.name, "aisles": f"{z.first_aisle}-{z.last_aisle}", "temperature": z.temperature}
                      for z in layout.zones],
            "depots": sorted(layout.depots),
        },
        "points": doc.points.model_dump(),
        "sort_stations": [s.model_dump() for s in doc.sort_stations],
        "delivery": doc.delivery.model_dump(exclude={"travel_matrix"}) | {
            "travel_matrix": None if travel is None else {
                "file": str(travel.source), "pairs": len(travel.pairs), "places": len(travel.places)}},
        "fleet_in_file": len(doc.fleet),
        "map": None if doc.map is None else doc.map.for_page() | {"image_origins": list(doc.map.origins)},
    }


def _source(setting: Path | None, inline: object, name: str) -> str:
    if setting is not None:
        return f"setting {name}: {setting}"
    return "site file" if inline is not None else "none"


def node_summary(settings: Settings, site: Site | None, store: Store) -> dict[str, Any]:
    """The site's facts, where the devices and cold chain come from, and the fleet the node plans on."""
    devices, coldchain = device_sources(settings, site)
    return {
        "site": None if site is None else site_facts(site),
        "devices": _source(settings.site_config, site and site.devices, "site_config"),
        "device_count": None if devices is None or isinstance(devices, Path) else len(devices.devices),
        "coldchain": _source(settings.coldchain_config, site and site.coldchain, "coldchain_config"),
        "cold_assets": None if coldchain is None or isinstance(coldchain, Path) else len(coldchain.assets),
        "fleet": [{"vehicle_id": v["vehicle_id"], "compartments": {c["temp_class"]: c["capacity_crates"]
                                                                  for c in v["compartments"]}}
                  for v in get_fleet(store)["vehicles"]],
    }
