"""The lake: Hive-partitioned Parquet under one root, a local folder or a URL, through fsspec.

Each partition is exactly one file, `<table>/partition_date=<day>/data.parquet`. Publishing
streams the batches into a temporary file beside it and then moves it over the published
one, so a reader sees the old partition or the new one, never half of either, and a re-run
replaces a partition exactly. A failure before the move leaves the published file untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.partitions import PARTITION_COLUMN, partition_path, table_glob

TEMP_MARKER = ".tmp-"


@dataclass(frozen=True)
class PublishedPartition:
    path: str
    rows: int
    bytes: int


class Lake:
    """Reads and publishes partitions under `root` (`/some/dir` or `abfs://container/prefix`)."""

    def __init__(self, root: str, storage_options: Mapping[str, object] | None = None):
        self.root = root.rstrip("/")
        self.fs, self._fs_root = fsspec.core.url_to_fs(self.root, **(storage_options or {}))

    def partition_path(self, system: str, table: str, day: date) -> str:
        return partition_path(self._fs_root, system, table, day)

    def publish_partition(
        self,
        system: str,
        table: str,
        day: date,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
    ) -> PublishedPartition:
        """Stream `batches` into the partition of `day` and publish it atomically."""
        final = self.partition_path(system, table, day)
        directory = final.rsplit("/", 1)[0]
        self.fs.makedirs(directory, exist_ok=True)
        self._remove_leftovers(final)
        temporary = f"{final}{TEMP_MARKER}{uuid.uuid4().hex}"
        rows = 0
        try:
            with self.fs.open(temporary, "wb") as handle:
                with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
                    for batch in batches:
                        writer.write_batch(batch)
                        rows += batch.num_rows
            size = self.fs.size(temporary)
            self.fs.mv(temporary, final)
        except BaseException:
            if self.fs.exists(temporary):
                self.fs.rm(temporary)
            raise
        return PublishedPartition(path=final, rows=rows, bytes=size)

    def read_table(self, system: str, table: str) -> pa.Table:
        """Every published partition of a table, with `partition_date` (used by tests and tools)."""
        import pyarrow.dataset as ds

        files = sorted(self.fs.glob(table_glob(self._fs_root, system, table)))
        partitioning = ds.partitioning(pa.schema([(PARTITION_COLUMN, pa.date32())]), flavor="hive")
        dataset = ds.dataset(files, filesystem=self.fs, format="parquet", partitioning=partitioning)
        return dataset.to_table()

    def partition_days(self, system: str, table: str) -> list[date]:
        files = self.fs.glob(table_glob(self._fs_root, system, table))
        return sorted(date.fromisoformat(f.split("=")[-1].split("/")[0]) for f in files)

    def _remove_leftovers(self, final: str) -> None:
        """Temporary files of a crashed earlier attempt at this partition (never read)."""
        for leftover in self.fs.glob(f"{final}{TEMP_MARKER}*"):
            self.fs.rm(leftover)
