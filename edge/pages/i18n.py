"""Page text in zh-CN (the floor's language, the default) and English.

Catalogs are JSON files named `<feature>.<locale>.json`, merged per locale, so each feature keeps
its own text; a key missing from a catalog is a test failure, not a blank on a picker's screen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"


@cache
def catalog(locale: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for entry in sorted(resources.files("edge.pages.locales").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(f".{locale}.json"):
            for key, text in json.loads(entry.read_text(encoding="utf-8")).items():
                if key in messages:
                    raise ValueError(f"{entry.name}: key {key!r} is already defined by another catalog")
                messages[key] = text
    return messages


def choose_locale(requested: str | None, cookie: str | None) -> str:
    """The `lang` query parameter, then the cookie, then zh-CN."""
    for candidate in (requested, cookie):
        if candidate in LOCALES:
            return candidate
    return DEFAULT_LOCALE


def translator(locale: str) -> Callable[..., str]:
    messages = catalog(locale)

    def t(key: str, **values: object) -> str:
        return messages[key].format(**values) if values else messages[key]

    return t
