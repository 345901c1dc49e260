// The put wall: scan an item and the page shows which store crates get how many; scan a crate's
// label to put them in. A crate label that is not one of those shown is refused on the spot.
// Full or done crates are closed here, which prints their label; a torn label is reprinted.

import { api, describe, requireSession } from "/static/session.js";
import { apiSender, ScanQueue } from "/static/scan-queue.js";
import { attachWedge } from "/static/scanner.js";
import { classify, ScanError } from "/static/gs1.js";
import { keepOffline, refusalText, say, showStatus, signOutButton, t } from "/static/floor.js";

const session = await requireSession(["sorter", "supervisor"]);
const en = document.documentElement.lang === "en";
const $ = (id) => document.getElementById(id);
keepOffline();
const queue = new ScanQueue("sort", apiSender("/api/v1/floor/sort/scans"));
showStatus(queue, session);
signOutButton(queue);

let puts = [];            // what the server said the last item goes to: [{store_id, store_name, sscc, crate_no, quantity}]
const confirmed = new Set();
const date = () => $("date").value.trim();

function button(label, onClick, cls = "secondary") {
  const b = document.createElement("button");
  b.textContent = label; b.className = cls; b.style.width = "auto";
  b.addEventListener("click", onClick);
  return b;
}

function paintPuts(result) {
  $("sku-card").classList.remove("hidden");
  $("sku").textContent = result.sku_name ?? result.sku_id;
  $("puts").replaceChildren(...puts.map((p) => {
    const row = document.createElement("div");
    row.className = confirmed.has(p.sscc) ? "put confirmed" : "put";
    row.dataset.sscc = p.sscc;
    const where = document.createElement("span");
    where.textContent = `${p.store_name ?? p.store_id} · ${t("floor.sort.crate_no", { n: p.crate_no })}`;
    const qty = document.createElement("b");
    qty.textContent = `× ${p.quantity}`;
    row.append(where, qty);
    return row;
  }));
  $("step").dataset.step = "crate";
  $("step").textContent = t("floor.sort.scan_crate");
}

async function loadCrates() {
  try {
    const crates = await api(`/api/v1/floor/crates?date=${date()}`);
    $("crates").replaceChildren(...crates.map((c) => {
      const label = `${c.store_id} · ${t("floor.sort.crate_no", { n: c.crate_no })} · ${c.temp_class} · ${c.units} · ${t(`floor.crate_status.${c.status}`)}`;
      const actions = c.status === "open"
        ? [button(t("floor.sort.close_print"), () => closeCrate(c.sscc), "")]
        : [button(t("floor.sort.reprint"), () => reprint(c.sscc))];
      const item = document.createElement("li");
      item.dataset.sscc = c.sscc;
      item.dataset.status = c.status;
      const span = document.createElement("span");
      span.className = "grow";
      span.textContent = label;
      item.append(span, ...actions);
      return item;
    }));
  } catch (err) { say("error", describe(err)); }
}

// The label as the printer got it, drawn by the server for this print (a reprint shows it again).
function showLabel(sscc, printId) {
  const img = $("label-preview");
  img.onload = () => img.classList.remove("hidden");
  img.onerror = () => img.classList.add("hidden");
  img.dataset.sscc = sscc;
  img.dataset.printId = String(printId);
  img.src = `/api/v1/floor/crates/${sscc}/label.png?print=${printId}`;
}

function printed(answer) {
  if (answer.crate?.sscc && answer.print) showLabel(answer.crate.sscc, answer.print.print_id);
  const outcome = answer.print?.outcome ?? answer.outcome;
  if (outcome === "printed") say("ok", t("floor.sort.printed", { sscc: answer.crate?.sscc ?? answer.sscc ?? "" }));
  else say("error", t("floor.sort.print_failed", { outcome: String(outcome) }));
}

async function closeCrate(sscc) {
  try { printed(await api(`/api/v1/floor/crates/${sscc}/close`, { method: "POST", body: {} })); }
  catch (err) { say("error", describe(err)); }
  await loadCrates();
}

async function reprint(sscc) {
  const reason = prompt(t("floor.sort.reprint_reason"), t("floor.sort.reprint_default"));
  if (!reason) return;
  try { printed(await api(`/api/v1/floor/crates/${sscc}/reprint`, { method: "POST", body: { reason } })); }
  catch (err) { say("error", describe(err)); }
  await loadCrates();
}

function onScan(raw) {
  let scan;
  try { scan = classify(raw); } catch (err) {
    if (err instanceof ScanError) { say("error", t("floor.check.unknown_code")); return; }
    throw err;
  }
  if (scan.kind === "crate") {
    if (!puts.length) { say("error", t("floor.check.no_item")); return; }
    if (!puts.some((p) => p.sscc === scan.sscc)) { say("error", t("floor.check.wrong_crate")); return; }
  } else if (scan.kind !== "item") { say("error", t("floor.check.unknown_code")); return; }
  queue.push({ delivery_date: date(), code: raw });
  say("info", t("floor.sort.sending"));
}

queue.addEventListener("accepted", (e) => {
  const result = e.detail.result;
  if (result.puts) {
    puts = result.puts;
    confirmed.clear();
    paintPuts({ ...result, sku_name: en ? result.name_en : result.name_zh });
    say("ok", t("floor.sort.go_put", { n: puts.length }));
  } else if (result.sscc) {
    confirmed.add(result.sscc);
    const row = $("puts").querySelector(`[data-sscc="${result.sscc}"]`);
    if (row) row.classList.add("confirmed");
    say("ok", t("floor.sort.put_done", { put: result.put, store: result.store_id }));
    loadCrates();
  }
});
queue.addEventListener("refused", (e) => say("error", refusalText(e.detail.result ?? { message: e.detail.reason })));
$("reload").addEventListener("click", loadCrates);
$("date").addEventListener("change", loadCrates);
attachWedge($("wedge"), onScan);
await loadCrates();
document.body.dataset.ready = "1";
