// Loading a truck: the manifest in reverse stop order (last stop in first), each crate scanned
// in; a crate for another truck is flagged at once, and so are the crates still missing when the
// driver wants to leave. Leaving with crates missing needs a supervisor's override.

import { api, describe, requireSession } from "/static/session.js";
import { apiSender, loadState, saveState, ScanQueue } from "/static/scan-queue.js";
import { attachWedge } from "/static/scanner.js";
import { classify, ScanError } from "/static/gs1.js";
import { explain, keepOffline, label, refusalText, say, showStatus, signOutButton, t } from "/static/floor.js";

const session = await requireSession(["driver"]);
const $ = (id) => document.getElementById(id);
const STATE_KEY = "load.manifest";
keepOffline();
const queue = new ScanQueue("load", apiSender((p) => `/api/v1/floor/routes/${p.route_id}/load-scans`,
  ({ route_id, ...rest }) => rest));
showStatus(queue, session);
signOutButton(queue);

let manifest = null;   // {route, crates: [{sscc, store_id, stop_no, temp_class, loaded}]}
let saving = Promise.resolve();

function flag(text, sscc) {
  $("flags-title").classList.remove("hidden");
  const item = document.createElement("li");
  item.className = "flag";
  item.dataset.sscc = sscc ?? "";
  item.textContent = text;
  $("flags").prepend(item);
}

/** Once the truck has left: no depart button, no loading warnings, the way on to the handoff. */
function paintDeparted() {
  const gone = manifest?.route.status === "departed" || manifest?.route.status === "done";
  $("depart").classList.toggle("hidden", gone);
  $("on-the-road").classList.toggle("hidden", !gone);
  if (gone) { $("flags").replaceChildren(); $("flags-title").classList.add("hidden"); }
}

function render() {
  if (!manifest) return;
  paintDeparted();
  $("route").textContent = manifest.route.route_id;
  $("total").textContent = String(manifest.crates.length);
  $("loaded").textContent = String(manifest.crates.filter((c) => c.loaded).length);
  $("manifest").replaceChildren(...manifest.crates.map((c) => {
    const item = document.createElement("li");
    item.className = c.loaded ? "ok" : "";
    item.dataset.sscc = c.sscc;
    item.dataset.loaded = c.loaded ? "1" : "0";
    item.textContent = `${t("floor.load.stop", { n: c.stop_no })} · ${c.store_name ?? c.store_id} · ${label("floor.temp", c.temp_class)} · …${c.sscc.slice(-6)}${c.loaded ? " ✔" : ""}`;
    return item;
  }));
}

async function fetchManifest() {
  const routes = await api(`/api/v1/floor/routes?date=${$("date").value}`);
  const list = Array.isArray(routes) ? routes : routes.routes;
  const mine = list.find((r) => r.driver_id === session.principal.id && r.status !== "done") ?? list[0];
  if (!mine) { say("info", t("floor.load.no_route")); return; }
  const answer = await api(`/api/v1/floor/routes/${mine.route_id}/manifest`);
  manifest = { route: answer.route, crates: answer.crates };
  const snapshot = structuredClone(manifest);
  saving = saving.then(() => saveState(STATE_KEY, snapshot)).catch((err) => say("error", String(err)));
}

function onScan(raw) {
  if (!manifest) return;
  let scan;
  try { scan = classify(raw); } catch (err) {
    if (err instanceof ScanError) { say("error", explain("unknown_code", { reason_code: err.code, got: raw.trim().slice(0, 40) })); return; }
    throw err;
  }
  if (scan.kind !== "crate") { say("error", explain("unknown_code", { reason_code: "not_our_crate", got: raw.trim().slice(0, 40) })); return; }
  const crate = manifest.crates.find((c) => c.sscc === scan.sscc);
  if (crate?.loaded) { say("error", t("floor.check.already")); return; }
  if (crate) crate.loaded = true;
  else { flag(t("floor.load.other_truck", { sscc: scan.sscc }), scan.sscc); say("error", t("floor.check.wrong_truck")); }
  // Sent either way: a crate on the wrong truck is recorded as an exception by the server.
  const snapshot = structuredClone(manifest);
  saving = queue.push({ route_id: manifest.route.route_id, code: raw }, STATE_KEY, snapshot, saving)
    .catch((err) => say("error", String(err)));
  render();
  if (crate) say("ok", t("floor.load.loaded", { n: manifest.crates.filter((c) => c.loaded).length, m: manifest.crates.length }));
}

async function depart() {
  await saving;
  if ((await queue.pending()).length) { say("error", t("floor.load.wait_sync")); queue.kick(); return; }
  try {
    const route = await api(`/api/v1/floor/routes/${manifest.route.route_id}/depart`, { method: "POST" });
    manifest.route = { ...manifest.route, ...route, status: route.status ?? "departed" };
    const snapshot = structuredClone(manifest);
    saving = saving.then(() => saveState(STATE_KEY, snapshot)).catch((err) => say("error", String(err)));
    render();
    say("done", t("floor.load.departed"));
  } catch (err) {
    if (err.code === "crates_missing") {
      const missing = err.body.detail.missing ?? [];
      $("flags").replaceChildren();
      for (const m of missing) flag(t("floor.load.missing", { sscc: m.sscc ?? m, store: m.store_id ?? "" }), m.sscc ?? m);
      say("error", t("floor.load.needs_override", { n: missing.length }));
    } else say("error", err.body?.detail?.message ?? describe(err));
  }
}

queue.addEventListener("refused", (e) => {
  const result = e.detail.result ?? {};
  if (result.code !== "wrong_truck") say("error", refusalText(result.code ? result : { message: e.detail.reason }));
});
$("depart").addEventListener("click", depart);
attachWedge($("wedge"), onScan);
manifest = await loadState(STATE_KEY);
try { if (!manifest || !(await queue.pending()).length) await fetchManifest(); }
catch (err) { if (!manifest) say("error", describe(err)); }
render();
document.body.dataset.ready = "1";
