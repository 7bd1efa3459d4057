"""Versioned gold: every publication of a department's gold tables kept, and readable again.

Each gold table is a Delta Lake table in the lake (`gold/<department>/<model>/`, layout.py),
written with the `deltalake` package: a publication adds one version to it, replacing the whole
table (a current-state table) or only the months the run rebuilt (a monthly one: the rows of those
months, chosen by a predicate on its `event_time` column), in one commit that readers see whole.

A department's publications are a Delta table too (`gold/<department>/_publications/`): one
row per table of each publication, saying which version of the table it holds, its rows, the
run that built it, the date its data describes and the source partitions it was built from.
Appending those rows commits the publication. So

* the current publication is the newest in the log, and "what did dashboard X show on day D"
  is the newest publication up to the end of D in Brussels (`read_publication(end_of_day(D))`);
* a version written by a publication that then failed is named by no publication: it is never
  read, and the next publication first takes the table back to its published version, so it
  never builds on it (nor does a vacuum delete files the published version needs);
* `vacuum_versions` deletes the files of versions replaced longer ago than the environment keeps
  them (settings GOLD_VERSIONS_DAYS); reading a publication older than that fails (VersionGone).

A department that published before this module (a folder per publication behind `published.json`)
is read from there until its first publication here, which imports it as its first version.

No Dagster here: the dashboard reads past publications through this module.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import TableNotFoundError

from orchestration.platform.lake import Lake, LakeError, first_line
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
TIMEZONE = ZoneInfo("Europe/Brussels")  # the day a reader means
LEGACY_POINTER = "published.json"  # the publication before versions: a folder per publication


class VersionGone(LakeError):
    """A publication whose files were vacuumed: older than the environment keeps."""


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
    partition_column: str | None = None  # a monthly table: only `partitions` are replaced
    partitions: tuple[date, ...] = ()

    @property
    def described(self) -> str:
        return ", ".join(d.isoformat() for d in self.partitions) if self.partition_column else "whole table"


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Brussels: "as of day D" is the publication current then."""
    return datetime.combine(day, time.max, tzinfo=TIMEZONE)


def publish_versions(
    lake: Lake, department: str, publication: Publication, rebuilt: Mapping[str, Rebuilt], keep_days: int
) -> dict[str, int]:
    """Write each rebuilt table as a new version, then the publication (every table of the
    department: the rebuilt ones at their new version, the others as they were) in one commit.
    Returns the new version of each rebuilt table. Whatever fails raises a LakeError (never a
    secret) and leaves the current publication as it was."""
    with _lake_errors(lake, f"Publishing {department}'s gold tables"):
        rows = _current_rows(lake, department, None)
        if not rows and _import_legacy(lake, department, keep_days):
            rows = _current_rows(lake, department, None)
        current = {row["table_name"]: row for row in rows}
        _take_back_unpublished(lake, department, current)
        # every refusal before the first write
        plans = {name: _plan(lake, department, name, table, name in current) for name, table in rebuilt.items()}
        written = {
            name: _write(lake, plans[name], table, publication, keep_days) for name, table in sorted(rebuilt.items())
        }
        rows = [
            {**current[name], "publication": publication.id, "run_id": publication.run_id}
            | {"published_at": publication.published_at, "rebuilt": CARRIED_OVER}
            for name in sorted(set(current) - set(rebuilt))
        ]
        rows += [
            _log_row(publication, name, written[name], table.data_as_of, table.described, table.sources)
            for name, table in sorted(rebuilt.items())
        ]
        _append_to_log(lake, department, rows)
        return {name: table.version() for name, table in written.items()}


def read_publication(lake: Lake, department: str, as_of: datetime | None = None) -> dict[str, Published]:
    """The gold tables of a department's publication current at `as_of` (default: now); none
    before its first publication."""
    rows = _current_rows(lake, department, as_of)
    if not rows:
        return _legacy_publication(lake, department, as_of)
    tables = {}
    for row in rows:
        where = f"Gold table {department}/{row['table_name']} of publication {row['publication']}"
        try:
            table = _read_version(lake, gold_table_path(lake.fs_root, department, row["table_name"]), row["version"])
        except FileNotFoundError:
            raise VersionGone(
                f"{where}: its version {row['version']} was vacuumed, as the environment's GOLD_VERSIONS_DAYS "
                "asks (settings.py): choose a later day."
            ) from None
        except Exception as error:
            raise LakeError(lake.credentials.redact(f"{where} cannot be read: {first_line(error)}")) from None
        tables[row["table_name"]] = Published(table, row["table_published_at"], row["data_as_of"], row["version"])
    return tables


def published_departments(lake: Lake) -> list[str]:
    """The departments that have published gold tables in the lake."""
    root = gold_root(lake.fs_root)
    if not lake.fs.exists(root):
        return []
    folders = [path.rstrip("/").rsplit("/", 1)[-1] for path in lake.fs.ls(root, detail=False)]
    return sorted(
        f
        for f in folders
        if lake.fs.exists(f"{publications_path(lake.fs_root, f)}/_delta_log")
        or lake.fs.exists(f"{gold_root(lake.fs_root, f)}/{LEGACY_POINTER}")
    )


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
    with _lake_errors(lake, f"Vacuuming {department}'s gold versions"):
        for name in _table_names(lake, department):
            uri, options = lake.delta_location(gold_table_path(lake.fs_root, department, name))
            table = DeltaTable(uri, storage_options=options)
            _keep_files(table, keep_days)
            deleted += len(
                table.vacuum(retention_hours=keep_days * 24, enforce_retention_duration=False, dry_run=False)
            )
        uri, options = lake.delta_location(publications_path(lake.fs_root, department))
        if DeltaTable.is_deltatable(uri, storage_options=options):
            log = DeltaTable(uri, storage_options=options)
            if len(log.file_uris()) > LOG_FILES_BEFORE_COMPACTION:  # so that reading the log stays a few files
                log.optimize.compact(writer_properties=WRITER)
            deleted += len(log.vacuum(retention_hours=keep_days * 24, enforce_retention_duration=False, dry_run=False))
    return deleted


# --- writing ---


@dataclass
class _Plan:
    name: str
    uri: str
    options: dict[str, str]
    table: DeltaTable | None  # the table as it is, None before its first version
    replace_partitions: bool  # only the rebuilt months, or the whole table


def _plan(lake: Lake, department: str, name: str, rebuilt: Rebuilt, published: bool) -> _Plan:
    """How a rebuilt table is written; refused when it cannot be written exactly. A table whose
    columns changed (its contract) is replaced whole when the run rebuilt every month it holds."""
    problems = [problem for field in rebuilt.rows.schema if (problem := _not_kept_exactly(field, rebuilt.rows))]
    if problems:
        raise LakeError(f"Gold table {name}: {' '.join(problems)} Nothing was published.")
    path = gold_table_path(lake.fs_root, department, name)
    uri, options = lake.delta_location(path)
    try:
        table = DeltaTable(uri, storage_options=options)
    except TableNotFoundError:
        table = None
    # months replaced only in a table that a publication names (one a failed publication created is replaced whole)
    replace_partitions = bool(rebuilt.partition_column) and table is not None and published
    if replace_partitions and pa.schema(table.schema().to_arrow()).names != rebuilt.rows.schema.names:
        held = set(_read_version(lake, path, table.version())[rebuilt.partition_column].to_pylist())
        if not held <= set(rebuilt.partitions):
            first, last = min(rebuilt.partitions), max(rebuilt.partitions)
            raise LakeError(
                f"{name}'s columns changed (its contract), but this run rebuilt only {first}..{last}: the other "
                "months would be published without the new columns. Nothing was published. Rebuild every "
                f"month of the table: make run FROM=<its first day> TO={last}."
            )
        replace_partitions = False
    return _Plan(name, uri, options, table, replace_partitions)


def _not_kept_exactly(field: pa.Field, rows: pa.Table) -> str | None:
    """Why Delta Lake would not keep a column's values exactly (it stores timestamps in
    microseconds, and has no unsigned, time-of-day or 256-bit decimal type), and what to do;
    None when it would."""
    kind = field.type
    if pa.types.is_timestamp(kind) and kind.unit == "ns":
        try:
            pc.cast(rows[field.name], pa.timestamp("us", tz=kind.tz), safe=True)
        except pa.ArrowInvalid:
            return (
                f"column {field.name} holds timestamps with nanoseconds, which Delta Lake keeps in microseconds: "
                "round them to the microsecond in the model (date_trunc('microsecond', ...))."
            )
        return None
    if pa.types.is_unsigned_integer(kind) or pa.types.is_time(kind) or pa.types.is_decimal256(kind):
        return (
            f"column {field.name} is {kind}, which Delta Lake cannot store: cast it in the model "
            "(bigint or decimal(38, s) for a number, a string for a time of day)."
        )
    return None


def _write(lake: Lake, plan: _Plan, rebuilt: Rebuilt, publication: Publication, keep_days: int) -> DeltaTable:
    """A new version of a gold table. A rebuilt month is replaced by a predicate on its column, not
    a physical partition: gold tables are aggregates, read faster from one file than from one file
    per month (make bench BENCH=versions)."""
    commit = CommitProperties(custom_metadata={"publication": publication.id, "run_id": publication.run_id})
    if plan.replace_partitions:
        days = ", ".join(f"'{d.isoformat()}'" for d in rebuilt.partitions)
        predicate = f"{rebuilt.partition_column} in ({days})"
        write_deltalake(
            plan.table,
            rebuilt.rows,
            mode="overwrite",
            predicate=predicate,
            writer_properties=WRITER,
            commit_properties=commit,
        )
        return plan.table
    write_deltalake(
        plan.table if plan.table is not None else plan.uri,
        rebuilt.rows,
        mode="overwrite",
        schema_mode="overwrite",  # a contract that changed: the table's new schema, from this version on
        configuration=_retention(keep_days) if plan.table is None else None,
        storage_options=plan.options if plan.table is None else None,
        writer_properties=WRITER,
        commit_properties=commit,
    )
    return plan.table if plan.table is not None else DeltaTable(plan.uri, storage_options=plan.options)


def _take_back_unpublished(lake: Lake, department: str, current: Mapping[str, Mapping]) -> None:
    """A table whose newest version is not the one its current publication names (a publication
    that failed after writing it) is taken back to that version, by a commit that restores it."""
    for name, row in current.items():
        uri, options = lake.delta_location(gold_table_path(lake.fs_root, department, name))
        table = DeltaTable(uri, storage_options=options)
        if table.version() != row["version"]:
            table.restore(row["version"])


def _log_row(publication: Publication, name: str, table: DeltaTable, data_as_of, rebuilt: str, sources: str) -> dict:
    return {
        "publication": publication.id,
        "run_id": publication.run_id,
        "published_at": publication.published_at,
        "table_name": name,
        "version": table.version(),
        "table_published_at": publication.published_at,
        "row_count": pc.sum(pa.table(table.get_add_actions(flatten=True))["num_records"]).as_py() or 0,
        "data_as_of": data_as_of,
        "rebuilt": rebuilt,
        "sources": sources,
    }


def _append_to_log(lake: Lake, department: str, rows: list[dict]) -> None:
    uri, options = lake.delta_location(publications_path(lake.fs_root, department))
    log = pa.Table.from_pylist(rows, LOG_SCHEMA)
    write_deltalake(uri, log, mode="append", storage_options=options, writer_properties=WRITER)


def _retention(keep_days: int) -> dict[str, str]:
    """Delta's own settings of a gold table: replaced files are kept `keep_days`, and the log is
    never cleaned (Delta's default cleans it after 30 days, counted from each commit, which would
    make a version still in use for longer unreadable)."""
    return {
        "delta.deletedFileRetentionDuration": f"interval {keep_days} days",
        "delta.enableExpiredLogCleanup": "false",
    }


def _keep_files(table: DeltaTable, keep_days: int) -> None:
    """Bring a table's retention settings to the environment's, when they changed."""
    wanted = _retention(keep_days)
    if {k: table.metadata().configuration.get(k) for k in wanted} != wanted:
        table.alter.set_table_properties(wanted, raise_if_not_exists=False)


@contextlib.contextmanager
def _lake_errors(lake: Lake, doing: str) -> Iterator[None]:
    """deltalake's errors as LakeError, with the lake's secrets redacted (object_store's messages
    can quote a request's URL, and a SAS token with it)."""
    try:
        yield
    except LakeError:
        raise
    except Exception as error:
        raise LakeError(
            lake.credentials.redact(
                f"{doing} failed; the current publication is unchanged. {type(error).__name__}: {first_line(error)}"
            )
        ) from None


# --- reading ---


def _read_version(lake: Lake, path: str, version: int) -> pa.Table:
    """One version of a Delta table: its files, listed by deltalake, each read whole through the
    lake's filesystem (one ETag-pinned download per file, as the lake's other readers). deltalake's
    own `to_pyarrow_table` scans with Arrow's thread pool, which can abort the process at exit
    (delta-io/delta-rs#2184, apache/arrow#34314)."""
    uri, options = lake.delta_location(path)
    table = DeltaTable(uri, version=version, storage_options=options)
    schema = pa.schema(table.schema().to_arrow())
    parts = [
        pq.read_table(pa.BufferReader(lake.fs.cat_file(f"{path}/{unquote(file['path'])}"))).select(schema.names)
        for file in pa.table(table.get_add_actions(flatten=True)).to_pylist()
    ]
    return pa.concat_tables([p.cast(schema) for p in parts]) if parts else schema.empty_table()


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
        moment = pa.scalar(as_of.astimezone(UTC), LOG_SCHEMA.field("published_at").type)
        log = log.filter(pc.less_equal(log["published_at"], moment))
    if log.num_rows == 0:
        return []
    newest = log.sort_by([("published_at", "descending"), ("publication", "descending")])["publication"][0]
    return log.filter(pc.equal(log["publication"], newest)).to_pylist()


def _table_names(lake: Lake, department: str) -> list[str]:
    root = gold_root(lake.fs_root, department)
    if not lake.fs.exists(root):
        return []
    names = [path.rstrip("/").rsplit("/", 1)[-1] for path in lake.fs.ls(root, detail=False)]
    return sorted(n for n in names if n != PUBLICATIONS and lake.fs.exists(f"{root}/{n}/_delta_log"))


# --- the publication before versions ---


def _legacy_publication(lake: Lake, department: str, as_of: datetime | None) -> dict[str, Published]:
    """A department's publication behind `published.json` (a Parquet folder per publication), read
    until its first publication here; none when there is none, or when it is newer than `as_of`."""
    pointer_path = f"{gold_root(lake.fs_root, department)}/{LEGACY_POINTER}"
    if not lake.fs.exists(pointer_path):
        return {}
    pointer = json.loads(lake.fs.cat_file(pointer_path))
    tables = {
        name: Published(
            table=pq.read_table(
                pa.BufferReader(lake.fs.cat_file(f"{gold_root(lake.fs_root, department)}/{entry['path']}"))
            ),
            published_at=datetime.fromisoformat(entry["published_at"]),
            data_as_of=date.fromisoformat(entry["data_as_of"]) if entry["data_as_of"] else None,
        )
        for name, entry in pointer["tables"].items()
    }
    if as_of is not None and any(t.published_at > as_of for t in tables.values()):
        return {}
    return tables


def _import_legacy(lake: Lake, department: str, keep_days: int) -> bool:
    """Before a department's first publication here (its log is empty): its publication behind
    `published.json`, if any, as the first version of each table and the first publication of the
    log. Whether there was one."""
    legacy = _legacy_publication(lake, department, None)
    if not legacy:
        return False
    at = max(t.published_at for t in legacy.values())
    imported = Publication(f"{at:%Y%m%dT%H%M%S%fZ}-imported", f"imported from {LEGACY_POINTER}", at)
    rows = []
    for name, published in sorted(legacy.items()):
        plan = _plan(lake, department, name, Rebuilt(published.table, published.data_as_of), published=False)
        table = _write(lake, plan, Rebuilt(published.table, published.data_as_of), imported, keep_days)
        row = _log_row(imported, name, table, published.data_as_of, "imported", LEGACY_POINTER)
        rows.append(row | {"table_published_at": published.published_at})
    _append_to_log(lake, department, rows)
    return True
