// The day's routes drawn as SVG by the page itself: the warehouse, every store with goods that day
// and a line per truck. By default no map tiles are fetched, so it works on the warehouse's own Wi-Fi;
// the positions are projected with the cosine of the latitude, which is true enough for one city.
// A site with map tiles (docs/site.md) gets them underneath, in Web-Mercator at the deepest zoom that
// holds every point, each tile at its own resolution on the screen (a wide screen gets a deeper zoom);
// the server already sent the points in the tiles' datum. A tile that does not load leaves a gap, never
// the lines and markers.

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 400, HEIGHT = 300, MARGIN = 16, TILE = 256, MAX_LAT = 85.05112878;
const SEAM = 0.5;  // tiles overlap by this much: scaled to the screen, abutting edges show hairline gaps
export const COLOURS = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#9e9d24"];

function node(name, attrs, text) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A function from {latitude, longitude} to [x, y] that fits every point into the drawing. */
function projection(points) {
  const lat0 = points.reduce((s, p) => s + p.latitude, 0) / points.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = points.map((p) => p.longitude * k), ys = points.map((p) => p.latitude);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const scale = Math.min((WIDTH - 2 * MARGIN) / (maxX - minX || 1e-6), (HEIGHT - 2 * MARGIN) / (maxY - minY || 1e-6));
  return (p) => [MARGIN + (p.longitude * k - minX) * scale, HEIGHT - MARGIN - (p.latitude - minY) * scale];
}

/** Web-Mercator: {latitude, longitude} -> [x, y], the whole world being 1 × 1. */
function mercator(p) {
  const sin = Math.sin((Math.max(-MAX_LAT, Math.min(MAX_LAT, p.latitude)) * Math.PI) / 180);
  return [(p.longitude + 180) / 360, 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)];
}

/** A tile's side in drawing units: TILE where the drawing is shown at about its own size (a PDA), TILE / 2
 * or / 4 where it is shown twice or four times as wide, so a tile keeps its own pixels on the screen. */
function tileSide(svg) {
  const shown = svg.getBoundingClientRect().width / WIDTH;
  return TILE / 2 ** Math.max(0, Math.min(2, Math.round(Math.log2(shown || 1))));
}

/** The deepest zoom (up to `maxZoom`) at which every point fits, centred: {zoom, side, left, top, at}. */
function mercatorView(points, maxZoom, side) {
  const world = points.map(mercator);
  const xs = world.map((w) => w[0]), ys = world.map((w) => w[1]);
  const spanX = Math.max(...xs) - Math.min(...xs), spanY = Math.max(...ys) - Math.min(...ys);
  let zoom = maxZoom;
  while (zoom > 0 && (spanX * 2 ** zoom * side > WIDTH - 2 * MARGIN || spanY * 2 ** zoom * side > HEIGHT - 2 * MARGIN)) zoom--;
  const scale = 2 ** zoom * side;
  const left = ((Math.min(...xs) + Math.max(...xs)) / 2) * scale - WIDTH / 2;
  const top = ((Math.min(...ys) + Math.max(...ys)) / 2) * scale - HEIGHT / 2;
  return { zoom, side, left, top, at: (p) => { const [x, y] = mercator(p); return [x * scale - left, y * scale - top]; } };
}

/** One <image> per tile that the view covers, from the site's URL template ({z}/{x}/{y}, {s} in turn). */
function drawTiles(svg, view, tiles) {
  const n = 2 ** view.zoom, side = view.side;
  for (let ty = Math.max(0, Math.floor(view.top / side)); ty < n && ty * side < view.top + HEIGHT; ty++) {
    for (let tx = Math.floor(view.left / side); tx * side < view.left + WIDTH; tx++) {
      const x = ((tx % n) + n) % n;
      const sub = tiles.subdomains.length ? tiles.subdomains[(x + ty) % tiles.subdomains.length] : "";
      const href = tiles.url.replaceAll("{z}", view.zoom).replaceAll("{x}", x).replaceAll("{y}", ty).replaceAll("{s}", sub);
      const image = node("image", { href, x: tx * side - view.left, y: ty * side - view.top, width: side + SEAM,
        height: side + SEAM, preserveAspectRatio: "none", "data-tile": `${view.zoom}/${x}/${ty}` });
      image.addEventListener("error", () => image.remove());
      svg.append(image);
    }
  }
}

/**
 * Draw `map` ({depot, stores: [{store_id, name, latitude, longitude, route_id}], routes: [{route_id,
 * stores}], tiles: null or {url, subdomains, attribution, max_zoom}}) into `svg`; stores on no route are
 * red crosses. Returns the colour of each route.
 */
export function drawRoutes(svg, map, titles) {
  svg.replaceChildren();
  const located = map.stores.filter((s) => s.latitude !== null && s.longitude !== null);
  let at;
  if (map.tiles) {
    const view = mercatorView([map.depot, ...located], map.tiles.max_zoom, tileSide(svg));
    drawTiles(svg, view, map.tiles);
    at = view.at;
  } else {
    at = projection([map.depot, ...located]);
  }
  const byId = new Map(located.map((s) => [s.store_id, s]));
  const colours = {};
  map.routes.forEach((route, i) => {
    colours[route.route_id] = COLOURS[i % COLOURS.length];
    const path = [map.depot, ...route.stores.map((id) => byId.get(id)).filter(Boolean), map.depot];
    svg.append(node("polyline", { points: path.map((p) => at(p).join(",")).join(" "), fill: "none",
      stroke: colours[route.route_id], "stroke-width": 2, "stroke-linejoin": "round", "data-route": route.route_id }));
  });
  for (const store of located) {
    const [x, y] = at(store);
    const mark = store.route_id
      ? node("circle", { cx: x, cy: y, r: 4, fill: colours[store.route_id] ?? "#555" })
      : node("path", { d: `M${x - 4},${y - 4}L${x + 4},${y + 4}M${x - 4},${y + 4}L${x + 4},${y - 4}`, stroke: "#c62828",
        "stroke-width": 2.5 });
    mark.dataset.store = store.store_id;
    mark.append(node("title", {}, `${store.name} (${store.store_id})${store.route_id ? ` · ${store.route_id} #${store.stop_no}` : ` · ${titles.leftOut}`}`));
    svg.append(mark);
  }
  const [dx, dy] = at(map.depot);
  const depot = node("rect", { x: dx - 6, y: dy - 6, width: 12, height: 12, fill: "#212121", "data-depot": "1" });
  depot.append(node("title", {}, titles.depot));
  svg.append(depot);
  if (map.tiles?.attribution) {
    svg.append(node("text", { x: WIDTH - 3, y: HEIGHT - 3, "text-anchor": "end", "font-size": 9, fill: "#333",
      stroke: "#fff", "stroke-width": 3, "paint-order": "stroke", "data-attribution": "1" }, map.tiles.attribution));
  }
  return colours;
}
