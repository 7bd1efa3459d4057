"""How the dashboard reads the serving layer: one read-only attach of the serving file per page.

A page opens the serving file as it is now, runs its queries and closes it, so it never
holds a file that a publish has replaced for longer than one page render, never blocks the
publish, and all numbers of one page come from one version of the file.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.platform.serving import PUBLISHED, SCHEMA, connect_read_only
from orchestration.platform.settings import load_settings

Query = tuple[str, Mapping[str, object]]  # SQL with $named parameters, and their values


def serving_path() -> Path:
    return load_settings().serving.path


def connect() -> duckdb.DuckDBPyConnection:
    return connect_read_only(serving_path())


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
