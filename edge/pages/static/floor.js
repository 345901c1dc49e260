// What every floor page shares: the service worker, the status line (signed in as, online,
// scans waiting to be sent), the message area with its sound and buzz, and sign-out.

import { signal } from "/static/feedback.js";
import { api, ApiError, clearSession, describe, texts } from "/static/session.js";

export const t = texts();

/** Register the service worker that keeps the page shells for offline reloads. */
export function keepOffline() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

/** Show `text` as ok/error/info in `box` (the page's message line, or one next to the action);
 * errors and successes also beep and buzz. */
export function say(kind, text, box = document.getElementById("message")) {
  box.className = kind === "error" ? "msg-error" : kind === "ok" ? "msg-ok" : "";
  box.textContent = text;
  box.dataset.kind = kind;
  if (kind === "error") box.scrollIntoView({ block: "nearest" }); // where the person is looking, not off-screen
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

/**
 * The text of a scan decision `code` with `params`, from the catalog the server reads too
 * (`floor.scan.<code>`), filled in as edge/api/floor_common.py `explain` does: `<name>_zh` /
 * `<name>_en` give `<name>` in the page's language, `*_class` are temperature classes, and a
 * `reason_code` becomes `{reason}` from `floor.reason.<code>`.
 */
export function explain(code, params = {}, prefix = "floor.scan") {
  const suffix = document.documentElement.lang === "en" ? "_en" : "_zh";
  const values = { ...params };
  for (const [k, v] of Object.entries(params)) {
    if (k.endsWith(suffix)) values[k.slice(0, -3)] = v;
    if (k.endsWith("_class")) values[k] = label("floor.temp", v);
  }
  if (params.reason_code) values.reason = t(`floor.reason.${params.reason_code}`, values);
  return t(`${prefix}.${code}`, values);
}

/** Hours and minutes of a UTC time in the site's time zone (where the stores are), not the phone's. */
export function siteTime(iso) {
  if (!iso) return "–";
  const zone = document.querySelector(".floor")?.dataset.zone || undefined;
  return new Date(iso).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit", timeZone: zone });
}

/** Catalog text for a value the server names (a status, a class...), else the value itself. */
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

/** Text of a server answer: its own localised message, else our catalog's text for its code. */
export function refusalText(result) {
  return result.message || explain(result.code, result.params ?? {});
}

/** A refused request in the page's language: the server's localised message, else its code's text. */
export function failure(err) {
  if (err instanceof ApiError && err.body?.detail?.message_key) return err.body.detail.message;
  if (err instanceof ApiError && Array.isArray(err.body?.problems)) {
    return t("floor.common.invalid", { where: err.body.problems.map((p) => p.path).join(", ") });
  }
  return err.status ? describe(err) : t("floor.status.need_network");
}

const degrees = (v) => (v === null || v === undefined ? "–" : `${v.toFixed(1)} °C`);

/** A crate's temperature on its way (min, max, MKT, minutes out of its band, minutes unmonitored). */
export function exposureText(exposure) {
  if (!exposure) return t("floor.handoff.exposure_unknown");
  let text = exposure.samples
    ? t("floor.handoff.exposure", { min: degrees(exposure.min_c), max: degrees(exposure.max_c),
      mkt: degrees(exposure.mkt_c), out: Math.round(exposure.out_of_range_s / 60) })
    : t("floor.handoff.exposure_none");
  const unmonitored = Math.round(exposure.unmonitored_s / 60);
  if (unmonitored > 0) text += ` · ${t("floor.handoff.unmonitored", { n: unmonitored })}`;
  return text;
}
