"""The sink interface."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from footfall.contract.models import Event


class Sink(Protocol):
    """Accepts events; `close` delivers everything still buffered."""

    def send(self, events: Iterable[Event]) -> None: ...

    def close(self) -> None: ...
