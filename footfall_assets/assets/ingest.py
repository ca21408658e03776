"""Ingestion assets: Capture files -> `raw_events` -> `events` (+ `quarantined_events`)."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from footfall_assets.assets.metadata import OWNER, preview, table_schema
from footfall_assets.ingest.classify import build_events_partition
from footfall_assets.ingest.partitioning import naive_utc
from footfall_assets.ingest.raw_load import load_raw_partition
from footfall_assets.ingest.retention import purged_at
from footfall_assets.ingest.tables import ensure_tables
from footfall_assets.partitions import HOURLY
from footfall_assets.resources import CaptureStorage, DuckDBWarehouse, IngestSettings

# Each partition is its own run (so its checks are attributed to it); a backfill launches one
# run per hour. Writers share the warehouse file, hence the pool.
PER_PARTITION = BackfillPolicy.multi_run(max_partitions_per_run=1)
POOL = "warehouse"


@asset(
    partitions_def=HOURLY,
    backfill_policy=PER_PARTITION,
    pool=POOL,
    group_name="ingest",
    owners=[OWNER],
    kinds={"avro", "duckdb"},
    description=(
        "Capture records (Event Hubs Capture Avro) whose event time falls in the hour, with "
        "their capture coordinates (file, sequence number, enqueued time). Records whose body "
        "cannot be placed by event time go to their enqueued hour. A damaged capture file does "
        "not fail the partition: its readable records are kept and the file is recorded in "
        "`ingest.quarantined_capture_files` with the reason."
    ),
    metadata={"dagster/table_name": "ingest.raw_events"},
)
def raw_events(
    context: AssetExecutionContext,
    capture_storage: CaptureStorage,
    warehouse: DuckDBWarehouse,
    ingest_settings: IngestSettings,
) -> MaterializeResult:
    hour = context.partition_time_window.start
    with warehouse.connect() as conn:
        ensure_tables(conn)
        removed = purged_at(conn, hour)
        if removed is not None:
            raise Failure(
                f"partition {context.partition_key}: its raw data was deleted by retention on "
                f"{removed:%Y-%m-%d %H:%M} UTC (see ingest.retention_log); its events and marts "
                "are kept, and rebuilding it would replace them with nothing"
            )
        result = load_raw_partition(conn, capture_storage, ingest_settings, hour)
        for bad in result.damaged:
            context.log.warning(
                f"capture file {bad.path}: {bad.error}; kept {bad.records_read} records, "
                "file quarantined"
            )
        schema = table_schema(conn, "ingest.raw_events")
    return MaterializeResult(
        metadata={
            "dagster/row_count": result.records,
            "dagster/column_schema": schema,
            "capture_storage": capture_storage.describe(),
            "candidate_files": result.candidate_files,
            "files_decoded": result.files_read,
            "files_newly_indexed": result.files_indexed,
            "damaged_files": len(result.damaged),
            "damaged_file_list": MetadataValue.md(
                "\n".join(f"- `{d.path}`: {d.error}" for d in result.damaged) or "_none_"
            ),
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
    backfill_policy=PER_PARTITION,
    pool=POOL,
)
def validated_events(
    context: AssetExecutionContext, warehouse: DuckDBWarehouse, ingest_settings: IngestSettings
):
    hour = context.partition_time_window.start
    with warehouse.connect() as conn:
        ensure_tables(conn)
        result = build_events_partition(conn, ingest_settings, hour)
        start = naive_utc(result.partition_start)
        events_schema = table_schema(conn, "ingest.events")
        quarantine_schema = table_schema(conn, "ingest.quarantined_events")
        quarantine_preview = preview(
            conn,
            """SELECT reason, field, rule, detail, capture_file, sequence_number
               FROM ingest.quarantined_events WHERE partition_start = ?
               ORDER BY capture_file, sequence_number""",
            [start],
        )
    if result.quarantined:
        context.log.warning(
            f"partition {context.partition_key}: {result.quarantined} of {result.raw} records "
            f"quarantined ({dict(result.reasons)})"
        )
    yield MaterializeResult(
        asset_key=AssetKey("events"),
        metadata={
            "dagster/row_count": result.events,
            "dagster/column_schema": events_schema,
            "raw_records": result.raw,
            "duplicates": result.duplicates,
            "quarantined": result.quarantined,
            "events_by_type": MetadataValue.json(dict(result.events_by_type)),
        },
    )
    yield MaterializeResult(
        asset_key=AssetKey("quarantined_events"),
        metadata={
            "dagster/row_count": result.quarantined,
            "dagster/column_schema": quarantine_schema,
            "reasons": MetadataValue.json(dict(result.reasons)),
            "preview": quarantine_preview,
        },
    )
