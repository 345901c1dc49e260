"""Cold-chain fixtures: a store with the demo's master data and cold assets."""

from __future__ import annotations

import datetime as dt

import pytest

from edge.demo import DemoSize, demo_coldchain, load_demo
from edge.services.coldchain_assets import SensorSpec, apply_spec, parse_spec
from edge.settings import Settings
from edge.store import Store

T0 = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)



@pytest.fixture
def cold_store(edge_settings: Settings, edge_store: Store) -> Store:
    """Demo master data (SKUs), the demo cold assets, and one sensor per asset (`<asset>-T`)."""
    load_demo(edge_store, edge_settings, T0, DemoSize(stores=2, orders=4, pickers=1, sorters=1, drivers=1))
    apply_spec(edge_store, demo_coldchain(), actor="test", now=T0)
    sensors = [SensorSpec(sensor_id=f"{a.asset_id}-T", asset_id=a.asset_id, device_id=f"dev-{a.asset_id}")
               for a in demo_coldchain().assets]
    apply_spec(edge_store, parse_spec({"sensors": [s.model_dump() for s in sensors]}), actor="test", now=T0)
    return edge_store
