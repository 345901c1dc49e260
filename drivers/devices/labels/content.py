"""What goes on a label, independent of the printer: text lines, an SSCC, a QR, copies."""

from __future__ import annotations

from dataclasses import dataclass, field


def sscc_check_digit(body17: str) -> str:
    """GS1 mod-10 check digit for the 17 digits of an SSCC body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body17)))
    return str((10 - total % 10) % 10)


def sscc_text(sscc: str) -> str:
    """The human-readable line under a GS1-128 SSCC: `(00) 0 6901234 000000001 7`."""
    return f"(00) {sscc[0]} {sscc[1:8]} {sscc[8:17]} {sscc[17]}"


@dataclass(frozen=True)
class Label:
    """What goes on one label. `sscc` (18 digits, check digit verified) prints as GS1-128 (00);
    the first line is the title (the store), printed largest."""

    lines: tuple[str, ...] = ()
    qr: str | None = None
    sscc: str | None = None
    copies: int = 1
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sscc is not None:
            if len(self.sscc) != 18 or not self.sscc.isdigit():
                raise ValueError(f"SSCC must be 18 digits, got {self.sscc!r}")
            expected = sscc_check_digit(self.sscc[:17])
            if expected != self.sscc[17]:
                raise ValueError(f"SSCC {self.sscc} has a wrong check digit (expected {expected})")
        if self.qr is not None and not (self.qr and all(32 <= ord(c) < 127 for c in self.qr)):
            raise ValueError(f"QR data must be printable ASCII (a GS1 element string or a URL), got {self.qr!r}")
        if not 1 <= self.copies <= 99:
            raise ValueError("copies must be 1..99")

    def texts(self) -> list[str]:
        """Every string the printer's font has to draw."""
        return [*self.lines, *([sscc_text(self.sscc)] if self.sscc else [])]
