"""Waves and tours: the routing library cuts the FEFO pick list into cart tours along the shortest walk;
hand them to pickers, and let a supervisor move them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from edge.domain.aggregation import PickLine as FefoLine
from edge.domain.auth import Principal
from edge.services import aggregation
from edge.services.floor.errors import FloorError, NotFound
from edge.site import Site
from edge.store import Store
from edge.store.db import Write
from hq_sync import protocol as hq
from routing.batching import Cart, PickLine, Tour, build_tours
from routing.errors import RoutingError
from routing.layout import Layout

DEFAULT_CART_ML = 240_000  # a two-shelf picking cart with four 60-litre crates
CART_WEIGHT_G = 150_000
PATH_SECONDS = 0.5  # per tour, for the solver when the exact DP does not apply


def plan_tours(layout: Layout, lines: list[FefoLine], skus: dict[str, Any], cart_volume_ml: int, *,
               start: str, drop_off: str) -> list[Tour]:
    """Cart tours from the routing library, from `start` to `drop_off` (depots of the layout); each
    routing line's `sku` is `<sku>#<index>` so that the lot and expiry of a (possibly split) line can be
    found again."""
    wanted = [PickLine(f"{ln.sku_id}#{k}", ln.location_code, ln.quantity, totes=0,
                       weight_g=ln.quantity * skus[ln.sku_id]["weight_g"],
                       volume_cm3=ln.quantity * skus[ln.sku_id]["volume_ml"],
                       temperature=skus[ln.sku_id]["temp_class"]) for k, ln in enumerate(lines)]
    try:
        return build_tours(layout, wanted, Cart(totes=1, weight_g=CART_WEIGHT_G, volume_cm3=cart_volume_ml),
                           start=start, end=drop_off, time_limit=PATH_SECONDS)
    except RoutingError as error:
        raise FloorError("layout_mismatch", f"cannot plan tours on layout {layout.name}: {error}") from None


def build_wave(store: Store, date: dt.date, *, site: Site, actor: str, now: dt.datetime,
               cart_volume_ml: int = DEFAULT_CART_ML) -> dict[str, Any]:
    """Tours for `date` from the FEFO pick list on the site's walking layout; one wave per date."""
    layout = site.layout
    if store.scalar("SELECT 1 FROM waves WHERE delivery_date = ?", (date.isoformat(),)):
        raise FloorError("wave_exists", f"the wave for {date} is already built")
    plan, _ = aggregation.picking(store, date)
    skus = {r["sku_id"]: r for r in store.query("SELECT sku_id, volume_ml, weight_g, temp_class FROM skus")}
    planned = plan_tours(layout, plan.lines, skus, cart_volume_ml, start=site.document.points.start,
                         drop_off=site.document.points.drop_off)
    wave_id = f"W{date:%Y%m%d}"
    with store.write(actor, now) as w:
        w.conn.execute(
            "INSERT INTO waves (wave_id, delivery_date, created_at, created_by, layout_name, cart_volume_ml)"
            " VALUES (?, ?, ?, ?, ?, ?)", (wave_id, date.isoformat(), w.now_text, actor, layout.name, cart_volume_ml))
        for n, tour in enumerate(planned, 1):
            tour_id = f"T{date:%Y%m%d}-{n:03d}"
            w.conn.execute(
                "INSERT INTO tours (tour_id, wave_id, delivery_date, tour_no, temp_class, distance_m, walk_seconds,"
                " path_method, path_optimal, volume_ml) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tour_id, wave_id, date.isoformat(), n, tour.temperature, round(tour.path.distance_m, 2),
                 round(tour.path.seconds, 1), tour.path.method, int(tour.path.optimal), tour.volume_cm3))
            for stop_no, line in enumerate(tour.lines, 1):
                source = plan.lines[int(line.sku.rpartition("#")[2])]
                w.conn.execute(
                    "INSERT INTO tour_lines (tour_id, stop_no, location_code, sku_id, lot, expiry, quantity)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (tour_id, stop_no, source.location_code, source.sku_id, source.lot, source.expiry.isoformat(),
                     line.quantity))
        summary = {"wave_id": wave_id, "delivery_date": date.isoformat(), "tours": len(planned),
                   "lines": sum(len(t.lines) for t in planned), "cart_volume_ml": cart_volume_ml,
                   "shortfalls": [{"sku_id": s.sku_id, "ordered": s.ordered, "available": s.available}
                                  for s in plan.shortfalls]}
        w.emit(hq.WaveBuiltPayload.model_validate(summary), wave_id)
    return wave_progress(store, date)


def wave_progress(store: Store, date: dt.date) -> dict[str, Any]:
    wave = store.query("SELECT * FROM waves WHERE delivery_date = ?", (date.isoformat(),))
    if not wave:
        raise NotFound("no_wave", f"no wave built for {date}")
    tours = store.query(
        "SELECT t.tour_id, t.tour_no, t.temp_class, t.status, t.picker_id, t.version, t.distance_m,"
        " t.path_method, COUNT(*) AS stops, SUM(l.status != 'open') AS stops_done,"
        " SUM(l.quantity) AS units, SUM(l.picked_qty) AS units_picked"
        " FROM tours t JOIN tour_lines l USING (tour_id) WHERE t.delivery_date = ?"
        " GROUP BY t.tour_id ORDER BY t.tour_no", (date.isoformat(),))
    return {"wave": wave[0], "tours": tours}


def tour_view(store: Store, tour_id: str) -> dict[str, Any]:
    rows = store.query("SELECT * FROM tours WHERE tour_id = ?", (tour_id,))
    if not rows:
        raise NotFound("no_tour", f"no tour {tour_id}")
    tour = rows[0]
    stops = store.query(
        "SELECT l.stop_no, l.location_code, l.sku_id, s.gtin, s.name_zh, s.name_en, s.unit, l.lot, l.expiry,"
        " l.quantity, l.picked_qty, l.at_location, l.status, l.short_reason,"
        " (v.sku_id IS NOT NULL) AS variable_weight"
        " FROM tour_lines l JOIN skus s USING (sku_id) LEFT JOIN variable_weight_skus v USING (sku_id)"
        " WHERE l.tour_id = ? ORDER BY l.stop_no", (tour_id,))
    for stop in stops:
        stop["at_location"] = bool(stop["at_location"])
        stop["variable_weight"] = bool(stop["variable_weight"])
    tour["current_stop"] = next((s["stop_no"] for s in stops if s["status"] == "open"), None)
    tour["path_optimal"] = bool(tour["path_optimal"])
    tour["stops"] = stops
    return tour


def _assign(w: Write, tour_id: str, picker_id: str, bump: bool) -> None:
    w.conn.execute(
        "UPDATE tours SET picker_id = ?, assigned_at = ?, version = version + ?,"
        " status = CASE WHEN status = 'open' THEN 'assigned' ELSE status END WHERE tour_id = ?",
        (picker_id, w.now_text, 1 if bump else 0, tour_id))
    version = w.conn.execute("SELECT version FROM tours WHERE tour_id = ?", (tour_id,)).fetchone()[0]
    w.emit(hq.TourAssignedPayload(picker_id=picker_id, version=version, reassigned=bump), tour_id)


def next_tour(store: Store, picker: Principal, now: dt.datetime) -> dict[str, Any]:
    """The picker's unfinished tour, else the lowest-numbered open tour of the earliest date, now theirs."""
    with store.write(picker.actor, now, picker.device_id) as w:
        mine = w.conn.execute(
            "SELECT tour_id FROM tours WHERE picker_id = ? AND status IN ('assigned', 'picking', 'done')"
            " ORDER BY delivery_date, tour_no LIMIT 1", (picker.subject_id,)).fetchone()
        if mine is None:
            mine = w.conn.execute(
                "SELECT tour_id FROM tours WHERE status = 'open' ORDER BY delivery_date, tour_no LIMIT 1").fetchone()
            if mine is None:
                raise NotFound("no_open_tour", "no open tour left")
            _assign(w, mine[0], picker.subject_id, bump=False)
    return tour_view(store, mine[0])


def reassign(store: Store, tour_id: str, picker_id: str, *, supervisor: Principal, now: dt.datetime) -> dict[str, Any]:
    """Give a tour to another picker; the version moves on so old copies of it are refused."""
    with store.write(supervisor.actor, now, supervisor.device_id) as w:
        tour = w.conn.execute("SELECT status FROM tours WHERE tour_id = ?", (tour_id,)).fetchone()
        if tour is None:
            raise NotFound("no_tour", f"no tour {tour_id}")
        if tour["status"] == "dropped":
            raise FloorError("tour_finished", f"tour {tour_id} is already at the sort station")
        person = w.conn.execute("SELECT role FROM people WHERE person_id = ? AND active", (picker_id,)).fetchone()
        if person is None or person["role"] != "picker":
            raise FloorError("not_a_picker", f"{picker_id} is not an active picker")
        _assign(w, tour_id, picker_id, bump=True)
    return tour_view(store, tour_id)
