// Receiving at the dock: choose the supplier's PO, scan the pallet (what its shipping notice says
// is on it) and each case's GS1 label with the number of cases keyed or weighed on the dock scale.
// Scans queue on the device and go to the node in order, so a dead Wi-Fi spot at the dock door
// loses nothing; the node judges each against the PO and answers in the page's language. Each lot
// gets its Brix check and a decision (accept, accept with a remark, reject, damaged units, photo).

import { api, csrfHeaders, describe, deviceId, requireSession } from "/static/session.js";
import { apiSender, loadState, saveState, ScanQueue } from "/static/scan-queue.js";
import { attachWedge } from "/static/scanner.js";
import { keepOffline, say, showStatus, signOutButton, t } from "/static/floor.js";

const STATE_KEY = "receive.receipt";
const session = await requireSession(["picker", "supervisor"]);
const en = document.documentElement.lang === "en";
const $ = (id) => document.getElementById(id);
const show = (id) => { for (const s of ["choose", "work", "closed"]) $(s).classList.toggle("hidden", s !== id); };
const name = (row) => (en ? row.name_en : row.name_zh) ?? row.sku_id;

keepOffline();
const queue = new ScanQueue("receive", apiSender((p) => `/api/v1/receiving/receipts/${p.receipt_id}/scans`,
  ({ receipt_id, ...rest }) => rest));
showStatus(queue, session);
signOutButton(queue);

let receipt = null;     // the node's view of the open receipt: lines expected/received, lots
let saving = Promise.resolve();

function item(text, cls = "") {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  return li;
}

function qcText(lot) {
  if (!lot.needs_qc) return t("floor.receive.qc_none");
  if (lot.qc_passed === null || lot.qc_passed === undefined) return t("floor.receive.qc_pending");
  return lot.qc_passed ? t("floor.receive.qc_pass") : t("floor.receive.qc_fail");
}

function render() {
  if (!receipt) { show("choose"); return; }
  show(receipt.closed ? "closed" : "work");
  $("po-id").textContent = receipt.po_id;
  $("lines").replaceChildren(...receipt.lines.map((l) => {
    const done = l.received_units >= l.ordered_units;
    const li = item(t("floor.receive.line", { name: name(l), got: l.received_units, want: l.ordered_units,
      pack: l.case_pack }), done ? "ok" : "");
    li.dataset.sku = l.sku_id;
    return li;
  }));
  const names = Object.fromEntries(receipt.lines.map((l) => [l.sku_id, name(l)]));
  $("lots").replaceChildren(...receipt.lots.map((lot) => {
    const decided = lot.decision ? t(`floor.receive.decision.${lot.decision}`) : t("floor.receive.undecided");
    const li = item(`${names[lot.sku_id] ?? lot.sku_id} · ${t("floor.receive.lot")} ${lot.lot} · ${lot.units} · ${qcText(lot)} · ${decided}`,
      lot.decision === "rejected" ? "flag" : lot.decision ? "ok" : "");
    li.dataset.sku = lot.sku_id;
    li.dataset.lot = lot.lot;
    li.addEventListener("click", () => openLot(lot, names[lot.sku_id]));
    return li;
  }));
}

async function remember(value) {
  receipt = value;
  const snapshot = structuredClone(value);
  saving = saving.then(() => saveState(STATE_KEY, snapshot)).catch((err) => say("error", String(err)));
  render();
}

async function refresh() {
  if (!receipt) return;
  try { await remember(await api(`/api/v1/receiving/receipts/${receipt.receipt_id}`)); } catch { /* offline */ }
}

async function choosePo() {
  const date = $("date").value;
  let pos = [];
  try { pos = await api(`/api/v1/receiving/purchase-orders?date=${date}`); } catch (err) { say("error", describe(err)); }
  const open = pos.filter((p) => p.state !== "received" && p.state !== "cancelled");
  if (!open.length) say("info", t("floor.receive.no_po"));
  $("pos").replaceChildren(...open.map((p) => {
    const li = item(t("floor.receive.po", { po: p.po_id, supplier: p.supplier_name, state: t(`floor.receive.po_state.${p.state}`),
      units: p.units ?? 0 }));
    li.dataset.po = p.po_id;
    li.addEventListener("click", async () => {
      try { await remember(await api("/api/v1/receiving/receipts", { method: "POST", body: { po_id: p.po_id } })); say("info", t("floor.receive.started")); }
      catch (err) { say("error", describe(err)); }
    });
    return li;
  }));
  show("choose");
}

async function loadScales() {
  try {
    const scales = await api("/api/v1/receiving/scales");
    for (const s of scales) {
      const option = document.createElement("option");
      option.value = s.device_id;
      option.textContent = `${s.device_id}${s.location ? ` · ${s.location}` : ""}`;
      $("scale").append(option);
    }
  } catch { /* no scales known offline: count instead */ }
}

function onScan(raw) {
  if (!receipt || receipt.closed) return;
  const cases = Math.max(1, Number.parseInt($("cases").value, 10) || 1);
  const body = { receipt_id: receipt.receipt_id, raw, cases };
  if ($("scale").value) body.scale_id = $("scale").value;
  saving = queue.push(body, null, null, saving).catch((err) => say("error", String(err)));
  say("info", navigator.onLine ? t("floor.receive.sending") : t("floor.receive.queued"));
  $("cases").value = "1";
}

queue.addEventListener("accepted", (e) => {
  const r = e.detail.result ?? {};
  if (r.pallet) {
    $("pallet").classList.remove("hidden");
    $("pallet").textContent = t("floor.receive.pallet", { sscc: r.pallet }) + " " +
      r.lines.map((l) => `${name(l)} ${l.lot} ×${l.units}`).join("；");
    say("ok", t("floor.receive.pallet_ok"));
    return;
  }
  const line = receipt?.lines.find((l) => l.sku_id === r.sku_id);
  say("ok", t("floor.receive.received", { name: line ? name(line) : r.sku_id, lot: r.lot, units: r.units }));
  if (r.receipt) remember(r.receipt); else refresh();
});
queue.addEventListener("refused", (e) => {
  const r = e.detail.result ?? {};
  say("error", r.message || String(e.detail.reason ?? ""));
});

let current = null;
function openLot(lot, itemName) {
  current = lot;
  $("lot-name").textContent = `${itemName} · ${t("floor.receive.lot")} ${lot.lot} · ${lot.units}`;
  $("lot-qc").textContent = qcText(lot);
  $("lot-remark").value = lot.remark ?? "";
  $("lot-damaged").value = String(lot.damaged_units ?? 0);
  $("lot-photo").value = "";
  $("lot-message").textContent = "";
  const sampling = lot.needs_qc && (lot.qc_passed === null || lot.qc_passed === undefined);
  $("lot-sample").classList.toggle("hidden", !sampling);
  $("lot-qc-save").classList.toggle("hidden", !sampling);
  $("lot-brix").value = "";
  $("lot-dialog").showModal();
}

async function uploadPhoto(lot) {
  const file = $("lot-photo").files[0];
  if (!file) return;
  const url = `/api/v1/receiving/receipts/${receipt.receipt_id}/photos?sku_id=${encodeURIComponent(lot.sku_id)}&lot=${encodeURIComponent(lot.lot)}`;
  const response = await fetch(url, { method: "POST", body: file, credentials: "same-origin",
    headers: { "Content-Type": file.type || "application/octet-stream", "X-Device-Id": deviceId(),
      "Accept-Language": document.documentElement.lang || "zh-CN", ...csrfHeaders() } });
  if (!response.ok) throw new Error((await response.json()).detail?.message ?? `HTTP ${response.status}`);
}

/** The lot's Brix sample as the receiving QC check that exists: readings typed off the meter. */
async function sample(lot) {
  const values = $("lot-brix").value.split(/[\s,，;；]+/).filter(Boolean).map(Number);
  if (values.length < 2 || values.some((v) => !Number.isFinite(v))) { say("error", t("floor.receive.brix_invalid")); return; }
  const check = await api("/api/v1/qc/checks", { method: "POST", body: { sku_id: lot.sku_id, lot: lot.lot, min_readings: values.length } });
  for (const brix of values) await api(`/api/v1/qc/checks/${check.qc_id}/readings`, { method: "POST", body: { brix } });
  const result = await api(`/api/v1/qc/checks/${check.qc_id}/close`, { method: "POST" });
  await refresh();
  say(result.passed ? "ok" : "error", t(result.passed ? "floor.receive.brix_pass" : "floor.receive.brix_fail",
    { mean: result.mean_brix.toFixed(1), lot: lot.lot }));
}

$("lot-dialog").addEventListener("close", async () => {
  const choice = $("lot-dialog").returnValue;
  if (!current || !choice || choice === "cancel") return;
  const lot = current;
  if (choice === "qc") { try { await sample(lot); } catch (err) { say("error", describe(err)); } return; }
  try {
    await uploadPhoto(lot);
    const answer = await api(`/api/v1/receiving/receipts/${receipt.receipt_id}/lots`, { method: "POST",
      body: { sku_id: lot.sku_id, lot: lot.lot, decision: choice, remark: $("lot-remark").value,
        damaged_units: Number.parseInt($("lot-damaged").value, 10) || 0 } });
    if (!answer.ok) { say("error", answer.message); return; }
    await remember(answer.receipt);
    say("ok", t("floor.receive.decided", { lot: lot.lot, decision: t(`floor.receive.decision.${answer.decision}`) }));
  } catch (err) { say("error", describe(err)); }
});

async function close(final) {
  await saving;
  if ((await queue.pending()).length) { say("error", t("floor.receive.wait_sync")); queue.kick(); return; }
  if (final && !confirm(t("floor.receive.final_confirm"))) return;
  try {
    const answer = await api(`/api/v1/receiving/receipts/${receipt.receipt_id}/close`, { method: "POST", body: { final } });
    const names = Object.fromEntries(answer.lines.map((l) => [l.sku_id, name(l)]));
    $("discrepancies").replaceChildren(...answer.discrepancies.map((d) => item(t(`floor.receive.discrepancy.${d.kind}`,
      { sku: names[d.sku_id] ?? d.sku_id, want: d.expected_units, got: d.accepted_units }), "flag")));
    await remember(answer);
    say("done", t("floor.receive.closed"));
  } catch (err) { say("error", describe(err)); }
}

$("close-partial").addEventListener("click", () => close(false));
$("close-final").addEventListener("click", () => close(true));
$("next-po").addEventListener("click", async () => { receipt = null; await saveState(STATE_KEY, null); choosePo(); });
const refocus = attachWedge($("wedge"), onScan);
// A keyed count is typed, then the case scanned: Enter on the count hands the keys back to the scanner.
$("cases").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); $("cases").blur(); refocus(); } });
receipt = await loadState(STATE_KEY);
await loadScales();
if (receipt) { render(); await refresh(); } else await choosePo();
document.body.dataset.ready = "1";
