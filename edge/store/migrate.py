"""Versioned schema migrations, recorded in the database they changed.

Files in `migrations/` are named `NNNN_name.sql` and applied in order, each in its own
transaction together with its row in `schema_migrations`, so a crash never leaves half a schema.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
#: First line of a migration that rebuilds a table others refer to: SQLite's way is to run it with
#: foreign keys off (they cannot be switched inside a transaction) and check them before committing.
REBUILDS_TABLES = "-- rebuilds tables"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this version of the edge, in order."""
    found = []
    for entry in resources.files("edge.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version: {versions}")
    return found


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply the migrations not yet applied; returns the versions applied now."""
    done = applied_versions(conn)
    applied = []
    for migration in migrations if migrations is not None else bundled_migrations():
        if migration.version in done:
            continue
        rebuild = migration.sql.startswith(REBUILDS_TABLES)
        foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
        if rebuild:
            conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(migration.sql):
                conn.execute(statement)
            if rebuild and conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise RuntimeError(f"migration {migration.version} would break a foreign key")
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                (migration.version, migration.name),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
        applied.append(migration.version)
    return applied


def _statements(script: str) -> list[str]:
    """Split a script into statements (sqlite3.complete_statement keeps triggers whole)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip() and not current.strip().startswith("--"):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {current[:80]!r}")
    return statements
