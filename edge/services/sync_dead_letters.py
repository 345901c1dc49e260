"""Events HQ refused, set aside so everything after them keeps flowing; a supervisor settles each.

`retry` sends the same event again (HQ was fixed, a master record arrived); `discard` gives it up
and tells HQ what it will not get. Both record who and why, in the row and in the event log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from edge.domain.problems import InputRejected, Problem
from edge.store import Store, Write
from hq_sync.protocol import MAX_TEXT, EventDiscardedPayload


def list_dead_letters(store: Store, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    """Refused events, newest first: what HQ said and, once settled, who settled it how and why."""
    where = "" if include_resolved else "WHERE d.resolved_at IS NULL"
    return store.query(
        "SELECT d.*, o.attempts, o.created_at AS queued_at FROM sync_dead_letters d"
        f" JOIN outbox o ON o.seq = d.outbox_seq {where} ORDER BY d.dead_id DESC"
    )


def retry(store: Store, dead_id: int, *, actor: str, reason: str, now: dt.datetime) -> dict[str, Any]:
    """Put the event back in the queue, in its old place (it keeps its seq and idempotency key)."""
    return _settle(store, dead_id, "retried", actor=actor, reason=reason, now=now)


def discard(store: Store, dead_id: int, *, actor: str, reason: str, now: dt.datetime) -> dict[str, Any]:
    """Give the event up for good; HQ is told (`sync.event_discarded`) what it will not receive."""
    return _settle(store, dead_id, "discarded", actor=actor, reason=reason, now=now)


def _settle(store: Store, dead_id: int, how: Literal["retried", "discarded"], *, actor: str, reason: str,
            now: dt.datetime) -> dict[str, Any]:
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_TEXT:
        raise InputRejected([Problem("reason", f"say why in 1-{MAX_TEXT} characters")], "dead letter")
    with store.write(actor, now) as w:
        row = w.conn.execute("SELECT * FROM sync_dead_letters WHERE dead_id = ? AND resolved_at IS NULL",
                             (dead_id,)).fetchone()
        if row is None:
            raise LookupError(f"no open dead letter {dead_id}")
        w.conn.execute(
            "UPDATE sync_dead_letters SET resolved_at = ?, resolved_by = ?, resolution = ?, reason = ?"
            " WHERE dead_id = ?", (w.now_text, actor, how, reason, dead_id))
        if how == "retried":
            w.conn.execute("UPDATE outbox SET held_at = NULL WHERE seq = ?", (row["outbox_seq"],))
            w.log("sync.dead_letter_retried", row["idempotency_key"], {"dead_id": dead_id, "reason": reason})
        else:
            _tell_hq(w, dict(row), actor, reason)
        return dict(w.conn.execute("SELECT * FROM sync_dead_letters WHERE dead_id = ?", (dead_id,)).fetchone())


def _tell_hq(w: Write, row: dict[str, Any], actor: str, reason: str) -> None:
    w.emit(EventDiscardedPayload(idempotency_key=row["idempotency_key"], kind=row["kind"][:64],
                                 subject=row["subject"][:128], code=row["code"][:64], by=actor[:64], reason=reason),
           row["idempotency_key"])
