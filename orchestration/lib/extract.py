"""Extraction: read a source table as a stream of Arrow record batches with exact types.

`extract_query` builds the SQL (a pure function, tested exactly); a source object runs it.
For now the embedded default's SQLite sources; the column types declared in the table's DDL
decide the Arrow types, since SQLite itself stores little more than text and numbers.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

BATCH_ROWS = 50_000


def quote_identifier(name: str) -> str:
    """An identifier quoted for SQL: embedded quotes are doubled, so it is never executed."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Window:
    """Rows whose cursor column falls in the days [start, end)."""

    column: str
    start: date
    end: date


def extract_query(table: str, columns: list[str], cursor: str | None) -> str:
    """The SELECT that reads `columns` of `table`: all rows, or with a cursor the rows
    between two bound parameters (start inclusive, end exclusive)."""
    select = ", ".join(quote_identifier(c) for c in columns)
    sql = f"select {select} from {quote_identifier(table)}"
    if cursor is None:
        return sql
    return f"{sql} where {quote_identifier(cursor)} >= ? and {quote_identifier(cursor)} < ?"


def sqlite_bound(day: date, kind: pa.DataType) -> str:
    """A day as SQLite stores values of `kind`, so text comparison orders them correctly."""
    if pa.types.is_timestamp(kind):
        return f"{day.isoformat()} 00:00:00" + ("+00:00" if kind.tz else "")
    return day.isoformat()


def arrow_type(declared: str) -> pa.DataType:
    """The Arrow type of a column declared as `declared` in SQLite DDL."""
    kind = declared.strip().upper()
    if match := re.fullmatch(r"(?:NUMERIC|DECIMAL)\((\d+),\s*(\d+)\)", kind):
        return pa.decimal128(int(match[1]), int(match[2]))
    types = {
        "INTEGER": pa.int64(),
        "TEXT": pa.string(),
        "REAL": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    }
    if kind not in types:
        raise ValueError(f"Column type {declared!r} is not supported by the SQLite extractor.")
    return types[kind]


def _converter(kind: pa.DataType) -> Callable[[object], object]:
    if pa.types.is_decimal(kind):
        # SQLite's NUMERIC affinity stores 12.5 as a float: its shortest repr is the exact value
        exponent = Decimal(1).scaleb(-kind.scale)
        return lambda value: Decimal(str(value)).quantize(exponent)
    if pa.types.is_date(kind):
        return date.fromisoformat
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat
    if pa.types.is_boolean(kind):
        return bool
    return lambda value: value


class SqliteSource:
    """A source database in a SQLite file, read-only."""

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise FileNotFoundError(
                f"SQLite source {self.path} does not exist: generate the sample sources "
                "with `make sample` (or `make demo`)."
            )
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def schema(self, table: str) -> pa.Schema:
        with self._connect() as connection:
            columns = connection.execute(
                "select name, type from pragma_table_info(?)", (table,)
            ).fetchall()
        if not columns:
            raise LookupError(f"Table {table!r} does not exist in {self.path.name}.")
        return pa.schema([pa.field(name, arrow_type(kind)) for name, kind in columns])

    def read(self, table: str, window: Window | None = None) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        schema = self.schema(table)
        sql = extract_query(table, schema.names, window and window.column)
        params: tuple = ()
        if window is not None:
            if window.column not in schema.names:
                raise LookupError(f"Cursor column {window.column!r} is not a column of {table!r}.")
            kind = schema.field(window.column).type
            params = (sqlite_bound(window.start, kind), sqlite_bound(window.end, kind))
        return schema, self._batches(sql, params, schema)

    def _batches(self, sql: str, params: tuple, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        converters = [_converter(field.type) for field in schema]
        connection = self._connect()
        try:
            cursor = connection.execute(sql, params)
            while rows := cursor.fetchmany(BATCH_ROWS):
                columns = zip(*rows)
                arrays = [
                    pa.array(
                        [None if v is None else convert(v) for v in values], type=field.type
                    )
                    for values, convert, field in zip(columns, converters, schema)
                ]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        finally:
            connection.close()
