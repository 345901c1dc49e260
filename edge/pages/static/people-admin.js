// The supervisor's people desk (docs/security.md): who has sessions open, a new PIN for someone
// (their sessions end, a lock is lifted), and signing someone out on every device (a lost PDA).
// Loaded when the section is opened; each action goes through the API with the page's CSRF header.

import { api, describe } from "/static/session.js";
import { say, t } from "/static/floor.js";

const panel = document.getElementById("people-panel");
const list = document.getElementById("people");

function button(text, onClick, cls = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.className = cls;
  b.style.width = "auto";
  b.addEventListener("click", onClick);
  return b;
}

// The list is redrawn before the message says the action is done: a message over a list about to be
// replaced would invite typing into a row that the redraw then empties.
async function act(path, body, done) {
  let answer;
  try {
    answer = await api(path, { method: "POST", body });
  } catch (err) {
    say("error", describe(err));
    return;
  }
  // Done either way: a list that could not be redrawn keeps its rows until the next refresh.
  await refresh().catch(() => {});
  done(answer);
}

function row(person) {
  const item = document.createElement("li");
  item.dataset.person = person.person_id;
  const who = document.createElement("span");
  who.className = "grow";
  who.textContent = `${person.name} (${person.person_id}) · ${t("floor.people.sessions", { n: person.sessions })}`;
  const pin = document.createElement("input");
  Object.assign(pin, { type: "password", inputMode: "numeric", maxLength: 8, className: "new-pin",
    placeholder: t("floor.people.new_pin"), autocomplete: "new-password" });
  const path = `/api/v1/people/${encodeURIComponent(person.person_id)}`;
  const setPin = button(t("floor.people.set_pin"), () => {
    const value = pin.value;
    pin.value = "";
    act(`${path}/pin`, { pin: value }, (r) => say("ok", t("floor.people.pin_set", { who: person.name, n: r.sessions_ended })));
  });
  setPin.className = "set-pin";
  const revoke = button(t("floor.people.revoke"), () =>
    act(`${path}/revoke`, undefined, (r) => say("ok", t("floor.people.revoked", { who: person.name, n: r.sessions_ended }))),
  "secondary revoke");
  item.append(who, pin, setPin, revoke);
  return item;
}

async function refresh() {
  const people = await api("/api/v1/people");
  list.replaceChildren(...people.map(row));
}

panel.addEventListener("toggle", () => {
  if (panel.open) refresh().catch((err) => say("error", describe(err)));
});
