"""Digit strings as codes, PINs, counts and headers mean them: ASCII 0-9 only.

`str.isdigit` also takes '²' (which `int` refuses, so a check followed by `int()` crashed on it) and
full-width or Arabic-Indic digits (which a PDA's keypad never types: a PIN or code holding them
could not be typed again, and the pages' own rules, `/^\\d+$/`, would read it differently).
"""

from __future__ import annotations


def ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
