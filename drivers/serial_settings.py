"""Serial line settings (baud, framing, RS-485), pure data shared by profiles, sites and the transport.

A profile's `serial:` section, a site's per-device overrides and the transport all use this one
type, so a setting is parsed and checked in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: Parity letters pyserial takes (N, E, O, M, S).
PARITIES = frozenset("NEOMS")


@dataclass(frozen=True)
class Rs485Config:
    """Kernel RS-485 mode (TIOCSRS485): driver-enable on RTS around each transmission."""

    rts_level_for_tx: bool = True
    rts_level_for_rx: bool = False
    delay_before_tx: float | None = None
    delay_before_rx: float | None = None


@dataclass(frozen=True)
class SerialSettings:
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    xonxoff: bool = False
    rtscts: bool = False
    rs485: Rs485Config | None = None

    def __post_init__(self) -> None:
        if self.parity not in PARITIES:
            raise ValueError(f"parity must be one of {sorted(PARITIES)}, got {self.parity!r}")
        if self.bytesize not in (5, 6, 7, 8):
            raise ValueError(f"bytesize must be 5..8, got {self.bytesize}")
        if self.stopbits not in (1, 1.5, 2):
            raise ValueError(f"stopbits must be 1, 1.5 or 2, got {self.stopbits}")

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> SerialSettings:
        """Build from a profile/site mapping (keys as the fields; `rs485` a mapping or true)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        rs485 = known.pop("rs485", None)
        if rs485 is True:
            known["rs485"] = Rs485Config()
        elif isinstance(rs485, dict):
            known["rs485"] = Rs485Config(**rs485)
        if "parity" in known:
            known["parity"] = str(known["parity"])[:1].upper()
        return cls(**known)

    def merged(self, overrides: dict[str, Any]) -> SerialSettings:
        """These settings with a site's overrides on top (same keys as a profile's `serial:`)."""
        return SerialSettings.from_mapping({**asdict(self), **overrides})
