// The supervisor's purchasing and daily report page: each PO's state (send POs, share short supply),
// the day's figures with the loss rate and its reasons (PDF, send to HQ), and lots near expiry.

import { api, describe, requireSession } from "/static/session.js";
import { keepOffline, say, signOutButton, t } from "/static/floor.js";

const session = await requireSession(["supervisor"]);
const $ = (id) => document.getElementById(id);
keepOffline();
signOutButton(null);
document.getElementById("who").textContent = `${session.principal.name} (${session.principal.id})`;

const PERCENT = new Set(["fill_rate", "on_time_rate", "loss_rate"]);
const FIGURES = ["received_units", "shipped_units", "ordered_units", "fill_rate", "short_lines", "stops",
  "on_time_rate", "excursions", "crates_out_of_band", "lost_units", "loss_rate"];

function row(...cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    td.textContent = String(cell);
    tr.append(td);
  }
  return tr;
}

const NEAR_SHOWN = 10;  // the soonest first; the rest a tap away
let showAllNear = false;

const value = (key, v) => (v === null || v === undefined ? "—" : PERCENT.has(key) ? `${(v * 100).toFixed(2)}%` : v);

async function load() {
  const date = $("date").value;
  $("pdf").href = `/api/v1/reports/daily?date=${date}&format=pdf`;
  try {
    const pos = await api(`/api/v1/purchasing/orders?date=${date}`);
    $("pos").replaceChildren(...pos.map((p) => {
      const li = document.createElement("li");
      li.textContent = [p.supplier_name, t(`floor.receive.po_state.${p.state}`), `v${p.version}`,
        t("floor.report.po_units", { confirmed: p.confirmed_units ?? "—", units: p.units ?? 0 }),
        p.open_conflicts ? t("floor.report.conflicts", { n: p.open_conflicts }) : ""].filter(Boolean).join(" · ");
      li.title = p.po_id;
      li.className = p.open_conflicts ? "flag" : p.state === "received" ? "ok" : "";
      li.dataset.po = p.po_id;
      li.dataset.state = p.state;
      return li;
    }));
    const report = await api(`/api/v1/reports/daily?date=${date}`);
    $("figures").tBodies[0].replaceChildren(...FIGURES.map((k) => {
      const tr = row(t(`floor.report.figure.${k}`), value(k, report[k]));
      tr.dataset.key = k;
      return tr;
    }));
    $("losses").tBodies[0].replaceChildren(...Object.entries(report.losses_by_reason).map(([reason, units]) => {
      const tr = row(t(`floor.report.reason.${reason}`), units);
      tr.dataset.reason = reason;
      return tr;
    }));
    const near = await api("/api/v1/stock/near-expiry");
    const shown = showAllNear ? near : near.slice(0, NEAR_SHOWN);
    $("near-more").classList.toggle("hidden", shown.length === near.length);
    $("near-more").textContent = t("floor.report.near_more", { n: near.length - shown.length });
    $("near").replaceChildren(...shown.map((n) => {
      const li = document.createElement("li");
      li.textContent = t("floor.report.near", { sku: n.sku_id, lot: n.lot, where: n.location_code, units: n.units, days: n.days_left });
      li.className = n.days_left <= 0 ? "flag" : "";
      return li;
    }));
  } catch (err) { say("error", describe(err)); }
}

async function post(path, done) {
  try {
    const answer = await api(path, { method: "POST", body: { delivery_date: $("date").value } });
    say("ok", done(answer));
    await load();
  } catch (err) { say("error", describe(err)); }
}

$("date").addEventListener("change", load);
$("near-more").addEventListener("click", () => { showAllNear = true; load(); });
$("issue").addEventListener("click", () => post("/api/v1/purchasing/orders/issue",
  (a) => t("floor.report.issued", { created: a.created.length, revised: a.revised.length, conflicts: a.conflicts.length })));
$("allocate").addEventListener("click", () => post("/api/v1/purchasing/allocation",
  (a) => t("floor.report.allocated", { skus: a.short_skus.length, lines: a.lines_short })));
$("send").addEventListener("click", () => post("/api/v1/reports/daily/send", () => t("floor.report.sent")));
await load();
document.body.dataset.ready = "1";
