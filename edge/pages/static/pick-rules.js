// The picker's rules, applied on the device so a scan is judged at once, with no server round
// trip. They are the server's (edge/domain/floor/picking.py) step for step, with the same codes
// and parameters; tests/floor_api/test_scan_parity.py runs both over a table of every kind of
// scan and fails on any difference. The server still decides; a page it overrules re-reads the tour.

import { classify, ScanError } from "/static/gs1.js";

/** The stop to work on: the first one neither done nor short, or null when the tour is done. */
export function currentStop(tour) {
  return tour.stops.find((s) => s.status === "open") ?? null;
}

function refuse(code, params = {}) { return { ok: false, code, params }; }

const got = (raw) => raw.replace(/^[\r\n\t ]+|[\r\n\t ]+$/g, "").slice(0, 40);
const names = (prefix, stop) => ({ [`${prefix}_name_zh`]: stop.name_zh || stop.sku_id,
  [`${prefix}_name_en`]: stop.name_en || stop.sku_id });

/** The stop just before `stop` when it was picked in full: one more of its item is one too many. */
function finishedBefore(tour, stop) {
  const before = tour.stops.filter((s) => s.stop_no < stop.stop_no);
  const last = before[before.length - 1];
  return last && last.picked_qty >= last.quantity ? last : null;
}

/**
 * Judge one scan against the tour and, when accepted, apply it to `tour` (mutated). `keyed` is the
 * count the picker typed (how many of what was scanned), null for one.
 * Returns {ok, code, params, kind, stop_no, added, capped, stop_done, tour_done}.
 */
export function applyScan(tour, raw, keyed = null) {
  const stop = currentStop(tour);
  if (!stop) return refuse("tour_finished");
  let scan;
  try { scan = classify(raw); } catch (err) {
    if (err instanceof ScanError) return refuse("unknown_code", { reason_code: err.code, got: got(raw) });
    throw err;
  }
  if (scan.kind === "location") {
    if (scan.code !== stop.location_code) return refuse("wrong_location", { expected: stop.location_code, got: scan.code });
    stop.at_location = true;
    return { ok: true, code: "ok", params: {}, kind: "location", stop_no: stop.stop_no, added: 0 };
  }
  if (scan.kind !== "item") {
    return refuse("unknown_code", { reason_code: scan.kind === "text" ? "not_a_code" : "not_a_pick", got: got(raw) });
  }
  const finished = finishedBefore(tour, stop);
  if (finished && scan.gtin === finished.gtin && (!stop.at_location || scan.gtin !== stop.gtin)) {
    return refuse("over_quantity", { quantity: finished.quantity, stop_no: finished.stop_no });
  }
  if (!stop.at_location) return refuse("location_first", { expected: stop.location_code });
  if (scan.gtin !== stop.gtin) {
    const other = tour.stops.find((s) => s.gtin === scan.gtin);
    return refuse("wrong_item", { expected: stop.gtin, got: scan.gtin, ...names("expected", stop),
      ...(other ? names("got", other) : { got_name_zh: scan.gtin, got_name_en: scan.gtin }) });
  }
  if (scan.lot !== null && scan.lot !== stop.lot) return refuse("wrong_lot", { expected: stop.lot, got: scan.lot });
  const left = stop.quantity - stop.picked_qty;
  if (left <= 0) return refuse("over_quantity", { quantity: stop.quantity });
  let add, capped = false;
  if (stop.variable_weight) {
    if (!scan.grams) return refuse("unknown_code", { reason_code: "needs_weight", got: got(raw) });
    capped = scan.grams > left;
    add = capped ? left : scan.grams;
  } else {
    add = (scan.count ?? 1) * (keyed ?? 1);
    if (add > left) return refuse("too_many", { count: add, left, quantity: stop.quantity });
  }
  stop.picked_qty += add;
  const stopDone = stop.picked_qty >= stop.quantity;
  if (stopDone) stop.status = "done";
  return { ok: true, code: "ok", params: capped ? { quantity: stop.quantity } : {}, kind: "item", stop_no: stop.stop_no,
    added: add, capped, stop_done: stopDone, tour_done: stopDone && currentStop(tour) === null };
}

/** Judge the drop at the sort station: every stop closed, and the scan is a station's code. */
export function judgeDrop(tour, raw) {
  if (currentStop(tour)) return refuse("tour_not_done");
  let scan;
  try { scan = classify(raw); } catch (err) {
    if (err instanceof ScanError) return refuse("not_a_station", { got: got(raw) });
    throw err;
  }
  if (scan.kind !== "station") return refuse("not_a_station", { got: got(raw) });
  return { ok: true, code: "ok", params: {}, station: scan.code };
}

/** Close the current stop short with what was picked so far. */
export function shortStop(tour, stopNo, reason) {
  const stop = currentStop(tour);
  if (!stop || stop.stop_no !== stopNo || !reason) {
    return refuse("bad_stop", { reason_code: reason ? "not_current_stop" : "give_reason", current: stop?.stop_no });
  }
  stop.status = "short";
  stop.short_reason = reason;
  return { ok: true, code: "ok", params: {}, stop_no: stopNo, tour_done: currentStop(tour) === null };
}
