"""The one exception tree of `drivers`.

Callers branch on `retryable`: transport trouble (a port gone, a timeout) is worth retrying with
backoff; a frame that does not decode or a profile that is wrong will fail the same way again.
"""

from __future__ import annotations

from typing import ClassVar


class DriverError(Exception):
    """Base of every error raised by `drivers`."""

    retryable: ClassVar[bool] = False


class DecodeError(DriverError):
    """Bytes (or a field in them) that do not decode to a reading. Not retryable.

    `reason` says what was wrong, `data` holds the offending frame and `field` names the field
    or register when the frame itself was well formed.
    """

    def __init__(self, reason: str, data: bytes = b"", field: str | None = None) -> None:
        self.reason = reason
        self.data = bytes(data)
        self.field = field
        where = f" (field {field})" if field else ""
        shown = self.data[:64]
        more = "…" if len(self.data) > 64 else ""
        super().__init__(f"{reason}{where}: {shown!r}{more}" if self.data else f"{reason}{where}")

    def to_json(self) -> dict[str, object]:
        return {"error": self.reason, "field": self.field, "data_hex": self.data.hex(" ")}


class ProfileError(DriverError):
    """A firmware profile that is missing or invalid; names the file and the field path."""

    def __init__(self, path: str, field: str, reason: str) -> None:
        self.path = path
        self.field = field
        self.reason = reason
        super().__init__(f"{path}: {field or '<root>'}: {reason}")


class TransportError(DriverError):
    """The link to a device failed (port vanished, connection refused, broker down). Retryable."""

    retryable: ClassVar[bool] = True


class DeviceTimeout(TransportError):
    """The device did not answer in time. Retryable."""


class LabelError(DriverError, ValueError):
    """A label this printer cannot print as asked: characters its font lacks, or content that does
    not fit its stock. Not retryable; raised before any byte is sent, so nothing prints as "?"."""
