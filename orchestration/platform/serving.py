"""The serving layer: where dashboards and BI tools read the gold tables, replaced atomically.

A publication is one version of every gold table, published together or not at all. Each
target is written aside and then swapped in, so a reader sees the old version or the new one,
never half of either, never a mix of two tables' versions, and never blocks the writer:

* the lake: each table a Delta Lake table, each publication a version of every table of the
  department committed by one row per table in its log (versions.py, which also reads past
  publications again);
* the serving file, a DuckDB file holding every department's current publication: a new file
  is written beside the old one and renamed over it (one department at a time). Readers attach it read-only in a fresh in-memory DuckDB for each page or query
  (`connect_read_only`), so they never hold the old file for long;
* optionally a PostgreSQL schema (for Power BI, Superset): filled under a new name, then
  swapped with the published one by two renames in one transaction.

No Dagster here: the dashboard imports this module to find and open the serving file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

SCHEMA = "gld"
PUBLISHED = "_published"  # one row per table: rows, when published, the date the data describes
TEMP_MARKER = ".tmp-"


@dataclass(frozen=True)
class Published:
    """One gold table as published: its rows, when, and the date its data describes."""

    table: pa.Table
    published_at: datetime
    data_as_of: date | None
    version: int | None = None  # its version in the lake (versions.py)


def published_table(tables: Mapping[str, Published]) -> pa.Table:
    return pa.table(
        {
            "table_name": list(tables),
            "row_count": [t.table.num_rows for t in tables.values()],
            "published_at": [t.published_at for t in tables.values()],
            "data_as_of": [t.data_as_of for t in tables.values()],
        },
        schema=pa.schema(
            [
                ("table_name", pa.string()),
                ("row_count", pa.int64()),
                ("published_at", pa.timestamp("us", tz="UTC")),
                ("data_as_of", pa.date32()),
            ]
        ),
    )


# --- (a) the serving file ---


def publish_serving_file(path: Path, tables: Mapping[str, Published]) -> Path:
    """Write every table (and `_published`) into a new DuckDB file, then rename it over `path`.

    A reader that attached the old file keeps reading it (its inode lives on until closed);
    the next attach opens the new one. A failure leaves the published file untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}{TEMP_MARKER}{uuid.uuid4().hex}")
    try:
        with duckdb.connect(str(temporary)) as connection:
            fill(connection, tables)
        temporary.chmod(0o444)  # the serving file is read-only: nobody writes it in place
        os.replace(temporary, path)
    finally:
        for leftover in path.parent.glob(f"{temporary.name}*"):  # the file and its WAL, if any
            leftover.unlink()
    return path


def fill(connection: duckdb.DuckDBPyConnection, tables: Mapping[str, Published]) -> None:
    """The serving layer's schema in `connection`: every table, and `_published` about them."""
    connection.execute(f"create schema {SCHEMA}")
    contents = {name: t.table for name, t in tables.items()}
    for name, table in {**contents, PUBLISHED: published_table(tables)}.items():
        connection.register("incoming", table)
        connection.execute(f'create table {SCHEMA}."{name}" as select * from incoming')
        connection.unregister("incoming")


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh read-only view of the serving file as it is now; close it when done.

    `duckdb.connect(path)` would reuse a database instance already open on that path in this
    process, which can be the old, replaced file; attaching into a new in-memory instance
    always opens the file the path names now.
    """
    if not path.exists():
        raise FileNotFoundError(f"No serving file at {path}: run `make demo` first.")
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{path}' as serving (read_only)")
        connection.execute("use serving")
    except BaseException:
        connection.close()
        raise
    return connection


# --- (b) PostgreSQL ---

POSTGRES_TYPES = {
    pa.int64(): "bigint",
    pa.int32(): "integer",
    pa.float64(): "double precision",
    pa.string(): "text",
    pa.large_string(): "text",
    pa.date32(): "date",
    pa.bool_(): "boolean",
}


def postgres_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if arrow_type not in POSTGRES_TYPES:
        raise TypeError(f"No PostgreSQL type for the Arrow type {arrow_type}: add it to POSTGRES_TYPES.")
    return POSTGRES_TYPES[arrow_type]


def publish_postgres(
    dsn: str,
    schema: str,
    tables: Mapping[str, Published],
    reader: str | None = None,
    personal: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Fill a new schema, then swap it with `schema` in one transaction.

    The `reader` role, when given (created, without login, if it does not exist), may read every column of
    every table except the `personal` ones (table -> columns tagged personal): column privileges,
    granted in the new schema before the swap, so readers never see a moment without them.

    The renames touch only the catalog, so a reader in the middle of a query or transaction
    does not block them and sees the old tables or the new ones. The retired schema is
    dropped right away unless a reader still uses it; then the next publish drops it.
    """
    import psycopg
    from psycopg import sql

    suffix = uuid.uuid4().hex[:8]
    staging, retired = f"{schema}__new_{suffix}", f"{schema}__old_{suffix}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        try:
            with connection.transaction():
                connection.execute(sql.SQL("create schema {}").format(sql.Identifier(staging)))
                contents = {name: t.table for name, t in tables.items()}
                for name, table in {**contents, PUBLISHED: published_table(tables)}.items():
                    _copy_table(connection, sql.Identifier(staging, name), table)
                if reader:
                    _grant_reader(connection, staging, reader, contents, personal or {})
            with connection.transaction():
                if _schema_exists(connection, schema):
                    connection.execute(
                        sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(retired))
                    )
                connection.execute(
                    sql.SQL("alter schema {} rename to {}").format(sql.Identifier(staging), sql.Identifier(schema))
                )
        except BaseException:
            connection.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(staging)))
            raise
        _drop_retired_schemas(connection, schema)


def _copy_table(connection, identifier, table: pa.Table) -> None:
    from psycopg import sql

    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(field.name), sql.SQL(postgres_type(field.type)))
        for field in table.schema
    )
    connection.execute(sql.SQL("create table {} ({})").format(identifier, columns))
    with connection.cursor().copy(sql.SQL("copy {} from stdin").format(identifier)) as copy:
        for row in zip(*(column.to_pylist() for column in table.columns)):
            copy.write_row(row)


def _grant_reader(
    connection, schema: str, reader: str, tables: Mapping[str, pa.Table], personal: Mapping[str, Iterable[str]]
) -> None:
    from psycopg import sql

    if connection.execute("select 1 from pg_roles where rolname = %s", [reader]).fetchone() is None:
        connection.execute(sql.SQL("create role {} nologin").format(sql.Identifier(reader)))
    connection.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(reader)))
    readable = {
        name: [c for c in table.column_names if c not in set(personal.get(name, ()))] for name, table in tables.items()
    }
    for name, columns in {**readable, PUBLISHED: None}.items():
        granted = (
            sql.SQL("select")
            if columns is None
            else sql.SQL("select ({})").format(sql.SQL(", ").join(map(sql.Identifier, columns)))
        )
        if columns == []:
            continue  # every column personal: nothing to read
        connection.execute(
            sql.SQL("grant {} on {} to {}").format(granted, sql.Identifier(schema, name), sql.Identifier(reader))
        )


def _schema_exists(connection, schema: str) -> bool:
    query = "select 1 from pg_namespace where nspname = %s"
    return connection.execute(query, [schema]).fetchone() is not None


def _drop_retired_schemas(connection, schema: str) -> None:
    """Drop every retired copy of `schema` that no reader holds; skip the others."""
    import psycopg
    from psycopg import sql

    pattern = f"{schema}\\_\\_old\\_%"
    names = [
        n for (n,) in connection.execute("select nspname from pg_namespace where nspname like %s", [pattern]).fetchall()
    ]
    for name in names:
        try:
            with connection.transaction():
                connection.execute("set local lock_timeout = '200ms'")
                connection.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
        except psycopg.errors.LockNotAvailable:
            pass  # a reader still uses it: retried by the next publish
