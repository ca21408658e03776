"""The landing format: exactly Event Hubs Capture's Avro files and path layout.

The platform reads the same files whether Azure Capture wrote them to blob storage or the local
writer wrote them to `{data_dir}/capture/`.
"""

from footfall.capture.format import (
    CAPTURE_SCHEMA,
    CapturePath,
    format_enqueued_time,
    parse_capture_path,
    parse_enqueued_time,
    partition_for_key,
)
from footfall.capture.reader import CaptureRecords, read_capture, read_capture_file
from footfall.capture.writer import CaptureWriter

__all__ = [
    "CAPTURE_SCHEMA",
    "CapturePath",
    "CaptureRecords",
    "CaptureWriter",
    "format_enqueued_time",
    "parse_capture_path",
    "parse_enqueued_time",
    "partition_for_key",
    "read_capture",
    "read_capture_file",
]
