"""`run_site_simulators`: a whole site simulated, then driven by the supervisor unchanged."""

from __future__ import annotations

from pathlib import Path

from drivers.simulators.site import run_site_simulators
from drivers.site import load_site
from drivers.supervisor import Supervisor
from tests.drivers_runtime.helpers import eventually

SITE = """\
mqtt: {host: 127.0.0.1, port: 1}
devices:
  - {id: refr-1, profile: atago-prm-2000a, port: /dev/serial/by-id/usb-ATAGO-if00, location: QC bench}
  - {id: cold-1, profile: xy-md02, port: /dev/serial/by-id/usb-CH340-if00, unit_id: 3, poll_interval_s: 0.2}
  - {id: cold-2, profile: dixell-xr-cx, host: 10.0.0.9, poll_interval_s: 0.2}
  - {id: room-2, profile: tasmota-sensor, topic: tele/coldroom2/SENSOR}
  - {id: label-1, profile: escpos-80mm-network, host: 10.0.0.30, tcp_port: 9100}
"""


async def test_simulated_site_comes_online(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(SITE)
    sims = await run_site_simulators(load_site(tmp_path / "site.yaml"), tmp_path / "sim")
    try:
        sims.site.dump(tmp_path / "sim-site.yaml")
        site = load_site(tmp_path / "sim-site.yaml")
        assert site.device("cold-1").unit_id == 3 and site.device("refr-1").location == "QC bench"
        async with Supervisor(site) as sup:
            await eventually(lambda: all(s.state == "online" for s in sup.status()), timeout=15,
                             what=f"all online: {[(s.device_id, s.state, s.reason) for s in sup.status()]}")
            await eventually(lambda: all(s.frames >= 1 for s in sup.status()), timeout=15, what="a reading each")
    finally:
        await sims.stop()
