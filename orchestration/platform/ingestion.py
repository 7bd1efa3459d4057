"""Ingestion: one asset per registry entry, landing it in the lake.

`ingest` is the whole run of one entry: describe the source, check its schema against the last
published one, then write its lake partitions, each published atomically, retrying transient
errors. An incremental entry is partitioned (daily or monthly, `grain:`); a run over a window
writes the window's partitions and every earlier partition that the window's changes fall in
(late rows), and records all of them as materialised. A snapshot entry has no partitions: each
run lands a full copy under the day it was taken. The asset wraps `ingest`.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.platform import anomalies
from orchestration.platform.connections import source_pool
from orchestration.platform.dbt_translator import DEPARTMENT
from orchestration.platform.extractors import ExtractError, ReadRequest, Window, open_extractor, with_retries
from orchestration.platform.ingestion_plan import (
    Period,
    SchemaChange,
    Watermark,
    change_window,
    enforce_policy,
    partition_days,
    periods_of,
    periods_to_write,
    read_window,
    reads,
    schema_change,
    split_by_period,
)
from orchestration.platform.lake import Lake
from orchestration.platform.partitions import HISTORY_START, SINGLE_RUN, partitions_for
from orchestration.platform.privacy import Privacy
from orchestration.platform.registry import TableSpec
from orchestration.platform.retention import erased_pseudonyms
from orchestration.platform.settings import PSEUDONYM_KEY_ENV, Settings
from orchestration.platform.warehouse import lake_writer

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
    rows_for_later_partitions: int = 0  # changed rows whose partition is after the window
    duplicate_keys: int = 0
    seconds: float = 0.0


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in schema])


def last_published_schema(lake: Lake, spec: TableSpec) -> pa.Schema | None:
    newest = lake.newest_partition(spec.system, spec.table)
    if newest is None:
        return None
    return pq.read_schema(lake.partition_path(spec.system, spec.table, newest), filesystem=lake.fs)


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
    start: date | None,
    end: date | None,
    environ: Mapping[str, str],
    log: Callable[[str], None] = lambda _: None,
    today: date | None = None,
) -> IngestionReport:
    """Land `spec`: for an incremental entry the partitions of the days [start, end) and those
    its changes fall in; for a snapshot, today's copy (`today`: the UTC date by default)."""
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
    _check_columns(spec, described.schema, where)
    if not settings.pseudonym_key and any(p.action == "pseudonymise" for p in spec.privacy.values()):
        raise ExtractError(
            f"{where}: its personal_data pseudonymises columns and no key is set.\n"
            f"Fix: set {PSEUDONYM_KEY_ENV} (a secret, the same in every run: pseudonyms follow it)."
        )
    # what the lake holds: each personal column as its policy says, applied to every batch below
    erased = erased_pseudonyms(lake) if any(p.action == "pseudonymise" for p in spec.privacy.values()) else frozenset()
    privacy = Privacy(spec.privacy, settings.pseudonym_key.encode(), erased)
    schema = privacy.landed_schema(described.schema)
    report = IngestionReport(schema=schema, watermark=Watermark(spec.cursor))
    report.change = schema_change(last_published_schema(lake, spec), schema)
    enforce_policy(spec, report.change)
    if report.change:
        log(f"{spec.name}: schema changed upstream ({report.change.describe()}); policy evolve")

    if spec.mode == "snapshot":
        day = today or datetime.now(UTC).date()
        periods = [Period(day, day, day + timedelta(days=1))]
    else:
        periods = periods_to_write(spec, start, end, HISTORY_START)
        if spec.partition_column is not None:
            changed = retrying(lambda: changed_days(extractor, spec, described, start, end))
            report.rows_for_later_partitions = sum(n for day, n in changed.items() if day >= end)
            periods = periods_of(
                spec,
                {
                    *(p.key for p in periods),
                    *(day for day in changed if HISTORY_START <= day < end),
                },
            )
    groups = reads(periods)
    for group in groups:
        request = ReadRequest(spec.source, described, read_window(spec, group), spec.primary_key)
        if len(group) == 1:  # one partition: streamed straight into its file, memory stays flat
            published = [
                (
                    group[0],
                    retrying(
                        lambda: lake.publish_partition(
                            spec.system,
                            spec.table,
                            group[0].key,
                            schema,
                            privacy.apply_all(report.watermark.watch(extractor.batches(request))),
                        )
                    ),
                )
            ]
        else:  # several: read once, then split by the partition column
            rows = retrying(lambda: pa.Table.from_batches(list(privacy.apply_all(extractor.batches(request))), schema))
            report.watermark.see(rows)
            published = [
                (period, lake.publish_partition(spec.system, spec.table, period.key, schema, part.to_batches()))
                for period, part in zip(group, split_by_period(spec, rows, group).values())
            ]
        for period, partition in published:
            report.rows += partition.rows
            report.bytes += partition.bytes
            report.partitions.append(period.key)
        if len(groups) > 1:
            log(f"{spec.name}: {len(report.partitions)}/{len(periods)} partitions written ({report.rows} rows)")
    if spec.cursor:
        for column in {spec.cursor, spec.partition_by}:
            report.null_cursor_rows += retrying(lambda: extractor.null_cursor_rows(spec.source, column))
        if report.null_cursor_rows:
            log(
                f"{spec.name}: {report.null_cursor_rows} source rows have a NULL {spec.cursor!r} or "
                f"{spec.partition_by!r} and belong to no partition; fix them upstream or choose "
                "another column."
            )
    if report.rows_for_later_partitions:
        log(
            f"{spec.name}: {report.rows_for_later_partitions} changed rows belong to partitions "
            "after the window; they land with the run of their own day."
        )
    report.duplicate_keys = duplicate_keys(lake, spec, report.partitions)
    if report.duplicate_keys:
        log(f"{spec.name}: {report.duplicate_keys} rows repeat a primary key value already written")
    report.seconds = time.monotonic() - started
    return report


def changed_days(extractor, spec: TableSpec, described, start: date, end: date) -> dict[date, int]:
    """How many rows changed (by the cursor) in the run's window and its lookback fall on each
    day of the partition column: the partitions those changes must rewrite."""
    first, last = change_window(spec, start, end, HISTORY_START)
    projection = described.project([*spec.primary_key, spec.partition_by, spec.cursor])
    request = ReadRequest(spec.source, projection, Window(spec.cursor, first, last), spec.primary_key)
    counts: dict[date, int] = {}
    for batch in extractor.batches(request):
        for day in partition_days(batch.column(spec.partition_by)).drop_null().to_pylist():
            counts[day] = counts.get(day, 0) + 1
    return counts


def _check_columns(spec: TableSpec, schema: pa.Schema, where: str) -> None:
    for column in (*spec.primary_key, *{c for c in (spec.cursor, spec.partition_by) if c}):
        if column not in schema.names:
            raise ExtractError(
                f"{where}: column {column!r} (primary_key/cursor/partition_by of the entry) is not "
                f"a column of the source; its columns are {', '.join(schema.names)}."
            )
    for column, policy in spec.privacy.items():
        if column not in schema.names:
            raise ExtractError(
                f"{where}: personal_data names {column!r}, which is not a column of the source; its "
                f"columns are {', '.join(schema.names)}.\nFix: correct the name under `personal_data:`."
            )
        kind = schema.field(column).type
        if policy.detail == "year" and not (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
            raise ExtractError(
                f"{where}: personal_data.{column} is generalised to a year but is {kind}, not a date.\n"
                "Fix: cast it to a date in a `query:`, or choose another policy."
            )
    for column in {c for c in (spec.cursor, spec.partition_by) if c}:
        kind = schema.field(column).type
        if not (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
            raise ExtractError(
                f"{where}: column {column!r} is {kind}; a cursor or partition column must be a "
                "date or a timestamp.\nFix: name a date or timestamp column, or cast it in a `query:`."
            )


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else "" if value is None else str(value)


def build_ingestion_asset(spec: TableSpec) -> dg.AssetsDefinition:
    partitions_def = partitions_for(spec.grain) if spec.mode == "incremental" else None

    @dg.asset(
        key=spec.asset_key,
        deps=[source_table_spec(spec)],
        group_name=f"raw_{spec.system}",
        description=spec.description,
        owners=[spec.owner],
        kinds={"parquet"},
        pool=source_pool(spec.connection),
        tags={DEPARTMENT: spec.department, **({"personal_data": "true"} if spec.personal_data else {})},
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN if partitions_def else None,
        check_specs=[
            dg.AssetCheckSpec(
                PRIMARY_KEY_CHECK,
                asset=spec.asset_key,
                description=f"No two rows of a partition written share ({', '.join(spec.primary_key)}); "
                "raw keeps what the source holds, so a repeat warns and staging deduplicates.",
            ),
            *anomaly_check_specs(spec),
        ],
        metadata={
            "source": f"{spec.connection}.{spec.query and 'query' or spec.source.table}",
            "mode": spec.mode,
            "cursor": spec.cursor or "",
            "partition_by": spec.partition_by or "",
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
        start = end = None
        if partitions_def is not None:
            window = context.partition_time_window
            start, end = window.start.date(), window.end.date()
        with lake_writer(settings.warehouse(spec.department), context.log):  # never while dbt reads the lake
            report = ingest(spec, settings, lake, start, end, settings.source_environ, context.log.info)
        if partitions_def is not None:
            # partitions outside the run's own (late rows, the lookback) are materialised too:
            # recorded, so that the layers downstream rebuild them
            own = set(context.partition_keys)
            for day in report.partitions:
                if day.isoformat() not in own and partitions_def.has_partition_key(day.isoformat()):
                    context.log_event(
                        dg.AssetMaterialization(
                            asset_key=spec.asset_key,
                            partition=day.isoformat(),
                            description="Rewritten by a run of later partitions (late rows, lookback).",
                            metadata={"written_by_partitions": f"{start.isoformat()} .. {end.isoformat()}"},
                        )
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
                "rows_for_later_partitions": report.rows_for_later_partitions,
                "schema_change": report.change.describe(),
                # raw keeps what the source holds; staging deduplicates
                "duplicate_primary_key_rows": report.duplicate_keys,
                "lake_path": f"{lake.root}/{spec.system}/{spec.table}",
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=PRIMARY_KEY_CHECK,
                    passed=report.duplicate_keys == 0,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"duplicate_primary_key_rows": report.duplicate_keys},
                ),
                *anomaly_check_results(spec, report, lake),
            ],
        )

    return _ingest


ANOMALY_DESCRIPTIONS = {
    anomalies.ROW_COUNT: "Each partition written has about as many rows as the same weekday's usually do.",
    anomalies.FRESHNESS: "Each partition's newest row is about as close to the end of its day as usual.",
    anomalies.COLUMNS: "The declared columns' null rates and distinct counts are as usual.",
    anomalies.SCHEMA: "The source's columns and types are those of the last published partition.",
}


def anomaly_check_specs(spec: TableSpec) -> list[dg.AssetCheckSpec]:
    """The anomaly checks of an entry (orchestration/platform/anomalies.py): blocking when its
    `anomalies: severity:` is error; the schema check always warns (`schema_policy` decides)."""
    checks = [anomalies.ROW_COUNT, anomalies.SCHEMA]
    if spec.partition_by:
        checks.append(anomalies.FRESHNESS)
    if spec.anomalies.columns:
        checks.append(anomalies.COLUMNS)
    return [
        dg.AssetCheckSpec(
            name,
            asset=spec.asset_key,
            description=ANOMALY_DESCRIPTIONS[name],
            blocking=spec.anomalies.severity == "error" and name != anomalies.SCHEMA,
        )
        for name in checks
    ]


def anomaly_check_results(spec: TableSpec, report: IngestionReport, lake: Lake) -> list[dg.AssetCheckResult]:
    """The verdicts of the partitions just written, with the numbers that triggered them."""
    severity = dg.AssetCheckSeverity.ERROR if spec.anomalies.severity == "error" else dg.AssetCheckSeverity.WARN
    declared = {s.name for s in anomaly_check_specs(spec)}
    results = [
        dg.AssetCheckResult(
            check_name=anomalies.SCHEMA,
            passed=not report.change,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"schema_change": report.change.describe() or "none"},
        )
    ]
    for verdict in anomalies.judge(spec, spec.anomalies, report.partitions, lake):
        if verdict.check not in declared:
            continue
        metadata: dict = {
            "partitions_written": len(report.partitions),
            "partitions_judged": verdict.judged,  # the others have too little history yet
            "anomalous_partitions": len(verdict.findings),
        }
        if verdict.findings:
            worst = max(verdict.findings, key=lambda f: abs(f.value - f.usual) / (f.usual or 1))
            metadata |= {
                "anomalies": "\n".join(f.describe() for f in verdict.findings[:20]),
                "partition": worst.partition.isoformat(),
                "measure": worst.measure,
                "value": worst.value,
                "usual": worst.usual,
            }
        results.append(
            dg.AssetCheckResult(
                check_name=verdict.check,
                passed=verdict.passed,
                severity=severity,
                metadata=metadata,
                description=verdict.findings[0].describe() if verdict.findings else None,
            )
        )
    return results


def source_table_spec(spec: TableSpec) -> dg.AssetSpec:
    """The table in its source system, outside the platform: where lineage starts."""
    return dg.AssetSpec(
        key=dg.AssetKey(["source", spec.system, spec.table]),
        group_name=f"raw_{spec.system}",
        description=f"{spec.description} In the source system `{spec.system}`.",
        owners=[spec.owner],
        tags={DEPARTMENT: spec.department},
        metadata={"connection": spec.connection},
    )


def build_ingestion_defs(specs: list[TableSpec]) -> dg.Definitions:
    return dg.Definitions(assets=[source_table_spec(s) for s in specs] + [build_ingestion_asset(s) for s in specs])
