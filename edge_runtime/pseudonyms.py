"""Visitor pseudonyms: a keyed hash of a track under a key that rotates daily and stays on device.

`visitor_id` lets the platform count distinct visitors and join a visit to its face observation
within a day, and nothing more. The key for a day is 32 random bytes created on first use in the
device's key folder (`{data_dir}/edge/keys/`, readable by the owner only); keys of earlier days
are deleted when a new day's key is made, so even the device cannot link yesterday's pseudonyms to
today's. Each run also mixes in a random run nonce, because tracker ids restart at 1 every run
and two runs on the same day must not give different people the same pseudonym.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32
PSEUDONYM_HEX = 32  # 128 bits: collisions are negligible, and the contract allows 16..64 hex


class DailyKeys:
    """One secret key per calendar day, kept in `folder` as `{YYYY-MM-DD}.key`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[dt.date, bytes] = {}

    def key_for(self, day: dt.date) -> bytes:
        if day not in self._cache:
            self._cache[day] = self._load_or_create(day)
        return self._cache[day]

    def _load_or_create(self, day: dt.date) -> bytes:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)  # nobody else may even list the key files
        path = self.folder / f"{day.isoformat()}.key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(KEY_BYTES))
            self._forget_days_before(day)
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ValueError(f"{path}: pseudonym key must be {KEY_BYTES} bytes, found {len(key)}")
        return key

    def _forget_days_before(self, day: dt.date) -> None:
        for old in self.folder.glob("*.key"):
            try:
                old_day = dt.date.fromisoformat(old.stem)
            except ValueError:
                continue
            if old_day < day:
                old.unlink(missing_ok=True)
                self._cache.pop(old_day, None)


class Pseudonymizer:
    """Turns (camera, track id) into the day's `visitor_id`."""

    def __init__(self, keys: DailyKeys, camera_id: str, run_nonce: str | None = None) -> None:
        self.keys = keys
        self.camera_id = camera_id
        self.run_nonce = run_nonce or secrets.token_hex(16)

    def visitor_id(self, track_id: int, day: dt.date) -> str:
        message = f"{self.camera_id}/{self.run_nonce}/{track_id}".encode()
        digest = hmac.new(self.keys.key_for(day), message, hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX]
