"""Sign-in for people (personal code + PIN) and machines (tokens), sessions, and their revocation.

PINs are low-entropy, so they are hashed with argon2id and wrong attempts lock for a growing
while, counted per account, per device and per address inside the same write transaction as the
check itself, so parallel guesses cannot slip past a lock. An unknown code costs the same hash
as a known one and all refusals read alike, so sign-in does not tell who exists. Tokens are
`<id>.<secret>` with a 256-bit secret, stored as a salted scrypt hash looked up by id: cheap
enough to verify on every scan, useless if the file leaks.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from edge.domain.auth import (
    FREE_ATTEMPTS,
    NEW_PIN_DIGITS,
    PERSON_ROLES,
    Principal,
    Role,
    failures_so_far,
    idle_expired,
    lock_after_failure,
    valid_pin,
)
from edge.domain.problems import InputRejected, Problem
from edge.store import Store
from edge.store.db import Write, parse_utc, utc_text
from hq_sync.protocol import MAX_ID

#: OWASP's argon2id profile (19 MiB, 2 passes): ~20 ms here, so a sign-in stays quick on a busy node
#: while the lock-outs below, not the hash alone, are what stop guessing a PIN online.
_pin_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_SCRYPT = {"n": 2**11, "r": 8, "p": 1, "dklen": 32}
#: A session's last use is written at most this often (a PDA calls on every scan).
TOUCH_EVERY = dt.timedelta(minutes=1)


class AuthError(Exception):
    """Sign-in refused: `key` names the message in the page catalogs (`security.*`), with `params`;
    `retry_after` is set while this device or address is locked."""

    def __init__(self, key: str, retry_after: int | None = None, **params: Any):
        super().__init__(key)
        self.key = key
        self.params = params
        self.retry_after = retry_after


def hash_pin(pin: str, min_digits: int = NEW_PIN_DIGITS) -> str:
    if not valid_pin(pin, min_digits):
        raise ValueError(f"a PIN is {min_digits} to 8 digits")
    return _pin_hasher.hash(pin)


@functools.cache
def _dummy_hash() -> str:
    """What an unknown code is checked against, so it costs what a known one does."""
    return _pin_hasher.hash(secrets.token_hex(8))


def _pin_matches(pin_hash: str, pin: str) -> bool:
    try:
        return _pin_hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


@functools.lru_cache(maxsize=4096)  # a PDA presents the same token on every scan: scrypt it once
def _token_hash(token_id: str, secret: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=token_id.encode(), **_SCRYPT).hex()


def new_token() -> tuple[str, str, str]:
    """A fresh token: (id, the token to hand out once, the hash to store)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return token_id, f"{token_id}.{secret}", _token_hash(token_id, secret)


def _split(token: str) -> tuple[str, str] | None:
    token_id, dot, secret = token.partition(".")
    return (token_id, secret) if dot and token_id and secret else None


def csrf_token(token: str) -> str:
    """The session's anti-forgery token: derived from its secret, so nothing more is stored, and
    a page can be told it without learning the session token itself."""
    parts = _split(token)
    secret = parts[1] if parts else token
    return hmac.new(secret.encode(), b"haolin-csrf", hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class SignedIn:
    token: str
    principal: Principal
    expires_at: dt.datetime

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def _standing(w: Write, scope: str, key: str) -> tuple[int, dt.datetime | None]:
    """Failures that still count for this scope and key, and until when it is locked."""
    row = w.conn.execute("SELECT failures, last_failure_at, locked_until FROM sign_in_limits"
                         " WHERE scope = ? AND key = ?", (scope, key)).fetchone()
    if row is None:
        return 0, None
    locked = parse_utc(row["locked_until"]) if row["locked_until"] else None
    return failures_so_far(row["failures"], parse_utc(row["last_failure_at"]), w.now), locked


def _count_failure(w: Write, scope: str, key: str, standing: int) -> None:
    failures = standing + 1
    locked = lock_after_failure(failures, w.now, FREE_ATTEMPTS[scope])
    w.conn.execute(
        "INSERT INTO sign_in_limits (scope, key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (scope, key) DO UPDATE SET failures = excluded.failures,"
        " last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
        (scope, key, failures, w.now_text, utc_text(locked) if locked else None))


Proof = Callable[[sqlite3.Row | None], bool]


def pin_proof(pin: str) -> Proof:
    """The usual proof: the PIN, checked with the same argon2id cost whether the person exists or not."""
    return lambda person: _pin_matches(person["pin_hash"] if person else _dummy_hash(), pin)


def _check(w: Write, code: str, proof: Proof, device_id: str | None, address: str | None) -> sqlite3.Row | AuthError:
    """The person behind a code and proof, inside the caller's write transaction; else an AuthError
    to raise once the counts are committed."""
    person = w.conn.execute("SELECT * FROM people WHERE code = ? AND active", (code,)).fetchone()
    keys = [(scope, key) for scope, key in (("account", person["person_id"] if person else None),
                                            ("device", device_id), ("address", address)) if key]
    standing = {scope: _standing(w, scope, key) for scope, key in keys}
    for scope in ("device", "address"):  # refused before any hashing: says nothing of the account, costs nothing
        locked = standing.get(scope, (0, None))[1]
        if locked is not None and locked > w.now:
            wait = int((locked - w.now).total_seconds()) + 1
            return AuthError(f"security.signin.{scope}_locked", retry_after=wait, seconds=wait)
    matches = proof(person)  # always run: an unknown code costs what a known one does
    account_locked = (locked := standing.get("account", (0, None))[1]) is not None and locked > w.now
    if person is None or account_locked or not matches:
        for scope, key in keys:
            if not (scope == "account" and account_locked):
                _count_failure(w, scope, key, standing[scope][0])
        w.log("auth.sign_in_refused", person["person_id"] if person else f"code:{code[:64]}",
              {"device_id": device_id, "address": address, "locked": account_locked})
        return AuthError("security.signin.refused")
    w.conn.execute("DELETE FROM sign_in_limits WHERE scope = 'account' AND key = ?", (person["person_id"],))
    return person


def _principal(person: Any, device_id: str | None, session_id: str | None = None) -> Principal:
    return Principal("person", person["person_id"], Role(person["role"]), person["name"], device_id,
                     person["store_id"], session_id)


def sign_in(
    store: Store, code: str, pin: str, *, now: dt.datetime, lifetime: dt.timedelta, device_id: str | None = None,
    address: str | None = None,
) -> SignedIn:
    """Check a person's code and PIN and open a session, all in one write transaction."""
    token_id, token, token_hash = new_token()
    expires = now + lifetime
    with store.write("system", now, device_id) as w:
        checked = _check(w, code, pin_proof(pin), device_id, address)
        if not isinstance(checked, AuthError):
            principal = _principal(checked, device_id, token_id)
            w.conn.execute("DELETE FROM sessions WHERE expires_at < ?", (w.now_text,))
            w.conn.execute(
                "INSERT INTO sessions (token_id, token_hash, person_id, role, device_id, created_at, expires_at,"
                " last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (token_id, token_hash, principal.subject_id, principal.role.value, device_id, w.now_text,
                 utc_text(expires), w.now_text))
            w.log("auth.signed_in", principal.subject_id, {"role": principal.role.value})
    if isinstance(checked, AuthError):
        raise checked
    return SignedIn(token, principal, expires)


def check_person(store: Store, code: str, proof: Proof, *, now: dt.datetime, device_id: str | None = None,
                 address: str | None = None) -> Principal:
    """A person's code and proof (`pin_proof`, or another secret of theirs) checked under sign-in's
    own limits, opening no session."""
    with store.write("system", now, device_id) as w:
        checked = _check(w, code, proof, device_id, address)
    if isinstance(checked, AuthError):
        raise checked
    return _principal(checked, device_id)


def sign_out(store: Store, token: str, now: dt.datetime) -> None:
    parts = _split(token)
    if parts:
        with store.write("system", now) as w:
            w.conn.execute("DELETE FROM sessions WHERE token_id = ?", (parts[0],))


@dataclass(frozen=True)
class Caller:
    """Who presented a token, and whether their session's last use is due to be written."""

    principal: Principal
    touch_due: bool = False


def authenticate(store: Store, token: str, now: dt.datetime, idle: dt.timedelta | None = None) -> Caller | None:
    """The caller behind a token, or None for a wrong, expired, idle or revoked one."""
    parts = _split(token)
    if parts is None:
        return None
    token_id, secret = parts
    session = store.conn.execute(
        "SELECT s.token_hash, s.expires_at, s.device_id, s.created_at, s.last_seen_at, p.person_id, p.role,"
        " p.name, p.store_id FROM sessions s JOIN people p USING (person_id) WHERE s.token_id = ? AND p.active",
        (token_id,),
    ).fetchone()
    if session is not None:  # hash only for a known id: an unknown one costs no scrypt (the guard runs inline)
        presented = _token_hash(token_id, secret)
        if not hmac.compare_digest(session["token_hash"], presented) or parse_utc(session["expires_at"]) <= now:
            return None
        seen = parse_utc(session["last_seen_at"] or session["created_at"])
        if idle is not None and idle_expired(seen, now, idle):
            return None
        return Caller(_principal(session, session["device_id"], token_id), now - seen >= TOUCH_EVERY)
    machine = store.conn.execute(
        "SELECT machine_id, kind, name, token_hash FROM machines WHERE token_id = ? AND active", (token_id,)
    ).fetchone()
    if machine is None or not hmac.compare_digest(machine["token_hash"], _token_hash(token_id, secret)):
        return None
    return Caller(Principal("machine", machine["machine_id"], Role(machine["kind"]), machine["name"],
                            machine["machine_id"] if machine["kind"] == "device" else None))


def touch(store: Store, session_id: str, now: dt.datetime) -> None:
    """Record a session's use, which restarts its idle time."""
    with store.write("system", now) as w:
        w.conn.execute("UPDATE sessions SET last_seen_at = ? WHERE token_id = ?", (w.now_text, session_id))


def open_sessions(store: Store, now: dt.datetime) -> list[dict[str, Any]]:
    """People and their open sessions (no secrets), for the supervisor."""
    return store.query(
        "SELECT p.person_id, p.code, p.name, p.role, p.store_id, p.active, COUNT(s.token_id) AS sessions,"
        " MAX(COALESCE(s.last_seen_at, s.created_at)) AS last_seen_at FROM people p"
        " LEFT JOIN sessions s ON s.person_id = p.person_id AND s.expires_at > ? GROUP BY p.person_id"
        " ORDER BY p.role, p.person_id", (utc_text(now),))


def _person_or_error(w: Write, person_id: str) -> None:
    if w.conn.execute("SELECT 1 FROM people WHERE person_id = ?", (person_id,)).fetchone() is None:
        raise LookupError(f"no person {person_id}")


def revoke_sessions(store: Store, person_id: str, *, actor: str, now: dt.datetime) -> int:
    """End every session of a person (a lost PDA, a person leaving): returns how many ended."""
    with store.write(actor, now) as w:
        _person_or_error(w, person_id)
        ended = w.conn.execute("DELETE FROM sessions WHERE person_id = ?", (person_id,)).rowcount
        w.log("auth.sessions_revoked", person_id, {"sessions": ended})
    return ended


def change_pin(store: Store, person_id: str, pin: str, *, actor: str, now: dt.datetime,
               min_digits: int = NEW_PIN_DIGITS) -> int:
    """Set a new PIN, clear the account's lock, and end its sessions; returns how many ended."""
    pin_hash = hash_pin(pin, min_digits)
    with store.write(actor, now) as w:
        _person_or_error(w, person_id)
        w.conn.execute("UPDATE people SET pin_hash = ? WHERE person_id = ?", (pin_hash, person_id))
        w.conn.execute("DELETE FROM sign_in_limits WHERE scope = 'account' AND key = ?", (person_id,))
        ended = w.conn.execute("DELETE FROM sessions WHERE person_id = ?", (person_id,)).rowcount
        w.log("auth.pin_changed", person_id, {"sessions_ended": ended})
    return ended


def rotate_machine_token(store: Store, machine_id: str, *, actor: str, now: dt.datetime) -> str:
    """Revoke a machine's token and hand out a new one (shown this once)."""
    token_id, token, token_hash = new_token()
    with store.write(actor, now) as w:
        changed = w.conn.execute("UPDATE machines SET token_id = ?, token_hash = ? WHERE machine_id = ?",
                                 (token_id, token_hash, machine_id)).rowcount
        if not changed:
            raise LookupError(f"no machine {machine_id}")
        w.log("auth.token_rotated", machine_id, {})
    return token


def check_actor_id(kind: str, subject_id: str) -> None:
    """An id becomes the actor (`person:<id>`) of every event its owner makes: hold it to HQ's limit here,
    where it enters, rather than find an event HQ refuses later."""
    longest = MAX_ID - len(kind) - 1
    if not 1 <= len(subject_id) <= longest:
        raise InputRejected([Problem(f"{kind}_id", f"must be 1-{longest} characters, got {len(subject_id)}")],
                            kind)


@dataclass(frozen=True)
class NewPerson:
    person_id: str
    code: str
    name: str
    role: Role
    store_id: str | None = None


def add_person(
    store: Store, *, person_id: str, code: str, name: str, role: Role, pin: str, now: dt.datetime,
    store_id: str | None = None, min_pin_digits: int = NEW_PIN_DIGITS,
) -> None:
    add_people(store, [NewPerson(person_id, code, name, role, store_id)], pin=pin, now=now,
               min_pin_digits=min_pin_digits)


def add_people(store: Store, people: Sequence[NewPerson], *, pin: str, now: dt.datetime,
               min_pin_digits: int = NEW_PIN_DIGITS) -> None:
    """Add people given the same first PIN (a new crew; the demo's 200 store owners) in one write.

    The PIN is hashed once: argon2id is what adding people costs (the demo's 236 hashes took 11 s of
    its start), and one hash tells no more than the PIN they share; each PIN set later gets its own salt."""
    for person in people:
        if person.role not in PERSON_ROLES:
            raise ValueError(f"{person.role} is not a role for people")
        check_actor_id("person", person.person_id)
    pin_hash = hash_pin(pin, min_pin_digits)
    with store.write("system", now) as w:
        for p in people:
            w.db.table("people").insert({"person_id": p.person_id, "code": p.code, "name": p.name,
                                         "role": p.role.value, "pin_hash": pin_hash, "store_id": p.store_id})
            w.log("person.added", p.person_id, {"role": p.role.value, "name": p.name})


def add_machine(store: Store, *, machine_id: str, kind: Role, name: str, now: dt.datetime) -> str:
    """Register HQ or a device; returns its token, which is shown this once and never stored."""
    if kind not in (Role.HQ, Role.DEVICE):
        raise ValueError(f"{kind} is not a machine kind")
    check_actor_id("machine", machine_id)
    token_id, token, token_hash = new_token()
    with store.write("system", now) as w:
        w.db.table("machines").insert({"machine_id": machine_id, "kind": kind.value, "name": name,
                                 "token_id": token_id, "token_hash": token_hash})
        w.log("machine.added", machine_id, {"kind": kind.value})
    return token
