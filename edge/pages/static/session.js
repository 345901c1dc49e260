// Who is signed in on this device, and calls to the edge API as them. The session itself is an
// HttpOnly cookie no script can read; localStorage keeps only who it is (for the status line and
// offline reloads) and its anti-forgery token, sent with every state change (docs/security.md).

import { uuid } from "/static/ids.js";

const SESSION_KEY = "haolin.session";
const DEVICE_KEY = "haolin.device";

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body?.detail;
    super(typeof detail === "string" ? detail : detail?.message ?? `HTTP ${status}`);
    this.code = detail?.code ?? body?.code ?? null;
    this.status = status;
    this.body = body;
  }
}

/** A fetch that never reached the server (Wi-Fi down, node restarting): worth retrying. */
export class NetworkError extends Error {}

export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) { id = `pda-${uuid().slice(0, 8)}`; localStorage.setItem(DEVICE_KEY, id); }
  return id;
}

export function currentSession() {
  try { return JSON.parse(localStorage.getItem(SESSION_KEY) || "null"); } catch { return null; }
}

export function saveSession({ principal, csrf_token, expires_at }) {
  localStorage.setItem(SESSION_KEY, JSON.stringify({ principal, csrf_token, expires_at }));
}

/** Headers that make a state change ours: the session's anti-forgery token (the cookie goes by itself). */
export function csrfHeaders() {
  const s = currentSession();
  return s?.csrf_token ? { "X-CSRF-Token": s.csrf_token } : {};
}

export function clearSession() { localStorage.removeItem(SESSION_KEY); }

/**
 * The session, or a redirect to sign-in (returning here after) when there is none for these
 * roles; then the promise never settles, so the page's module stops where it awaited it.
 */
export function requireSession(roles) {
  const s = currentSession();
  if (s && roles.includes(s.principal.role)) return Promise.resolve(s);
  const next = encodeURIComponent(location.pathname + location.search);
  location.replace(`/floor/signin?next=${next}`);
  return new Promise(() => {});
}

/** Call the API as the signed-in person; JSON in and out. Throws ApiError or NetworkError. */
export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-CN",
    "X-Device-Id": deviceId() };
  if (method !== "GET") Object.assign(headers, csrfHeaders());
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal,
      credentials: "same-origin" });
  } catch (err) {
    throw new NetworkError(String(err));
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Page text from the catalog the server embedded; `{name}` placeholders filled from `values`. */
export function texts() {
  const node = document.getElementById("texts");
  const messages = node ? JSON.parse(node.textContent) : {};
  return (key, values = {}) => (messages[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

/** A readable one-line reason from an API error (422 lists every problem with its path). */
export function describe(err) {
  if (err instanceof ApiError && Array.isArray(err.body?.problems)) {
    return err.body.problems.map((p) => p.message ?? JSON.stringify(p)).join("; ");
  }
  if (err instanceof ApiError && Array.isArray(err.body?.detail)) {
    return err.body.detail.map((p) => p.msg ?? JSON.stringify(p)).join("; ");
  }
  return err.message;
}
