// The cold-chain alarm banner of the supervisor page: while an alarm is open and nobody has
// acknowledged it, a banner stays on top of the page, and while one of them is still active it
// sounds every few seconds (a WebAudio tone: no file to fetch, works offline). It stops only when
// the alarm is acknowledged (here, or from the console). Self-contained: it reads the same list of
// open alarms as the page's alarm panel and takes nothing else from the page.

import { api } from "/static/session.js";
import { label, t } from "/static/floor.js";

const POLL_MS = 4000;
const RING_EVERY_MS = 5000;
let audio = null;
let lastRing = 0;

function banner() {
  let box = document.getElementById("alarm-banner");
  if (!box) {
    box = document.createElement("div");
    box.id = "alarm-banner";
    box.setAttribute("role", "alert");
    box.hidden = true;
    const text = document.createElement("span");
    text.className = "grow";
    const go = document.createElement("button");
    go.className = "go";
    go.textContent = t("floor.banner.go");
    go.addEventListener("click", () => document.getElementById("alarms-panel")?.scrollIntoView({ behavior: "smooth" }));
    const sound = document.createElement("button");
    sound.className = "sound secondary";
    sound.textContent = t("floor.banner.sound");
    sound.addEventListener("click", () => unlock());
    box.append(text, go, sound);
    // Styled here (CSSOM, allowed by the page's CSP) so the banner needs no stylesheet of the page.
    Object.assign(box.style, { position: "sticky", top: "0", zIndex: "1000", display: "flex", gap: "0.5rem",
      alignItems: "center", padding: "0.75rem 1rem", color: "#fff", fontWeight: "bold", fontSize: "1.1rem" });
    for (const b of [go, sound]) b.style.width = "auto";
    document.body.prepend(box);
  }
  return box;
}

/** Browsers start audio only after a gesture: the first tap anywhere (or the sound button) unlocks it. */
function unlock() {
  audio = audio || new AudioContext();
  audio.resume().then(() => { banner().querySelector(".sound").hidden = true; }).catch(() => {});
}

function ring(critical) {
  const box = banner();
  box.dataset.rings = String(Number(box.dataset.rings || "0") + 1);
  if (!audio || audio.state !== "running") return;
  const tones = critical ? [880, 660, 880, 660] : [660, 660];
  tones.forEach((hz, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = hz;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    const at = audio.currentTime + i * 0.25;
    osc.start(at);
    osc.stop(at + 0.2);
  });
}

function describeAlarm(a) {
  const since = new Date(a.started_at).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
  return `${label("floor.alarm", a.kind)} · ${a.asset_id} · ${label("floor.alarm.severity", a.severity)} · `
    + t("floor.banner.since", { time: since });
}

function paint(alarms) {
  const box = banner();
  const waiting = alarms.filter((a) => !a.acknowledged_at);
  const ringing = waiting.filter((a) => a.state === "active");
  box.hidden = waiting.length === 0;
  box.dataset.open = String(waiting.length);
  box.dataset.ringing = String(ringing.length);
  box.className = ringing.some((a) => a.severity === "critical") ? "critical" : "warning";
  box.style.background = box.className === "critical" ? "#b71c1c" : "#e65100";
  box.style.display = waiting.length ? "flex" : "none";
  if (!waiting.length) return;
  const worst = [...waiting].sort((x, y) => (y.severity === "critical") - (x.severity === "critical"))[0];
  box.querySelector(".grow").textContent = `${t("floor.banner.open", { n: waiting.length })}：${describeAlarm(worst)}`;
  if (ringing.length && Date.now() - lastRing >= RING_EVERY_MS) {
    lastRing = Date.now();
    ring(ringing.some((a) => a.severity === "critical"));
  }
}

async function check() {
  try { paint(await api("/api/v1/coldchain/alarms")); } catch { /* offline: the banner keeps what it showed */ }
}

document.addEventListener("pointerdown", unlock, { once: true });
check();
setInterval(check, POLL_MS);
