"""Store-and-forward for remote sinks: events are on disk before `send` returns."""

from edge_runtime.outbox.outbox import Outbox, OutboxSettings, outbox_path
from edge_runtime.outbox.store import OutboxInUse, OutboxStats, OutboxStore

__all__ = ["Outbox", "OutboxInUse", "OutboxSettings", "OutboxStats", "OutboxStore", "outbox_path"]
