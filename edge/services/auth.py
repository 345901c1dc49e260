"""Sign-in for people (personal code + PIN) and machines (tokens), and session lookup.

PINs are low-entropy, so they are hashed with argon2id and wrong attempts lock the account
for a growing while. Tokens are `<id>.<secret>` with a 256-bit secret, stored as a salted
scrypt hash looked up by id: cheap enough to verify on every scan, useless if the file leaks.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from edge.domain.auth import PERSON_ROLES, Principal, Role, lock_after_failure, valid_pin
from edge.store import Store
from edge.store.db import parse_utc, utc_text

#: OWASP's argon2id profile (19 MiB, 2 passes): ~20 ms here, so a sign-in stays quick on a busy node
#: while the lock-out below, not the hash alone, is what stops guessing a 4-digit PIN online.
_pin_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_SCRYPT = {"n": 2**11, "r": 8, "p": 1, "dklen": 32}


class AuthError(Exception):
    """Sign-in refused; `retry_after` is set while the account is locked."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def hash_pin(pin: str) -> str:
    if not valid_pin(pin):
        raise ValueError("a PIN is 4 to 8 digits")
    return _pin_hasher.hash(pin)


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


@dataclass(frozen=True)
class SignedIn:
    token: str
    principal: Principal
    expires_at: dt.datetime


def sign_in(
    store: Store, code: str, pin: str, *, now: dt.datetime, lifetime: dt.timedelta, device_id: str | None = None
) -> SignedIn:
    """Check a person's code and PIN and open a session; wrong PINs lock the account a while."""
    rows = store.query("SELECT * FROM people WHERE code = ? AND active", (code,))
    if not rows:
        raise AuthError("unknown personal code or wrong PIN")
    person = rows[0]
    if person["locked_until"] and parse_utc(person["locked_until"]) > now:
        wait = int((parse_utc(person["locked_until"]) - now).total_seconds()) + 1
        raise AuthError(f"too many wrong PINs: try again in {wait} s", retry_after=wait)
    try:
        _pin_hasher.verify(person["pin_hash"], pin)
    except (VerifyMismatchError, InvalidHashError):
        failed = person["failed_pins"] + 1
        locked = lock_after_failure(failed, now)
        with store.write(f"person:{person['person_id']}", now, device_id) as w:
            w.conn.execute(
                "UPDATE people SET failed_pins = ?, locked_until = ? WHERE person_id = ?",
                (failed, utc_text(locked) if locked else None, person["person_id"]),
            )
            w.emit("auth.pin_rejected", person["person_id"], {"failed_pins": failed}, to_hq=False)
        raise AuthError("unknown personal code or wrong PIN") from None
    token_id, token, token_hash = new_token()
    expires = now + lifetime
    principal = Principal("person", person["person_id"], Role(person["role"]), person["name"],
                          device_id, person["store_id"])
    with store.write(principal.actor, now, device_id) as w:
        w.conn.execute("UPDATE people SET failed_pins = 0, locked_until = NULL WHERE person_id = ?",
                       (person["person_id"],))
        w.conn.execute("DELETE FROM sessions WHERE expires_at < ?", (w.now_text,))
        w.conn.execute(
            "INSERT INTO sessions (token_id, token_hash, person_id, role, device_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_id, token_hash, person["person_id"], person["role"], device_id, w.now_text, utc_text(expires)),
        )
        w.emit("auth.signed_in", person["person_id"], {"role": person["role"]}, to_hq=False)
    return SignedIn(token, principal, expires)


def sign_out(store: Store, token: str, now: dt.datetime) -> None:
    parts = _split(token)
    if parts:
        with store.write("system", now) as w:
            w.conn.execute("DELETE FROM sessions WHERE token_id = ?", (parts[0],))


def authenticate(store: Store, token: str, now: dt.datetime) -> Principal | None:
    """The principal behind a bearer token, or None for a wrong, expired or revoked one."""
    parts = _split(token)
    if parts is None:
        return None
    token_id, secret = parts
    session = store.conn.execute(
        "SELECT s.token_hash, s.expires_at, s.device_id, p.person_id, p.role, p.name, p.store_id"
        " FROM sessions s JOIN people p USING (person_id) WHERE s.token_id = ? AND p.active",
        (token_id,),
    ).fetchone()
    if session is not None:  # hash only for a known id: an unknown one costs no scrypt (the guard runs inline)
        presented = _token_hash(token_id, secret)
        if not hmac.compare_digest(session["token_hash"], presented) or parse_utc(session["expires_at"]) <= now:
            return None
        return Principal("person", session["person_id"], Role(session["role"]), session["name"],
                         session["device_id"], session["store_id"])
    machine = store.conn.execute(
        "SELECT machine_id, kind, name, token_hash FROM machines WHERE token_id = ? AND active", (token_id,)
    ).fetchone()
    if machine is None or not hmac.compare_digest(machine["token_hash"], _token_hash(token_id, secret)):
        return None
    return Principal("machine", machine["machine_id"], Role(machine["kind"]), machine["name"],
                     machine["machine_id"] if machine["kind"] == "device" else None)


def add_person(
    store: Store, *, person_id: str, code: str, name: str, role: Role, pin: str, now: dt.datetime,
    store_id: str | None = None,
) -> None:
    if role not in PERSON_ROLES:
        raise ValueError(f"{role} is not a role for people")
    with store.write("system", now) as w:
        w.db.table("people").insert({"person_id": person_id, "code": code, "name": name, "role": role.value,
                               "pin_hash": hash_pin(pin), "store_id": store_id})
        w.emit("person.added", person_id, {"role": role.value, "name": name}, to_hq=False)


def add_machine(store: Store, *, machine_id: str, kind: Role, name: str, now: dt.datetime) -> str:
    """Register HQ or a device; returns its token, which is shown this once and never stored."""
    if kind not in (Role.HQ, Role.DEVICE):
        raise ValueError(f"{kind} is not a machine kind")
    token_id, token, token_hash = new_token()
    with store.write("system", now) as w:
        w.db.table("machines").insert({"machine_id": machine_id, "kind": kind.value, "name": name,
                                 "token_id": token_id, "token_hash": token_hash})
        w.emit("machine.added", machine_id, {"kind": kind.value}, to_hq=False)
    return token
