// The supervisor's page: waves and tours progress, pickers, short picks, conflicts from HQ and
// floor exceptions, refreshed every few seconds; reassign a tour, override a truck with a reason.

import { api, describe, requireSession } from "/static/session.js";
import { keepOffline, say, signOutButton, t } from "/static/floor.js";

const POLL_MS = 3000;
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
  } catch (err) { say("error", describe(err)); }
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

function paint(overview, wave) {
  $("no-wave").classList.toggle("hidden", !!overview.wave);
  $("counts").replaceChildren(...Object.entries(overview.tours).map(([status, n]) => {
    const pill = document.createElement("span");
    pill.className = "pill";
    pill.dataset.status = status;
    pill.textContent = `${t(`floor.tour_status.${status}`)} ${n}`;
    return pill;
  }));
  $("tours").replaceChildren(...(wave?.tours ?? []).map((tour) => {
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
    li(`${s.tour_id} #${s.stop_no} · ${s.sku_id} @ ${s.location_code} · ${s.picked_qty}/${s.quantity} · ${s.short_reason ?? ""}`)));
  $("exceptions").replaceChildren(...overview.exceptions.map((e) =>
    li(`${t(`floor.exception.${e.kind}`)} · ${e.subject} · ${e.detail}`,
      button(t("floor.supervisor.resolve"), () => resolve(e.exception_id), "secondary"))));
  $("conflicts").replaceChildren(...overview.conflicts.map((c) =>
    li(`${c.kind} · ${c.hq_order_id ?? ""} · ${c.detail}`)));
  $("routes").replaceChildren(...overview.routes.map((r) => {
    const item = li(`${r.route_id} · ${r.driver_id ?? "-"} · ${r.loaded}/${r.crates} · ${t(`floor.route_status.${r.status}`)}`,
      ...(r.status === "departed" || r.status === "done" ? [] : [button(t("floor.supervisor.override"), () => override(r.route_id), "warn")]));
    item.dataset.route = r.route_id;
    return item;
  }));
}

async function refresh() {
  const date = $("date").value.trim();
  try {
    const overview = await api(`/api/v1/floor/supervisor/overview?date=${date}`);
    const wave = overview.wave ? await api(`/api/v1/floor/waves?date=${date}`) : null;
    paint(overview, wave);
    $("net").className = "pill synced";
    $("net").textContent = t("floor.status.online");
    $("updated").textContent = t("floor.supervisor.updated", { time: new Date().toLocaleTimeString() });
  } catch (err) {
    $("net").className = "pill offline";
    $("net").textContent = err.status ? describe(err) : t("floor.status.offline");
  }
}

$("build").addEventListener("click", () => act("/api/v1/floor/waves", { delivery_date: $("date").value.trim() },
  t("floor.supervisor.built")));
$("date").addEventListener("change", refresh);
signOutButton(null);

await refresh();
setInterval(() => { if (!document.querySelector("dialog[open]")) refresh(); }, POLL_MS);
document.body.dataset.ready = "1";
