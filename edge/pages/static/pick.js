// The picker's page: take a tour, walk it stop by stop, scan the location then each item.
// Every scan is judged and applied here at once; the queue sends it to the server afterwards,
// in order, so a dead Wi-Fi spot or a burst of fast scans costs the picker nothing.

import { api, describe, NetworkError, requireSession } from "/static/session.js";
import { apiSender, loadState, saveState, ScanQueue } from "/static/scan-queue.js";
import { attachWedge, cameraAvailable, startCamera } from "/static/scanner.js";
import { applyScan, currentStop, judgeDrop, shortStop } from "/static/pick-rules.js";
import { explain, keepOffline, refusalText, say, showStatus, signOutButton, t } from "/static/floor.js";

const STATE_KEY = "pick.tour";
const DEFAULT_STATION = "SORT-1";
const session = await requireSession(["picker"]);
const en = document.documentElement.lang === "en";
const $ = (id) => document.getElementById(id);

keepOffline();
const queue = new ScanQueue("pick", apiSender((p) => `/api/v1/floor/tours/${p.tour_id}/scans`,
  ({ tour_id, ...rest }) => rest));
showStatus(queue, session);
signOutButton(queue);

let tour = null;         // the tour as this device knows it: the server's copy plus our scans
let saving = Promise.resolve();
let resync = false;

/** Queue one action with the tour's state after it, in one IndexedDB transaction, in order. */
function record(payload) {
  const snapshot = structuredClone(tour);
  const body = { tour_id: tour.tour_id, tour_version: tour.version, ...payload };
  saving = queue.push(body, STATE_KEY, snapshot, saving).catch((err) => say("error", String(err)));
}

/** Save the tour without a scan (taken, re-read, dropped), after any scans already on their way. */
function keep(value) {
  const snapshot = structuredClone(value);
  saving = saving.then(() => saveState(STATE_KEY, snapshot)).catch((err) => say("error", String(err)));
}

function name(stop) { return en ? stop.name_en : stop.name_zh; }

function render() {
  const stop = tour && currentStop(tour);
  $("idle").classList.toggle("hidden", !!tour);
  $("work").classList.toggle("hidden", !stop);
  $("finished").classList.toggle("hidden", !tour || !!stop);
  if (!tour) return;
  $("tour-id").textContent = tour.tour_id;
  if (stop) {
    $("step").textContent = stop.at_location ? t("floor.pick.scan_item") : t("floor.pick.scan_location", { loc: stop.location_code });
    $("step").dataset.step = stop.at_location ? "item" : "location";
    $("stop-no").textContent = t("floor.pick.stop_of", { n: stop.stop_no, m: tour.stops.length });
    $("loc").textContent = stop.location_code;
    $("sku").textContent = name(stop);
    $("lot").textContent = stop.lot;
    $("expiry").textContent = stop.expiry;
    $("picked").textContent = String(stop.picked_qty);
    $("quantity").textContent = String(stop.quantity);
    $("unit").textContent = stop.variable_weight ? "g" : stop.unit;
  }
  $("stops").replaceChildren(...tour.stops.map((s) => {
    const li = document.createElement("li");
    li.className = s.status === "open" ? (s === stop ? "flag" : "") : s.status;
    li.dataset.stop = String(s.stop_no);
    li.innerHTML = `<span class="n"></span><span class="grow"></span><span class="q"></span>`;
    li.children[0].textContent = String(s.stop_no);
    li.children[1].textContent = `${s.location_code} · ${name(s)}`;
    li.children[2].textContent = `${s.picked_qty}/${s.quantity}`;
    return li;
  }));
}

async function takeTour() {
  try {
    tour = await api("/api/v1/floor/tours/next", { method: "POST" });
    keep(tour);
    say("info", t("floor.pick.took", { tour: tour.tour_id }));
  } catch (err) {
    if (err instanceof NetworkError) say("error", t("floor.status.need_network"));
    else if (err.code === "no_open_tour") say("info", t("floor.pick.none"));
    else say("error", describe(err));
  }
  render();
}

/** The count keyed for the next item scan (how many of what is scanned), null for one. */
function keyed() {
  const n = Number($("count").value);
  return Number.isInteger(n) && n > 1 ? n : null;
}

function onScan(raw) {
  if (!tour) { say("error", t("floor.pick.take_first")); return; }
  if (!currentStop(tour)) {
    const verdict = judgeDrop(tour, raw);
    if (verdict.ok) drop(verdict.station); else say("error", explain(verdict.code, verdict.params));
    return;
  }
  const count = keyed();
  const result = applyScan(tour, raw, count);
  if (!result.ok) { say("error", explain(result.code, result.params)); return; }
  record({ action: "scan", code: raw, ...(result.kind === "item" && count ? { count } : {}) });
  if (result.kind === "item") $("count").value = "1";
  render();
  const stop = tour.stops.find((s) => s.stop_no === result.stop_no);
  if (result.tour_done) say("done", t("floor.pick.done"));
  else if (result.stop_done) say("ok", t("floor.pick.stop_done", { n: stop.stop_no }));
  else if (result.kind === "location") say("ok", t("floor.pick.at_location", { loc: stop.location_code }));
  else say("ok", t(result.capped ? "floor.pick.capped" : "floor.pick.counted", { picked: stop.picked_qty, quantity: stop.quantity }));
}

function drop(station) {
  record({ action: "drop", code: station });
  tour = null;
  say("done", t("floor.pick.dropped", { station }));
  keep(null);
  render();
}

async function refresh() {
  if (!tour || !resync || (await queue.pending()).length) return;
  resync = false;
  try {
    tour = await api(`/api/v1/floor/tours/${tour.tour_id}`);
    if (tour.picker_id !== session.principal.id) tour = null;
    keep(tour);
  } catch (err) { if (err.status === 403 || err.status === 404) tour = null; }
  render();
}

queue.addEventListener("refused", (e) => {
  say("error", refusalText(e.detail.result ?? { code: "unknown_code", message: e.detail.reason }));
  resync = true;
});
queue.addEventListener("change", (e) => { if (!e.detail.pending) refresh(); });

$("take").addEventListener("click", takeTour);
$("drop").addEventListener("click", () => drop(DEFAULT_STATION));
$("short").addEventListener("click", () => $("short-dialog").showModal());
$("short-dialog").addEventListener("close", () => {
  const stop = tour && currentStop(tour);
  if ($("short-dialog").returnValue !== "ok" || !stop) return;
  const reason = $("short-reason").value;
  shortStop(tour, stop.stop_no, reason);
  record({ action: "short", stop_no: stop.stop_no, reason });
  say("ok", t("floor.pick.shorted", { n: stop.stop_no, picked: stop.picked_qty, quantity: stop.quantity }));
  render();
});
if (cameraAvailable()) {
  let camera = null;
  $("camera").classList.remove("hidden");
  $("camera").addEventListener("click", async () => {
    if (camera) { camera.stop(); camera = null; $("video").classList.add("hidden"); return; }
    $("video").classList.remove("hidden");
    camera = await startCamera($("video"), onScan).catch((err) => { say("error", String(err)); return null; });
  });
}

const refocus = attachWedge($("wedge"), onScan);
// A keyed count is typed, then the item scanned: Enter on the count hands the keys back to the scanner.
$("count").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); $("count").blur(); refocus(); } });
tour = await loadState(STATE_KEY);
render();
document.body.dataset.ready = "1";
