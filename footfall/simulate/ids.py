"""Identifiers drawn from a seeded generator instead of the operating system or a hash.

The edge uses random UUIDs for event ids and a keyed hash for visitor ids; a simulation must be
reproducible for a seed, so both come from the simulation's own generator. Event ids are
formatted as lower-case version-4 UUIDs so they match the contract's pattern.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 4096


class IdSource:
    """Hands out deterministic event ids (drawn in blocks, to keep per-id cost low)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._block: list[str] = []

    def event_id(self) -> str:
        """The next UUID-4-shaped event id."""
        if not self._block:
            self._block = self._draw_block()
        return self._block.pop()

    def visitor_ids(self, n: int) -> list[str]:
        """`n` pseudonymous visitor ids: 32 lower-case hex characters each."""
        text = self._rng.bytes(16 * n).hex()
        return [text[32 * i : 32 * i + 32] for i in range(n)]

    def _draw_block(self) -> list[str]:
        raw = self._rng.integers(0, 256, size=(_BLOCK, 16), dtype=np.uint8)
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
        text = raw.tobytes().hex()
        out = []
        for i in range(_BLOCK - 1, -1, -1):  # reversed, so pop() yields them in drawn order
            h = text[32 * i : 32 * i + 32]
            out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
        return out
