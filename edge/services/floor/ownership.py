"""Object-level authorization on the delivery side: a driver reads and works only the routes a
supervisor assigned to them; a store owner sees only their own store's crates. Checked here, on
the object itself, not by the route's role alone (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from edge.domain.auth import Principal, Role
from edge.services.floor.errors import Forbidden, NotFound
from edge.store import Store


def drives(route: Any, who: Principal) -> bool:
    """Whether `who` may work this route: its assigned driver, or anyone who is not a driver."""
    return who.role != Role.DRIVER or (route["driver_id"] is not None and route["driver_id"] == who.subject_id)


def require_route(store: Store, route_id: str, who: Principal) -> None:
    """NotFound for no such route, Forbidden for a driver it is not assigned to."""
    route = store.conn.execute("SELECT route_id, driver_id FROM routes WHERE route_id = ?", (route_id,)).fetchone()
    if route is None:
        raise NotFound("no_route", f"no route {route_id}")
    if not drives(route, who):
        raise Forbidden("not_your_route", f"route {route_id} is not assigned to you")


def own_route_ids(store: Store, who: Principal) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT route_id FROM routes WHERE driver_id = ?", (who.subject_id,))}


def may_see_crate(store: Store, sscc: str, who: Principal) -> bool:
    """A driver sees crates on their routes, a store owner their store's; others (supervisor, HQ) all."""
    crate = store.conn.execute("SELECT c.store_id, r.driver_id FROM crates c LEFT JOIN routes r USING (route_id)"
                               " WHERE c.sscc = ?", (sscc,)).fetchone()
    if crate is None or who.role not in (Role.DRIVER, Role.STORE_OWNER):
        return True  # an unknown crate answers 404 where it is looked up
    if who.role == Role.DRIVER:
        return bool(crate["driver_id"] == who.subject_id)
    return bool(crate["store_id"] == who.store_id)
