"""Delivery routes: readers, the feasibility checker, infeasibility reports, engines, the CLI."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from routing.cli import app
from routing.errors import InputError
from routing.vrp.intmodel import int_model
from routing.vrp.model import Instance, Stop, VehicleType
from routing.vrp.peers import pyvrp_shape
from routing.vrp.readers import instance_from_dict, read_instance
from routing.vrp.repair import repair
from routing.vrp.schedule import schedule_route
from routing.vrp.solve import _best, solve_delivery

SHARED = Path(__file__).resolve().parents[3] / "shared" / "vrp_instances"  # ../shared beside the repo
SOLOMON = SHARED / "solomon" / "C101.txt"
needs_instances = pytest.mark.skipif(not SOLOMON.exists(), reason="benchmark instances not present")


def _line(n: int, windows: list[tuple[float, float]], cap: int = 10, **kw) -> Instance:
    xs = np.arange(n + 1, dtype=float) * 10.0  # depot at 0, stop i at 10 i on a line
    d = np.abs(xs[:, None] - xs[None, :])
    stops = [Stop(i + 1, {"chilled": 2}, 5, windows[i], 1.0) for i in range(n)]
    return Instance("line", stops, [VehicleType("t", 2, cap, **kw)], d, d.copy())


def test_checker_times_loads_and_flags_violations() -> None:
    inst = _line(3, [(0, 100), (25, 30), (0, 100)])
    route, viol = schedule_route(inst, 0, [1, 2, 3])
    assert viol == []
    assert [v.stop for v in route.visits] == [1, 2, 3]
    assert route.visits[1].start == pytest.approx(25.0)
    assert route.depart == pytest.approx(4.0)  # leaves as late as stop 2's window allows
    assert route.visits[1].slack == pytest.approx(5.0)
    assert [v.load_after for v in route.visits] == [4, 2, 0]
    assert route.loading_order == [3, 2, 1]
    assert route.distance == pytest.approx(60.0)
    _, viol = schedule_route(inst, 0, [3, 2, 1])  # stop 2 reached at 51
    assert any("stop 2" in v for v in viol)
    _, viol = schedule_route(_line(3, [(0, 100)] * 3, cap=5), 0, [1, 2, 3])
    assert any("capacity" in v for v in viol)


def test_infeasible_stops_are_named_and_the_rest_planned() -> None:
    inst = _line(4, [(0, 100), (0, 5), (0, 100), (0, 100)])  # stop 2 is 20 away, closes at 5
    big = Stop(5, {"chilled": 50}, 0)
    d = np.zeros((6, 6))
    d[:5, :5] = inst.distance
    inst = Instance("x", [*inst.stops, big], inst.vehicle_types, d, d.copy())
    plan = solve_delivery(inst, 2.0)
    reasons = {i.stop: i.reason for i in plan.infeasible}
    assert set(reasons) == {2, 5}
    assert "window" in reasons[2] and "capacity" in reasons[5]
    assert sorted(s for r in plan.routes for s in r.stops) == [1, 3, 4]
    assert plan.violations == []


def test_the_shorter_plan_loses_when_it_breaks_a_constraint() -> None:
    inst = _line(3, [(0, 100)] * 3, cap=5)  # 2 crates per stop: three stops overload one truck
    _, routes, planned, violations = _best(inst, [("a", [[1, 2, 3], []]), ("b", [[1, 2], [3]])], 2)
    assert routes == [[1, 2], [3]] and violations == []
    assert sum(r.distance for r in planned) == pytest.approx(100.0)


@pytest.mark.parametrize("max_on_truck", [3000, None])  # None: VROOM joins the portfolio (PyVRP takes no break)
def test_compartments_cold_chain_and_break_are_honoured(max_on_truck: int | None) -> None:
    doc = {
        "depot": {"id": "DC", "x": 0, "y": 0, "window": [0, 36000]},
        "speed_kmh": 36, "circuity": 1.0, "max_on_truck": max_on_truck,
        "break": {"window": [1000, 4000], "duration": 600},
        "stops": [{"id": f"S{i}", "x": 1000 * math.cos(i), "y": 1000 * math.sin(i), "service": 120,
                   "crates": {"frozen": 2} if i % 3 == 0 else {"chilled": 4}, "kg": 40} for i in range(12)],
        "vehicles": [{"type": "reefer", "count": 4, "capacity_crates": 20, "capacity_kg": 400,
                      "compartments": {"chilled": 16, "frozen": 4}, "fixed_cost": 1000, "shift": [0, 36000]}],
    }
    plan = solve_delivery(instance_from_dict(doc), 2.0)
    assert plan.violations == [] and not plan.unserved and not plan.infeasible
    for r in plan.routes:
        assert r.crates.get("frozen", 0) <= 4 and r.kg <= 400
        assert max_on_truck is None or r.visits[-1].departure - r.depart <= max_on_truck + 1e-6
        assert r.break_start is not None and 1000 <= r.break_start <= 4000


def test_json_instance_errors_name_the_stop() -> None:
    with pytest.raises(InputError, match=r"stops\[1\]"):
        instance_from_dict({"depot": {"x": 0, "y": 0}, "vehicles": [{"capacity_crates": 3}],
                            "stops": [{"id": 1, "x": 1, "y": 1}, {"id": 2, "x": 1, "y": 1, "window": [5, 1]}]})
    with pytest.raises(InputError, match="lat/lon"):
        instance_from_dict({"depot": {}, "vehicles": [{"capacity_crates": 3}], "stops": [{"id": 1}]})


@needs_instances
def test_solomon_reader_and_solve_within_bound() -> None:
    inst = read_instance(SOLOMON, "solomon")
    assert len(inst.stops) == 100 and inst.scale == 1000
    assert inst.distance[0, 1] == pytest.approx(math.hypot(45 - 40, 68 - 50))  # not rounded
    t0 = time.monotonic()
    plan = solve_delivery(inst, 2.5)
    assert time.monotonic() - t0 < 2.5 + 0.3
    assert plan.violations == [] and not plan.unserved
    assert sorted(s for r in plan.routes for s in r.stops) == list(range(1, 101))
    assert plan.distance < 828.94 * 1.10


@needs_instances
def test_cvrplib_reader_rounds_euc_2d() -> None:
    inst = read_instance(SHARED / "cvrp" / "A-n32-k5.vrp")
    assert np.all(inst.distance == np.rint(inst.distance))
    assert inst.depot_id == 1 and inst.stops[0].id == 2


def test_cli_delivery_prints_the_contract(tmp_path: Path) -> None:
    doc = {"depot": {"x": 0, "y": 0}, "vehicles": [{"capacity_crates": 10, "count": 3}],
           "stops": [{"id": i, "x": 100 * i, "y": 50, "crates": 3} for i in range(1, 7)]}
    (tmp_path / "i.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["delivery", "--instance", str(tmp_path / "i.json"), "--time-limit", "1.5"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"distance", "vehicles", "routes", "seconds"} <= set(out)
    assert sorted(s for r in out["routes"] for s in r) == [1, 2, 3, 4, 5, 6]
    assert out["vehicles"] == len(out["routes"]) == 2
    res = CliRunner().invoke(app, ["delivery", "--instance", str(tmp_path / "nope.json")])
    assert res.exit_code == 2 and "cannot read" in res.stderr


def test_cli_picks_prints_the_path(tmp_path: Path) -> None:
    (tmp_path / "l.yaml").write_text("blocks:\n  - {aisles: 4, bays_per_side: 6}\n")
    (tmp_path / "p.json").write_text(json.dumps(["A02-3", "A04-11", "A01-1"]))
    res = CliRunner().invoke(app, ["picks", "--layout", str(tmp_path / "l.yaml"), "--picks", str(tmp_path / "p.json")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert sorted(out["locations"]) == ["A01-1", "A02-3", "A04-11"] and out["optimal"] is True


def _capped(max_on_truck: float, **extra) -> Instance:
    """Eight stores in a row 1 km apart, open all day; the cap lets one truck serve only some."""
    return instance_from_dict({
        "depot": {"x": 0, "y": 0, "window": [0, 36000]}, "speed_kmh": 36, "circuity": 1.0,
        "max_on_truck": max_on_truck, "stops": [{"id": f"S{i}", "x": 1000 * i, "y": 0, "service": 60, "crates": 1}
                                                for i in range(1, 9)],
        "vehicles": [{"type": "reefer", "count": 4, "capacity_crates": 50}], **extra})


def test_repair_moves_stops_off_a_route_over_the_cap() -> None:
    inst = _capped(1000)  # one route through all eight: 800 s driving and 480 s unloading
    assert schedule_route(inst, 0, list(range(1, 9)))[1]
    fixed = repair(inst, [list(range(1, 9)), [], [], []])
    assert sorted(n for r in fixed for n in r) == list(range(1, 9))
    assert all(not schedule_route(inst, v, r)[1] for v, r in enumerate(fixed) if r)


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_pyvrp_plans_within_the_cold_chain_cap(engine: str) -> None:
    inst = _capped(1000)
    assert pyvrp_shape(int_model(inst), cap=True)[3]  # same return hour, no shift cap: the exact model
    plan = solve_delivery(inst, 2.0, engine)
    assert plan.violations == [] and not plan.unserved and plan.source
    assert all(r.visits[-1].departure - r.depart <= 1000 + 1e-6 for r in plan.routes)
    assert len(plan.routes) >= 2
    if engine == "ortools":  # PyVRP models this cap exactly: both slots of the portfolio search with it
        assert plan.source.startswith("pyvrp (cold-chain cap model)")


def test_instance_file_with_an_unknown_field_names_it() -> None:
    with pytest.raises(InputError, match="max_on_trucks"):
        _capped(5000, max_on_trucks=3600)
    with pytest.raises(InputError, match=r"vehicles\[0\].*capacity"):
        instance_from_dict({"depot": {"x": 0, "y": 0}, "vehicles": [{"capacity": 3}], "stops": []})
