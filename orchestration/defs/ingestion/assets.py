"""Ingestion: one daily-partitioned asset per registry entry, landing it in the lake."""


import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa

from orchestration.lib.extract import SqliteSource, Window
from orchestration.lib.lake import Lake
from orchestration.lib.partitions import DAILY, SINGLE_RUN, days_in_window
from orchestration.lib.registry import TableSpec, load_registry
from orchestration.settings import Settings

REGISTRY_PATH = Path(__file__).with_name("registry.yml")


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in schema])


def build_ingestion_asset(spec: TableSpec) -> dg.AssetsDefinition:
    personal = ", ".join(spec.personal_data)

    @dg.asset(
        key=spec.asset_key,
        group_name=f"raw_{spec.system}",
        description=spec.description,
        owners=[spec.owner],
        kinds={"parquet"},
        tags={"personal_data": "true"} if spec.personal_data else None,
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
        metadata={
            "source": f"{spec.connection}.{spec.table}",
            "mode": spec.mode,
            "cursor": spec.cursor or "",
            "primary_key": ", ".join(spec.primary_key),
            "personal_data_columns": personal,
        },
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        lake: dg.ResourceParam[Lake],
        settings: dg.ResourceParam[Settings],
    ) -> dg.MaterializeResult:
        source = SqliteSource(settings.connections[spec.connection].options["path"])
        window = context.partition_time_window
        started = time.monotonic()
        days = list(days_in_window(window.start, window.end))
        rows = size = 0
        for day in days:
            cursor = None
            if spec.mode == "incremental":
                cursor = Window(spec.cursor, day, day + timedelta(days=1))
            schema, batches = source.read(spec.table, cursor)
            published = lake.publish_partition(spec.system, spec.table, day, schema, batches)
            rows += published.rows
            size += published.bytes
            context.log.info(f"{spec.name} {day}: {published.rows} rows -> {published.path}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "dagster/column_schema": table_schema(schema),
                "bytes_written": size,
                "partitions_written": len(days),
                "duration_s": round(time.monotonic() - started, 3),
                "lake_path": f"{lake.root}/{spec.system}/{spec.table}",
            }
        )

    return _ingest


def build_ingestion_defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_ingestion_asset(s) for s in load_registry(REGISTRY_PATH)])
