"""PostgreSQL, MySQL/MariaDB and SQL Server through connectorx: rows arrive as Arrow batches.

connectorx (Rust) reads PostgreSQL with binary COPY and MySQL with its binary protocol and
streams Arrow record batches (`return_type="arrow_stream"`), the fastest reader measured
here (docs/extraction.md). It cannot bind parameters, so the SQL carries typed literals
(`sql.bound_literal`), and it hands decimals over as decimal128(38, 10), so every batch is
checked and cast to the exact types of the type contract (`contract.py`); a column it cannot
carry exactly travels as text, cast in the SELECT. The schema comes from the engine's usual
driver: psycopg (type names from the catalog), pymysql; for SQL Server the engine's own
`sys.dm_exec_describe_first_result_set`, read through connectorx itself. When connectorx fails
mid-stream on a value, each column with a known risk is searched for it, so that the error
names the column and its fix rather than the reader's panic.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import pyarrow as pa

from orchestration.platform.extractors.base import (
    BATCH_ROWS,
    Described,
    Extractor,
    ReadRequest,
    is_transient,
    prefetch,
    source_name,
)
from orchestration.platform.extractors.sql import (
    Blocks,
    Source,
    block_ranges,
    describe_sql,
    relation,
    select_sql,
)
from orchestration.platform.extractors.types import (
    Column,
    Refusal,
    conform,
    mysql_column,
    named_column,
    postgres_column,
)

CONNECT_TIMEOUT_S = 15
URL_SCHEMES = {"postgres": "postgresql", "mysql": "mysql", "mssql": "mssql"}
SESSION_SETUP = {"mysql": ["set time_zone = '+00:00'"]}  # TIMESTAMP columns read as UTC
# PostgreSQL tables are read by several connections at once (connection option `streams:`),
# when each gets at least 32 MiB of heap blocks: below that, the extra connection costs more.
DEFAULT_STREAMS = 2
MIN_BLOCKS_PER_STREAM = 4096
# the SQL name and kind of each column's type (a domain: of its base type), from the catalog
POSTGRES_TYPES_SQL = """
select format_type(c.oid, c.fmod), coalesce(b.typname, t.typname), coalesce(b.typtype, t.typtype),
       coalesce(b.typcategory, t.typcategory), coalesce(b.oid, t.oid),
       case when b.oid is null then c.fmod else t.typtypmod end,
       case when b.oid is null then '' else format_type(b.oid, t.typtypmod) end
from unnest(%s::oid[], %s::int[]) with ordinality as c(oid, fmod, i)
join pg_type t on t.oid = c.oid
left join pg_type b on t.typtype = 'd' and b.oid = t.typbasetype
order by c.i
"""


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
            columns = {
                "postgres": self._describe_postgres,
                "mysql": self._describe_mysql,
                "mssql": self._describe_mssql,
            }[self.connection.type](sql)
            return Described.of(columns)

    def batches(self, request: ReadRequest) -> Iterator[pa.RecordBatch]:
        described = request.described
        with self.errors(f"reading {source_name(request.source)}"), self.read_plan(request.source) as plan:
            setup, ranges = plan
            try:
                yield from prefetch(
                    *(
                        self.read_stream(
                            select_sql(
                                self.dialect,
                                request.source,
                                described.schema,
                                request.window,
                                described.as_text,
                                blocks,
                                described.expressions,
                            ),
                            described.columns or described.schema,
                            setup,
                        )
                        for blocks in ranges
                    )
                )
            except (KeyboardInterrupt, SystemExit, GeneratorExit, Refusal):
                raise
            except BaseException as error:  # connectorx reports a value it cannot decode as a panic
                if not is_transient(error):
                    self.diagnose(request)
                raise

    def read_stream(
        self, sql: str, columns: Sequence[Column] | pa.Schema, setup: list[str]
    ) -> Iterator[pa.RecordBatch]:
        import connectorx

        reader = connectorx.read_sql(
            self._url(),
            sql,
            return_type="arrow_stream",
            batch_size=BATCH_ROWS,
            pre_execution_query=setup or None,
        )
        for batch in reader:
            yield conform(batch, columns)

    def diagnose(self, request: ReadRequest) -> None:
        """After the reader failed: raise the refusal of the first column holding a value that
        its rule's limit describes (one query per such column), if any."""
        import connectorx

        described = request.described
        base = select_sql(
            self.dialect,
            request.source,
            described.schema,
            request.window,
            described.as_text,
            None,
            described.expressions,
        )
        for column in described.columns:
            limit = column.rule.limit
            if limit is None or not limit.find or column.as_text:
                continue
            found = limit.find.replace("{c}", self.dialect.quote(column.name))
            sql = f"select 1 from ({base}) as {self.dialect.quote('d')} where {found} limit 1"
            try:
                rows = connectorx.read_sql(
                    self._url(), sql, return_type="arrow", pre_execution_query=SESSION_SETUP.get(self.connection.type)
                )
            except Exception:
                return  # the source is not answering: the reader's own error stands
            if rows.num_rows:
                raise column.refuse()

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
            host=c.host,
            port=c.port,
            dbname=c.database,
            user=c.user,
            password=c.password,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name="lakehouse-extract",
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
                [*setup, "begin isolation level repeatable read read only", f"set transaction snapshot '{snapshot}'"],
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

    # --- description: the columns, each with its rule of the type contract ---

    def _describe_postgres(self, sql: str) -> list[Column]:
        import psycopg

        c = self.credentials
        with psycopg.connect(
            host=c.host,
            port=c.port,
            dbname=c.database,
            user=c.user,
            password=c.password,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name="lakehouse-extract",
        ) as connection:
            description = connection.execute(sql).description
            types = connection.execute(
                POSTGRES_TYPES_SQL, ([d.type_code for d in description], [d._fmod for d in description])
            ).fetchall()
        return [
            postgres_column("postgres", d.name, oid, fmod, sql_name, typname, typtype, category, cast)
            for d, (sql_name, typname, typtype, category, oid, fmod, cast) in zip(description, types)
        ]

    def _describe_mysql(self, sql: str) -> list[Column]:
        import pymysql

        c = self.credentials
        connection = pymysql.connect(
            host=c.host,
            port=c.port,
            database=c.database,
            user=c.user,
            password=c.password or "",
            connect_timeout=CONNECT_TIMEOUT_S,
            charset="utf8mb4",
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                fields = cursor._result.fields  # pymysql's field packets: type, length, flags, charset
        finally:
            connection.close()
        return [mysql_column(f.name, f.type_code, f.length, f.scale, f.flags, f.charsetnr) for f in fields]

    def _describe_mssql(self, sql: str) -> list[Column]:
        import connectorx

        rows = connectorx.read_sql(self._url(), mssql_describe_sql(sql), return_type="arrow")
        return [
            named_column("mssql", name, declared)
            for name, declared in zip(rows.column(0).to_pylist(), rows.column(1).to_pylist())
        ]
