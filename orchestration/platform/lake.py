"""The lake: Hive-partitioned Parquet under one root, a local folder or `abfs://container/prefix`.

Each partition is exactly one file, `<table>/partition_date=<day>/data.parquet`, and it is
published with the one operation of the filesystem that readers see all at once:

* on a local disk, the batches stream into a temporary file beside the final one, which is then
  renamed over it (a rename within a directory is atomic; an open reader keeps the old inode);
* on blob storage there is no atomic rename (adlfs `mv` is copy + delete), but a single blob
  upload is atomic for readers: the batches stream into a local staging file, which is uploaded
  as the final blob by one Put Blob or one Put Block List. Until that commit, readers see the
  previous blob; if the upload fails, staged blocks stay uncommitted and invisible.

A reader must also never combine byte ranges of two versions of a blob (a Parquet footer of the
old file with column chunks of the new one). The lake's own readers therefore fetch each file
whole, in one download that the Azure SDK pins to one ETag (`SNAPSHOT_READS`); DuckDB, which
opens a file several times per query, reads through `duckdb_filesystem()`, which serves every
open of a file from the version of its first read (lake_reads.py; dbt gets the same through
its profile). docs/lake.md gives the reasons and the measurements.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.platform.layout import PARTITION_COLUMN, partition_path, table_glob

TEMP_MARKER = ".tmp-"
# Parquet layout: row groups of about 16 MiB of Arrow data (bounded memory, few row groups);
# dictionaries only for text, binary and dates, the columns that usually repeat.
ROW_GROUP_BYTES = 16 * 2**20
MAX_ROW_GROUP_ROWS = 8 * 2**20
DICTIONARY_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_date)
# Options of every blob reader (ours and dbt's, see dbt/profiles.yml): a file is read in one
# ETag-pinned download, and listings are never served from a cache that a writer made stale.
SNAPSHOT_READS: Mapping[str, object] = {"default_cache_type": "all", "use_listings_cache": False}
SECRET_OPTIONS = ("connection_string", "account_key", "sas_token", "client_secret")
# https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


class LakeError(RuntimeError):
    """The lake cannot be used as configured; the message says what to fix (never a secret)."""


@dataclass(frozen=True)
class LakeCredentials:
    """How the lake authenticates: the mode, the variables it came from, the fsspec options."""

    mode: str
    variables: tuple[str, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict, repr=False)

    def describe(self) -> str:
        return f"{self.mode} ({', '.join(self.variables)})" if self.variables else self.mode

    def redact(self, text: str) -> str:
        """`text` with every secret value, and the key or signature inside it, as `***`."""
        values = [str(self.options[k]) for k in SECRET_OPTIONS if self.options.get(k)]
        parts = [p for v in values for p in re.findall(r"(?:AccountKey|Signature|sig)=([^;&]+)", v)]
        for secret in sorted({*values, *parts, *map(unquote, parts)}, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


NO_CREDENTIALS = LakeCredentials("none")


@dataclass(frozen=True)
class PublishedPartition:
    path: str
    rows: int
    bytes: int


def container_name_problem(name: str) -> str | None:
    """Why `name` is not a valid blob container name, or None when it is."""
    if CONTAINER_NAME.match(name):
        return None
    return (
        f"container name {name!r} is invalid: 3 to 63 characters, lower-case letters, digits "
        "and single hyphens, starting and ending with a letter or digit"
    )


class Lake:
    """Reads and publishes partitions under `root` (`/some/dir` or `abfs://container/prefix`)."""

    def __init__(self, root: str, credentials: LakeCredentials = NO_CREDENTIALS):
        self.root = root.rstrip("/")
        self.credentials = credentials
        self.is_local = fsspec.utils.get_protocol(self.root) in ("file", "local")
        options = {} if self.is_local else {**credentials.options, **SNAPSHOT_READS}
        if not self.is_local:
            problem = container_name_problem(_container(self.root))
            if problem:
                raise LakeError(f"Lake root {self.root}: {problem}.")
        try:
            self.fs, self._fs_root = fsspec.core.url_to_fs(self.root, **options)
        except (ValueError, ImportError) as error:
            raise LakeError(
                credentials.redact(f"Lake root {self.root} with {credentials.describe()}: {error}")
            ) from None

    def check_access(self) -> Lake:
        """Fail now, naming the variables to fix, if the lake's container cannot be listed."""
        if self.is_local:
            self.fs.makedirs(self._fs_root, exist_ok=True)
            return self
        container = _container(self.root)
        try:
            self.fs.ls(container, detail=False)
        except FileNotFoundError:
            # Not created on the fly: a missing container is a wrong name or a wrong account far
            # more often than a new lake, and writing elsewhere than intended is the worse failure.
            raise LakeError(
                f"Lake root {self.root}: container {container!r} does not exist in the storage "
                f"account of {self.credentials.describe()}. Create it (`az storage container "
                f"create --name {container}`) or fix the root or the account."
            ) from None
        except Exception as error:
            raise LakeError(
                self.credentials.redact(
                    f"Lake root {self.root}: access refused or unreachable with "
                    f"{self.credentials.describe()}: check these variables. "
                    f"{type(error).__name__}: {first_line(error)}"
                )
            ) from None
        return self

    def duckdb_filesystem(self) -> fsspec.AbstractFileSystem:
        """A filesystem through which DuckDB reads this blob lake: each file at the version of
        its first read, for the life of the object (orchestration/platform/lake_reads.py; dbt gets
        the same through its profile). A local lake is read by DuckDB itself."""
        from orchestration.platform.lake_reads import PinnedBlobFileSystem

        if self.is_local:
            raise LakeError("A local lake is read by DuckDB directly, with no filesystem to register.")
        return PinnedBlobFileSystem(**self.credentials.options)

    @property
    def fs_root(self) -> str:
        """The root as the filesystem names paths (no `abfs://` scheme)."""
        return self._fs_root

    def partition_path(self, system: str, table: str, day: date) -> str:
        return partition_path(self._fs_root, system, table, day)

    def delta_location(self, path: str) -> tuple[str, dict[str, str]]:
        """A Delta table's URI and the `deltalake` storage options that reach it, for a path under
        the root (deltalake talks to Azure through its own client, not through adlfs)."""
        if self.is_local:
            return path, {}
        return f"abfs://{path}", delta_storage_options(self.credentials.options)

    def publish_text(self, final: str, text: str) -> None:
        self.publish_bytes(final, text.encode())

    def publish_bytes(self, final: str, data: bytes) -> None:
        """Replace the file `final` (a path under the root) in one step that readers see whole:
        a rename beside it on a local disk, one blob upload on Azure."""
        if not self.is_local:
            try:
                self.fs.pipe_file(final, data)
            except Exception as error:
                raise LakeError(
                    self.credentials.redact(
                        f"Publishing {final} failed; the file published before is unchanged. "
                        f"{type(error).__name__}: {first_line(error)}"
                    )
                ) from None
            return
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        staged = f"{final}{TEMP_MARKER}{uuid.uuid4().hex}"
        try:
            with open(staged, "wb") as handle:
                handle.write(data)
            os.replace(staged, final)
        finally:
            if os.path.exists(staged):
                os.remove(staged)

    def publish_partition(
        self,
        system: str,
        table: str,
        day: date,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
    ) -> PublishedPartition:
        """Stream `batches` into the partition of `day` and publish it atomically."""
        return self.publish_file(self.partition_path(system, table, day), schema, batches)

    def publish_file(self, final: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> PublishedPartition:
        """Stream `batches` into the Parquet file `final` (a path under the lake's root) and
        publish it in one step: staged beside it and renamed on a local disk, staged locally
        and uploaded as one blob on Azure. On failure the published file is unchanged."""
        if self.is_local:
            self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            self._remove_leftovers(final)
            staged = f"{final}{TEMP_MARKER}{uuid.uuid4().hex}"  # beside it: same filesystem
        else:
            handle, staged = tempfile.mkstemp(prefix="lake-", suffix=".parquet")
            os.close(handle)
        # locked while it is written, so that another run publishing the same partition at the
        # same time (a lookback overlapping a neighbour's day) never takes it for a leftover
        claim = open(staged, "ab")
        fcntl.flock(claim, fcntl.LOCK_EX)
        try:
            rows = _write_parquet(staged, schema, batches)
            size = os.path.getsize(staged)
            self._commit(staged, final)
        finally:
            claim.close()
            if os.path.exists(staged):
                os.remove(staged)
        return PublishedPartition(path=final, rows=rows, bytes=size)

    def _commit(self, staged: str, final: str) -> None:
        """Make the staged file the published partition, in one step that readers see whole."""
        if self.is_local:
            self.fs.mv(staged, final)
            return
        try:
            self.fs.put_file(staged, final, overwrite=True)
        except Exception as error:
            raise LakeError(
                self.credentials.redact(
                    f"Publishing {final} failed; the partition "
                    f"published before is unchanged. {type(error).__name__}: {first_line(error)}"
                )
            ) from None

    def read_table(self, system: str, table: str) -> pa.Table:
        """Every published partition of a table, with `partition_date` (used by tests and tools).

        Each file is fetched in one download, so each partition is one version of it, whole.
        """
        parts = []
        for path in sorted(self.fs.glob(table_glob(self._fs_root, system, table))):
            part = pq.read_table(pa.BufferReader(self.fs.cat_file(path)))
            day = date.fromisoformat(path.split(f"{PARTITION_COLUMN}=")[-1].split("/")[0])
            parts.append(part.append_column(PARTITION_COLUMN, pa.array([day] * len(part), pa.date32())))
        return pa.concat_tables(parts, promote_options="permissive") if parts else pa.table({})

    def newest_partition(self, system: str, table: str) -> date | None:
        """The day of a table's newest published partition, from one listing of its folder (not
        a glob of every partition's file: a long history lists as fast as a short one)."""
        try:
            names = self.fs.ls(f"{self._fs_root}/{system}/{table}", detail=False)
        except FileNotFoundError:
            return None
        prefix = f"{PARTITION_COLUMN}="
        days = sorted(
            (
                date.fromisoformat(n.rstrip("/").rsplit("/", 1)[-1][len(prefix) :])
                for n in names
                if n.rstrip("/").rsplit("/", 1)[-1].startswith(prefix)
            ),
            reverse=True,
        )
        # a folder whose file is not published yet (a first write in progress) does not count
        return next((d for d in days if self.fs.exists(self.partition_path(system, table, d))), None)

    def delete_partition(self, system: str, table: str, day: date) -> None:
        """Remove a published partition (retention): its file, then its folder."""
        path = self.partition_path(system, table, day)
        self.fs.rm(path)
        folder = path.rsplit("/", 1)[0]
        if self.is_local and self.fs.exists(folder) and not self.fs.ls(folder):
            self.fs.rmdir(folder)

    def partition_days(self, system: str, table: str) -> list[date]:
        files = self.fs.glob(table_glob(self._fs_root, system, table))
        return sorted(date.fromisoformat(f.split("=")[-1].split("/")[0]) for f in files)

    def _remove_leftovers(self, final: str) -> None:
        """Temporary files of a crashed earlier attempt at this partition (never read); a
        temporary file still locked by a live writer is left alone."""
        for leftover in self.fs.glob(f"{final}{TEMP_MARKER}*"):
            try:
                with open(leftover, "rb") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    os.remove(leftover)
            except (BlockingIOError, FileNotFoundError):
                continue  # being written by another run, or published meanwhile


def _write_parquet(path: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
    """Write `batches` as row groups of about ROW_GROUP_BYTES, dictionary-encoding only the
    columns that usually repeat (DICTIONARY_TYPES): on unique ids, amounts and timestamps a
    dictionary is built and thrown away, which doubled the write time and made files 2.7x
    larger (benchmarks/bench_extract.py, docs/extraction.md)."""
    rows = 0
    pending: list[pa.RecordBatch] = []
    pending_bytes = 0
    dictionary = [f.name for f in schema if any(kind(f.type) for kind in DICTIONARY_TYPES)]
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=dictionary) as writer:
        for batch in batches:
            pending.append(batch)
            pending_bytes += batch.nbytes
            rows += batch.num_rows
            if pending_bytes >= ROW_GROUP_BYTES:
                writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=MAX_ROW_GROUP_ROWS)
                pending, pending_bytes = [], 0
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=MAX_ROW_GROUP_ROWS)
    return rows


def delta_storage_options(options: Mapping[str, object]) -> dict[str, str]:
    """The adlfs options of the lake's credentials as the options of `deltalake` (Rust's
    object_store). Without a secret (DefaultAzureCredential), object_store takes the managed
    identity, or the workload identity or service principal that the AZURE_* variables describe;
    unlike adlfs, not an `az login` session."""
    settings = dict(options)
    if settings.get("connection_string"):
        settings.update(_connection_string_options(str(settings.pop("connection_string"))))
    elif settings.get("account_host"):
        settings["endpoint"] = f"https://{settings['account_host']}"
    names = {
        "account_name": "azure_storage_account_name",
        "account_key": "azure_storage_account_key",
        "sas_token": "azure_storage_sas_key",
        "tenant_id": "azure_storage_tenant_id",
        "client_id": "azure_storage_client_id",
        "client_secret": "azure_storage_client_secret",
        "endpoint": "azure_storage_endpoint",
    }
    delta = {names[k]: str(v) for k, v in settings.items() if k in names and v}
    if delta.get("azure_storage_endpoint", "").startswith("http://"):
        delta["allow_http"] = "true"  # Azurite over HTTP; every real account is reached over HTTPS
    return delta


def _connection_string_options(connection_string: str) -> dict[str, str]:
    """The account, key or SAS and blob endpoint that a connection string names (its account may
    be given by its endpoint only, as in a SAS connection string; its endpoint by a suffix only)."""
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if "=" in p)
    endpoint = parts.get("BlobEndpoint", "").rstrip("/")
    account = parts.get("AccountName")
    if not account and endpoint:
        host, _, path = endpoint.split("://", 1)[-1].partition("/")
        account = path.split("/")[0] if path else host.split(".")[0]  # path style (Azurite) or <account>.blob...
    if not endpoint and account and parts.get("EndpointSuffix"):  # a sovereign cloud
        endpoint = f"{parts.get('DefaultEndpointsProtocol', 'https')}://{account}.blob.{parts['EndpointSuffix']}"
    return {
        "account_name": account,
        "account_key": parts.get("AccountKey"),
        "sas_token": parts.get("SharedAccessSignature"),
        "endpoint": endpoint,
    }


def _container(root: str) -> str:
    return root.split("://", 1)[-1].split("/", 1)[0].split("@", 1)[0]


def first_line(error: BaseException) -> str:
    """An error's first line, at most 300 characters: for a message that ends in a few lines."""
    return (str(error).strip().splitlines() or [""])[0][:300]
