"""How the dashboard reads the serving layer: one read-only attach of the serving file per page.

A page opens the serving file as it is now, runs its queries and closes it, so it never
holds a file that a publish has replaced for longer than one page render, never blocks the
publish, and all numbers of one page come from one version of the file.

A page shown "as of" a past day reads instead the gold tables as they were published at the end
of that day (Brussels time) from the lake's versions (orchestration/platform/versions.py), into
an in-memory database of the same shape: the same queries answer both.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.platform.serving import PUBLISHED, SCHEMA, connect_read_only, fill
from orchestration.platform.settings import load_settings
from orchestration.platform.versions import end_of_day, published_departments, read_publication

Query = tuple[str, Mapping[str, object]]  # SQL with $named parameters, and their values


class NothingAsOf(LookupError):
    """Nothing was published by the day asked for (a message for readers, in French)."""


def serving_path() -> Path:
    return load_settings().serving.path


def connect(as_of: date | None = None) -> duckdb.DuckDBPyConnection:
    """The serving layer as it is now, or as it was published at the end of the day `as_of`."""
    if as_of is None:
        return connect_read_only(serving_path())
    lake = load_settings().open_lake()
    moment = end_of_day(as_of)
    tables = {name: t for d in published_departments(lake) for name, t in read_publication(lake, d, moment).items()}
    if not tables:
        raise NothingAsOf(f"Aucune table n'était encore publiée le {as_of:%d/%m/%Y} : choisissez un jour plus récent.")
    connection = duckdb.connect()
    fill(connection, tables)
    return connection


def lineage_url(table: str) -> str:
    """The table's lineage in the Dagster UI of the environment (settings `UI_URL`, LAKEHOUSE_UI_URL)."""
    return f"{load_settings().ui_url}/assets/{SCHEMA}/{table}?view=lineage"


def matching(**values: Sequence[object]) -> Query:
    """A condition keeping the rows whose column is among `values`; an empty list keeps all."""
    clauses = [f"(len(${column}) = 0 or list_contains(${column}, {column}))" for column in values]
    return " and ".join(clauses) or "true", {column: list(v) for column, v in values.items()}


def run(connection: duckdb.DuckDBPyConnection, queries: Mapping[str, Query]) -> dict[str, pd.DataFrame]:
    return {name: connection.execute(sql, params).df() for name, (sql, params) in queries.items()}


def column(connection: duckdb.DuckDBPyConnection, sql: str) -> list:
    """The first column of a query, e.g. the values a filter offers."""
    return [row[0] for row in connection.execute(sql).fetchall()]


def labels(connection: duckdb.DuckDBPyConnection, sql: str) -> dict:
    """Code -> label from a two-column query, in its order: the choices a filter offers."""
    return dict(connection.execute(sql).fetchall())


def freshness(connection: duckdb.DuckDBPyConnection, table: str) -> tuple[date | None, datetime, int]:
    """The date `table`'s data describes, when it was published, and how many rows it has."""
    return connection.execute(
        f"select data_as_of, published_at, row_count from {SCHEMA}.{PUBLISHED} where table_name = $table",
        {"table": table},
    ).fetchall()[0]
