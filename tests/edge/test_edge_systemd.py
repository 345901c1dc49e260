"""The systemd units pass `systemd-analyze verify` and keep the hardening we promise."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = sorted((Path(__file__).parents[2] / "systemd").glob("*.service"))
INSTALLED_PREFIX = "/opt/haolin-edge/.venv"


def _service_section(unit: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit)
    return dict(parser["Service"])


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_unit_is_hardened_and_restarts(unit: Path) -> None:
    service = _service_section(unit)
    assert service["Type"] == "notify" and service["WatchdogSec"]
    assert service["Restart"] == "on-failure"
    assert service["User"] and service["StateDirectory"] == "haolin-edge"
    for setting in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "ProtectHome"):
        assert service[setting] in ("yes", "strict"), setting


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_analyze_verify_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    """Verify a copy whose ExecStart points at this checkout's venv, since /opt is not installed here."""
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED_PREFIX, sys.prefix))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines() if unit.name in line]
    assert result.returncode == 0 and not problems, result.stderr
