"""`./haolin install` into a temporary root: the project and its venv under /opt, settings written
only once, units installed and enabled, the site CA made and the enrolment address printed, all
safe to repeat; the installed units pass `systemd-analyze verify`; uninstall keeps data unless
--purge. A prefix install creates no user and starts nothing (that part needs a real box).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
UNITS = ("haolin-edge.service", "haolin-sync.service")


def _seed_venv(root: Path, tmp_path: Path) -> None:
    """A venv that sees this checkout's installed dependencies (not the project itself), so pip installs
    only the project from /opt instead of downloading every dependency again."""
    venv = root / "opt" / "haolin-edge" / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    deps = tmp_path / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("haolin_edge", "__editable__")):
            (deps / entry.name).symlink_to(entry)
    (venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" / "haolin-test-deps.pth"
     ).write_text(f"{deps}\n")


def _haolin(root: Path, *args: str) -> str:
    result = subprocess.run([str(ROOT / "haolin"), *args], capture_output=True, text=True, timeout=600, cwd="/",
                            env={**os.environ, "HAOLIN_ROOT": str(root)})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_install_into_a_root_then_again_then_uninstall_and_purge(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    _seed_venv(root, tmp_path)

    printed = _haolin(root, "install")
    opt, etc, data = root / "opt" / "haolin-edge", root / "etc" / "haolin-edge", root / "var" / "lib" / "haolin-edge"
    assert (opt / "edge" / "tls.py").is_file() and not (opt / ".git").exists() and not (opt / "data").exists()
    assert os.access(opt / ".venv" / "bin" / "haolin-edge", os.X_OK)
    import_check = subprocess.run([str(opt / ".venv" / "bin" / "python"), "-c", "import edge; print(edge.__file__)"],
                                  capture_output=True, text=True, cwd="/", check=True).stdout
    assert str(opt / ".venv") in import_check, "the installed node runs its own copy, not the checkout"
    assert (etc / "edge.toml").read_text() == (ROOT / "scripts" / "edge.toml.template").read_text()
    for unit in UNITS:
        assert (root / "etc" / "systemd" / "system" / unit).read_text() == (ROOT / "systemd" / unit).read_text()
        assert (root / "etc" / "systemd" / "system" / "multi-user.target.wants" / unit).is_symlink()
    assert stat.S_IMODE((data / "tls" / "ca.key").stat().st_mode) == 0o600
    fingerprint = next(line.split()[-1] for line in printed.splitlines() if line.startswith("CA SHA-256"))
    assert "enrolment page    http://" in printed

    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}",
                             *(f"/etc/systemd/system/{unit}" for unit in UNITS)],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stderr

    # Again, with the site's own settings in place: they stay, and so does the CA devices trust.
    (etc / "edge.toml").write_text('warehouse_id = "WH-HZ-02"\nhttp_host = "0.0.0.0"\n')
    again = _haolin(root, "install")
    assert (etc / "edge.toml").read_text() == 'warehouse_id = "WH-HZ-02"\nhttp_host = "0.0.0.0"\n'
    assert f"CA SHA-256        {fingerprint}" in again

    kept = _haolin(root, "uninstall")
    assert not opt.exists() and not (root / "etc" / "systemd" / "system" / UNITS[0]).exists()
    assert (etc / "edge.toml").exists() and (data / "tls" / "ca.key").exists() and "kept" in kept
    _haolin(root, "uninstall", "--purge")
    assert not etc.exists() and not data.exists()
