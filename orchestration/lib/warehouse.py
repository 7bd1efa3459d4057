"""The DuckDB warehouse file: one writer at a time, and row counts read after a build.

DuckDB lets one process write a database file, and a second writer fails at once on the
file lock. Runs of different partitions may overlap (backfills, the multiprocess executor,
a schedule catching up), so every dbt build takes an exclusive advisory lock beside the
file first and waits its turn. This also keeps the first build of an incremental model
from racing with itself. Ingestion steps do not touch the file and stay parallel.
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
    """Hold the warehouse's writer lock for the block; yields the seconds spent waiting."""
    path = lock_path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        started = time.monotonic()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if log:
                log.info(f"Waiting for another run to finish writing {duckdb_path.name}...")
            fcntl.flock(handle, fcntl.LOCK_EX)
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
