"""CPU share of one edge process polling 100 Modbus TCP sensors + 20 MQTT sensors once a second.

Simulators run in a child process so only the edge side is measured. Reference: the same
count of bare pymodbus reads (no supervisor, no codec) in the same process and period.
Prints one JSON line per case.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

N_MODBUS, N_MQTT = 100, 20
DURATION = float(os.environ.get("BENCH_SECONDS", "20"))


def _simulators(workdir: str, ready: multiprocessing.connection.Connection) -> None:  # type: ignore[name-defined]
    async def main() -> None:
        from drivers.broker import start_broker
        from drivers.profiles import load_profile
        from drivers.simulators.modbus import ModbusSensorSim
        from drivers.simulators.site import MqttSensorSim
        from drivers.transports import MqttTransport

        spec = load_profile("xy-md02").spec
        sims = []
        for _ in range(N_MODBUS):
            sim = ModbusSensorSim(spec, {1: {"temperature_c": 3.5, "humidity_pct": 88.0}})
            await sim.start_tcp()
            sims.append(sim)
        broker = start_broker(Path(workdir) / "mqtt")
        mqtt = MqttTransport(broker.host, broker.port)
        payload = b'{"temperature":2.75,"humidity":91.5,"battery":86}'
        for i in range(N_MQTT):
            MqttSensorSim(mqtt, f"zigbee2mqtt/th-{i}", [payload]).start()
        ready.send({"ports": [s.port for s in sims], "broker": [broker.host, broker.port]})
        try:
            await asyncio.sleep(3600)
        finally:
            broker.stop()

    asyncio.run(main())


async def _edge(ports: list[int], broker: list) -> dict:
    from drivers.site import parse_site
    from drivers.supervisor import Supervisor

    devices = [{"id": f"mb-{i}", "profile": "xy-md02", "host": "127.0.0.1", "tcp_port": p, "poll_interval_s": 1}
               for i, p in enumerate(ports)]
    devices += [{"id": f"mq-{i}", "profile": "zigbee2mqtt-th-sensor", "topic": f"zigbee2mqtt/th-{i}"}
                for i in range(N_MQTT)]
    site = parse_site({"mqtt": {"host": broker[0], "port": broker[1]}, "devices": devices})
    async with Supervisor(site) as sup:
        await asyncio.sleep(3)  # connect and warm up
        frames0 = sum(s.frames for s in sup.status())
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(DURATION)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        st = sup.status()
    return {"cpu_share": round(cpu / wall, 4), "frames_per_s": round((sum(s.frames for s in st) - frames0) / wall, 1),
            "online": sum(s.state == "online" for s in st), "errors": sum(s.errors for s in st)}


async def _bare(ports: list[int]) -> dict:
    from pymodbus.client import AsyncModbusTcpClient

    clients = [AsyncModbusTcpClient("127.0.0.1", port=p, reconnect_delay=0) for p in ports]
    for c in clients:
        await c.connect()

    async def poll(c: AsyncModbusTcpClient) -> None:
        while True:
            await c.read_input_registers(1, count=2, device_id=1)
            await asyncio.sleep(1)

    tasks = [asyncio.create_task(poll(c)) for c in clients]
    await asyncio.sleep(2)
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(DURATION)
    share = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    for t in tasks:
        t.cancel()
    for c in clients:
        c.close()
    return {"cpu_share": round(share, 4)}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    with tempfile.TemporaryDirectory() as work:
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.Process(target=_simulators, args=(work, child), daemon=True)
        proc.start()
        info = parent.recv()
        try:
            bare = asyncio.run(_bare(info["ports"]))
            ours = asyncio.run(_edge(info["ports"], info["broker"]))
        finally:
            proc.terminate()
            proc.join(10)
    print(json.dumps({"bench": "devices_poll", "case": f"{N_MODBUS} modbus tcp + {N_MQTT} mqtt @1s", **ours,
                      "target_cpu_share": 0.15, "reference": {"bare_pymodbus_100_reads_per_s": bare}}))


if __name__ == "__main__":
    main()
