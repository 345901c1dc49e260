// Live Brix: one EventSource (it reconnects by itself and sends Last-Event-ID, so the server
// replays what was missed); each reading updates the big number, the verdict and the chart.
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
  document.getElementById("brix-sku").value = sku;
  document.getElementById("brix-device").value = device;

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
    if (source.readyState === EventSource.CLOSED) status(text.textSignIn, true);
    else status(text.textReconnecting, true);
  });
})();
