"""Page text in zh-CN (the floor's language, the default) and English.

Catalogs are JSON files per locale; a key missing from a catalog is a test failure, not a
blank on a picker's screen.
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
    text = resources.files("edge.pages.locales").joinpath(f"{locale}.json").read_text(encoding="utf-8")
    messages: dict[str, str] = json.loads(text)
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
