"""Conflicts between HQ's wishes and the floor's facts, decided by a supervisor and told to HQ."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from edge.store import Store
from hq_sync import protocol as hq


class Resolution(BaseModel):
    decision: Literal["keep_edge", "accept_hq", "manual"]
    note: str = Field(min_length=1, max_length=500, description="why, for the audit trail")


def list_conflicts(store: Store, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    where = "" if include_resolved else "WHERE resolved_at IS NULL"
    return store.query(f"SELECT * FROM conflicts {where} ORDER BY conflict_id")


def resolve(store: Store, conflict_id: int, resolution: Resolution, *, actor: str,
            now: dt.datetime) -> dict[str, Any]:
    """Close a conflict with the supervisor's decision; the decision itself goes to HQ."""
    with store.write(actor, now) as w:
        row = w.conn.execute("SELECT * FROM conflicts WHERE conflict_id = ?", (conflict_id,)).fetchone()
        if row is None:
            raise LookupError(f"no conflict {conflict_id}")
        if row["resolved_at"] is not None:
            return dict(row)
        w.conn.execute(
            "UPDATE conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE conflict_id = ?",
            (w.now_text, actor, f"{resolution.decision}: {resolution.note}", conflict_id),
        )
        w.emit(hq.ConflictResolvedPayload(conflict_id=conflict_id, kind=row["kind"], decision=resolution.decision,
                                          note=resolution.note), row["hq_order_id"] or str(conflict_id))
        return dict(w.conn.execute("SELECT * FROM conflicts WHERE conflict_id = ?", (conflict_id,)).fetchone())
