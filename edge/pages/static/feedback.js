// Tells a gloved picker what happened without reading the screen: a tone and a buzz.
// Good: one short high beep. Refused: two long low beeps and a long vibration.

let audio = null;

function context() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  if (!audio) audio = new Ctx();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

function tone(ctx, start, freq, seconds) {
  const osc = ctx.createOscillator(), gain = ctx.createGain();
  osc.type = "square";
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.2, start);
  gain.gain.setValueAtTime(0, start + seconds);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + seconds + 0.02);
}

/** Beep and buzz for `kind` ("ok" | "error" | "done"); records the last signal for tests and kiosks. */
export function signal(kind) {
  const ctx = context();
  if (ctx) {
    const t = ctx.currentTime;
    if (kind === "error") { tone(ctx, t, 220, 0.25); tone(ctx, t + 0.35, 180, 0.35); }
    else if (kind === "done") { tone(ctx, t, 880, 0.1); tone(ctx, t + 0.15, 1320, 0.2); }
    else tone(ctx, t, 1760, 0.06);
  }
  if (navigator.vibrate) navigator.vibrate(kind === "error" ? [300, 100, 300] : kind === "done" ? [80, 60, 80] : 30);
  document.body.dataset.lastSignal = kind;
  document.body.dataset.signals = String(Number(document.body.dataset.signals || 0) + 1);
}
