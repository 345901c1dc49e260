"""What a planning run tells the supervisor: done only when every store is served with no
violation, else `incomplete`, with each store left out named and its reason given as a stable
code (the page words it in the user's language) and in English."""

from __future__ import annotations

from typing import Any, Literal

from edge.store import Store
from routing.vrp.model import Plan

Status = Literal["done", "incomplete"]
NO_COORDINATES = "no_coordinates"


def outcome(store: Store, day: str, plan: Plan, unlocated: list[str], routes: list[dict[str, Any]]) -> dict[str, Any]:
    names = {r["store_id"]: r["name"] for r in store.query("SELECT store_id, name FROM stores")}
    left_out = [{"store_id": str(i.stop), "store_name": names.get(str(i.stop), ""), "reason_code": i.code,
                 "reason": i.reason} for i in [*plan.infeasible, *plan.unserved]]
    left_out += [{"store_id": s, "store_name": names.get(s, ""), "reason_code": NO_COORDINATES,
                  "reason": "the store has no coordinates"} for s in unlocated]
    status: Status = "done" if not left_out and not plan.violations else "incomplete"
    return {"delivery_date": day, "status": status, "routes": routes, "left_out": left_out,
            "violations": plan.violations, "km": round(plan.distance / 1000, 2), "distance_m": round(plan.distance),
            "trucks": len(plan.routes), "stores_served": sum(len(r.visits) for r in plan.routes),
            "engine": plan.engine, "source": plan.source, "seconds": round(plan.seconds, 2)}
