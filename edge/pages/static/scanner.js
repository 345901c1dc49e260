// Scans from a PDA's built-in scanner arrive as keyboard-wedge keystrokes ending in Enter; they
// go to one always-focused input so none is lost, however fast they come. Where there is no
// scanner, the camera reads codes through BarcodeDetector when the browser has it.

const EDITABLE = "input:not([data-wedge]), textarea, select, [contenteditable]";

/**
 * Feed every Enter-terminated scan to `onScan(text)` in arrival order.
 * `wedge` is an <input data-wedge>; it takes focus back whenever no other field is being edited.
 */
export function attachWedge(wedge, onScan) {
  wedge.setAttribute("autocomplete", "off");
  wedge.setAttribute("inputmode", "none"); // no soft keyboard over the tour on Android
  const refocus = () => {
    const active = document.activeElement;
    if (active && active !== wedge && active.matches(EDITABLE)) return;
    if (document.querySelector("dialog[open]")?.querySelector(EDITABLE)) return;
    wedge.focus({ preventScroll: true });
  };
  wedge.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const text = wedge.value;
    wedge.value = "";
    if (text.trim()) onScan(text);
  });
  wedge.addEventListener("blur", () => setTimeout(refocus, 0));
  document.addEventListener("click", () => setTimeout(refocus, 0));
  refocus();
  return refocus;
}

/** True when this browser can read barcodes from the camera. */
export function cameraAvailable() {
  return "BarcodeDetector" in window && !!navigator.mediaDevices?.getUserMedia;
}

/** Scan with the camera into `video` until `stop()`; each new code goes to `onScan`. */
export async function startCamera(video, onScan) {
  if (!cameraAvailable()) return null;
  const detector = new window.BarcodeDetector();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  await video.play();
  let running = true, last = "", lastAt = 0;
  const tick = async () => {
    if (!running) return;
    try {
      for (const code of await detector.detect(video)) {
        const now = Date.now();
        if (code.rawValue && (code.rawValue !== last || now - lastAt > 1500)) {
          last = code.rawValue; lastAt = now; onScan(code.rawValue);
        }
      }
    } catch { /* a frame that cannot be read is skipped */ }
    setTimeout(tick, 150);
  };
  tick();
  return { stop() { running = false; stream.getTracks().forEach((t) => t.stop()); video.srcObject = null; } };
}
