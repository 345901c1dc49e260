"""`haolin-edge route ...`: thin shells over the library, printing JSON on stdout.

Bad input prints `{"error": ...}` on stderr and exits with status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml

from routing.batching import Cart, PickLine, build_tours
from routing.errors import EngineUnavailable, InputError
from routing.layout import load_layout
from routing.pickpath import METHODS, solve_pick_path
from routing.vrp.readers import read_instance
from routing.vrp.solve import ENGINES, solve_delivery

app = typer.Typer(help="Pick paths, picker tours and delivery routes.", no_args_is_help=True)


def _emit(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


def _fail(e: Exception) -> None:
    typer.echo(json.dumps({"error": str(e)}, ensure_ascii=False), err=True)
    raise typer.Exit(2)


def _read_doc(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as e:
        raise InputError(f"cannot read: {e}", str(path)) from None


@app.command()
def picks(layout: Path = typer.Option(..., help="layout YAML/JSON"),
          picks: Path = typer.Option(..., help="JSON/YAML list of location codes (or {picks: [...]})"),
          start: str = "start", end: str | None = None,
          method: str = typer.Option("auto", help=f"one of {', '.join(METHODS)}"),
          time_limit: float = 1.0) -> None:
    """Visiting order, distance and walking time for one pick list."""
    try:
        doc = _read_doc(picks)
        codes = doc.get("picks") if isinstance(doc, dict) else doc
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise InputError("expected a list of location codes", str(picks))
        _emit(solve_pick_path(load_layout(layout), codes, start, end, method, time_limit).as_dict())
    except InputError as e:
        _fail(e)


@app.command()
def tours(layout: Path = typer.Option(..., help="layout YAML/JSON"),
          lines: Path = typer.Option(..., help="JSON/YAML list of {sku, location, quantity, totes, weight_g, ...}"),
          totes: int = typer.Option(..., help="totes per cart"), weight_g: int | None = None,
          volume_cm3: int | None = None, start: str = "start", end: str | None = None) -> None:
    """Group pick lines into cart tours with their paths."""
    try:
        doc = _read_doc(lines)
        rows = doc.get("lines") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError("expected a list of pick lines", str(lines))
        known = set(PickLine.__dataclass_fields__)
        try:
            parsed = [PickLine(**{k: v for k, v in r.items() if k in known}) for r in rows]
        except TypeError as e:
            raise InputError(f"pick line: {e}", str(lines)) from None
        result = build_tours(load_layout(layout), parsed, Cart(totes, weight_g, volume_cm3), start, end)
        _emit({"tours": [t.as_dict() for t in result],
               "distance_m": round(sum(t.path.distance_m for t in result), 3)})
    except InputError as e:
        _fail(e)


@app.command()
def delivery(instance: Path = typer.Option(..., help="instance file"),
             format: str | None = typer.Option(None, "--format", help="solomon | vrplib | json (default: by suffix)"),
             time_limit: float = typer.Option(10.0, help="seconds (a hard bound)"),
             engine: str = typer.Option("ortools", help=f"one of {', '.join(ENGINES)}")) -> None:
    """Delivery routes (CVRPTW); stop ids as numbered in the input file, depot not listed."""
    try:
        _emit(solve_delivery(read_instance(instance, format), time_limit, engine).as_dict())
    except (InputError, EngineUnavailable) as e:
        _fail(e)


if __name__ == "__main__":
    app()
