"""SQLite, Denodo and DB2 through their DB-API drivers: rows are fetched and turned into Arrow.

Denodo speaks the PostgreSQL wire protocol but implements neither binary COPY nor all of
`pg_catalog`, so it is read with psycopg's simple protocol (client-side parameters), by
keyset pagination on the primary key, each page ending with the VQL `CONTEXT` clause. The
schema comes from the RowDescription of a query returning no rows; text arrives whole.
DB2 (`ibm_db`, an optional extra) and the embedded default's SQLite files share the loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from orchestration.lib.extractors.base import (
    BATCH_ROWS,
    Described,
    ExtractError,
    Extractor,
    ReadRequest,
    source_name,
)
from orchestration.lib.extractors.sql import (
    Source,
    describe_sql,
    keyset_page_sql,
    keyset_parameters,
    select_sql,
    vql_context,
)
from orchestration.lib.extractors.types import named_type, postgres_type, sqlite_type

CONNECT_TIMEOUT_S = 15
DENODO_QUERY_TIMEOUT_MS = 900_000
DENODO_I18N = "us_utc"  # timestamps and decimals in an unambiguous, zone-free form


def rows_to_batch(rows: Sequence[tuple], schema: pa.Schema, converters=None) -> pa.RecordBatch:
    """Fetched rows as one record batch of exactly `schema`."""
    columns = list(zip(*rows)) or [() for _ in schema]
    arrays = []
    for i, (values, field) in enumerate(zip(columns, schema)):
        convert = converters[i] if converters else None
        if convert is not None:
            values = [None if v is None else convert(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class RowsExtractor(Extractor):
    """The shared loop: execute, fetch `BATCH_ROWS` rows at a time, convert to Arrow."""

    keyset = False  # read page by page on the primary key rather than one streamed result

    def connect(self):
        raise NotImplementedError

    def finish(self, sql: str) -> str:
        """The statement as sent (Denodo appends its CONTEXT clause)."""
        return sql

    def converters(self, described: Described) -> list[Callable | None] | None:
        """Per column, what turns a fetched value into one Arrow takes (None: as it is)."""
        if not described.as_text:
            return None
        return [str if name in described.as_text else None for name in described.schema.names]

    def batches(self, request: ReadRequest) -> Iterator[pa.RecordBatch]:
        schema = request.described.schema
        base = select_sql(self.dialect, request.source, schema, request.window)
        converters = self.converters(request.described)
        with self.errors(f"reading {source_name(request.source)}"):
            connection = self.connect()
            try:
                cursor = connection.cursor()
                if not self.keyset:
                    cursor.execute(self.finish(base))
                    while rows := cursor.fetchmany(BATCH_ROWS):
                        yield rows_to_batch(rows, schema, converters)
                    return
                key = list(request.primary_key)
                if not key:
                    raise ExtractError(
                        f"{self.where}: `primary_key:` is required to page through {self.connection.type}."
                    )
                positions = [schema.names.index(k) for k in key]
                last = None
                while True:
                    sql = keyset_page_sql(self.dialect, base, key, last is not None, BATCH_ROWS)
                    cursor.execute(self.finish(sql), keyset_parameters(last) if last else None)
                    rows = cursor.fetchall()
                    if rows:
                        yield rows_to_batch(rows, schema, converters)
                    if len(rows) < BATCH_ROWS:
                        return
                    last = [rows[-1][p] for p in positions]
            finally:
                connection.close()

    def scalar(self, sql: str) -> object:
        with self.errors("counting rows"):
            connection = self.connect()
            try:
                cursor = connection.cursor()
                cursor.execute(self.finish(sql))
                return cursor.fetchone()[0]
            finally:
                connection.close()


class DenodoExtractor(RowsExtractor):
    keyset = True

    def connect(self):
        import psycopg

        c = self.credentials
        return psycopg.connect(
            host=c.host, port=c.port, dbname=c.database, user=c.user, password=c.password,
            connect_timeout=CONNECT_TIMEOUT_S, cursor_factory=psycopg.ClientCursor,
            autocommit=True,  # no transaction block around reads: Denodo does not need one
        )

    def finish(self, sql: str) -> str:
        options = self.connection.options
        if options.get("vql_context", True) is False:
            return sql
        return sql + vql_context({
            "querytimeout": str(options.get("query_timeout_ms", DENODO_QUERY_TIMEOUT_MS)),
            "cache": "off",
            "i18n": options.get("i18n", DENODO_I18N),
        })

    def describe(self, source: Source) -> Described:
        with self.errors(f"describing {source_name(source)}"):
            connection = self.connect()
            try:
                cursor = connection.cursor()
                cursor.execute(self.finish(describe_sql(self.dialect, source)))
                description = cursor.description
            finally:
                connection.close()
            schema = pa.schema([
                (c.name, postgres_type(c.name, c.type_code, c.precision, c.scale))
                for c in description
            ])
            # an unconstrained numeric keeps its digits as text
            as_text = [c.name for c in description if c.type_code == 1700 and c.precision is None]
            return Described(schema, tuple(as_text))


class Db2Extractor(RowsExtractor):
    """DB2 through `ibm_db` (optional extra `db2`); untested here: no DB2 server exists."""

    def connect(self):
        try:
            import ibm_db_dbi
        except ImportError:
            raise ExtractError(f"{self.where}: the DB2 driver is not installed: `uv sync --extra db2`.") from None
        c = self.credentials
        dsn = (
            f"DATABASE={c.database};HOSTNAME={c.host};PORT={c.port};PROTOCOL=TCPIP;"
            f"UID={c.user};PWD={c.password or ''};"
        )
        return ibm_db_dbi.connect(dsn, "", "")

    def describe(self, source: Source) -> Described:
        import ibm_db

        with self.errors(f"describing {source_name(source)}"):
            connection = self.connect()
            try:
                statement = ibm_db.exec_immediate(connection.conn_handler, describe_sql(self.dialect, source))
                fields = []
                for i in range(ibm_db.num_fields(statement)):
                    declared = ibm_db.field_type(statement, i)
                    if declared == "decimal":
                        declared = f"decimal({ibm_db.field_precision(statement, i)},{ibm_db.field_scale(statement, i)})"
                    name = ibm_db.fieldsource_name(statement, i)
                    fields.append((name, named_type(name, declared)))
            finally:
                connection.close()
            return Described(pa.schema(fields))


class SqliteExtractor(RowsExtractor):
    """The embedded default's SQLite files, read-only; types come from the declared DDL."""

    @property
    def path(self) -> Path:
        return Path(self.connection.options["path"])

    def connect(self):
        if not self.path.exists():
            raise ExtractError(
                f"{self.where}: SQLite source {self.path} does not exist: generate the sample "
                "sources with `make sample` (or `make demo`)."
            )
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def describe(self, source: Source) -> Described:
        if source.query is not None:
            raise ExtractError(f"{self.where}: `query:` is not supported on SQLite; name a `table:`.")
        with self.errors(f"describing table {source.table!r}"):
            connection = self.connect()
            try:
                columns = connection.execute(
                    "select name, type from pragma_table_info(?)", (source.table,)
                ).fetchall()
            finally:
                connection.close()
            if not columns:
                raise ExtractError(
                    f"{self.where}: table {source.table!r} does not exist in {self.path.name} "
                    "(check `table:` of the entry)."
                )
            return Described(pa.schema([(n, sqlite_type(n, kind)) for n, kind in columns]))

    def converters(self, described: Described) -> list[Callable | None]:
        return [_sqlite_converter(field.type) for field in described.schema]


def _sqlite_converter(kind: pa.DataType) -> Callable | None:
    """SQLite stores dates as text and NUMERIC as floats: parse them back to exact values."""
    if pa.types.is_decimal(kind):
        exponent = Decimal(1).scaleb(-kind.scale)
        return lambda value: Decimal(str(value)).quantize(exponent)  # shortest repr is exact
    if pa.types.is_date(kind):
        return date.fromisoformat
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat
    if pa.types.is_boolean(kind):
        return bool
    return None


