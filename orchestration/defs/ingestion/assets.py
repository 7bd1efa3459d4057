"""Ingestion: one daily-partitioned asset per registry entry, landing it in the lake.

`ingest` is the whole run of one entry over a window of days: describe the source, check
its schema against the last published one, then for each lake partition stream the rows
into `Lake.publish_partition` (atomic), retrying transient errors. The asset wraps it.
"""

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.defs.ingestion.plan import (
    SchemaChange,
    Watermark,
    enforce_policy,
    periods_to_write,
    read_window,
    schema_change,
)
from orchestration.lib.extractors import ExtractError, ReadRequest, open_extractor, with_retries
from orchestration.lib.lake import Lake
from orchestration.lib.partitions import DAILY, SINGLE_RUN
from orchestration.lib.registry import TableSpec, load_registry
from orchestration.lib.warehouse import lake_writer
from orchestration.settings import Settings

REGISTRY_PATH = Path(__file__).with_name("registry.yml")
PRIMARY_KEY_CHECK = "primary_key_unique"  # a warning: raw keeps what the source holds


@dataclass
class IngestionReport:
    rows: int = 0
    bytes: int = 0
    partitions: list[date] = field(default_factory=list)
    schema: pa.Schema | None = None
    change: SchemaChange = field(default_factory=SchemaChange)
    watermark: Watermark | None = None
    null_cursor_rows: int = 0
    duplicate_keys: int = 0
    seconds: float = 0.0


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in schema])


def last_published_schema(lake: Lake, spec: TableSpec) -> pa.Schema | None:
    days = lake.partition_days(spec.system, spec.table)
    if not days:
        return None
    return pq.read_schema(lake.partition_path(spec.system, spec.table, days[-1]), filesystem=lake.fs)


def duplicate_keys(lake: Lake, spec: TableSpec, days: list[date]) -> int:
    """Rows beyond the first of each primary key value, in the partitions just written."""
    import duckdb

    paths = [lake.partition_path(spec.system, spec.table, day) for day in days]
    if not paths:
        return 0
    with duckdb.connect() as connection:
        if not lake.is_local:
            connection.register_filesystem(lake.duckdb_filesystem())
            paths = [lake.fs.unstrip_protocol(p) for p in paths]
        key = ", ".join('"' + k.replace('"', '""') + '"' for k in spec.primary_key)
        return connection.execute(
            f"select coalesce(sum(n - 1), 0) from (select count(*) as n from read_parquet(?) "
            f"group by {key} having count(*) > 1)",
            [paths],
        ).fetchone()[0]


def ingest(
    spec: TableSpec,
    settings: Settings,
    lake: Lake,
    start: date,
    end: date,
    environ: Mapping[str, str],
    log: Callable[[str], None] = lambda _: None,
) -> IngestionReport:
    """Land the partitions of `spec` covering the days [start, end) (plus its lookback)."""
    started = time.monotonic()
    connection = settings.connections.get(spec.connection)
    if connection is None:
        raise ExtractError(
            f"{spec.where}: connection {spec.connection!r} is not defined in connections.yml for "
            f"environment {settings.environment!r} (defined: {', '.join(sorted(settings.connections))}); "
            "add it there or fix `connection:` of the entry."
        )
    where = f"{spec.where} (connection {spec.connection!r}, environment {settings.environment!r})"
    extractor = open_extractor(connection, environ, where)

    def retrying(action):
        return with_retries(action, on_retry=lambda n, e, s: log(f"attempt {n} failed, retrying in {s:.1f} s: {e}"))

    described = retrying(lambda: extractor.describe(spec.source))
    schema = described.schema
    for column in (*spec.primary_key, *([spec.cursor] if spec.cursor else [])):
        if column not in schema.names:
            raise ExtractError(
                f"{where}: column {column!r} (primary_key/cursor of the entry) is not a column of "
                f"the source; its columns are {', '.join(schema.names)}."
            )
    report = IngestionReport(schema=schema, watermark=Watermark(spec.cursor))
    report.change = schema_change(last_published_schema(lake, spec), schema)
    enforce_policy(spec, report.change)
    if report.change:
        log(f"{spec.name}: schema changed upstream ({report.change.describe()}); policy evolve")

    for period in periods_to_write(spec, start, end, DAILY.start.date()):
        request = ReadRequest(spec.source, described, read_window(spec, period), spec.primary_key)
        published = retrying(
            lambda: lake.publish_partition(
                spec.system, spec.table, period.key, schema,
                report.watermark.watch(extractor.batches(request)),
            )
        )
        report.rows += published.rows
        report.bytes += published.bytes
        report.partitions.append(period.key)
        log(f"{spec.name} {period.key}: {published.rows} rows -> {published.path}")
    if spec.cursor:
        report.null_cursor_rows = retrying(lambda: extractor.null_cursor_rows(spec.source, spec.cursor))
        if report.null_cursor_rows:
            log(
                f"{spec.name}: {report.null_cursor_rows} source rows have a NULL {spec.cursor!r} "
                "and belong to no partition; fix them upstream or choose another cursor."
            )
    report.duplicate_keys = duplicate_keys(lake, spec, report.partitions)
    if report.duplicate_keys:
        log(f"{spec.name}: {report.duplicate_keys} rows repeat a primary key value already written")
    report.seconds = time.monotonic() - started
    return report


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else "" if value is None else str(value)


def build_ingestion_asset(spec: TableSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=spec.asset_key,
        deps=[source_table_spec(spec)],
        group_name=f"raw_{spec.system}",
        description=spec.description,
        owners=[spec.owner],
        kinds={"parquet"},
        tags={"personal_data": "true"} if spec.personal_data else None,
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
        check_specs=[
            dg.AssetCheckSpec(
                PRIMARY_KEY_CHECK, asset=spec.asset_key,
                description=f"No two rows of a partition written share ({', '.join(spec.primary_key)}); "
                "raw keeps what the source holds, so a repeat warns and staging deduplicates.",
            )
        ] if spec.primary_key else None,
        metadata={
            "source": f"{spec.connection}.{spec.query and 'query' or spec.source.table}",
            "mode": spec.mode,
            "cursor": spec.cursor or "",
            "lookback_days": spec.lookback_days,
            "grain": spec.grain,
            "schema_policy": spec.schema_policy,
            "primary_key": ", ".join(spec.primary_key),
            "personal_data_columns": ", ".join(spec.personal_data),
        },
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        lake: dg.ResourceParam[Lake],
        settings: dg.ResourceParam[Settings],
    ) -> dg.MaterializeResult:
        window = context.partition_time_window
        with lake_writer(settings.duckdb_path, context.log):  # never while dbt reads the lake
            report = ingest(
                spec, settings, lake, window.start.date(), window.end.date(), os.environ,
                context.log.info,
            )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": report.rows,
                "dagster/column_schema": table_schema(report.schema),
                "bytes_written": report.bytes,
                "partitions_written": ", ".join(d.isoformat() for d in report.partitions),
                "duration_s": round(report.seconds, 3),
                "watermark_low": _iso(report.watermark.low),
                "watermark_high": _iso(report.watermark.high),
                "null_cursor_rows": report.null_cursor_rows,
                "schema_change": report.change.describe(),
                # raw keeps what the source holds; staging deduplicates
                "duplicate_primary_key_rows": report.duplicate_keys,
                "lake_path": f"{lake.root}/{spec.system}/{spec.table}",
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=PRIMARY_KEY_CHECK, passed=report.duplicate_keys == 0,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"duplicate_primary_key_rows": report.duplicate_keys},
                )
            ] if spec.primary_key else None,
        )

    return _ingest


def source_table_spec(spec: TableSpec) -> dg.AssetSpec:
    """The table in its source system, outside the platform: where lineage starts."""
    return dg.AssetSpec(
        key=dg.AssetKey(["source", spec.system, spec.table]),
        group_name=f"raw_{spec.system}",
        description=f"{spec.description} In the source system `{spec.system}`.",
        owners=[spec.owner],
        metadata={"connection": spec.connection},
    )


def build_ingestion_defs(registry_path: Path = REGISTRY_PATH) -> dg.Definitions:
    specs = load_registry(registry_path)
    return dg.Definitions(
        assets=[source_table_spec(s) for s in specs] + [build_ingestion_asset(s) for s in specs]
    )
