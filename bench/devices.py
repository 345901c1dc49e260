"""The hardware issue's benchmark in one run: decode throughput per codec, then the CPU share of
one edge process polling 100 simulated Modbus sensors and 20 MQTT sensors once a second.

Each part is its own script (`devices_decode.py`, `devices_poll.py`) so it can be run alone;
this one runs both in their own processes, so one's imports and threads do not skew the other.
`BENCH_SECONDS` sets the polling duration (default 20 s).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    for part in ("devices_decode.py", "devices_poll.py"):
        subprocess.run([sys.executable, str(HERE / part)], check=True)
