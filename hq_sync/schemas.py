"""JSON schemas of the sync protocol, generated from the models so the docs cannot drift.

`python -m hq_sync.schemas docs/schemas` rewrites them; a test checks the committed files match.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from hq_sync import protocol as p

#: File stem -> model. The order batch's schema belongs to the edge's intake docs.
MESSAGES: dict[str, type[BaseModel]] = {
    "hq_feed_page": p.FeedPage,
    "hq_event_batch": p.EventBatch,
    "hq_event_acks": p.EventAcks,
    "hq_digest_nodes_request": p.DigestNodesRequest,
    "hq_digest_nodes": p.DigestNodes,
    "hq_digest_leaves_request": p.DigestLeavesRequest,
    "hq_digest_leaves": p.DigestLeaves,
    "hq_orders_lookup": p.OrdersLookup,
    "hq_orders_found": p.OrdersFound,
    "hq_fulfillment_repair": p.FulfillmentRepair,
    "hq_repair_ack": p.RepairAck,
    "hq_error": p.ErrorBody,
    **{f"hq_event_{kind.replace('.', '_')}": model for kind, model in p.EVENT_PAYLOADS.items()},
}


def render(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, model in MESSAGES.items():
        path = directory / f"{stem}.schema.json"
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(written)
