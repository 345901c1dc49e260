// Handoff at the store, on the driver's phone: scan each crate off the truck (marking damaged or
// warm ones), then the store owner confirms and, where there is a camera, adds a photo. Works with
// no signal: scans and the confirmation wait in the same queue as the picker's scans. The owner's
// PIN never waits there: online it is checked at once and traded for a signed approval of this
// stop; offline the owner gives the day's handoff code from their own phone (docs/security.md).

import { api, ApiError, csrfHeaders, describe, NetworkError, requireSession } from "/static/session.js";
import { accepted, apiSender, loadState, NeedsSignIn, refused, saveState, ScanQueue } from "/static/scan-queue.js";
import { attachWedge } from "/static/scanner.js";
import { classify, ScanError } from "/static/gs1.js";
import { explain, exposureText, keepOffline, label, refusalText, say, showStatus, siteTime, signOutButton, t } from "/static/floor.js";

const session = await requireSession(["driver"]);
const $ = (id) => document.getElementById(id);
const STATE_KEY = "handoff.route";
const stopPath = (p) => `/api/v1/floor/routes/${p.route_id}/stops/${p.stop_no}`;
const sendScans = apiSender((p) => `${stopPath(p)}/scans`, ({ route_id, stop_no, kind, ...rest }) => rest);

/** The proof of delivery: photo first (if any), then the owner's confirmation; a wrong PIN is a refusal. */
async function sendConfirm(entry) {
  const p = entry.payload;
  try {
    let photoId = null;
    if (p.photo) {
      const response = await fetch(`${stopPath(p)}/photo`, { method: "POST", body: p.photo,
        headers: { "Content-Type": p.photo.type || "image/jpeg", ...csrfHeaders() }, credentials: "same-origin" });
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      photoId = (await response.json()).photo_id;
    }
    const proof = await api(`${stopPath(p)}/confirm`, { method: "POST", body: { owner_code: p.owner_code,
      approval: p.approval, handoff_code: p.handoff_code, photo_id: photoId, exceptions: p.exceptions } });
    return [accepted({ ...proof, kind: "confirm" })];
  } catch (err) {
    // the driver's own session ended (e.g. idle while out of signal): keep the consent, sign in again
    if (err instanceof ApiError && err.status === 401 && err.code !== "security.signin.refused") {
      throw new NeedsSignIn(err.message);
    }
    if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
      return [refused(describe(err), { kind: "confirm", code: err.code, message: describe(err) })];
    }
    throw err;
  }
}

keepOffline();
/** Scans go in batches; a confirmation goes alone, after the scans queued before it. */
function sendHandoff(entries) {
  if (entries[0].payload.kind === "confirm") return sendConfirm(entries[0]);
  const end = entries.findIndex((e) => e.payload.kind === "confirm");
  return sendScans(end < 0 ? entries : entries.slice(0, end));
}

const queue = new ScanQueue("handoff", sendHandoff);
showStatus(queue, session);
signOutButton(queue);

let state = null;   // {route_id, stops: [{stop_no, store_id, store_name, address, ..., crates: [{sscc, scanned, condition}]}], current}
let saving = Promise.resolve();
const stop = () => state?.stops.find((s) => s.stop_no === state.current);

function keep() {
  const snapshot = structuredClone(state);
  saving = saving.then(() => saveState(STATE_KEY, snapshot)).catch((err) => say("error", String(err)));
}


/** Where the stop is and how to get there: the phone's map app (AMap's URI, which opens 高德 when it
 * is installed), and a geo: link any other map app takes. */
function paintStore(here) {
  $("store-name").textContent = `${here.stop_no}. ${here.store_name ?? here.store_id} (${here.store_id})`;
  $("store-address").textContent = here.address ?? "";
  $("store-window").textContent = t("floor.handoff.window", { from: here.window_start ?? "–", to: here.window_end ?? "–" });
  $("store-eta").textContent = t("floor.handoff.eta", { time: siteTime(here.arrival) });
  const located = here.latitude !== null && here.latitude !== undefined;
  for (const id of ["nav-amap", "nav-geo"]) $(id).classList.toggle("hidden", !located);
  if (!located) return;
  const name = encodeURIComponent(here.store_name ?? here.store_id);
  $("nav-amap").href = `https://uri.amap.com/marker?position=${here.longitude},${here.latitude}&name=${name}&coordinate=wgs84&callnative=1`;
  $("nav-geo").href = `geo:${here.latitude},${here.longitude}?q=${here.latitude},${here.longitude}(${name})`;
}

function render() {
  if (!state) return;
  $("stop").replaceChildren(...state.stops.map((s) => new Option(`${s.stop_no}. ${s.store_name ?? s.store_id}${s.confirmed ? " ✔" : ""}`, String(s.stop_no))));
  $("stop").value = String(state.current);
  const here = stop();
  paintStore(here);
  $("total").textContent = String(here.crates.length);
  $("scanned").textContent = String(here.crates.filter((c) => c.scanned).length);
  $("crates").replaceChildren(...here.crates.map((c) => {
    const item = document.createElement("li");
    item.dataset.sscc = c.sscc;
    item.dataset.condition = c.condition;
    item.className = !c.scanned ? "crate" : c.condition === "ok" ? "crate ok" : "crate flag";
    const line = document.createElement("span");
    line.textContent = `…${c.sscc.slice(-6)} · ${label("floor.temp", c.temp_class ?? "")} · ${c.scanned ? t(`floor.handoff.cond.${c.condition}`) : t("floor.handoff.not_scanned")}`;
    item.append(line, exposureLine(c.exposure));
    return item;
  }));
  $("confirm").classList.toggle("hidden", !!here.confirmed);
}

/** The crate's temperature history on its way here: min, max, MKT and time out of its band. */
function exposureLine(exposure) {
  const line = document.createElement("small");
  line.className = "exposure";
  if (exposure) line.dataset.outOfRange = exposure.out_of_range_s > 0 ? "1" : "0";
  line.textContent = exposureText(exposure);
  return line;
}

/**
 * Read the current stop's crate histories from the cold chain (kept with the route, so they still
 * show with no signal); a crate the server cannot answer for keeps what was read before.
 */
async function loadExposures() {
  const here = stop();
  if (!here || !navigator.onLine) return;
  const route = state.route_id;
  const answers = await Promise.allSettled(here.crates.map((c) =>
    api(`/api/v1/coldchain/exposure/crates/${c.sscc}`)));
  if (state?.route_id !== route) return;
  here.crates.forEach((c, i) => {
    const answer = answers[i];
    if (answer.status === "fulfilled") {
      const { samples, min_c, max_c, mkt_c, out_of_range_s, unmonitored_s } = answer.value;
      c.exposure = { samples, min_c, max_c, mkt_c, out_of_range_s, unmonitored_s };
    }
  });
  keep();
  render();
}

async function fetchRoute() {
  const routes = await api(`/api/v1/floor/routes?date=${$("date").value}`);
  const list = Array.isArray(routes) ? routes : routes.routes;
  const mine = list.find((r) => r.driver_id === session.principal.id && r.status !== "done") ?? list[0];
  if (!mine) { say("info", t("floor.load.no_route")); return; }
  const stops = [];
  for (const s of mine.stops.filter((x) => x.crates > 0)) { // a stop with nothing to deliver is no stop
    const detail = await api(`/api/v1/floor/routes/${mine.route_id}/stops/${s.stop_no}`);
    stops.push({ stop_no: s.stop_no, store_id: s.store_id, store_name: s.store_name, address: s.address,
      latitude: s.latitude, longitude: s.longitude, window_start: s.window_start, window_end: s.window_end,
      arrival: s.arrival,
      confirmed: (detail.status ?? detail.stop?.status) === "delivered",
      crates: detail.crates.map((c) => ({ sscc: c.sscc, temp_class: c.temp_class, scanned: !!c.scanned, condition: "ok" })) });
  }
  if (!stops.length) { say("info", t("floor.load.no_route")); return; }
  state = { route_id: mine.route_id, stops, current: (stops.find((s) => !s.confirmed) ?? stops[0]).stop_no };
  keep();
}

function onScan(raw) {
  if (!state) return;
  let scan;
  try { scan = classify(raw); } catch (err) {
    if (err instanceof ScanError) { say("error", explain("unknown_code", { reason_code: err.code, got: raw.trim().slice(0, 40) })); return; }
    throw err;
  }
  if (scan.kind !== "crate") { say("error", explain("unknown_code", { reason_code: "not_our_crate", got: raw.trim().slice(0, 40) })); return; }
  const crate = stop().crates.find((c) => c.sscc === scan.sscc);
  if (!crate) { say("error", explain("not_this_stop")); return; }
  if (crate.scanned) { say("error", t("floor.check.already")); return; }
  crate.scanned = true;
  crate.condition = $("condition").value;
  $("condition").value = "ok";
  const snapshot = structuredClone(state);
  saving = queue.push({ route_id: state.route_id, stop_no: state.current, code: raw, condition: crate.condition },
    STATE_KEY, snapshot, saving).catch((err) => say("error", String(err)));
  render();
  say(crate.condition === "ok" ? "ok" : "error", t("floor.handoff.scanned", { n: stop().crates.filter((c) => c.scanned).length, m: stop().crates.length }));
}

const HANDOFF_CODE = /^\d{10}$/;

/**
 * What the queue may keep as the owner's consent: a signed approval when the node can check the PIN
 * now, else the day's handoff code; null when offline and what was typed is not a handoff code.
 */
async function consent(route_id, stop_no, owner_code, secret) {
  if (navigator.onLine) {
    try {
      const answer = await api(`${stopPath({ route_id, stop_no })}/owner-approval`, { method: "POST",
        body: { owner_code, pin: secret } });
      return { approval: answer.approval };
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
    }
  }
  return HANDOFF_CODE.test(secret) ? { owner_code, handoff_code: secret } : null;
}

$("confirm").addEventListener("submit", async (e) => {
  e.preventDefault();
  const here = stop();
  const unscanned = here.crates.filter((c) => !c.scanned).length;
  if (unscanned && !confirm(t("floor.handoff.unscanned_confirm", { n: unscanned, m: here.crates.length }))) return;
  const route_id = state.route_id, secret = $("owner-pin").value;
  $("owner-pin").value = "";
  let proof;
  try {
    proof = await consent(route_id, here.stop_no, $("owner").value.trim(), secret);
  } catch (err) {
    say("error", describe(err), $("confirm-message"));
    return;
  }
  if (!proof) { say("error", t("floor.handoff.code_needed", { digits: 10 }), $("confirm-message")); return; }
  $("confirm-message").replaceChildren();
  // Damaged and warm crates went with their scans (the server recorded them then); crates not
  // scanned become missing when the owner signs, so the confirmation itself declares nothing more.
  const exceptions = here.crates.filter((c) => c.scanned && c.condition !== "ok");
  const payload = { kind: "confirm", route_id, stop_no: here.stop_no, ...proof, exceptions: [],
    photo: $("photo").files[0] ?? null };
  here.confirmed = true;
  const snapshot = structuredClone(state);
  saving = queue.push(payload, STATE_KEY, snapshot, saving).catch((err) => say("error", String(err)));
  const missing = here.crates.filter((c) => !c.scanned).length;
  say("done", t("floor.handoff.confirmed", { missing, exceptions: exceptions.length }));
  const next = state.stops.find((s) => !s.confirmed);
  if (next) state.current = next.stop_no;
  $("owner").value = "";  // the next stop has its own owner and photo
  $("photo").value = "";
  render();
});

queue.addEventListener("refused", (e) => {
  const result = e.detail.result ?? {};
  say("error", refusalText(result.code ? result : { message: e.detail.reason }),
    result.kind === "confirm" ? $("confirm-message") : undefined);
  if (result.kind === "confirm" && state) {
    const s = state.stops.find((x) => x.stop_no === e.detail.entry.payload.stop_no);
    if (s) { s.confirmed = false; state.current = s.stop_no; keep(); render(); }
  }
});
$("stop").addEventListener("change", () => {
  state.current = Number($("stop").value);
  keep();
  render();
  $("wedge").focus();
  loadExposures();
});
$("condition").addEventListener("change", () => $("wedge").focus());  // chosen, now scan the crate
attachWedge($("wedge"), onScan);
state = await loadState(STATE_KEY);
try { if (!state) await fetchRoute(); } catch (err) { say("error", describe(err)); }
render();
loadExposures();
document.body.dataset.ready = "1";
