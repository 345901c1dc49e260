// What every floor page shares: the service worker, the status line (signed in as, online,
// scans waiting to be sent), the message area with its sound and buzz, and sign-out.

import { signal } from "/static/feedback.js";
import { api, clearSession, texts } from "/static/session.js";

export const t = texts();

/** Register the service worker that keeps the page shells for offline reloads. */
export function keepOffline() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

/** Show `text` as ok/error/info; errors and successes also beep and buzz. */
export function say(kind, text) {
  const box = document.getElementById("message");
  box.className = kind === "error" ? "msg-error" : kind === "ok" ? "msg-ok" : "";
  box.textContent = text;
  box.dataset.kind = kind;
  if (kind === "error" || kind === "ok" || kind === "done") signal(kind);
}

/** Keep the status pills in step with a ScanQueue and the network. */
export function showStatus(queue, session) {
  const net = document.getElementById("net"), sync = document.getElementById("sync");
  document.getElementById("who").textContent = `${session.principal.name} (${session.principal.id})`;
  const paint = (pending) => {
    net.textContent = navigator.onLine ? t("floor.status.online") : t("floor.status.offline");
    net.className = navigator.onLine ? "pill" : "pill offline";
    sync.dataset.pending = String(pending);
    sync.textContent = pending ? t("floor.status.pending", { n: pending }) : t("floor.status.synced");
    sync.className = pending ? "pill pending" : "pill synced";
  };
  queue.addEventListener("change", (e) => {
    paint(e.detail.pending);
    if (e.detail.needsSignIn) say("error", t("floor.status.signin_again"));
  });
  addEventListener("online", () => queue.report());
  addEventListener("offline", () => queue.report());
  paint(0);
  queue.report();
}

/** Wire the sign-out button: ends the session on the server when reachable, then forgets it. */
export function signOutButton(queue) {
  document.getElementById("signout").addEventListener("click", async () => {
    if (queue && (await queue.pending()).length && !confirm(t("floor.status.unsent_confirm"))) return;
    try { await api("/api/v1/auth/sign-out", { method: "POST" }); } catch { /* offline: forget locally */ }
    clearSession();
    location.assign(`/floor/signin?next=${encodeURIComponent(location.pathname)}`);
  });
}

/** Text of a server answer: its own localised message, else our catalog's text for its code. */
export function refusalText(result) {
  return result.message || t(`floor.check.${result.code}`);
}
