"""Ingestion assets: Capture files -> `raw_events` -> `events` (+ `quarantined_events`).

Both assets take one hourly partition or a range of them (up to a day per run). A range is
built hour by hour with exactly the single-hour code, in order; each hour's counts are logged as
an `AssetObservation` of that partition, and the run's materialization carries the range's
totals (Dagster records it once per hour of the range, so it holds no per-hour row count).
"""

from collections import Counter
from datetime import datetime

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from footfall_assets.assets.metadata import OWNER, preview, table_schema
from footfall_assets.ingest.classify import EventsResult, build_events_partition
from footfall_assets.ingest.partitioning import from_partition_key, naive_utc
from footfall_assets.ingest.raw_load import candidate_files, load_raw_partition
from footfall_assets.ingest.retention import purged_at
from footfall_assets.ingest.tables import ensure_tables
from footfall_assets.partitions import HOURLY, RANGED
from footfall_assets.resources import CaptureStorage, DuckDBWarehouse, IngestSettings

# A run covers one hour (the sensor's runs) or a range of up to a day of hours (a backfill over
# a date range, `footfall materialize`): a range pays run start-up, event-log writes and the
# Great Expectations set-up once per day instead of once per hour. Inside a range every hour is
# built exactly as in its own run, in order, and its counts are logged as an observation of
# that partition; the checks record one evaluation per hour. Writers share the warehouse file,
# hence the pool.
POOL = "warehouse"


def _range_metadata(context: AssetExecutionContext) -> dict:
    keys = context.partition_keys
    return {"partition_range": f"{keys[0]}..{keys[-1]}", "partitions": len(keys)}


def _damaged_list(damaged: list) -> MetadataValue:
    return MetadataValue.md("\n".join(f"- `{d.path}`: {d.error}" for d in damaged) or "_none_")


@asset(
    partitions_def=HOURLY,
    backfill_policy=RANGED,
    pool=POOL,
    group_name="ingest",
    owners=[OWNER],
    kinds={"avro", "duckdb"},
    description=(
        "Capture records (Event Hubs Capture Avro) whose event time falls in the hour, with "
        "their capture coordinates (file, sequence number, enqueued time). Records whose body "
        "cannot be placed by event time go to their enqueued hour. A damaged capture file does "
        "not fail the partition: its readable records are kept and the file is recorded in "
        "`ingest.quarantined_capture_files` with the reason. A ranged run loads its hours one "
        "by one and logs each hour's counts as an observation of that partition."
    ),
    metadata={"dagster/table_name": "ingest.raw_events"},
)
def raw_events(
    context: AssetExecutionContext,
    capture_storage: CaptureStorage,
    warehouse: DuckDBWarehouse,
    ingest_settings: IngestSettings,
) -> MaterializeResult:
    ranged = not context.has_partition_key
    per_hour = []
    with warehouse.connect() as conn:
        ensure_tables(conn)
        hours = [from_partition_key(key) for key in context.partition_keys]
        listed = candidate_files(capture_storage, ingest_settings, hours) if ranged else {}
        # Refused before any hour is rebuilt, so a range holding a purged hour changes nothing.
        for key, hour in zip(context.partition_keys, hours, strict=True):
            removed = purged_at(conn, hour)
            if removed is not None:
                raise Failure(
                    f"partition {key}: its raw data was deleted by retention on "
                    f"{removed:%Y-%m-%d %H:%M} UTC (see ingest.retention_log); its events and "
                    "marts are kept, and rebuilding it would replace them with nothing"
                )
        for key, hour in zip(context.partition_keys, hours, strict=True):
            result = load_raw_partition(
                conn, capture_storage, ingest_settings, hour, listed.get(hour)
            )
            for bad in result.damaged:
                context.log.warning(
                    f"capture file {bad.path}: {bad.error}; kept {bad.records_read} records, "
                    "file quarantined"
                )
            per_hour.append(result)
            if ranged:
                context.log_event(
                    AssetObservation(
                        asset_key=AssetKey("raw_events"),
                        partition=key,
                        metadata={
                            "dagster/row_count": result.records,
                            "candidate_files": result.candidate_files,
                            "files_decoded": result.files_read,
                            "files_newly_indexed": result.files_indexed,
                            "damaged_files": len(result.damaged),
                            "damaged_file_list": _damaged_list(result.damaged),
                        },
                    )
                )
        schema = table_schema(conn, "ingest.raw_events")
    damaged = [d for r in per_hour for d in r.damaged]
    records = sum(r.records for r in per_hour)
    return MaterializeResult(
        metadata={
            # A ranged run's materialization is recorded for every hour of the range, so its
            # totals are not the hour's row count (each hour's is in its observation).
            **(
                {**_range_metadata(context), "records_in_range": records}
                if ranged
                else {"dagster/row_count": records}
            ),
            "dagster/column_schema": schema,
            "capture_storage": capture_storage.describe(),
            "candidate_files": sum(r.candidate_files for r in per_hour),
            "files_decoded": sum(r.files_read for r in per_hour),
            "files_newly_indexed": sum(r.files_indexed for r in per_hour),
            "damaged_files": len(damaged),
            "damaged_file_list": _damaged_list(damaged),
        }
    )


def _validation_spec(name: str, description: str) -> AssetSpec:
    """An hourly table in the `validation` group built from `raw_events`."""
    return AssetSpec(
        name,
        deps=[raw_events],
        partitions_def=HOURLY,
        group_name="validation",
        owners=[OWNER],
        kinds={"duckdb"},
        description=description,
        metadata={"dagster/table_name": f"ingest.{name}"},
    )


def _quarantine_preview(conn: duckdb.DuckDBPyConnection, start: datetime) -> MetadataValue:
    return preview(
        conn,
        """SELECT reason, field, rule, detail, capture_file, sequence_number
           FROM ingest.quarantined_events WHERE partition_start = ?
           ORDER BY capture_file, sequence_number""",
        [start],
    )


def events_metadata(result: EventsResult) -> dict:
    """The hour's `events` counts: raw, valid, duplicate, quarantined, valid by type."""
    return {
        "dagster/row_count": result.events,
        "raw_records": result.raw,
        "duplicates": result.duplicates,
        "quarantined": result.quarantined,
        "events_by_type": MetadataValue.json(dict(result.events_by_type)),
    }


def quarantine_metadata(result: EventsResult) -> dict:
    """The hour's `quarantined_events` counts: records and records by reason."""
    return {
        "dagster/row_count": result.quarantined,
        "reasons": MetadataValue.json(dict(result.reasons)),
    }


def _totals(results: list[EventsResult]) -> EventsResult:
    total = EventsResult(results[0].partition_start, 0, 0, 0, 0, Counter(), Counter())
    for r in results:
        total.raw += r.raw
        total.events += r.events
        total.duplicates += r.duplicates
        total.quarantined += r.quarantined
        total.reasons.update(r.reasons)
        total.events_by_type.update(r.events_by_type)
    return total


def _as_range_totals(metadata: dict, context: AssetExecutionContext) -> dict:
    """Hour metadata turned into a ranged run's totals (no `dagster/row_count`: the run's
    materialization is recorded for every hour of the range)."""
    rows = metadata.pop("dagster/row_count")
    return {**_range_metadata(context), "rows_in_range": rows, **metadata}


@multi_asset(
    specs=[
        _validation_spec(
            "events",
            "Events that honour contract v1, typed, one row per event_id (de-duplicated: the "
            "copy enqueued first is kept, later copies are listed in `ingest.duplicate_events`). "
            "Late events land in their event-time hour.",
        ),
        _validation_spec(
            "quarantined_events",
            "Records refused by validation, with the raw body and a reason: invalid_encoding, "
            "malformed_json, schema_violation (field and rule named), future_event_time or "
            "too_late (beyond the lateness window).",
        ),
    ],
    partitions_def=HOURLY,
    backfill_policy=RANGED,
    pool=POOL,
)
def validated_events(
    context: AssetExecutionContext, warehouse: DuckDBWarehouse, ingest_settings: IngestSettings
):
    # Hours are rebuilt in order, each from its own raw_events rows only (late events were
    # placed in their event-time hour by raw_events), so a range gives the same tables as
    # one run per hour.
    ranged = not context.has_partition_key
    results: list[EventsResult] = []
    with warehouse.connect() as conn:
        ensure_tables(conn)
        for key in context.partition_keys:
            result = build_events_partition(conn, ingest_settings, from_partition_key(key))
            results.append(result)
            if result.quarantined:
                context.log.warning(
                    f"partition {key}: {result.quarantined} of {result.raw} records "
                    f"quarantined ({dict(result.reasons)})"
                )
            if ranged:
                start = naive_utc(result.partition_start)
                context.log_event(
                    AssetObservation(
                        asset_key=AssetKey("events"),
                        partition=key,
                        metadata=events_metadata(result),
                    )
                )
                preview_meta = (
                    {"preview": _quarantine_preview(conn, start)} if result.quarantined else {}
                )
                context.log_event(
                    AssetObservation(
                        asset_key=AssetKey("quarantined_events"),
                        partition=key,
                        metadata={**quarantine_metadata(result), **preview_meta},
                    )
                )
        events_schema = table_schema(conn, "ingest.events")
        quarantine_schema = table_schema(conn, "ingest.quarantined_events")
        quarantine_preview = (
            None if ranged else _quarantine_preview(conn, naive_utc(results[0].partition_start))
        )
    total = _totals(results)
    events_meta, quarantine_meta = events_metadata(total), quarantine_metadata(total)
    if ranged:
        events_meta = _as_range_totals(events_meta, context)
        quarantine_meta = _as_range_totals(quarantine_meta, context)
    else:
        quarantine_meta["preview"] = quarantine_preview
    yield MaterializeResult(
        asset_key=AssetKey("events"),
        metadata={**events_meta, "dagster/column_schema": events_schema},
    )
    yield MaterializeResult(
        asset_key=AssetKey("quarantined_events"),
        metadata={**quarantine_meta, "dagster/column_schema": quarantine_schema},
    )
