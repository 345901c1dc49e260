"""The site a node runs on, taken from its settings: the site file, with the older `site_config` and
`coldchain_config` settings still naming the devices and cold assets when given (they win).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from drivers.site import SiteConfig
from edge.domain.auth import Principal, Role
from edge.services.coldchain_assets import ColdChainSpec
from edge.services.floor.fleet import Fleet, put_fleet
from edge.settings import Settings
from edge.site.load import Site, check_warehouse, load_site_file
from edge.store import Store

SITE_ACTOR = Principal("machine", "site-file", Role.SUPERVISOR, "site file")


def node_site(settings: Settings) -> Site | None:
    """The site of `settings.site_file` (None without one); SiteFileError names file and field."""
    if settings.site_file is None:
        return None
    site = load_site_file(settings.site_file)
    check_warehouse(site, settings.warehouse_id)
    return site


def device_sources(settings: Settings, site: Site | None) -> tuple[SiteConfig | Path | None,
                                                                     ColdChainSpec | Path | None]:
    """(devices, cold chain) for the device runtime: a setting's own file, else the site file's part."""
    devices = settings.site_config or (site.devices if site else None)
    coldchain = settings.coldchain_config or (site.coldchain if site else None)
    return devices, coldchain


def seed_fleet(store: Store, site: Site | None, now: dt.datetime) -> bool:
    """The site file's fleet, once: only while the node has no vehicles (later changes are the supervisor's)."""
    if site is None or not site.document.fleet or store.scalar("SELECT COUNT(*) FROM vehicles"):
        return False
    put_fleet(store, Fleet(vehicles=site.document.fleet), who=SITE_ACTOR, now=now)
    return True
