// A store owner's home: what is coming to their store today (truck, driver, ETA) or came (signed,
// when), each crate's temperature on the way, and the live Brix of today's products, each a tap
// away from its own live page (/brix, chosen by name).

import { api, requireSession } from "/static/session.js";
import { exposureText, failure, keepOffline, label, say, signOutButton, siteTime, t } from "/static/floor.js";

const POLL_MS = 10_000;
const session = await requireSession(["store_owner"]);
const $ = (id) => document.getElementById(id);
const en = document.documentElement.lang === "en";
keepOffline();
$("who").textContent = `${session.principal.name} (${session.principal.id})`;
signOutButton(null);


function li(text, cls = "") {
  const item = document.createElement("li");
  item.className = cls;
  item.textContent = text;
  return item;
}

function paint(day) {
  $("store-name").textContent = `${day.store.name ?? ""} (${day.store.store_id})`;
  $("store-address").textContent = `${day.store.address ?? ""} · ${t("floor.handoff.window", { from: day.store.window_start ?? "–", to: day.store.window_end ?? "–" })}`;
  $("deliveries").replaceChildren(...(day.stops.length ? day.stops.map((s) => {
    const when = s.status === "delivered" ? t("floor.owner.delivered") : t("floor.handoff.eta", { time: siteTime(s.arrival) });
    const item = li([s.route_id, s.vehicle_id, s.driver_name ?? t("floor.dispatch.no_driver"),
      label("floor.route_status", s.route_status), when].join(" · "), s.status === "delivered" ? "ok" : "");
    item.dataset.route = s.route_id;
    item.dataset.status = s.status;
    return item;
  }) : [li(t("floor.owner.no_delivery"))]));
  $("owner-crates").replaceChildren(...day.crates.map((c) => {
    const e = c.exposure;
    const temp = exposureText(e);
    const item = li(`${label("floor.temp", c.temp_class)} · ${t("floor.sort.crate_no", { n: c.crate_no })} · ${t("floor.sort.units", { n: c.units })} · ${label("floor.crate_status", c.status)} · ${temp}`,
      e.out_of_range_s > 0 ? "flag" : "");
    item.dataset.sscc = c.sscc;
    return item;
  }));
  $("products").replaceChildren(...day.products.map((p) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/brix?sku=${encodeURIComponent(p.sku_id)}&date=${$("date").value}`;
    link.textContent = en ? p.name_en : p.name_zh;
    item.dataset.sku = p.sku_id;
    item.append(link);
    return item;
  }));
}

async function refresh() {
  try {
    paint(await api(`/api/v1/floor/owner/today?date=${$("date").value}`));
    $("net").className = "pill synced";
    $("net").textContent = t("floor.status.online");
    $("updated").textContent = t("floor.supervisor.updated", { time: new Date().toLocaleTimeString(document.documentElement.lang) });
  } catch (err) {
    $("net").className = "pill offline";
    $("net").textContent = t("floor.status.offline");
    if (err.status) say("error", failure(err));
  }
}

/** The latest Brix reading of any of today's products, live (the stream resends what was missed). */
function liveBrix() {
  const source = new EventSource("/api/v1/brix/stream");
  source.addEventListener("brix", (event) => {
    const r = JSON.parse(event.data);
    const verdict = r.verdict ? ` · ${label("floor.owner.verdict", r.verdict)}` : "";
    $("brix-live").textContent = `${t("floor.owner.brix_now")} ${r.brix.toFixed(1)} °Bx${verdict}`;
    $("brix-live").dataset.readingId = String(r.reading_id);
  });
}

await refresh();
liveBrix();
setInterval(refresh, POLL_MS);
document.body.dataset.ready = "1";
