// The owner's handoff code for the day, on the owner's own phone (docs/security.md): when the
// driver's phone has no signal at the door, the owner gives this code instead of their PIN, so the
// PIN is never kept on the driver's phone. Kept here for the day, so it shows offline too.

import { api, describe } from "/static/session.js";
import { say } from "/static/floor.js";

const date = document.getElementById("date").value;
const shown = document.getElementById("handoff-code");
const KEY = `haolin.handoff-code.${date}`;

function show(code) {
  shown.textContent = code.replace(/(\d{3})(\d{3})(\d{4})/, "$1 $2 $3");
  shown.dataset.code = code;
}

const kept = localStorage.getItem(KEY);
if (kept) show(kept);
try {
  const answer = await api(`/api/v1/floor/handoff-code?date=${date}`);
  localStorage.setItem(KEY, answer.code);
  show(answer.code);
} catch (err) {
  if (!kept) say("error", describe(err));
}
