"""Photos taken on the floor (damage at the dock, a store owner at handoff) kept under the data dir."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from edge.services.floor.errors import FloorError

MAX_PHOTO = 8 * 1024 * 1024
IMAGE_MAGIC = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


@dataclass(frozen=True)
class StoredPhoto:
    relative_path: str  # under the data dir, as recorded in the database
    sha256: str
    size: int


def keep_photo(data_dir: Path, folder: str, stem: str, body: bytes, *, max_bytes: int = MAX_PHOTO) -> StoredPhoto:
    """Check the bytes are one JPEG or PNG of a sane size and write them; refuse anything else."""
    if not body or len(body) > max_bytes:
        raise FloorError("bad_photo", f"a photo is 1 byte to {max_bytes} bytes, got {len(body)}")
    ext = next((e for magic, e in IMAGE_MAGIC.items() if body.startswith(magic)), None)
    if ext is None:
        raise FloorError("bad_photo", "the photo must be a JPEG or PNG image")
    digest = hashlib.sha256(body).hexdigest()
    target = data_dir / "photos" / folder
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{stem}-{digest[:16]}.{ext}"
    path.write_bytes(body)
    return StoredPhoto(str(path.relative_to(data_dir)), digest, len(body))
