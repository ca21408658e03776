"""Stdout sink: one JSON event per line, for piping and debugging."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from footfall.contract.models import Event, to_json


class StdoutSink:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    def send(self, events: Iterable[Event]) -> None:
        for event in events:
            self._stream.write(to_json(event).decode("utf-8") + "\n")
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()
