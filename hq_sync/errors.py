"""One exception tree for the sync library: callers retry `Retryable`, and stop on the rest."""

from __future__ import annotations


class SyncError(Exception):
    """Anything the sync agent or its client raises."""


class Retryable(SyncError):
    """Try again later: the link, HQ's availability or a timeout, not the request itself."""


class LinkDown(Retryable):
    """Could not connect, or the connection broke mid-request."""


class HqTimeout(Retryable):
    """HQ did not answer within the client's timeout."""


class HqUnavailable(Retryable):
    """HQ answered 5xx or 429."""


class Refused(SyncError):
    """HQ refused the request itself: retrying the same bytes cannot help."""

    def __init__(self, status: int, code: str, detail: str):
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"HQ refused ({status} {code}): {detail}")


class AuthRefused(Refused):
    """Signature, clock or nonce refused: check credentials and the clock."""


class ProtocolViolation(SyncError):
    """HQ's answer does not match the protocol: a version mismatch or a bug on one side."""
