"""Digest trees per delivery date: compare roots, descend only where the hashes differ.

An order's place in the tree is the hex prefix of SHA-256 of its id, so both sides bucket the
same order the same way without sharing anything but the depth (fan-out 16 per level). A leaf
row hashes what both sides must agree on: id, version, HQ status and the picked quantities.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

HASH_CHARS = 16  # 64 bits: a collision between two differing rows is not a practical worry
ORDERS_PER_LEAF = 8
MAX_DEPTH = 6


def row_hash(hq_order_id: str, version: int, status: str, picked: Mapping[int, int]) -> str:
    """Hash of one order's agreed state; lines with nothing picked are left out on both sides."""
    lines = ",".join(f"{no}:{qty}" for no, qty in sorted(picked.items()) if qty)
    text = f"{hq_order_id}|{version}|{status}|{lines}"
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]


def bucket_of(hq_order_id: str, depth: int) -> str:
    return hashlib.sha256(hq_order_id.encode()).hexdigest()[:depth]


def choose_depth(orders: int) -> int:
    """Smallest depth with about `ORDERS_PER_LEAF` orders per leaf bucket."""
    depth = 1
    while 16**depth * ORDERS_PER_LEAF < orders and depth < MAX_DEPTH:
        depth += 1
    return depth


def _combine(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:HASH_CHARS]


@dataclass
class DigestTree:
    """All node hashes of one date's tree; empty buckets have no node at all."""

    depth: int
    leaves: dict[str, dict[str, str]] = field(default_factory=dict)  # bucket -> order id -> row hash
    nodes: dict[str, str] = field(default_factory=dict)  # prefix -> hash ("" is the root)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str]], depth: int) -> DigestTree:
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"digest depth must be 1..{MAX_DEPTH}, got {depth}")
        leaves: dict[str, dict[str, str]] = defaultdict(dict)
        for hq_order_id, hashed in rows:
            leaves[bucket_of(hq_order_id, depth)][hq_order_id] = hashed
        nodes = {
            bucket: _combine(f"{oid}={h}" for oid, h in sorted(members.items()))
            for bucket, members in leaves.items()
        }
        level = dict(nodes)
        for _ in range(depth):
            parents: dict[str, list[str]] = defaultdict(list)
            for prefix in sorted(level):
                parents[prefix[:-1]].append(f"{prefix}={level[prefix]}")
            level = {prefix: _combine(parts) for prefix, parts in parents.items()}
            nodes.update(level)
        return cls(depth, dict(leaves), nodes)

    @property
    def root(self) -> str:
        return self.nodes.get("", "")

    @property
    def orders(self) -> int:
        return sum(len(members) for members in self.leaves.values())

    def children(self, prefixes: Iterable[str]) -> dict[str, str]:
        """Hashes of the non-empty children of each prefix (the root itself for "")."""
        found: dict[str, str] = {}
        for prefix in prefixes:
            if len(prefix) >= self.depth:
                raise ValueError(f"prefix {prefix!r} is a leaf bucket in a tree of depth {self.depth}")
            for digit in "0123456789abcdef":
                child = prefix + digit
                if child in self.nodes:
                    found[child] = self.nodes[child]
        return found

    def leaf_rows(self, bucket: str) -> dict[str, str]:
        return self.leaves.get(bucket, {})


def differing(ours: Mapping[str, str], theirs: Mapping[str, str]) -> list[str]:
    """Keys whose hash differs or that only one side has, sorted."""
    return sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
