"""Versioned gold: every publication of a department's gold tables kept, and readable again.

Each gold table is a Delta Lake table in the lake (`gold/<department>/<model>/`, layout.py),
written with the `deltalake` package: a publication adds one version to it, replacing the
whole table (a current-state table) or only the partitions the run rebuilt (a partitioned one,
by its `event_time` column), in one commit that readers see whole.

A department's publications are a Delta table too (`gold/<department>/_publications/`): one
row per table of each publication, saying which version of the table it holds, its rows, the
run that built it, the date its data describes and the source partitions it was built from.
Appending those rows commits the publication: a table version written before a failure is
named by no publication and never read. So

* the current publication is the newest in the log, and "what did dashboard X show on day D"
  is the newest publication up to the end of D (`read_publication(as_of=...)`);
* `vacuum_versions` deletes the files of versions replaced longer ago than the environment
  keeps them (settings GOLD_VERSIONS_DAYS); reading a publication older than that fails.

No Dagster here: the dashboard reads past publications through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import TableNotFoundError

from orchestration.platform.lake import Lake, LakeError
from orchestration.platform.layout import PUBLICATIONS, gold_root, gold_table_path, publications_path
from orchestration.platform.serving import Published

LOG_SCHEMA = pa.schema(
    [
        ("publication", pa.string()),
        ("run_id", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),  # when the publication was made
        ("table_name", pa.string()),
        ("version", pa.int64()),  # the Delta version of the table it holds
        ("table_published_at", pa.timestamp("us", tz="UTC")),  # when that version was written
        ("row_count", pa.int64()),
        ("data_as_of", pa.date32()),
        ("rebuilt", pa.string()),  # "whole table", the partitions rebuilt, or "no (carried over)"
        ("sources", pa.string()),  # the source partitions it was built from
    ]
)
CARRIED_OVER = "no (carried over)"
WRITER = WriterProperties(compression="ZSTD")  # as the lake's own Parquet files (lake.py)
LOG_FILES_BEFORE_COMPACTION = 32  # every publication adds one small file to the log


@dataclass(frozen=True)
class Publication:
    id: str  # sorts by time: <UTC timestamp>-<run id prefix>
    run_id: str
    published_at: datetime


@dataclass(frozen=True)
class Rebuilt:
    """A gold table as a run rebuilt it: the rows to publish and what they replace."""

    rows: pa.Table
    data_as_of: date | None
    sources: str = ""
    partition_column: str | None = None  # a partitioned table: only `partitions` are replaced
    partitions: tuple[date, ...] = ()

    @property
    def described(self) -> str:
        return ", ".join(d.isoformat() for d in self.partitions) if self.partition_column else "whole table"


def publish_versions(
    lake: Lake, department: str, publication: Publication, rebuilt: Mapping[str, Rebuilt], keep_days: int
) -> dict[str, int]:
    """Write each rebuilt table as a new version, then the publication (every table of the
    department: the rebuilt ones at their new version, the others as they were) in one commit.
    Returns the new version of each rebuilt table."""
    current = {row["table_name"]: row for row in _current_rows(lake, department, None)}
    written = {
        name: _write_version(lake, department, name, table, publication, keep_days) for name, table in rebuilt.items()
    }
    rows = [
        {**current[name], "publication": publication.id, "run_id": publication.run_id}
        | {"published_at": publication.published_at, "rebuilt": CARRIED_OVER}
        for name in sorted(set(current) - set(rebuilt))
    ]
    rows += [
        {
            "publication": publication.id,
            "run_id": publication.run_id,
            "published_at": publication.published_at,
            "table_name": name,
            "version": written[name].version(),
            "table_published_at": publication.published_at,
            "row_count": pc.sum(pa.table(written[name].get_add_actions(flatten=True))["num_records"]).as_py() or 0,
            "data_as_of": table.data_as_of,
            "rebuilt": table.described,
            "sources": table.sources,
        }
        for name, table in sorted(rebuilt.items())
    ]
    uri, options = lake.delta_location(publications_path(lake.fs_root, department))
    log = pa.Table.from_pylist(rows, LOG_SCHEMA)
    write_deltalake(uri, log, mode="append", storage_options=options, writer_properties=WRITER)
    return {name: table.version() for name, table in written.items()}


def read_publication(lake: Lake, department: str, as_of: datetime | None = None) -> dict[str, Published]:
    """The gold tables of a department's publication current at `as_of` (default: now); none
    before its first publication."""
    tables = {}
    for row in _current_rows(lake, department, as_of):
        try:
            table = _read_version(lake, gold_table_path(lake.fs_root, department, row["table_name"]), row["version"])
        except Exception as error:
            raise LakeError(
                f"Gold table {department}/{row['table_name']} of publication {row['publication']} cannot be "
                f"read ({type(error).__name__}): its version {row['version']} was vacuumed, as the "
                "environment's GOLD_VERSIONS_DAYS asks (settings.py), or the lake lost its files."
            ) from None
        tables[row["table_name"]] = Published(table, row["table_published_at"], row["data_as_of"], row["version"])
    return tables


def published_departments(lake: Lake) -> list[str]:
    """The departments that have published gold tables in the lake."""
    root = gold_root(lake.fs_root)
    if not lake.fs.exists(root):
        return []
    folders = [path.rstrip("/").rsplit("/", 1)[-1] for path in lake.fs.ls(root, detail=False)]
    return sorted(f for f in folders if lake.fs.exists(f"{publications_path(lake.fs_root, f)}/_delta_log"))


def publication_history(lake: Lake, department: str, table_name: str | None = None) -> pa.Table:
    """Every publication of a department (of one table, if named), oldest first: the rows of
    `_publications`, for an audit."""
    log = _log(lake, department)
    if table_name is not None:
        log = log.filter(pc.equal(log["table_name"], table_name))
    return log.sort_by([("published_at", "ascending"), ("table_name", "ascending")])


def vacuum_versions(lake: Lake, department: str, keep_days: int) -> int:
    """Delete the files of the versions of a department's gold tables that were replaced more
    than `keep_days` ago, and compact its log of publications; returns how many files were deleted."""
    deleted = 0
    for name in _table_names(lake, department):
        uri, options = lake.delta_location(gold_table_path(lake.fs_root, department, name))
        table = DeltaTable(uri, storage_options=options)
        _keep_log(table, keep_days)
        deleted += len(table.vacuum(retention_hours=keep_days * 24, enforce_retention_duration=False, dry_run=False))
    uri, options = lake.delta_location(publications_path(lake.fs_root, department))
    if DeltaTable.is_deltatable(uri, storage_options=options):
        log = DeltaTable(uri, storage_options=options)
        if len(log.file_uris()) > LOG_FILES_BEFORE_COMPACTION:  # so that reading the log stays a few files
            log.optimize.compact(writer_properties=WRITER)
        deleted += len(log.vacuum(retention_hours=keep_days * 24, enforce_retention_duration=False, dry_run=False))
    return deleted


def _write_version(
    lake: Lake, department: str, name: str, table: Rebuilt, publication: Publication, keep_days: int
) -> DeltaTable:
    """A new version of a gold table. A rebuilt partition is replaced by a predicate on its column,
    not a physical partition: gold tables are aggregates, read faster from a few files than from
    one file per month (make bench BENCH=versions). A table whose columns changed (its contract) is
    replaced whole, when the run rebuilt all its months, or refused."""
    path = gold_table_path(lake.fs_root, department, name)
    uri, options = lake.delta_location(path)
    commit = CommitProperties(custom_metadata={"publication": publication.id, "run_id": publication.run_id})
    try:
        current = DeltaTable(uri, storage_options=options)
    except TableNotFoundError:
        current = None
    replace_partitions = table.partition_column is not None and current is not None
    if replace_partitions and pa.schema(current.schema().to_arrow()).names != table.rows.schema.names:
        if not _rebuilt_whole(lake, path, current, table):
            _refuse_partial(name, table)
        replace_partitions = False  # its columns changed and every month was rebuilt: the whole table anew
    if replace_partitions:
        days = ", ".join(f"'{d.isoformat()}'" for d in table.partitions)
        predicate = f"{table.partition_column} in ({days})"  # only these months are replaced
        write_deltalake(
            current,
            table.rows,
            mode="overwrite",
            predicate=predicate,
            writer_properties=WRITER,
            commit_properties=commit,
        )
        return current
    write_deltalake(
        current if current is not None else uri,
        table.rows,
        mode="overwrite",
        schema_mode="overwrite",  # a contract that changed: the table's new schema, from this version on
        configuration=_retention(keep_days) if current is None else None,
        storage_options=options if current is None else None,
        writer_properties=WRITER,
        commit_properties=commit,
    )
    return current if current is not None else DeltaTable(uri, storage_options=options)


def _rebuilt_whole(lake: Lake, path: str, current: DeltaTable, table: Rebuilt) -> bool:
    """Whether the run rebuilt every month the table holds (its columns changed: a new version of
    the whole table, in its new shape, is then right)."""
    held = set(_read_version(lake, path, current.version())[table.partition_column].to_pylist())
    return held <= set(table.partitions)


def _refuse_partial(name: str, table: Rebuilt) -> None:
    """A table whose columns changed cannot have only some months replaced: the others would
    keep the old columns (or lack the new ones)."""
    first, last = min(table.partitions), max(table.partitions)
    raise LakeError(
        f"{name}'s columns changed (its contract), but this run rebuilt only {first}..{last}: the other "
        "months would be published without the new columns. Nothing was published. Rebuild every month "
        f"of the table: make run FROM=<its first day> TO={last}."
    )


def _read_version(lake: Lake, path: str, version: int) -> pa.Table:
    """One version of a Delta table: its files, listed by deltalake, each read whole through the
    lake's filesystem (as every other reader of the lake does) with its partition values added.
    (deltalake's own `to_pyarrow_table` scans with Arrow's thread pool, which can abort the
    process at exit: delta-io/delta-rs#2184, apache/arrow#34314.)"""
    uri, options = lake.delta_location(path)
    table = DeltaTable(uri, version=version, storage_options=options)
    schema = pa.schema(table.schema().to_arrow())
    partitions = table.metadata().partition_columns
    parts = []
    for file in pa.table(table.get_add_actions(flatten=True)).to_pylist():
        part = pq.read_table(pa.BufferReader(lake.fs.cat_file(f"{path}/{unquote(file['path'])}")))
        for column in partitions:
            value = pa.array([file[f"partition.{column}"]] * part.num_rows, schema.field(column).type)
            part = part.append_column(column, value)
        parts.append(part.select(schema.names).cast(schema))
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _retention(keep_days: int) -> dict[str, str]:
    """Delta's own retention settings of a gold table: its log and its replaced files are kept
    `keep_days` (the log's default, 30 days, would make older versions unreadable)."""
    interval = f"interval {keep_days} days"
    return {"delta.logRetentionDuration": interval, "delta.deletedFileRetentionDuration": interval}


def _keep_log(table: DeltaTable, keep_days: int) -> None:
    """Bring a table's retention settings to the environment's, when they changed."""
    wanted = _retention(keep_days)
    if {k: table.metadata().configuration.get(k) for k in wanted} != wanted:
        table.alter.set_table_properties(wanted, raise_if_not_exists=False)


def _log(lake: Lake, department: str) -> pa.Table:
    uri, options = lake.delta_location(publications_path(lake.fs_root, department))
    try:
        log = DeltaTable(uri, storage_options=options)
    except TableNotFoundError:
        return LOG_SCHEMA.empty_table()
    return _read_version(lake, publications_path(lake.fs_root, department), log.version()).cast(LOG_SCHEMA)


def _current_rows(lake: Lake, department: str, as_of: datetime | None) -> list[dict]:
    """The log's rows of the newest publication up to `as_of`."""
    log = _log(lake, department)
    if as_of is not None:
        log = log.filter(
            pc.less_equal(log["published_at"], pa.scalar(as_of.astimezone(UTC), LOG_SCHEMA.field("published_at").type))
        )
    if log.num_rows == 0:
        return []
    newest = pc.max(log["publication"]).as_py()
    return log.filter(pc.equal(log["publication"], newest)).to_pylist()


def _table_names(lake: Lake, department: str) -> list[str]:
    root = gold_root(lake.fs_root, department)
    if not lake.fs.exists(root):
        return []
    names = [path.rstrip("/").rsplit("/", 1)[-1] for path in lake.fs.ls(root, detail=False)]
    return sorted(n for n in names if n != PUBLICATIONS and lake.fs.exists(f"{root}/{n}/_delta_log"))
