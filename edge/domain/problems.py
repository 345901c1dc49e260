"""Problems found in input, each with the path of the offending field, all reported at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def json_path(location: Sequence[int | str]) -> str:
    """`("orders", 3, "lines", 0, "quantity")` -> `orders[3].lines[0].quantity`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def problems_from_validation(error: ValidationError) -> list[Problem]:
    return [Problem(json_path(e["loc"]), e["msg"]) for e in error.errors()]


class InputRejected(ValueError):
    """Input refused whole; `problems` lists everything that was wrong and where."""

    def __init__(self, problems: list[Problem], what: str = "input"):
        self.problems = sorted(problems)
        super().__init__(f"{what} refused with {len(problems)} problem(s): " + "; ".join(
            f"{p.path}: {p.message}" for p in self.problems[:10]
        ))
