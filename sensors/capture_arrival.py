"""Notice new Capture files and request runs for the event-time partitions they feed.

The cursor holds, per Capture stream (`namespace/eventhub/partition`), the path of the last file
handled. Capture paths sort in time order, so a tick lists only folders at or after the cursor,
however long the history. New files are decoded to find the hours their records belong to (with
the same placement rules `raw_events` uses), and one run is requested per touched hour. A run key
names the hour and the files, so the same file never triggers the same partition twice.
"""

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from footfall_assets.ingest.decode import decode_files
from footfall_assets.ingest.partitioning import (
    file_hour,
    from_partition_key,
    partitions_by_file,
    to_partition_key,
)
from footfall_assets.jobs import hourly_ingest_job
from footfall_assets.partitions import HOURLY
from footfall_assets.resources import CaptureFile, CaptureStorage, IngestSettings

MAX_FILES_PER_TICK = 500


def _new_files(
    storage: CaptureStorage, cursor: dict[str, str], settings: IngestSettings, now: datetime
) -> tuple[list[CaptureFile], int]:
    """New settled files after the cursor (oldest first per stream) and how many are still young.

    A stream stops at its first file younger than `min_file_age_s`, so the cursor never moves
    past a file that may still be being written.
    """
    settled_before = now - timedelta(seconds=settings.min_file_age_s)
    found: list[CaptureFile] = []
    young = 0
    for stream in storage.streams():
        for file in storage.files_after(stream, cursor.get(stream)):
            if file.modified > settled_before:
                young += 1
                break
            found.append(file)
            if len(found) >= MAX_FILES_PER_TICK:
                return found, young
    return found, young


def _in_partitions(key: str, now: datetime) -> bool:
    """Whether the hour exists in the partitions (from their start to the current hour)."""
    return HOURLY.start <= from_partition_key(key) <= now


@sensor(
    job=hourly_ingest_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Watches the Capture landing area; requests one hourly_ingest run per event-time hour "
        "that new files feed (late events rebuild their old hour)."
    ),
)
def capture_arrival_sensor(
    context: SensorEvaluationContext,
    capture_storage: CaptureStorage,
    ingest_settings: IngestSettings,
) -> SensorResult:
    cursor: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    now = datetime.now(UTC)
    files, young = _new_files(capture_storage, cursor, ingest_settings, now)
    if not files:
        reason = f"No new capture files in {capture_storage.describe()}"
        if young:
            reason += f" ({young} stream(s) have a file younger than "
            reason += f"{ingest_settings.min_file_age_s:g}s, left for the next tick)"
        return SensorResult(skip_reason=SkipReason(reason), cursor=json.dumps(cursor))

    decoded = decode_files(capture_storage, files)
    by_file = partitions_by_file(decoded.table, ingest_settings)
    for bad in decoded.damaged:
        # raw_events files a damaged file under the hour it is named for as well.
        by_file.setdefault(bad.path, {}).setdefault(to_partition_key(file_hour(bad.path)), 0)
        context.log.warning(f"capture file {bad.path} is damaged: {bad.error}")

    files_per_partition: dict[str, list[str]] = defaultdict(list)
    for path, partitions in by_file.items():
        for key in partitions:
            files_per_partition[key].append(path)
    outside = sorted(k for k in files_per_partition if not _in_partitions(k, now))
    if outside:
        context.log.warning(
            f"records for hours outside the partition range were not scheduled: {outside[:5]}"
        )

    requests = []
    for key in sorted(set(files_per_partition) - set(outside)):
        paths = sorted(files_per_partition[key])
        digest = hashlib.sha1("\n".join(paths).encode()).hexdigest()[:16]
        requests.append(
            RunRequest(
                run_key=f"{key}:{digest}",
                partition_key=key,
                tags={"footfall/new_capture_files": str(len(paths))},
            )
        )
    for file in files:
        cursor[file.stream] = max(cursor.get(file.stream, ""), file.path)
    empty = len(files) - len(by_file)
    context.log.info(
        f"{len(files)} new capture files ({empty} without records) feed "
        f"{len(requests)} partition(s)"
    )
    if not requests:
        return SensorResult(
            skip_reason=SkipReason(f"{len(files)} new capture files hold no records"),
            cursor=json.dumps(cursor),
        )
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor))
