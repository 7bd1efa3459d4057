"""Where a department's dbt models are built: one builder at a time, and the tables read after a build.

On DuckDB (the default) each department has its own warehouse file. On Spark (docs/engines.md)
the models are Spark tables: with the local session, Parquet folders under
`settings.spark_dir / "warehouse"` and one catalog (a Derby metastore that one process opens at a
time), so every build of the environment takes one lock, `spark_dir / "catalog"`. The platform
reads Spark's tables (row counts, publication) as Parquet through DuckDB, like the lake.

DuckDB lets one process write a database file, and a second writer fails at once on the
file lock. Runs of different partitions may overlap (backfills, the multiprocess executor,
a schedule catching up), so every dbt build (and the publication that reads the warehouse)
takes an exclusive advisory lock beside the file first and waits its turn. This also keeps
the first build of an incremental model from racing with itself.

Ingestion takes the same lock *shared*: extractions run in parallel with each other, but
never while a build reads the lake, because DuckDB reading through fsspec opens a Parquet
file twice and a partition rewritten in between can be read torn (docs/lake.md). The lock
is a file lock: it holds for runs on one host, which is how this platform runs Dagster.

A department's build reads the warehouses of the departments it depends on (attached
read-only): it holds their locks shared too (`shared_reader`), so two departments reading the
reference data build at the same time, and the reference's own build waits for them to finish
(DuckDB cannot write a file that another process has open).
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.platform.serving import SCHEMA
from orchestration.platform.settings import Settings


def lock_path(duckdb_path: Path) -> Path:
    return duckdb_path.with_name(duckdb_path.name + ".writer.lock")


@contextmanager
def exclusive_writer(duckdb_path: Path, log=None) -> Iterator[float]:
    """Hold the warehouse's lock alone for the block (dbt builds, publication); yields the
    seconds spent waiting."""
    with _lock(duckdb_path, fcntl.LOCK_EX, log) as waited:
        yield waited


@contextmanager
def lake_writer(duckdb_path: Path, log=None) -> Iterator[float]:
    """Hold the warehouse's lock shared with other extractions, never with a build."""
    with _lock(duckdb_path, fcntl.LOCK_SH, log) as waited:
        yield waited


@contextmanager
def shared_reader(duckdb_path: Path, log=None) -> Iterator[float]:
    """Hold another department's warehouse lock shared while its file is attached read-only."""
    with _lock(duckdb_path, fcntl.LOCK_SH, log) as waited:
        yield waited


@contextmanager
def _lock(duckdb_path: Path, mode: int, log) -> Iterator[float]:
    path = lock_path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        started = time.monotonic()
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if log:
                log.info(f"Waiting for another run to finish with {duckdb_path.name}...")
            fcntl.flock(handle, mode)
        try:
            yield time.monotonic() - started
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def writer_lock(settings: Settings, department: str) -> Path:
    """The file whose lock a build of `department` (and its publication) holds alone."""
    return settings.spark_dir / "catalog" if settings.engine == "spark" else settings.warehouse(department)


@contextmanager
def build_locks(settings: Settings, departments: tuple[str, ...], upstream: list[str], log=None) -> Iterator[float]:
    """The locks of a build of `departments` that reads the models of `upstream`: their own
    warehouses alone (in one order: no deadlock), the ones they read shared with other readers,
    never while those build. On Spark, the one catalog alone. Yields the seconds spent waiting."""
    own = sorted({writer_lock(settings, name) for name in departments})
    shared = [] if settings.engine == "spark" else [settings.warehouse(name) for name in upstream]
    with contextlib.ExitStack() as locks:
        waited = sum(locks.enter_context(exclusive_writer(path, log)) for path in own)
        waited += sum(locks.enter_context(shared_reader(path, log)) for path in shared)
        yield waited


def _spark_table(settings: Settings, schema: str, name: str) -> str:
    """The Parquet files of a table of the local Spark session (Hive-partitioned when partitioned)."""
    folder = settings.spark_dir / "warehouse" / f"{schema}.db" / name
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"


@contextmanager
def _reader(
    settings: Settings, department: str
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Callable[[str, str], str]]]:
    """A read-only DuckDB session on the department's built models, and relation(schema, name)."""
    if settings.engine == "spark":
        with duckdb.connect() as connection:
            yield connection, lambda schema, name: _spark_table(settings, schema, name)
    else:
        with duckdb.connect(str(settings.warehouse(department)), read_only=True) as connection:
            yield connection, lambda schema, name: f'"{schema}"."{name}"'


def row_counts(settings: Settings, department: str, relations: Mapping[str, tuple[str, str]]) -> dict[str, int]:
    """Row count per key of `relations` (key -> (schema, name)); missing relations are left out."""
    if not relations or (settings.engine == "duckdb" and not settings.warehouse(department).exists()):
        return {}
    counts = {}
    with _reader(settings, department) as (connection, relation):
        for key, (schema, name) in relations.items():
            try:
                counts[key] = connection.execute(f"select count(*) from {relation(schema, name)}").fetchone()[0]
            except (duckdb.CatalogException, duckdb.IOException):
                continue
    return counts


def read_gold(
    settings: Settings, department: str, names: list[str], filters: Mapping[str, str] | None = None
) -> dict[str, pa.Table]:
    """The gold tables `names` that the department's builds left, read in one read-only session;
    `filters` (name -> SQL condition) keeps part of a table (the partitions a run built)."""
    filters = filters or {}
    with _reader(settings, department) as (connection, relation):
        return {
            name: connection.sql(f"from {relation(SCHEMA, name)} where {filters.get(name, 'true')}").to_arrow_table()
            for name in names
        }
