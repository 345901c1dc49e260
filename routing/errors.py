"""One exception tree for the routing library.

Callers need to know one thing: retry or fix the input. Bad input (a layout, a pick list,
an instance) is never retryable; an engine that is not installed is a deployment problem.
"""

from __future__ import annotations


class RoutingError(Exception):
    """Base of every error raised by `routing`."""

    retryable = False


class InputError(RoutingError, ValueError):
    """The input is malformed or inconsistent; the message names the file/field/item."""

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class EngineUnavailable(RoutingError):
    """An optional engine (pyvroom, pyvrp) is not installed or cannot model this instance."""


class SolverFailed(RoutingError):
    """A solver process died or returned garbage; trying again may succeed."""

    retryable = True
