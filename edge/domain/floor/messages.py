"""Refusal texts for floor scans, in zh-CN (the floor's language) and English.

The API returns the code, the key and the text in the caller's language, so a page can show the
text as is or look the key up in its own catalog.
"""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, tuple[str, str]] = {
    "ok": ("成功", "OK"),
    "unknown_code": ("无法识别的条码：{reason}", "Unreadable code: {reason}"),
    "wrong_location": ("库位错误：请到 {expected}", "Wrong location: go to {expected}"),
    "wrong_item": ("商品错误：应拣 {expected}", "Wrong item: pick {expected}"),
    "wrong_lot": ("批次错误：应为 {expected}，扫到 {got}", "Wrong lot: expected {expected}, got {got}"),
    "over_quantity": ("已够数量 {quantity}，请勿多拣", "Quantity {quantity} already reached: do not pick more"),
    "stale_tour": ("拣货单已更新（版本 {current}），请刷新", "Tour changed (version {current}): reload it"),
    "not_your_tour": ("这不是你的拣货单", "This tour is not yours"),
    "location_first": ("请先扫库位 {expected}", "Scan location {expected} first"),
    "tour_finished": ("拣货单已完成", "The tour is finished"),
    "bad_stop": ("该站点不能短拣：{reason}", "Cannot short this stop: {reason}"),
    "tour_not_done": ("还有未完成的站点", "Stops are still open"),
    "not_in_plan": ("该商品今天无需分拣", "This item needs no sorting today"),
    "no_item": ("请先扫商品", "Scan an item first"),
    "wrong_crate": ("周转箱不对：{reason}", "Wrong crate: {reason}"),
    "crate_closed": ("周转箱已封箱", "The crate is closed"),
    "nothing_to_put": ("没有可分的数量", "Nothing left to put"),
    "wrong_truck": ("该箱属于车辆线路 {route_id}", "This crate belongs to route {route_id}"),
    "crate_not_closed": ("周转箱未封箱", "The crate is not closed yet"),
    "not_your_route": ("这不是你的线路（司机 {driver_id}）", "This route is not yours (driver {driver_id})"),
    "route_departed": ("车辆已发车", "The truck has left"),
    "not_this_stop": ("该箱不属于本门店", "This crate is not for this store"),
    "stop_confirmed": ("本门店已签收", "This store has already signed"),
    "not_departed": ("车辆未发车", "The truck has not left yet"),
}

REFUSALS = frozenset(_TEXTS) - {"ok"}


def message_key(code: str) -> str:
    return f"floor.scan.{code}"


def message(code: str, locale: str, params: dict[str, Any]) -> str:
    """The text for `code` in `locale` (zh-CN unless it is English), with its params filled in."""
    zh, en = _TEXTS[code]
    template = en if locale.lower().startswith("en") else zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
