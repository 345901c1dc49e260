// HQ sync's health on the supervisor page, self-contained: HQ's clock skew, each direction's last
// success and last error, and the events HQ refused (dead letters), each retried or discarded here
// with a reason (who is the signed-in supervisor). It reads /api/v1/sync/status and
// /api/v1/sync/dead-letters into #sync-health and takes nothing else from the page.

import { api, describe } from "/static/session.js";
import { t } from "/static/floor.js";

const POLL_MS = 5000;
const SKEW_WARN_S = 60; // a minute off: corrected, but worth fixing the node's clock
const box = document.getElementById("sync-health");

function el(tag, text = "", cls = "") {
  const node = document.createElement(tag);
  node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleTimeString(document.documentElement.lang) : t("floor.sync_health.never");
}

function direction(name, status) {
  const error = status[`last_${name}_error`];
  const parts = [t(`floor.sync_health.${name}`, { time: when(status[`last_${name}_ok_at`]) })];
  if (error) parts.push(error);
  const line = el("p", parts.join(" · "), error ? "panel-line bad" : "panel-line");
  line.dataset.direction = name;
  return line;
}

/** Ask why, in a dialog of this module's own; null when cancelled or left empty. */
function askReason(title) {
  return new Promise((resolve) => {
    const dialog = el("dialog");
    const form = el("form");
    form.method = "dialog";
    const input = el("input");
    input.required = true;
    input.maxLength = 500;
    const ok = el("button", t("floor.sync_health.confirm"));
    ok.value = "ok";
    const cancel = el("button", t("floor.sync_health.cancel"), "secondary");
    cancel.value = "cancel";
    cancel.formNoValidate = true;
    form.append(el("h3", title), el("label", t("floor.sync_health.reason")), input, ok, cancel);
    dialog.append(form);
    document.body.append(dialog);
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" && input.value.trim() ? input.value.trim() : null);
      dialog.remove();
    }, { once: true });
    dialog.showModal();
  });
}

async function settle(letter, action) {
  const reason = await askReason(t(`floor.sync_health.${action}_title`, { kind: letter.kind }));
  if (!reason) return;
  try {
    await api(`/api/v1/sync/dead-letters/${letter.dead_id}/${action}`, { method: "POST", body: { reason } });
  } catch (err) {
    box.append(el("p", describe(err), "flag"));
    return;
  }
  await refresh();
}

function deadLetter(letter) {
  const item = el("li");
  item.dataset.deadLetter = String(letter.dead_id);
  const text = el("span", `${letter.kind} · ${letter.subject} · ${letter.code}: ${letter.detail}`, "grow");
  const buttons = ["retry", "discard"].map((action) => {
    const b = el("button", t(`floor.sync_health.${action}`), action === "discard" ? "secondary" : "");
    b.style.width = "auto";
    b.dataset.action = action;
    b.addEventListener("click", () => settle(letter, action));
    return b;
  });
  item.append(text, ...buttons);
  return item;
}

function paint(status, letters) {
  const skew = status.hq_clock_skew_s;
  const clock = el("p", skew === null ? t("floor.sync_health.skew_unknown")
    : t("floor.sync_health.skew", { s: Math.round(skew) }), Math.abs(skew ?? 0) > SKEW_WARN_S ? "panel-line bad" : "panel-line");
  clock.dataset.skew = String(skew);
  const heading = el("h3", t("floor.sync_health.dead_letters", { n: letters.length }));
  const list = el("ul", "", "list");
  list.id = "dead-letters";
  list.append(...letters.map(deadLetter));
  box.replaceChildren(clock, direction("push", status), direction("pull", status), heading, list);
  box.dataset.deadLetters = String(letters.length);
}

async function refresh() {
  try {
    const [status, letters] = await Promise.all([api("/api/v1/sync/status"), api("/api/v1/sync/dead-letters")]);
    paint(status, letters);
  } catch (err) {
    box.replaceChildren(el("p", err.status ? describe(err) : t("floor.status.offline"), "flag"));
  }
}

if (box) {
  await refresh();
  setInterval(() => { if (!document.querySelector("dialog[open]")) refresh(); }, POLL_MS);
}
