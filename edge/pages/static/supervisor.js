// The supervisor's page: waves and tours progress, pickers, short picks, delivery routes (planned
// here, on a map, given to drivers; dispatch.js), the fleet, conflicts from HQ and floor exceptions,
// and the store's own health: cold-chain alarms (acknowledged with a reason), devices, HQ sync and
// its exceptions, the uplink's queue. Refreshed every few seconds; reassign a tour, override a
// truck, acknowledge an alarm, resolve an exception, each with who and why.

import { api, describe, requireSession } from "/static/session.js";
import { failure, keepOffline, label, say, signOutButton, t } from "/static/floor.js";
import { initFleet, initPlanning, loadFleet, refreshDispatch } from "/static/dispatch.js";

const POLL_MS = 3000;
const TOURS_SHOWN = 10; // a phone shows the tours still to do; the rest are counted above and a tap away
const session = await requireSession(["supervisor"]);
const $ = (id) => document.getElementById(id);
keepOffline();
$("who").textContent = `${session.principal.name} (${session.principal.id})`;

function li(text, ...buttons) {
  const item = document.createElement("li");
  const span = document.createElement("span");
  span.className = "grow";
  span.textContent = text;
  item.append(span, ...buttons);
  return item;
}

function button(label, onClick, cls = "") {
  const b = document.createElement("button");
  b.textContent = label;
  b.className = cls;
  b.style.width = "auto";
  b.addEventListener("click", onClick);
  return b;
}

/** Ask for one line of text (picker id, reason, note) in a dialog; null when cancelled. */
function ask(title, label) {
  return new Promise((resolve) => {
    $("ask-title").textContent = title;
    $("ask-label").textContent = label;
    $("ask-input").value = "";
    $("ask").returnValue = "";
    $("ask").showModal();
    $("ask").addEventListener("close", () => resolve($("ask").returnValue === "ok" ? $("ask-input").value.trim() : null),
      { once: true });
  });
}

async function act(path, body, done) {
  try {
    await api(path, { method: "POST", body });
    say("ok", done);
    await refresh();
  } catch (err) { say("error", failure(err)); }
}

async function reassign(tourId) {
  const picker = await ask(t("floor.supervisor.reassign_title", { tour: tourId }), t("floor.supervisor.picker"));
  if (picker) await act(`/api/v1/floor/tours/${tourId}/assign`, { picker_id: picker.toUpperCase() },
    t("floor.supervisor.reassigned", { tour: tourId, picker: picker.toUpperCase() }));
}

async function override(routeId) {
  const reason = await ask(t("floor.supervisor.override_title", { route: routeId }), t("floor.common.reason"));
  if (reason) await act(`/api/v1/floor/routes/${routeId}/overrides`, { reason }, t("floor.supervisor.overridden", { route: routeId }));
}

async function resolve(exceptionId) {
  const note = await ask(t("floor.supervisor.resolve_title"), t("floor.common.reason"));
  if (note) await act(`/api/v1/floor/exceptions/${exceptionId}/resolve`, { note }, t("floor.supervisor.resolved"));
}

let allTours = false;
const FOLD_AFTER = 10; // a long list shows its first items and a count; the rest a tap away

/** Offer "show all" under a folded list once it is longer than FOLD_AFTER. */
function fold(listId) {
  const list = $(listId), more = document.querySelector(`[data-unfold="${listId}"]`);
  const n = list.children.length;
  more.classList.toggle("hidden", n <= FOLD_AFTER);
  more.textContent = list.classList.contains("folded") ? t("floor.supervisor.show_all", { n }) : t("floor.supervisor.show_fewer");
}

for (const more of document.querySelectorAll("[data-unfold]")) {
  more.addEventListener("click", () => { $(more.dataset.unfold).classList.toggle("folded"); fold(more.dataset.unfold); });
}
const english = document.documentElement.lang === "en";
// Exception details the floor wrote itself are English log lines; a driver's note is shown as written.
const PEOPLE_WROTE = new Set(["damaged", "warm", "missing"]);

async function assignDriver(routeId, driverId) {
  await act(`/api/v1/floor/routes/${routeId}/assign`, { driver_id: driverId },
    t("floor.dispatch.assigned", { route: routeId, driver: driverId }));
}

function paint(overview, wave) {
  // Space for the database running out: said at the top well before writes stop, not only after.
  const disk = overview.disk ?? { state: "ok" };
  $("disk-banner").classList.toggle("hidden", disk.state === "ok");
  $("disk-banner").dataset.state = disk.state;
  $("disk-banner").textContent = disk.state === "ok" ? "" : t(`floor.supervisor.disk_${disk.state}`, disk);
  $("no-wave").classList.toggle("hidden", !!overview.wave);
  $("counts").replaceChildren(...Object.entries(overview.tours).map(([status, n]) => {
    const pill = document.createElement("span");
    pill.className = "pill";
    pill.dataset.status = status;
    pill.textContent = `${t(`floor.tour_status.${status}`)} ${n}`;
    return pill;
  }));
  const tours = wave?.tours ?? [];
  const open = tours.filter((x) => x.status !== "done" && x.status !== "dropped");
  const shown = allTours ? tours : open.slice(0, TOURS_SHOWN);
  $("tours-more").classList.toggle("hidden", shown.length === tours.length && !allTours);
  $("tours-more").textContent = allTours ? t("floor.supervisor.tours_fewer")
    : t("floor.supervisor.tours_all", { n: tours.length, shown: shown.length });
  $("tours").replaceChildren(...shown.map((tour) => {
    const row = document.createElement("tr");
    row.dataset.tour = tour.tour_id;
    for (const text of [tour.tour_id, t(`floor.tour_status.${tour.status}`), tour.picker_id ?? "-",
      `${tour.units_picked}/${tour.units}`]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const cell = document.createElement("td");
    if (tour.status !== "dropped") cell.append(button(t("floor.supervisor.reassign"), () => reassign(tour.tour_id), "secondary"));
    row.append(cell);
    return row;
  }));
  $("pickers").replaceChildren(...overview.pickers.map((p) =>
    li(`${p.name} (${p.picker_id}) · ${p.tour_id} · ${p.stops_done}/${p.stops}`)));
  $("shorts").replaceChildren(...overview.short_picks.map((s) =>
    li(`${s.tour_id} #${s.stop_no} · ${s.sku_id} @ ${s.location_code} · ${s.picked_qty}/${s.quantity} · ${label("floor.pick.reason", s.short_reason ?? "")}`)));
  $("exceptions").replaceChildren(...overview.exceptions.map((e) =>
    li([label("floor.exception", e.kind), e.subject, ...(PEOPLE_WROTE.has(e.kind) || english ? [e.detail] : [])].join(" · "),
      button(t("floor.supervisor.resolve"), () => resolve(e.exception_id), "secondary"))));
  $("conflicts").replaceChildren(...overview.conflicts.map((c) =>
    li([label("floor.sync_reason", c.kind), c.hq_order_id ?? "", ...(english ? [c.detail] : [])].join(" · "))));
  for (const id of ["shorts", "exceptions", "conflicts"]) fold(id);
}

async function acknowledge(alarm) {
  const reason = await ask(t("floor.supervisor.ack_title", { alarm: alarmName(alarm) }), t("floor.supervisor.ack_reason"));
  if (reason) await act(`/api/v1/coldchain/alarms/${alarm.alarm_id}/acknowledge`, { reason }, t("floor.supervisor.acked"));
}

const clock = (text) => (text ? new Date(text).toLocaleTimeString(document.documentElement.lang) : "-");
const alarmName = (a) => `${label("floor.alarm", a.kind)} · ${a.asset_id}`;

function paintAlarms(alarms) {
  $("alarm-count").textContent = String(alarms.length);
  $("alarm-count").dataset.open = String(alarms.length);
  $("alarm-count").className = alarms.length ? "pill offline" : "pill synced";
  $("alarms").replaceChildren(...alarms.map((a) => {
    const parts = [alarmName(a), a.sensor_id, label("floor.alarm.severity", a.severity),
      label("floor.alarm.state", a.state), t("floor.supervisor.alarm_since", { time: clock(a.raised_at) })];
    const one = (v) => (v === null || v === undefined ? "-" : v.toFixed(1));
    if (a.peak_c !== null) parts.push(t("floor.supervisor.alarm_peak", { peak: one(a.peak_c), limit: one(a.limit_c) }));
    if (a.acknowledged_at) parts.push(t("floor.supervisor.acked_by", { who: a.acknowledged_by, reason: a.ack_reason }));
    const item = li(parts.join(" · "),
      ...(a.acknowledged_at ? [] : [button(t("floor.supervisor.ack"), () => acknowledge(a), "warn")]));
    item.dataset.alarm = String(a.alarm_id);
    item.dataset.acknowledged = a.acknowledged_at ? "1" : "0";
    item.className = a.state === "active" && !a.acknowledged_at ? "flag" : "";
    return item;
  }));
}

function paintDevices(devices) {
  $("devices").replaceChildren(...devices.map((d) => {
    const parts = [d.device_id, d.kind, label("floor.device", d.state)];
    if (d.reason) parts.push(d.reason);
    parts.push(t("floor.supervisor.counters", { frames: d.frames, errors: d.errors, reconnects: d.reconnects }));
    if (d.stale) parts.push(t("floor.supervisor.stale"));
    const item = li(parts.join(" · "));
    item.dataset.device = d.device_id;
    item.dataset.state = d.stale ? "stale" : d.state;
    item.className = d.state === "online" && !d.stale ? "ok" : "flag";
    return item;
  }));
}

function paintSync(status, exceptions) {
  const line = $("sync-status");
  line.dataset.queue = String(status.queue_depth);
  line.dataset.exceptions = String(status.open_exceptions);
  const parts = [t("floor.supervisor.sync_queue", { n: status.queue_depth, age: Math.round(status.oldest_unsent_age_seconds ?? 0) }),
    status.lag_changes === null ? t("floor.supervisor.sync_lag_unknown") : t("floor.supervisor.sync_lag", { n: status.lag_changes }),
    status.last_pull_ok_at ? t("floor.supervisor.sync_pulled", { time: clock(status.last_pull_ok_at) }) : t("floor.supervisor.sync_never")];
  if (status.last_error) parts.push(t("floor.supervisor.last_error", { error: status.last_error }));
  line.textContent = parts.join(" · ");
  line.className = status.last_error ? "panel-line bad" : "panel-line";
  $("sync-exceptions").replaceChildren(...exceptions.map((e) => {
    const item = li(`${e.hq_order_id} · ${label("floor.sync_reason", e.reason)} · ${e.detail}`,
      button(t("floor.supervisor.resolve"), () => act(`/api/v1/sync/exceptions/${e.exception_id}/resolve`, undefined,
        t("floor.supervisor.resolved")), "secondary"));
    item.dataset.exception = String(e.exception_id);
    return item;
  }));
}

function paintUplink(status) {
  const line = $("uplink-status");
  line.dataset.depth = String(status.depth);
  const link = status.connected === null ? "unknown" : status.connected ? "up" : "down";
  const parts = [t("floor.supervisor.uplink_queue", { n: status.depth, kb: Math.ceil(status.bytes / 1024),
    budget: Math.round(status.budget_bytes / 1024) }), t(`floor.supervisor.uplink_${link}`)];
  if (status.evicted) parts.push(t("floor.supervisor.uplink_evicted", { n: status.evicted }));
  if (status.last_error) parts.push(t("floor.supervisor.last_error", { error: status.last_error }));
  line.textContent = parts.join(" · ");
  line.className = status.evicted || status.last_error ? "panel-line bad" : "panel-line";
}

/** One panel's data; a panel that cannot be read says so and leaves the others alone. */
async function panel(path, paintIt, target) {
  try { paintIt(await api(path)); } catch (err) {
    const box = $(target);
    const note = document.createElement(box.tagName === "UL" ? "li" : "span");
    note.className = "flag";
    note.textContent = err.status ? describe(err) : t("floor.status.offline");
    box.replaceChildren(note);
  }
}

async function refreshFloor(date) {
  const overview = await api(`/api/v1/floor/supervisor/overview?date=${date}`);
  const wave = overview.wave ? await api(`/api/v1/floor/waves?date=${date}`) : null;
  paint(overview, wave);
  await refreshDispatch(date, overview, { assign: assignDriver, override });
}

async function refresh() {
  const date = $("date").value.trim();
  const panels = Promise.all([
    panel("/api/v1/coldchain/alarms", paintAlarms, "alarms"),
    panel("/api/v1/devices", paintDevices, "devices"),
    panel("/api/v1/uplink/status", paintUplink, "uplink-status"),
    (async () => {
      try {
        const [status, exceptions] = await Promise.all([api("/api/v1/sync/status"), api("/api/v1/sync/exceptions")]);
        paintSync(status, exceptions);
      } catch (err) { $("sync-status").textContent = err.status ? describe(err) : t("floor.status.offline"); }
    })(),
  ]);
  try {
    await refreshFloor(date);
    $("net").className = "pill synced";
    $("net").textContent = t("floor.status.online");
    $("updated").textContent = t("floor.supervisor.updated", { time: new Date().toLocaleTimeString(document.documentElement.lang) });
  } catch (err) {
    $("net").className = "pill offline";
    $("net").textContent = err.status ? describe(err) : t("floor.status.offline");
  }
  await panels;
}

$("build").addEventListener("click", () => act("/api/v1/floor/waves", { delivery_date: $("date").value.trim() },
  t("floor.supervisor.built")));
$("date").addEventListener("change", refresh);
$("tours-more").addEventListener("click", () => { allTours = !allTours; refresh(); });
signOutButton(null);
initFleet();
initPlanning(() => $("date").value.trim(), refresh);
loadFleet().catch((err) => say("error", failure(err)));

await refresh();
setInterval(() => { if (!document.querySelector("dialog[open]")) refresh(); }, POLL_MS);
document.body.dataset.ready = "1";
