"""The floor's refusal codes and their message keys.

The texts live in the page catalogs (`edge/pages/locales/scan.<locale>.json`, keys
`floor.scan.<code>`, `floor.reason.<reason_code>`), so the server's answer and the page's own
judgement of a scan read the same words from one table.
"""

from __future__ import annotations

REFUSALS = frozenset({
    "unknown_code", "wrong_location", "wrong_item", "wrong_lot", "over_quantity", "too_many", "stale_tour",
    "not_your_tour", "location_first", "tour_finished", "bad_stop", "tour_not_done", "not_a_station",
    "not_in_plan", "no_item", "wrong_crate", "wrong_slot", "crate_closed", "nothing_to_put", "wrong_truck",
    "crate_not_closed", "not_your_route", "route_departed", "not_this_stop", "stop_confirmed", "not_departed",
})


def message_key(code: str) -> str:
    return f"floor.scan.{code}"
