// The supervisor's delivery side: plan the day's routes (a background job whose progress shows
// here), see them on the map with every store left out and why, give each route a driver (which
// releases it to the driver's phone), and keep the fleet's trucks and compartments up to date.

import { api } from "/static/session.js";
import { explain, failure, label, say, t } from "/static/floor.js";
import { COLOURS, drawRoutes } from "/static/route-map.js";

const POLL_MS = 500;
const CLASSES = ["chilled", "frozen", "ambient"];
const $ = (id) => document.getElementById(id);
const jobKey = (date) => `haolin.plan.${date}`;

let drivers = [];

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  Object.assign(e, attrs);
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- planning ------------------------------------------------------------------------------

function showProgress(job) {
  const p = job.progress;
  $("plan-progress").classList.toggle("hidden", job.state !== "running");
  $("plan-bar").value = Math.min(100, Math.round((100 * p.elapsed_s) / (p.budget_s || 1)));
  const parts = [t("floor.plan.elapsed", { s: Math.round(p.elapsed_s), budget: Math.round(p.budget_s) }),
    label("floor.plan.stage", p.stage)];
  if (p.best_km !== undefined) parts.push(t("floor.plan.best", { km: p.best_km }));
  $("plan-stage").textContent = parts.join(" · ");
}

function showResult(job) {
  const box = $("plan-result"), summary = $("plan-summary");
  box.classList.remove("hidden");
  box.dataset.state = job.state;
  if (job.state === "failed") {
    summary.textContent = t("floor.plan.failed", { why: explain(job.error?.code ?? "plan_failed", {}, "floor.error") });
    summary.className = "panel-line bad";
    $("left-out").replaceChildren();
    $("left-out-reasons").replaceChildren();
    $("left-out-all").classList.add("hidden");
    return;
  }
  const r = job.result;
  const facts = { routes: r.routes.length, km: r.km, trucks: r.trucks, served: r.stores_served, left: r.left_out.length };
  summary.textContent = t(job.state === "done" ? "floor.plan.done" : "floor.plan.incomplete", facts);
  summary.className = job.state === "done" ? "panel-line good" : "panel-line bad";
  const violations = (r.violations ?? []).length;
  if (violations) summary.textContent += ` · ${t("floor.plan.violations", { n: violations })}`;
  // Why, counted by reason (what the supervisor can act on: more trucks, a wider window...), then every store.
  const reasons = new Map();
  for (const s of r.left_out) reasons.set(s.reason_code, (reasons.get(s.reason_code) ?? 0) + 1);
  $("left-out-reasons").replaceChildren(...[...reasons].map(([code, n]) => {
    const item = el("li", { className: "flag" }, t("floor.plan.left_out_reason", { reason: label("floor.left_out", code), n }));
    item.dataset.reason = code;
    return item;
  }));
  $("left-out-all").classList.toggle("hidden", !r.left_out.length);
  $("left-out-all").open = r.left_out.length <= 10;
  $("left-out-summary").textContent = t("floor.plan.left_out_all", { n: r.left_out.length });
  $("left-out").replaceChildren(...r.left_out.map((s) => {
    const item = el("li", { className: "flag" },
      `${s.store_name || s.store_id} (${s.store_id}) · ${label("floor.left_out", s.reason_code)}`);
    item.dataset.store = s.store_id;
    item.dataset.reason = s.reason_code;
    return item;
  }));
}

async function follow(jobId, date, onDone) {
  for (;;) {
    let job;
    try { job = await api(`/api/v1/floor/routes/plan-jobs/${jobId}`); } catch (err) {
      if (err.status === 404) { localStorage.removeItem(jobKey(date)); return; }
      await new Promise((r) => setTimeout(r, POLL_MS * 4));
      continue;
    }
    showProgress(job);
    if (job.state !== "running") {
      showResult(job);
      $("plan").disabled = false;
      await onDone(job);
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function plan(date, onDone) {
  $("plan").disabled = true;
  try {
    const { job_id: jobId } = await api("/api/v1/floor/routes/plan-jobs", { method: "POST",
      body: { delivery_date: date, time_limit_s: Number($("plan-budget").value) } });
    localStorage.setItem(jobKey(date), jobId);
    $("plan-result").classList.add("hidden");
    say("info", t("floor.plan.running"));
    await follow(jobId, date, async (job) => {
      say(job.state === "done" ? "ok" : "error", $("plan-summary").textContent);
      await onDone();
    });
  } catch (err) {
    $("plan").disabled = false;
    say("error", failure(err));
  }
}

// ---- routes and map ------------------------------------------------------------------------

// A driver chosen but not yet assigned, per route: the list is redrawn every few seconds, and the
// supervisor's choice must survive that (it was lost between choosing and tapping 指派).
const chosen = new Map();

function driverPicker(route, onAssign) {
  const select = el("select", { className: "driver" });
  const current = chosen.get(route.route_id) ?? route.driver_id;
  select.append(el("option", { value: "" }, t("floor.dispatch.no_driver")));
  for (const d of drivers) select.append(el("option", { value: d.person_id, selected: d.person_id === current }, `${d.name} (${d.person_id})`));
  select.addEventListener("change", () => chosen.set(route.route_id, select.value));
  const go = el("button", { className: "secondary" }, t("floor.dispatch.assign"));
  go.style.width = "auto";
  go.addEventListener("click", () => {
    if (!select.value) return;
    chosen.delete(route.route_id);
    onAssign(route.route_id, select.value);
  });
  return [select, go];
}

/** Routes with truck, driver, stops, km and loading; only a truck loading with crates missing can be overridden. */
export function paintRoutes(routes, loading, colours, { assign, override }) {
  // Not under the supervisor's finger: a driver list being opened is not replaced by the refresh.
  if (document.activeElement?.tagName === "SELECT" && $("routes").contains(document.activeElement)) return;
  const loads = new Map(loading.map((r) => [r.route_id, r]));
  $("routes").replaceChildren(...routes.map((route) => {
    const load = loads.get(route.route_id) ?? { loaded: 0, crates: 0 };
    const item = el("li");
    item.dataset.route = route.route_id;
    item.dataset.status = route.status;
    const swatch = el("span", { className: "swatch" });
    swatch.style.background = colours[route.route_id] ?? "#999";
    const text = el("span", { className: "grow" }, [route.route_id, route.vehicle_id,
      t("floor.dispatch.stops", { n: route.stops.length }), `${(route.distance_m / 1000).toFixed(1)} km`,
      t("floor.dispatch.loaded", { loaded: load.loaded, crates: load.crates }),
      label("floor.route_status", route.status), route.driver_id ?? t("floor.dispatch.no_driver")].join(" · "));
    item.append(swatch, text);
    if (route.status === "planned" || route.status === "loading") item.append(...driverPicker(route, assign));
    if (route.status === "loading" && load.crates > 0 && load.loaded < load.crates) {
      const b = el("button", { className: "warn" }, t("floor.supervisor.override"));
      b.style.width = "auto";
      b.addEventListener("click", () => override(route.route_id));
      item.append(b);
    }
    return item;
  }));
}

let drawn = { key: null, colours: {} };  // the map as last drawn: redrawn only when the plan changes

export async function refreshDispatch(date, overview, actions) {
  if (!drivers.length) drivers = await api("/api/v1/floor/drivers").catch(() => []);
  const routes = await api(`/api/v1/floor/routes?date=${date}`);
  const key = JSON.stringify([date, routes.map((r) => [r.route_id, r.vehicle_id, r.stops.map((s) => s.store_id)])]);
  if (key !== drawn.key) {
    const map = await api(`/api/v1/floor/supervisor/map?date=${date}`).catch(() => null);
    drawn = { key: map ? key : null, colours: {} };
    $("route-map").classList.toggle("hidden", !map || !map.stores.length);  // shown first: tiles fit its width
    if (map && map.stores.length) {
      drawn.colours = drawRoutes($("route-map"), map, { depot: t("floor.plan.depot"), leftOut: t("floor.plan.left_out_short") });
      $("map-legend").replaceChildren(...map.routes.map((r, i) => {
        const item = el("li", {}, `${r.route_id} · ${r.vehicle_id} · ${t("floor.dispatch.stops", { n: r.stores.length })}`);
        const swatch = el("span", { className: "swatch" });
        swatch.style.background = COLOURS[i % COLOURS.length];
        item.prepend(swatch);
        return item;
      }));
    }
  }
  paintRoutes(routes, overview.routes, drawn.colours, actions);
}

export function initPlanning(dateOf, onDone) {
  $("plan").addEventListener("click", () => plan(dateOf(), onDone));
  const running = localStorage.getItem(jobKey(dateOf()));
  if (running) follow(running, dateOf(), onDone);
}

// ---- fleet ---------------------------------------------------------------------------------

function vehicleCard(v) {
  const card = el("div", { className: "card vehicle" });
  const field = (name, value, attrs = {}) => {
    const input = el("input", { value: value ?? "", ...attrs });
    input.dataset.field = name;
    const wrap = el("label", {}, t(`floor.fleet.${name.split(".")[0]}`, { cls: label("floor.temp", name.split(".")[1]) }));
    wrap.append(input);
    return wrap;
  };
  card.append(field("vehicle_id", v.vehicle_id, { required: true, pattern: "[A-Za-z0-9_-]+" }),
    field("name", v.name, { required: true }), field("plate", v.plate));
  for (const cls of CLASSES) {
    const part = (v.compartments ?? []).find((c) => c.temp_class === cls);
    card.append(field(`crates.${cls}`, part?.capacity_crates, { type: "number", min: 1, inputMode: "numeric" }),
      field(`kg.${cls}`, part?.capacity_kg, { type: "number", min: 1, inputMode: "numeric" }));
  }
  const remove = el("button", { className: "secondary" }, t("floor.fleet.remove"));
  remove.addEventListener("click", () => card.remove());
  card.append(remove);
  return card;
}

function readFleet() {
  const vehicles = [];
  for (const card of document.querySelectorAll("#fleet .vehicle")) {
    const get = (name) => card.querySelector(`[data-field="${name}"]`).value.trim();
    const compartments = CLASSES.filter((cls) => get(`crates.${cls}`) || get(`kg.${cls}`)).map((cls) => ({
      temp_class: cls, capacity_crates: Number(get(`crates.${cls}`)), capacity_kg: Number(get(`kg.${cls}`)) }));
    const bad = [...card.querySelectorAll("input")].find((i) => !i.checkValidity())
      ?? (!compartments.length || compartments.some((c) => !(c.capacity_crates >= 1 && c.capacity_kg >= 1))
        ? card.querySelector("[data-field^='crates']") : null);
    if (bad) { bad.focus(); throw new Error(t("floor.fleet.incomplete", { vehicle: get("vehicle_id") || "?" })); }
    vehicles.push({ vehicle_id: get("vehicle_id"), name: get("name"), plate: get("plate"), compartments });
  }
  return { vehicles };
}

export async function loadFleet() {
  const fleet = await api("/api/v1/floor/fleet");
  $("fleet").replaceChildren(...fleet.vehicles.map(vehicleCard));
  $("fleet-summary").textContent = t("floor.fleet.summary", { n: fleet.vehicles.length,
    names: fleet.vehicles.map((v) => `${v.name} ${v.plate}`).join("、") });
}

export function initFleet() {
  $("fleet-add").addEventListener("click", () => $("fleet").append(vehicleCard({ compartments: [] })));
  $("fleet-save").addEventListener("click", async () => {
    let body;
    try { body = readFleet(); } catch (err) { say("error", err.message); return; }
    try {
      await api("/api/v1/floor/fleet", { method: "PUT", body });
      say("ok", t("floor.fleet.saved", { n: body.vehicles.length }));
      await loadFleet();
    } catch (err) { say("error", failure(err)); }
  });
}
