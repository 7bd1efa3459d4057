"""A department's DuckDB warehouse file: one builder at a time, and row counts read after a build.

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

import fcntl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb


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


def row_counts(duckdb_path: Path, relations: Mapping[str, str]) -> dict[str, int]:
    """Row count per key of `relations` (key -> "schema"."name"); missing relations are left out."""
    if not relations or not duckdb_path.exists():
        return {}
    counts = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        for key, relation in relations.items():
            try:
                counts[key] = connection.execute(f"select count(*) from {relation}").fetchone()[0]
            except duckdb.CatalogException:
                continue
    return counts
