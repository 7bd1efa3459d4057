"""Repeatable reads of the lake on blob storage: one version of each file per reader.

DuckDB opens a Parquet file several times during one query (its footer, then its row groups,
through separate opens) and asks the filesystem for its size and modification time each
time. If a partition is rewritten between two of those opens, a plain blob filesystem hands
it the footer of one version and the pages of the next: a wrong answer, not an error
(docs/lake.md, measured on Azurite).

`PinnedBlobFileSystem` (adlfs underneath) pins each file, at its first read, to the version
read then (its ETag) and serves every later open, `size` and `modified` of that file from that
version for the life of the filesystem object, so that everything one reader does sees each
file whole and unchanged. dbt gets one such object per invocation through the dbt-duckdb
`Plugin` below (dbt/profiles.yml), so a whole `dbt build` reads each partition at one version.

The versions read are kept in memory up to `cache_bytes`; a file evicted from there is read
again only if the blob still has the pinned ETag, and otherwise the read fails with a clear
`PinnedVersionGone` error (re-run): a mix is never served.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adlfs import AzureBlobFileSystem
from fsspec.asyn import sync

CACHE_BYTES = 512 * 2**20  # versions kept in memory; beyond, re-read only if unchanged


class PinnedVersionGone(IOError):
    """A file was rewritten while a reader that had pinned it still needed its old version."""


@dataclass(frozen=True)
class Version:
    etag: str
    size: int
    modified: datetime


class PinnedBlobFileSystem(AzureBlobFileSystem):
    """adlfs, with every file read at the version of its first read (module docstring)."""

    cachable = False  # one object per reader: fsspec must not hand it to another one

    def __init__(self, *args: Any, cache_bytes: int = CACHE_BYTES, **options: Any):
        super().__init__(*args, **options)
        self.cache_bytes = cache_bytes
        self._versions: dict[str, Version] = {}
        self._contents: OrderedDict[str, bytes] = OrderedDict()  # least recently read first
        self._held = 0  # bytes in _contents
        self._lock = threading.Lock()  # dbt reads with several threads
        self._file_locks: dict[str, threading.Lock] = {}  # one download of a file at a time

    def _open(self, path: str, mode: str = "rb", **kwargs: Any):
        if mode != "rb":
            return super()._open(path, mode, **kwargs)
        return io.BytesIO(self._read(path))

    def size(self, path: str) -> int:
        return self._version(path).size

    def modified(self, path: str) -> datetime:
        return self._version(path).modified

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        return self._read(path)[start:end]

    def _version(self, path: str) -> Version:
        key = self._strip_protocol(path)
        if key not in self._versions:
            self._read(path)
        return self._versions[key]

    def _read(self, path: str) -> bytes:
        key = self._strip_protocol(path)
        with self._lock:
            file_lock = self._file_locks.setdefault(key, threading.Lock())
        with file_lock:
            with self._lock:
                if key in self._contents:
                    self._contents.move_to_end(key)
                    return self._contents[key]
                pinned = self._versions.get(key)
            content, version = sync(self.loop, self._download, key, pinned)
            with self._lock:
                self._versions[key] = version  # the pinned one, if any: the download was conditional
                self._keep(key, content)
        return content

    def _keep(self, key: str, content: bytes) -> None:
        """Hold `content` in memory, evicting the least recently read files beyond cache_bytes."""
        if len(content) > self.cache_bytes:
            return
        self._contents[key] = content  # a new entry: `_read` returns early for one held
        self._held += len(content)
        while self._held > self.cache_bytes:
            _, evicted = self._contents.popitem(last=False)
            self._held -= len(evicted)

    async def _download(self, key: str, pinned: Version | None) -> tuple[bytes, Version]:
        """The whole blob in one download (the SDK pins its chunks to one ETag); if `pinned`,
        only that version of it."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        container, blob, _ = self.split_path(key)
        condition = {"etag": pinned.etag, "match_condition": MatchConditions.IfNotModified} if pinned else {}
        async with self.service_client.get_blob_client(container=container, blob=blob) as client:
            try:
                stream = await client.download_blob(max_concurrency=self.max_concurrency, **condition)
                content = await stream.readall()
            except ResourceNotFoundError as error:
                if pinned:
                    raise PinnedVersionGone(_gone(key)) from None
                raise FileNotFoundError(key) from error
            except ResourceModifiedError:
                raise PinnedVersionGone(_gone(key)) from None
        properties = stream.properties
        return content, Version(properties.etag, properties.size, properties.last_modified)


def _gone(key: str) -> str:
    return (
        f"{key} was rewritten while this run was reading it, and the version it had read is "
        "no longer available; run again (a run reads each file of the lake at one version)."
    )


def filesystem_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The adlfs options of a profile's plugin config: empty values (unset variables) dropped."""
    return {key: value for key, value in config.items() if value not in ("", None)}


try:  # dbt-duckdb is there wherever dbt runs; this module is also used without it
    from dbt.adapters.duckdb.plugins import BasePlugin
except ImportError:  # pragma: no cover
    BasePlugin = object


class Plugin(BasePlugin):
    """dbt-duckdb plugin: registers one PinnedBlobFileSystem on every DuckDB connection of a
    dbt invocation (dbt/profiles.yml, `azure` output)."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.filesystem = PinnedBlobFileSystem(**filesystem_options(plugin_config))

    def configure_connection(self, conn) -> None:
        conn.register_filesystem(self.filesystem)
