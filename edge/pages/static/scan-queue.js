// The one outbound queue every floor page uses: scans are applied on the device at once, stored
// here (IndexedDB, so a reload or a flat battery loses none), and sent to the edge node in the
// order they were made, in the background. Each entry carries a client scan id (UUID) so the
// server can tell a resend after a lost reply from a new scan: none lost, none counted twice.

import { uuid } from "/static/ids.js";
import { api, ApiError, deviceId } from "/static/session.js";

const DB_NAME = "haolin-floor";
const DB_VERSION = 1;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 2000;

let dbPromise = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

/** The device's floor database: the queue, refused entries, and each page's saved state. */
export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        const queue = db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        queue.createIndex("channel", ["channel", "seq"]);
        db.createObjectStore("refused", { keyPath: "id" });
        db.createObjectStore("state", { keyPath: "key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

/** A page's saved state (e.g. the tour being picked and its local progress), or null. */
export async function loadState(key) {
  const db = await openDb();
  const row = await request(db.transaction("state").objectStore("state").get(key));
  return row ? row.value : null;
}

export async function saveState(key, value) {
  const db = await openDb();
  const tx = db.transaction("state", "readwrite");
  tx.objectStore("state").put({ key, value });
  await done(tx);
}

/** Outcome of sending one entry: accepted (also for a duplicate the server already had) or refused. */
export const accepted = (result = null) => ({ ok: true, result });
export const refused = (reason, result = null) => ({ ok: false, reason, result });

/** An error from `send` that means "stop until signed in again" rather than "retry soon". */
export class NeedsSignIn extends Error {}

export class ScanQueue extends EventTarget {
  /**
   * `channel` names the stream (e.g. "pick"); `send(entries)` posts them in order and returns one
   * outcome per entry for a prefix of them (at least one), or throws to retry later.
   */
  constructor(channel, send, { batch = 25 } = {}) {
    super();
    this.channel = channel;
    this.send = send;
    this.batch = batch;
    this.running = false;
    this.again = false;
    this.paused = false;
    this.delay = RETRY_MIN_MS;
    this.timer = null;
    this.lastError = null;
    this.stored = 0;     // entries in IndexedDB as last counted
    this.unstored = 0;   // entries pushed but not yet in IndexedDB
    addEventListener("online", () => this.kick());
  }

  /**
   * Store `payload` as the next entry (with a fresh client scan id) and, in the same transaction,
   * the page's state under `stateKey`: the device never shows a scan it has not also queued.
   * `after` (the page's earlier saves) is waited for first, to keep the order. The entry counts
   * as pending from this call on, so "all sent" never shows while a scan is still being stored.
   */
  push(payload, stateKey = null, stateValue = null, after = Promise.resolve()) {
    const queuedAt = new Date().toISOString();
    this.unstored += 1;
    this.dispatchEvent(new CustomEvent("change", { detail: this.status(this.stored + this.unstored) }));
    const store = async () => {
      const entry = { channel: this.channel, id: uuid(), payload, queued_at: queuedAt };
      try {
        const db = await openDb();
        const tx = db.transaction(["queue", "state"], "readwrite");
        tx.objectStore("queue").add(entry);
        if (stateKey) tx.objectStore("state").put({ key: stateKey, value: stateValue });
        await done(tx);
        this.stored += 1;
      } finally {
        this.unstored -= 1;
      }
      this.kick();
      return entry;
    };
    return after.catch(() => {}).then(store);
  }

  /** Entries not yet accepted by the server, oldest first. */
  async pending(limit = Infinity) {
    const db = await openDb();
    const index = db.transaction("queue").objectStore("queue").index("channel");
    const range = IDBKeyRange.bound([this.channel, 0], [this.channel, Infinity]);
    const rows = await request(index.getAll(range, limit === Infinity ? undefined : limit));
    return rows;
  }

  /** Entries the server refused (with its reason), for the supervisor or the person to see. */
  async refusedEntries() {
    const db = await openDb();
    const rows = await request(db.transaction("refused").objectStore("refused").getAll());
    return rows.filter((r) => r.channel === this.channel);
  }

  /** Send now (after a scan, when Wi-Fi returns, after signing in again). */
  kick() {
    this.paused = false;
    clearTimeout(this.timer);
    this.timer = null;
    this.delay = RETRY_MIN_MS;
    this.pump();
  }

  async pump() {
    if (this.running) { this.again = true; return; }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again && !this.paused && this.timer === null);
    } finally {
      this.running = false;
      await this.report();
    }
  }

  async drain() {
    for (;;) {
      if (this.paused) return;
      const entries = await this.pending(this.batch);
      if (!entries.length) { this.lastError = null; return; }
      let outcomes;
      try {
        outcomes = await this.send(entries);
      } catch (err) {
        this.lastError = err;
        if (err instanceof NeedsSignIn) { this.paused = true; }
        else {
          this.timer = setTimeout(() => { this.timer = null; this.pump(); }, this.delay);
          this.delay = Math.min(this.delay * 2, RETRY_MAX_MS);
        }
        return;
      }
      if (!outcomes.length) throw new Error("send() must settle at least one entry");
      await this.settle(entries.slice(0, outcomes.length), outcomes);
      this.delay = RETRY_MIN_MS;
      this.lastError = null;
      await this.report();
    }
  }

  async settle(entries, outcomes) {
    const db = await openDb();
    const tx = db.transaction(["queue", "refused"], "readwrite");
    entries.forEach((entry, i) => {
      tx.objectStore("queue").delete(entry.seq);
      if (!outcomes[i].ok) tx.objectStore("refused").put({ ...entry, reason: outcomes[i].reason, refused_at: new Date().toISOString() });
    });
    await done(tx);
    entries.forEach((entry, i) => {
      const detail = { entry, result: outcomes[i].result ?? null, reason: outcomes[i].reason ?? null };
      this.dispatchEvent(new CustomEvent(outcomes[i].ok ? "accepted" : "refused", { detail }));
    });
  }

  status(pending) {
    return { pending, online: navigator.onLine, error: this.lastError, needsSignIn: this.paused };
  }

  /** Tell the page how many entries wait: stored ones not yet accepted, and ones still being stored. */
  async report() {
    this.stored = (await this.pending()).length;
    this.dispatchEvent(new CustomEvent("change", { detail: this.status(this.stored + this.unstored) }));
  }
}

/**
 * A `send` for a floor channel of the API: posts entries to `${path}/batch` as
 * `{scans: [...]}` (each with scan_id, seq, device_id, scanned_at and `fields(entry.payload)`).
 * `path` may be a function of the payload (e.g. the tour's own URL): a batch then holds only the
 * run of entries going to the same place. A refusal is a normal answer; a request the server
 * rejects as a whole (4xx) is narrowed to its first entry so one bad entry cannot hold up the
 * rest; no answer at all is retried later.
 */
export function apiSender(path, fields = (payload) => payload) {
  const where = typeof path === "function" ? path : () => path;
  const scan = (entry) => ({ scan_id: entry.id, seq: entry.seq, device_id: deviceId(),
    scanned_at: entry.queued_at, ...fields(entry.payload) });
  const send = async (all) => {
    const target = where(all[0].payload);
    const cut = all.findIndex((e) => where(e.payload) !== target);
    const entries = cut < 0 ? all : all.slice(0, cut);
    let answer;
    try {
      answer = await api(`${target}/batch`, { method: "POST", body: { scans: entries.map(scan) } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw new NeedsSignIn(err.message);
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        if (entries.length > 1) return send(entries.slice(0, 1));
        return [refused(err.body?.detail ?? err.message, err.body)];
      }
      throw err;
    }
    const results = Array.isArray(answer) ? answer : answer.results;
    return results.map((r) => (r.ok ? accepted(r) : refused(r.message || r.code, r)));
  };
  return send;
}
