"""The store owner's consent to a handoff, without their PIN ever being kept on the driver's phone.

Online, the owner types the PIN on the driver's phone; it goes straight to the node (under
sign-in's limits) and comes back as a signed approval for that one stop, valid two hours: the
phone queues the approval, never the PIN. Offline, the owner gives the day's handoff code, which
their own sign-in shows them on their own phone: an HMAC of store and date under a key that never
leaves the node, checked when the driver's phone is back online, under the owner's sign-in limits.
Handoff codes are longer than any PIN, so the page can refuse to queue a PIN typed offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from edge.domain.auth import Principal, Role
from edge.services import auth
from edge.services.floor.errors import Forbidden, NotFound
from edge.store import Store

APPROVAL_LIFETIME = dt.timedelta(hours=2)
CODE_DIGITS = 10


def _key(store: Store, now: dt.datetime) -> bytes:
    """The node's handoff key, made on first use (32 random bytes in the node's own database)."""
    key = store.scalar("SELECT secret FROM node_secrets WHERE name = 'handoff'")
    if key is None:
        with store.write("system", now) as w:
            w.conn.execute("INSERT OR IGNORE INTO node_secrets (name, secret) VALUES ('handoff', ?)",
                           (secrets.token_bytes(32),))
        key = store.scalar("SELECT secret FROM node_secrets WHERE name = 'handoff'")
    return bytes(key)


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _stop_store(store: Store, route_id: str, stop_no: int) -> str:
    store_id = store.scalar("SELECT store_id FROM route_stops WHERE route_id = ? AND stop_no = ?", (route_id, stop_no))
    if store_id is None:
        raise NotFound("no_stop", f"route {route_id} has no stop {stop_no}")
    return str(store_id)


def _require_owner(owner: Principal, store_id: str, code: str) -> None:
    if owner.role != Role.STORE_OWNER or owner.store_id != store_id:
        raise Forbidden("not_the_owner", f"{code} is not the owner of store {store_id}")


def approve(store: Store, route_id: str, stop_no: int, owner_code: str, pin: str, *, now: dt.datetime,
            device_id: str | None = None, address: str | None = None) -> dict[str, Any]:
    """Check the owner's PIN now (and forget it) and sign their approval of this stop's handoff."""
    store_id = _stop_store(store, route_id, stop_no)
    owner = auth.check_person(store, owner_code, auth.pin_proof(pin), now=now, device_id=device_id, address=address)
    _require_owner(owner, store_id, owner_code)
    expires = now + APPROVAL_LIFETIME
    claim = f"{route_id}|{stop_no}|{owner.subject_id}|{int(expires.timestamp())}"
    token = base64.urlsafe_b64encode(claim.encode()).decode().rstrip("=") + "." + _mac(_key(store, now), claim)
    return {"approval": token, "owner_id": owner.subject_id, "expires_at": expires.isoformat()}


def verify_approval(store: Store, token: str, route_id: str, stop_no: int, *, now: dt.datetime) -> str:
    """The owner who approved this stop's handoff, if the approval is ours, for this stop, and unexpired."""
    encoded, _, mac = token.partition(".")
    try:
        claim = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        got_route, got_stop, owner_id, expires = claim.rsplit("|", 3)
        fresh = dt.datetime.fromtimestamp(int(expires), dt.UTC) > now
    except (ValueError, UnicodeDecodeError):
        raise Forbidden("approval_invalid", "the owner's approval is not readable") from None
    if not hmac.compare_digest(mac, _mac(_key(store, now), claim)) or (got_route, got_stop) != (route_id, str(stop_no)):
        raise Forbidden("approval_invalid", f"the owner's approval is not for stop {stop_no} of {route_id}")
    if not fresh:
        raise Forbidden("approval_invalid", "the owner's approval has expired: ask the owner to confirm again")
    store_id = _stop_store(store, route_id, stop_no)
    if not store.scalar("SELECT 1 FROM people WHERE person_id = ? AND role = 'store_owner' AND store_id = ?"
                        " AND active", (owner_id, store_id)):
        raise Forbidden("not_the_owner", f"{owner_id} is no longer the owner of store {store_id}")
    return owner_id


def day_code(store: Store, store_id: str, delivery_date: dt.date, *, now: dt.datetime) -> str:
    """The store's handoff code for a delivery date: the same every time it is asked, unguessable without the key."""
    digest = _mac(_key(store, now), f"handoff-code|{store_id}|{delivery_date.isoformat()}")
    return str(int(digest, 16) % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def owner_day_code(store: Store, owner: Principal, delivery_date: dt.date, *, now: dt.datetime) -> dict[str, Any]:
    """What an owner's own sign-in shows them: their store's code for the date."""
    if owner.store_id is None:
        raise Forbidden("not_the_owner", f"{owner.subject_id} has no store")
    return {"store_id": owner.store_id, "delivery_date": delivery_date.isoformat(),
            "code": day_code(store, owner.store_id, delivery_date, now=now)}


def check_day_code(store: Store, route_id: str, stop_no: int, owner_code: str, code: str, *, now: dt.datetime,
                   device_id: str | None = None) -> str:
    """The owner behind a day code given offline; a wrong one counts against their sign-in limits."""
    store_id = _stop_store(store, route_id, stop_no)
    delivery = store.scalar("SELECT delivery_date FROM routes WHERE route_id = ?", (route_id,))
    expected = day_code(store, store_id, dt.date.fromisoformat(delivery), now=now)

    def proof(person: Any) -> bool:
        return (person is not None and person["role"] == Role.STORE_OWNER.value and person["store_id"] == store_id
                and hmac.compare_digest(expected, code))

    return auth.check_person(store, owner_code, proof, now=now, device_id=device_id).subject_id
