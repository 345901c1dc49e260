// Who is signed in on this device, and calls to the edge API with their token.
// The token lives in localStorage so the background queue can still send after a reload offline.

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
  if (!id) { id = `pda-${crypto.randomUUID().slice(0, 8)}`; localStorage.setItem(DEVICE_KEY, id); }
  return id;
}

export function currentSession() {
  try { return JSON.parse(localStorage.getItem(SESSION_KEY) || "null"); } catch { return null; }
}

export function saveSession(signed) { localStorage.setItem(SESSION_KEY, JSON.stringify(signed)); }

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
  const s = currentSession();
  if (s) headers.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
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
