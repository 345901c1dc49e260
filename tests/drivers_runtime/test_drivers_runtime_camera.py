"""Camera scanner: a generated QR image read through OpenCV and decoded with pyzbar."""

from __future__ import annotations

from pathlib import Path

import cv2

from drivers.readings import ScanReading
from drivers.site import parse_site
from drivers.supervisor import Supervisor
from tests.drivers_runtime.helpers import eventually

PAYLOAD = "https://id.gs1.org/01/06900123456781/10/B7?17=240630"


def qr_png(path: Path, text: str) -> None:
    image = cv2.QRCodeEncoder.create().encode(text)
    image = cv2.resize(image, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(path), cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255))


async def test_camera_scanner_decodes_a_generated_qr_once(tmp_path: Path) -> None:
    png = tmp_path / "frame.png"
    qr_png(png, PAYLOAD)
    site = parse_site({"devices": [{"id": "cam", "driver": "camera",
                                    "camera": {"source": str(png), "interval_s": 0.01, "dedupe_s": 60}}]})
    async with Supervisor(site) as sup:
        await eventually(lambda: sup.status()[0].frames >= 1, what="a decoded frame")
        # a still image "ends" after one frame: the camera is reopened, the same code is not re-emitted
        await eventually(lambda: sup.status()[0].reconnects >= 1, what="reopen after end of stream")
        st = sup.status()[0]
    assert st.frames == 1
    reading = st.last_reading
    assert isinstance(reading, ScanReading) and reading.data == PAYLOAD
    assert reading.symbology_id == "]Q1" and reading.device_id == "cam"
