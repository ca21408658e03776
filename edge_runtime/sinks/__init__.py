"""Where the edge sends events. Every sink takes contract models, never raw dicts."""

from edge_runtime.sinks.base import Sink
from edge_runtime.sinks.local_capture import LocalCaptureSink
from edge_runtime.sinks.stdout import StdoutSink

__all__ = ["LocalCaptureSink", "Sink", "StdoutSink"]
