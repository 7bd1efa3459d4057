"""SQLite, Denodo and DB2 through their DB-API drivers: rows are fetched and turned into Arrow.

Denodo speaks the PostgreSQL wire protocol but implements neither binary COPY nor all of
`pg_catalog`, so it is read with psycopg's simple protocol (client-side parameters), by
keyset pagination on the primary key, each page ending with the VQL `CONTEXT` clause. The
schema comes from the RowDescription of a query returning no rows; text arrives whole; a
type psycopg would turn into a Python object that cannot hold every value (dates, JSON,
arrays) is taken as the text the server sent and parsed by Arrow, or kept as that text.
DB2 (`ibm_db`, an optional extra) and the embedded default's SQLite files share the loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from orchestration.platform.extractors.base import (
    BATCH_ROWS,
    Described,
    ExtractError,
    Extractor,
    ReadRequest,
    source_name,
)
from orchestration.platform.extractors.sql import (
    Source,
    describe_sql,
    keyset_page_sql,
    keyset_parameters,
    select_sql,
    vql_context,
)
from orchestration.platform.extractors.types import (
    Column,
    conform,
    named_column,
    psycopg_column,
    sqlite_column,
)

CONNECT_TIMEOUT_S = 15
DENODO_QUERY_TIMEOUT_MS = 900_000
DENODO_I18N = "us_utc"  # timestamps and decimals in an unambiguous, zone-free form


def rows_to_batch(rows: Sequence[tuple], columns: Sequence[Column], converters=None) -> pa.RecordBatch:
    """Fetched rows as one record batch of exactly the columns' types (every limit checked)."""
    values_by_column = list(zip(*rows)) or [() for _ in columns]
    arrays = []
    for i, (values, column) in enumerate(zip(values_by_column, columns)):
        convert = converters[i] if converters else None
        try:
            if convert is not None:
                values = [None if v is None else convert(v) for v in values]
            arrays.append(pa.array(values, type=column.reader_type))
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            raise column.refuse() from None  # the driver's value is not quoted: it may be personal
    batch = pa.RecordBatch.from_arrays(arrays, names=[c.name for c in columns])
    return conform(batch, columns)


def trailing_group(rows: Sequence[tuple], positions: Sequence[int]) -> int:
    """How many rows at the end of `rows` share the key value of the last one."""
    last = [rows[-1][p] for p in positions]
    count = 0
    for row in reversed(rows):
        if [row[p] for p in positions] != last:
            break
        count += 1
    return count


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
        return None

    def prepare(self, cursor, described: Described) -> None:
        """Set the cursor up to read the described columns (Denodo: which arrive as text)."""

    def batches(self, request: ReadRequest) -> Iterator[pa.RecordBatch]:
        described = request.described
        columns = described.columns
        base = select_sql(self.dialect, request.source, described.schema, request.window)
        converters = self.converters(described)
        with self.errors(f"reading {source_name(request.source)}"):
            connection = self.connect()
            try:
                cursor = connection.cursor()
                self.prepare(cursor, described)
                if not self.keyset:
                    cursor.execute(self.finish(base))
                    while rows := cursor.fetchmany(BATCH_ROWS):
                        yield rows_to_batch(rows, columns, converters)
                    return
                yield from self.keyset_pages(cursor, base, request, converters)
            finally:
                connection.close()

    def keyset_pages(self, cursor, base: str, request: ReadRequest, converters) -> Iterator[pa.RecordBatch]:
        """Pages in primary-key order. A declared key need not be unique: the rows sharing a
        full page's last key value are held back and read again whole by the next page, which
        starts at that value (`>=`); one value filling a whole page cannot advance and refuses."""
        columns = request.described.columns
        key = list(request.primary_key)
        if not key:
            raise ExtractError(f"{self.where}: `primary_key:` is required to page through {self.connection.type}.")
        positions = [request.described.schema.names.index(k) for k in key]
        last = None
        while True:
            sql = keyset_page_sql(self.dialect, base, key, last is not None, BATCH_ROWS, inclusive=True)
            cursor.execute(self.finish(sql), keyset_parameters(last) if last else None)
            rows = cursor.fetchall()
            if len(rows) < BATCH_ROWS:
                if rows:
                    yield rows_to_batch(rows, columns, converters)
                return
            held = trailing_group(rows, positions)
            if held == len(rows):
                first = columns[positions[0]]
                names = ", ".join(key)
                raise ExtractError(
                    f"{self.where}: column {names} ({first.sql}): {len(rows):,} rows or more share "
                    "one value of the declared primary key, so keyset pages cannot advance past it.\n"
                    "Fix: declare a unique `primary_key:` of the entry (a column or a list of columns)."
                )
            yield rows_to_batch(rows[: len(rows) - held], columns, converters)
            last = [rows[-1][p] for p in positions]

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
            host=c.host,
            port=c.port,
            dbname=c.database,
            user=c.user,
            password=c.password,
            connect_timeout=CONNECT_TIMEOUT_S,
            cursor_factory=psycopg.ClientCursor,
            autocommit=True,  # no transaction block around reads: Denodo does not need one
        )

    def finish(self, sql: str) -> str:
        options = self.connection.options
        if options.get("vql_context", True) is False:
            return sql
        return sql + vql_context(
            {
                "querytimeout": str(options.get("query_timeout_ms", DENODO_QUERY_TIMEOUT_MS)),
                "cache": "off",
                "i18n": options.get("i18n", DENODO_I18N),
            }
        )

    def describe(self, source: Source) -> Described:
        with self.errors(f"describing {source_name(source)}"):
            connection = self.connect()
            try:
                cursor = connection.cursor()
                cursor.execute(self.finish(describe_sql(self.dialect, source)))
                description = cursor.description
            finally:
                connection.close()
            return Described.of([psycopg_column("denodo", d) for d in description])

    def prepare(self, cursor, described: Described) -> None:
        """Columns that travel as text get psycopg's text loader: the server's text, as sent."""
        from psycopg.types.string import TextLoader

        for column in described.columns:
            if column.as_text:
                cursor.adapters.register_loader(column.code, TextLoader)


class Db2Extractor(RowsExtractor):
    """DB2 through `ibm_db` (optional extra `db2`); untested here: no DB2 server exists."""

    def connect(self):
        try:
            import ibm_db_dbi
        except ImportError:
            raise ExtractError(f"{self.where}: the DB2 driver is not installed: `uv sync --extra db2`.") from None
        c = self.credentials
        dsn = (
            f"DATABASE={c.database};HOSTNAME={c.host};PORT={c.port};PROTOCOL=TCPIP;UID={c.user};PWD={c.password or ''};"
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
                    elif declared == "timestamp":  # fractional digits: more than 6 refuse
                        declared = f"timestamp({ibm_db.field_scale(statement, i)})"
                    name = ibm_db.fieldsource_name(statement, i)
                    fields.append(named_column("db2", name, declared))
            finally:
                connection.close()
            return Described.of(fields)


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
                columns = connection.execute("select name, type from pragma_table_info(?)", (source.table,)).fetchall()
            finally:
                connection.close()
            if not columns:
                raise ExtractError(
                    f"{self.where}: table {source.table!r} does not exist in {self.path.name} "
                    "(check `table:` of the entry)."
                )
            return Described.of([sqlite_column(n, kind) for n, kind in columns])

    def converters(self, described: Described) -> list[Callable | None]:
        """SQLite hands NUMERIC over as integers or floats: their shortest text is exact, and
        parsed into the declared decimal it refuses any digit the scale would round."""
        return [_decimal_text if pa.types.is_decimal(c.arrow) else None for c in described.columns]


def _decimal_text(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return value
    raise TypeError("not a number")
