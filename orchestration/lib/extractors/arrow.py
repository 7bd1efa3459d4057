"""PostgreSQL, MySQL/MariaDB and SQL Server through connectorx: rows arrive as Arrow batches.

connectorx (Rust) reads PostgreSQL with binary COPY and MySQL with its binary protocol and
streams Arrow record batches (`return_type="arrow_stream"`), the fastest reader measured
here (docs/extraction.md). It cannot bind parameters, so the SQL carries typed literals
(`sql.bound_literal`), and it hands decimals over as decimal128(38, 10), so every batch is
cast to the exact schema that the driver's description gave (a lossy cast raises).
The schema comes from the engine's usual driver: psycopg, pymysql; for SQL Server the
engine's own `sys.dm_exec_describe_first_result_set`, read through connectorx itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pyarrow as pa

from orchestration.lib.extractors.base import (
    BATCH_ROWS,
    Described,
    Extractor,
    ReadRequest,
    prefetch,
    source_name,
)
from orchestration.lib.extractors.sql import (
    Blocks,
    Source,
    block_ranges,
    describe_sql,
    relation,
    select_sql,
)
from orchestration.lib.extractors.types import (
    MYSQL_BINARY_CHARSET,
    conform,
    mysql_type,
    named_type,
    postgres_type,
    travels_as_text,
)

CONNECT_TIMEOUT_S = 15
URL_SCHEMES = {"postgres": "postgresql", "mysql": "mysql", "mssql": "mssql"}
SESSION_SETUP = {"mysql": ["set time_zone = '+00:00'"]}  # TIMESTAMP columns read as UTC
# PostgreSQL tables are read by several connections at once (connection option `streams:`),
# when each gets at least 32 MiB of heap blocks: below that, the extra connection costs more.
DEFAULT_STREAMS = 2
MIN_BLOCKS_PER_STREAM = 4096


def mssql_describe_sql(sql: str) -> str:
    """SQL Server describes a query's result columns itself (names and declared types)."""
    quoted = sql.replace("'", "''")
    return (
        "select name, system_type_name from sys.dm_exec_describe_first_result_set"
        f"(N'{quoted}', NULL, 0) order by column_ordinal"
    )


def parallel_streams(relkind: str, blocks: int, server_version: int, streams: int) -> int:
    """How many connections should read a PostgreSQL relation: only tables and materialised
    views (a view or a partitioned parent has no blocks of its own), only on PostgreSQL 14+
    (before, a block range is a filter on a full scan, not a TID range scan), and only when
    each connection gets at least MIN_BLOCKS_PER_STREAM blocks."""
    if relkind not in ("r", "m") or server_version < 140000:
        return 1
    return max(1, min(streams, blocks // MIN_BLOCKS_PER_STREAM))


class ArrowExtractor(Extractor):
    """One connection to a PostgreSQL, MySQL/MariaDB or SQL Server database."""

    def describe(self, source: Source) -> Described:
        sql = describe_sql(self.dialect, source)
        with self.errors(f"describing {source_name(source)}"):
            fields = {
                "postgres": self._describe_postgres,
                "mysql": self._describe_mysql,
                "mssql": self._describe_mssql,
            }[self.connection.type](sql)
        schema = pa.schema([(name, kind) for name, (kind, _) in fields.items()])
        return Described(schema, tuple(name for name, (_, text) in fields.items() if text))

    def batches(self, request: ReadRequest) -> Iterator[pa.RecordBatch]:
        schema = request.described.schema
        with self.errors(f"reading {source_name(request.source)}"), self.read_plan(request.source) as plan:
            setup, ranges = plan
            yield from prefetch(*(
                self.read_stream(
                    select_sql(self.dialect, request.source, schema, request.window,
                               request.described.as_text, blocks),
                    schema, setup,
                )
                for blocks in ranges
            ))

    def read_stream(self, sql: str, schema: pa.Schema, setup: list[str]) -> Iterator[pa.RecordBatch]:
        import connectorx

        reader = connectorx.read_sql(
            self._url(), sql, return_type="arrow_stream", batch_size=BATCH_ROWS,
            pre_execution_query=setup or None,
        )
        for batch in reader:
            yield conform(batch, schema)

    @contextlib.contextmanager
    def read_plan(self, source: Source) -> Iterator[tuple[list[str], list[Blocks | None]]]:
        """How to read `source`: the session setup of each connection, and one block range
        per connection (`[None]`: one connection reads everything).

        A large PostgreSQL table (`parallel_streams`) is read by up to `streams:` connections
        (default 2) in parallel, each a range of its blocks, all in one snapshot that a
        coordinating transaction exports and holds until the last one ends: together they
        read exactly the rows one connection would have read."""
        setup = list(SESSION_SETUP.get(self.connection.type, []))
        streams = int(self.connection.options.get("streams", DEFAULT_STREAMS))
        if self.connection.type != "postgres" or source.query is not None or streams < 2:
            yield setup, [None]
            return
        import psycopg

        c = self.credentials
        coordinator = psycopg.connect(
            host=c.host, port=c.port, dbname=c.database, user=c.user, password=c.password,
            connect_timeout=CONNECT_TIMEOUT_S, application_name="lakehouse-extract",
        )
        try:
            coordinator.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            coordinator.read_only = True
            try:
                found = coordinator.execute(
                    "select pg_export_snapshot(), relkind, pg_relation_size(oid) / "
                    "current_setting('block_size')::int, current_setting('server_version_num')::int "
                    "from pg_class where oid = to_regclass(%s)",
                    (relation(self.dialect, source),),
                ).fetchone()
            except psycopg.Error:  # a PostgreSQL-compatible server that cannot export a snapshot
                found = None
            snapshot, relkind, blocks, version = found or (None, "", 0, 0)
            count = parallel_streams(relkind, blocks, version, streams)
            if count < 2:
                coordinator.close()
                yield setup, [None]
                return
            yield (
                [*setup, "begin isolation level repeatable read read only",
                 f"set transaction snapshot '{snapshot}'"],
                block_ranges(blocks, count),
            )
        finally:
            coordinator.close()

    def scalar(self, sql: str) -> object:
        import connectorx

        with self.errors("counting rows"):
            table = connectorx.read_sql(self._url(), sql, return_type="arrow")
        return table.column(0)[0].as_py()

    def _url(self) -> str:
        return self.credentials.url(URL_SCHEMES[self.connection.type])

    # --- description: name -> (Arrow type, travels as text) ---

    def _describe_postgres(self, sql: str) -> dict[str, tuple[pa.DataType, bool]]:
        import psycopg

        c = self.credentials
        with psycopg.connect(
            host=c.host, port=c.port, dbname=c.database, user=c.user, password=c.password,
            connect_timeout=CONNECT_TIMEOUT_S, application_name="lakehouse-extract",
        ) as connection:
            description = connection.execute(sql).description
        fields = {}
        for column in description:
            kind = postgres_type(column.name, column.type_code, column.precision, column.scale)
            unconstrained = column.type_code == 1700 and column.precision is None
            fields[column.name] = (kind, unconstrained or travels_as_text(kind))
        return fields

    def _describe_mysql(self, sql: str) -> dict[str, tuple[pa.DataType, bool]]:
        import pymysql

        c = self.credentials
        connection = pymysql.connect(
            host=c.host, port=c.port, database=c.database, user=c.user,
            password=c.password or "", connect_timeout=CONNECT_TIMEOUT_S, charset="utf8mb4",
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                columns = cursor._result.fields  # pymysql's field packets: type, length, charset
        finally:
            connection.close()
        fields = {}
        for column in columns:
            kind = mysql_type(
                column.name, column.type_code, column.length, column.scale,
                column.charsetnr == MYSQL_BINARY_CHARSET,
            )
            fields[column.name] = (kind, travels_as_text(kind))
        return fields

    def _describe_mssql(self, sql: str) -> dict[str, tuple[pa.DataType, bool]]:
        import connectorx

        rows = connectorx.read_sql(self._url(), mssql_describe_sql(sql), return_type="arrow")
        fields = {}
        for name, declared in zip(rows.column(0).to_pylist(), rows.column(1).to_pylist()):
            kind = named_type(name, declared)
            fields[name] = (kind, travels_as_text(kind))
        return fields
