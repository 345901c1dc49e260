// The put wall: scan an item and the page shows which slots (store crates) get how many; scan the
// slot's barcode (or the crate's label, printed when the crate opened) to put them in. A slot or
// crate that is not one of those shown is refused on the spot, saying which were expected. Full or
// done crates are closed here, which prints their final label; a torn label is reprinted. The
// slots' own labels (one per store, with its name) print from here too.

import { api, describe, requireSession } from "/static/session.js";
import { apiSender, ScanQueue } from "/static/scan-queue.js";
import { attachWedge } from "/static/scanner.js";
import { classify, ScanError } from "/static/gs1.js";
import { explain, keepOffline, label, refusalText, say, showStatus, signOutButton, t } from "/static/floor.js";

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
    row.dataset.slot = p.slot;
    const slot = document.createElement("b");
    slot.className = "slot";
    slot.textContent = p.slot;
    const where = document.createElement("span");
    where.className = "grow";
    where.textContent = `${p.store_name ?? p.store_id} · ${t("floor.sort.crate_no", { n: p.crate_no })} · ${p.sscc}`;
    const qty = document.createElement("b");
    qty.textContent = confirmed.has(p.sscc) ? `✓ ${p.quantity}` : `× ${p.quantity}`;
    row.append(slot, where, qty);
    return row;
  }));
  $("step").dataset.step = "crate";
  $("step").textContent = t("floor.sort.scan_crate");
}

async function loadCrates() {
  try {
    const crates = await api(`/api/v1/floor/crates?date=${date()}`);
    $("crates").replaceChildren(...crates.map((c) => {
      const text = `${c.store_name ?? c.store_id} · ${t("floor.sort.crate_no", { n: c.crate_no })} · ${label("floor.temp", c.temp_class)} · ${t("floor.sort.units", { n: c.units })} · ${t(`floor.crate_status.${c.status}`)}`;
      const actions = c.status === "open"
        ? [button(t("floor.sort.close_print"), () => closeCrate(c.sscc), "")]
        : [button(t("floor.sort.reprint"), () => reprint(c.sscc))];
      const item = document.createElement("li");
      item.dataset.sscc = c.sscc;
      item.dataset.status = c.status;
      const span = document.createElement("span");
      span.className = "grow";
      span.textContent = text;
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

const open = () => puts.filter((p) => !confirmed.has(p.sscc));
const expected = () => open().map((p) => p.slot).join("、") || "-";

function onScan(raw) {
  let scan;
  try { scan = classify(raw); } catch (err) {
    if (err instanceof ScanError) { say("error", explain("unknown_code", { reason_code: err.code, got: raw.trim().slice(0, 40) })); return; }
    throw err;
  }
  if (scan.kind === "crate" || scan.kind === "slot") {
    if (!puts.length) { say("error", explain("no_item")); return; }
    const mine = scan.kind === "slot" ? (p) => p.slot === scan.code : (p) => p.sscc === scan.sscc;
    if (!open().some(mine)) { say("error", explain("wrong_slot", { expected: expected(), got: scan.code ?? scan.sscc })); return; }
  } else if (scan.kind !== "item") {
    say("error", explain("unknown_code", { reason_code: "not_a_code", got: raw.trim().slice(0, 40) }));
    return;
  }
  queue.push({ delivery_date: date(), code: raw });
  say("info", t("floor.sort.sending"));
}

queue.addEventListener("accepted", (e) => {
  const result = e.detail.result;
  if (result.puts) {
    puts = result.puts;
    confirmed.clear();
    paintPuts({ ...result, sku_name: en ? result.name_en : result.name_zh });
    const printed = (result.prints ?? []).length;
    say("ok", t("floor.sort.go_put", { n: puts.length }) + (printed ? ` · ${t("floor.sort.opened_printed", { n: printed })}` : ""));
  } else if (result.sscc) {
    confirmed.add(result.sscc);
    paintPuts({ sku_name: $("sku").textContent });
    const put = puts.find((p) => p.sscc === result.sscc);
    say(open().length ? "ok" : "done", t("floor.sort.put_done", { put: result.put, store: put?.store_name ?? result.store_id,
      slot: put?.slot ?? result.slot ?? "" }));
    if (!open().length) { $("step").dataset.step = "item"; $("step").textContent = t("floor.sort.scan_item"); }
  }
  loadCrates();
});
queue.addEventListener("refused", (e) => {
  say("error", refusalText(e.detail.result ?? { message: e.detail.reason }));
  loadCrates();
});
/** The slot labels: slot number and barcode, the store's name; drawn here, printed by the browser. */
async function showSlots() {
  try {
    const slots = await api(`/api/v1/floor/sort/slots?date=${date()}`);
    $("slot-labels").replaceChildren(...slots.map((s) => {
      const card = document.createElement("div");
      card.className = "slot-label";
      card.dataset.slot = s.code;
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("viewBox", `0 0 ${s.bars.length + 20} 40`);
      svg.setAttribute("class", "bars");
      [...s.bars].forEach((bit, i) => {
        if (bit !== "1") return;
        const bar = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        Object.entries({ x: i + 10, y: 0, width: 1, height: 40 }).forEach(([k, v]) => bar.setAttribute(k, String(v)));
        svg.append(bar);
      });
      const big = document.createElement("b");
      big.textContent = s.code;
      const who = document.createElement("span");
      who.textContent = `${s.store_name} (${s.store_id})`;
      card.append(big, svg, who);
      return card;
    }));
    return slots.length;
  } catch (err) { say("error", describe(err)); return 0; }
}

$("slots-show").addEventListener("click", showSlots);
$("slots-print").addEventListener("click", async () => { if (await showSlots()) window.print(); });
$("reload").addEventListener("click", loadCrates);
$("date").addEventListener("change", loadCrates);
attachWedge($("wedge"), onScan);
await loadCrates();
document.body.dataset.ready = "1";
