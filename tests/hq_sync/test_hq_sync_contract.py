"""One typed contract: every event the edge sends is one of `hq_sync.protocol`'s models, and every
model is sent; inputs that end up in events are held to the protocol's limits where they enter."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.domain.auth import Role
from edge.domain.problems import InputRejected
from edge.services import auth
from edge.store import Store
from hq_sync.protocol import EVENT_PAYLOADS, MAX_ID, TourDonePayload

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2030, 7, 1, 20, tzinfo=dt.UTC)


def emit_calls() -> list[tuple[str, ast.Call]]:
    """Every `<something>.emit(...)` call in the edge's code, found by reading it."""
    found = []
    for path in sorted((ROOT / "edge").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit":
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def names_used() -> set[str]:
    used: set[str] = set()
    for path in (ROOT / "edge").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
    return used


def test_every_emit_sends_a_model_not_a_kind_string() -> None:
    calls = emit_calls()
    assert len(calls) > 25
    for where, call in calls:
        first = call.args[0] if call.args else None
        assert first is not None and not isinstance(first, (ast.Constant, ast.JoinedStr)), \
            f"{where}: emit takes an hq_sync.protocol model, not a kind"


def test_every_kind_in_the_protocol_is_sent_by_the_edge() -> None:
    used = names_used()
    never_sent = sorted(kind for kind, model in EVENT_PAYLOADS.items() if model.__name__ not in used)
    assert never_sent == [], f"typed kinds the edge never sends: {never_sent}"


def test_an_event_hq_would_refuse_cannot_be_committed(tmp_path: Path) -> None:
    store = Store(tmp_path / "edge.sqlite3")
    with pytest.raises(ValidationError, match="actor"), store.write("person:" + "p" * 60, NOW) as w:
        w.conn.execute("INSERT INTO suppliers (supplier_id, name) VALUES ('S1', 'orchard')")
        w.emit(TourDonePayload(), "T1")
    assert store.scalar("SELECT COUNT(*) FROM outbox") == store.scalar("SELECT COUNT(*) FROM suppliers") == 0


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.PICKER])
def test_a_person_id_too_long_to_be_an_actor_is_refused_where_it_enters(tmp_path: Path, role: Role) -> None:
    store = Store(tmp_path / "edge.sqlite3")
    longest = MAX_ID - len("person:")
    with pytest.raises(InputRejected, match=f"person_id: must be 1-{longest} characters, got 60"):
        auth.add_person(store, person_id="p" * 60, code="C1", name="Li", role=role, pin="246810", now=NOW)
    auth.add_person(store, person_id="p" * longest, code="C1", name="Li", role=role, pin="246810", now=NOW)
    with store.write(f"person:{'p' * longest}", NOW) as w:
        w.emit(TourDonePayload(), "T1")
