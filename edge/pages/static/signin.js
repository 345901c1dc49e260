// Sign in with a personal code (typed or scanned) and a PIN; the session comes back as an HttpOnly
// cookie (the page keeps only who signed in and the anti-forgery token), and
// the person goes back to the page they came from, or to their role's page.

import { api, deviceId, describe, saveSession } from "/static/session.js";
import { keepOffline, say, t } from "/static/floor.js";

const HOME = { picker: "/floor/pick", sorter: "/floor/sort", driver: "/floor/load",
  store_owner: "/floor/owner", supervisor: "/floor/supervisor" };

keepOffline();
const form = document.getElementById("signin");
const code = document.getElementById("code"), pin = document.getElementById("pin");

// A scanned badge ends in Enter: go on to the PIN rather than submitting half a form.
code.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !pin.value) { e.preventDefault(); pin.focus(); }
});

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = document.getElementById("go");
  button.disabled = true;
  try {
    const signed = await api("/api/v1/auth/sign-in", { method: "POST",
      body: { code: code.value.trim(), pin: pin.value, device_id: deviceId(), session: "cookie" } });
    saveSession(signed);
    const next = new URLSearchParams(location.search).get("next");
    const target = next && (next.startsWith("/floor/") || /^\/brix(\?|$)/.test(next)) ? next : HOME[signed.principal.role] || "/";
    location.assign(target);
  } catch (err) {
    pin.value = "";
    say("error", err.status === 401 ? t("floor.signin.wrong") : `${t("floor.signin.failed")}: ${describe(err)}`);
    pin.focus();
  } finally {
    button.disabled = false;
  }
});
