// Live Brix: one EventSource (it reconnects by itself and sends Last-Event-ID, so the server
// replays what was missed); each reading updates the big number, the verdict and the chart. The
// product is chosen by name: today's deliveries to the owner's store (from their home page's
// date), else every product with a Brix spec; not signed in, the page links to sign-in.
(function () {
  "use strict";
  var root = document.getElementById("brix");
  var params = new URLSearchParams(location.search);
  var sku = params.get("sku") || "";
  var device = params.get("device") || "";
  var MAX_POINTS = 60;
  var points = [];
  var text = root.dataset;

  if (params.get("overlay") === "1") document.body.classList.add("overlay");
  document.getElementById("brix-device").value = device;
  document.getElementById("brix-date").value = params.get("date") || "";

  function fillProducts(products) {
    var select = document.getElementById("brix-sku");
    var zh = document.documentElement.lang !== "en";
    products.forEach(function (p) {
      var option = new Option(zh ? p.name_zh : p.name_en, p.sku_id);
      option.selected = p.sku_id === sku;
      select.append(option);
    });
    if (sku && !products.some(function (p) { return p.sku_id === sku; })) select.append(new Option(sku, sku, true, true));
  }

  function getJson(path) {
    return fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw r;
      return r.json();
    });
  }

  var date = params.get("date");
  (date ? getJson("/api/v1/floor/owner/today?date=" + encodeURIComponent(date)).then(function (day) { return day.products; })
    : Promise.reject(null))
    .catch(function () { return getJson("/api/v1/brix/skus"); })
    .then(fillProducts)
    .catch(function () { fillProducts([]); });

  function status(message, bad) {
    var el = document.getElementById("brix-status");
    el.textContent = message;
    el.classList.toggle("bad", !!bad);
  }

  function drawChart() {
    var line = document.getElementById("brix-line");
    if (points.length < 2) { line.setAttribute("points", ""); return; }
    var lo = Math.min.apply(null, points) - 0.5, hi = Math.max.apply(null, points) + 0.5;
    var step = 300 / (MAX_POINTS - 1), offset = MAX_POINTS - points.length;
    line.setAttribute("points", points.map(function (v, i) {
      return ((offset + i) * step).toFixed(1) + "," + (80 - (v - lo) / (hi - lo) * 80).toFixed(1);
    }).join(" "));
  }

  function show(reading) {
    document.getElementById("brix-value").textContent = reading.brix.toFixed(1);
    document.getElementById("brix-value").dataset.readingId = String(reading.reading_id);
    document.getElementById("brix-temp").textContent =
      reading.temperature_c === null ? "-- °C" : reading.temperature_c.toFixed(1) + " °C";
    var verdict = document.getElementById("brix-verdict");
    verdict.className = "brix-verdict";
    if (reading.verdict) {
      verdict.classList.add(reading.verdict);
      verdict.textContent = text["text" + reading.verdict.replace(/(^|_)(\w)/g, function (_, __, c) {
        return c.toUpperCase();
      })] || reading.verdict;
      var spec = reading.spec || {};
      document.getElementById("brix-spec").textContent =
        (spec.brix_min === null ? "" : spec.brix_min) + " – " + (spec.brix_max === null ? "" : spec.brix_max) +
        " " + text.unit;
    }
    points.push(reading.brix);
    if (points.length > MAX_POINTS) points.shift();
    drawChart();
  }

  var query = new URLSearchParams();
  if (sku) query.set("sku_id", sku);
  if (device) query.set("device_id", device);
  var source = new EventSource("/api/v1/brix/stream?" + query.toString());
  source.addEventListener("brix", function (event) { show(JSON.parse(event.data)); });
  source.addEventListener("open", function () { status(text.textLive, false); });
  source.addEventListener("error", function () {
    // CONNECTING: the browser retries by itself; CLOSED: the server refused (not signed in)
    if (source.readyState === EventSource.CLOSED) {
      status(text.textSignIn, true);
      document.getElementById("brix-signin").classList.remove("hidden");
    }
    else status(text.textReconnecting, true);
  });
})();
