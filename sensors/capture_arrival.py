"""Notice new Capture files and request runs for the event-time partitions they feed.

The cursor holds, per Capture stream (`namespace/eventhub/partition`), the path of the last file
handled. Capture paths sort in time order, so a tick lists only folders at or after the cursor,
however long the history. New files are decoded to find the hours their records belong to (with
the same placement rules `raw_events` uses), and one run is requested per touched hour. A run key
names the hour and the files, so the same file never triggers the same partition twice.

Every evaluation says what it did, for the sensor's tick history in the UI: a skip names its
reason (nothing after the cursor, files still being written, files without records, hours already
requested for exactly these files), a request logs which files feed which hours, and each run
request carries the files it was made for in its tags (`footfall/capture_files`).
"""

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from dagster import (
    DagsterInstance,
    DagsterInvariantViolationError,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG

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
SENSOR_NAME = "capture_arrival_sensor"
FILES_TAG = "footfall/capture_files"
SHOWN = 3  # files or hours named in a message before "+N more"


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


def _short(items: list[str], shown: int = SHOWN) -> str:
    """`a, b, c +4 more`: a list short enough for a tag or a one-line reason."""
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" +{more} more" if more > 0 else "")


def _cursor_summary(cursor: dict[str, str]) -> str:
    if not cursor:
        return "no cursor yet: no file has been seen"
    return f"cursor at {_short(sorted(cursor.values()), 2)} ({len(cursor)} stream(s))"


def _used_run_keys(instance: DagsterInstance | None, run_keys: list[str]) -> dict[str, str]:
    """Run keys of this sensor that already launched a run: run key -> run id.

    The daemon skips such requests anyway; looking them up lets the tick say so."""
    if instance is None or not run_keys:
        return {}
    runs = instance.get_runs(
        filters=RunsFilter(tags={RUN_KEY_TAG: run_keys, SENSOR_NAME_TAG: SENSOR_NAME})
    )
    return {run.tags[RUN_KEY_TAG]: run.run_id for run in runs}


def _instance(context: SensorEvaluationContext) -> DagsterInstance | None:
    try:
        return context.instance
    except DagsterInvariantViolationError:  # a context built without an instance
        return None


@sensor(
    name=SENSOR_NAME,
    job=hourly_ingest_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Watches the Capture landing area; requests one hourly_ingest run per event-time hour "
        "that new files feed (late events rebuild their old hour). Each tick says why it ran or "
        "skipped; each run's tags name its files."
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
        reason = f"No new capture files in {capture_storage.describe()}; {_cursor_summary(cursor)}"
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
                tags={"footfall/new_capture_files": str(len(paths)), FILES_TAG: _short(paths)},
            )
        )
    for file in files:
        cursor[file.stream] = max(cursor.get(file.stream, ""), file.path)
    new_cursor = json.dumps(cursor)

    empty = sorted(f.path for f in files if f.path not in by_file)
    if not requests:
        if outside:
            reason = f"{len(files)} new capture files feed only hours outside the partitions "
            reason += f"({_short(outside)})"
        else:
            reason = f"{len(files)} new capture files hold no records"
        if empty:
            reason += f"; without records: {_short(empty)}"
        return SensorResult(
            skip_reason=SkipReason(reason + "; cursor moved past them"), cursor=new_cursor
        )

    used = _used_run_keys(_instance(context), [r.run_key for r in requests])
    if used:
        hours = sorted(r.partition_key for r in requests if r.run_key in used)
        context.log.info(f"already requested for exactly these files: {_short(hours)}")
        requests = [r for r in requests if r.run_key not in used]
        if not requests:
            return SensorResult(
                skip_reason=SkipReason(
                    f"{len(files)} new capture files feed {len(hours)} partition(s) already "
                    f"requested for exactly these files: {_short(hours)}"
                ),
                cursor=new_cursor,
            )

    context.log.info(
        f"{len(files)} new capture files ({len(empty)} without records) feed "
        f"{len(requests)} partition(s): "
        + "; ".join(f"{r.partition_key} <- {r.tags[FILES_TAG]}" for r in requests[:SHOWN])
        + (f"; +{len(requests) - SHOWN} more" if len(requests) > SHOWN else "")
    )
    return SensorResult(run_requests=requests, cursor=new_cursor)
