// The picker's rules, applied on the device so a scan is judged at once, with no server round
// trip. They mirror the server's (docs/floor_api.md, "Pick scans"); the server still decides, and
// a page that disagrees with it re-reads the tour.

import { classify, ScanError } from "/static/gs1.js";

/** The stop to work on: the first one neither done nor short, or null when the tour is done. */
export function currentStop(tour) {
  return tour.stops.find((s) => s.status === "open") ?? null;
}

function refuse(code, params = {}) { return { ok: false, code, params }; }

/**
 * Judge one scan against the tour and, when accepted, apply it to `tour` (mutated).
 * Returns {ok, code, params, stop_no, added, capped, stop_done, tour_done}.
 */
export function applyScan(tour, raw) {
  let scan;
  try { scan = classify(raw); } catch (err) {
    if (err instanceof ScanError) return refuse("unknown_code", { reason: err.reason });
    throw err;
  }
  const stop = currentStop(tour);
  if (!stop) return refuse("tour_finished");
  if (scan.kind === "location") {
    if (scan.code !== stop.location_code) return refuse("wrong_location", { expected: stop.location_code, got: scan.code });
    stop.at_location = true;
    return { ok: true, code: "ok", kind: "location", stop_no: stop.stop_no, added: 0 };
  }
  if (scan.kind !== "item") return refuse("unknown_code", { code: scan.raw });
  if (!stop.at_location) return refuse("location_first", { expected: stop.location_code });
  if (scan.gtin !== stop.gtin) return refuse("wrong_item", { expected: stop.gtin, got: scan.gtin });
  if (scan.lot !== null && scan.lot !== stop.lot) return refuse("wrong_lot", { expected: stop.lot, got: scan.lot });
  let add = 1, capped = false;
  if (stop.variable_weight) {
    if (scan.grams === null) return refuse("unknown_code", { code: scan.raw });
    add = scan.grams;
  }
  const left = stop.quantity - stop.picked_qty;
  if (add > left) {
    if (!stop.variable_weight || left <= 0) return refuse("over_quantity", { quantity: stop.quantity });
    add = left; capped = true;
  }
  stop.picked_qty += add;
  const stopDone = stop.picked_qty === stop.quantity;
  if (stopDone) stop.status = "done";
  return { ok: true, code: "ok", kind: "item", stop_no: stop.stop_no, added: add, capped,
    stop_done: stopDone, tour_done: stopDone && currentStop(tour) === null };
}

/** Close the current stop short with what was picked so far. */
export function shortStop(tour, stopNo, reason) {
  const stop = tour.stops.find((s) => s.stop_no === stopNo);
  if (!stop || stop.status !== "open") return refuse("bad_stop");
  stop.status = "short";
  stop.short_reason = reason;
  return { ok: true, code: "ok", stop_no: stopNo, tour_done: currentStop(tour) === null };
}
