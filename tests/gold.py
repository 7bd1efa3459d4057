"""Reading gold tables back in tests: every table of schema `gld`, rows sorted, comparable."""

from pathlib import Path

import duckdb

GOLD_TABLES_SQL = (
    "select table_name from information_schema.tables "
    "where table_schema = 'gld' and table_name like 'gld\\_%' escape '\\'"
)


def read_gold(connection: duckdb.DuckDBPyConnection) -> dict[str, list]:
    names = [name for (name,) in connection.execute(GOLD_TABLES_SQL).fetchall()]
    return {
        name: sorted(connection.execute(f"select * from gld.{name}").fetchall(), key=repr)
        for name in names
    }


def gold_tables(duckdb_path: Path) -> dict[str, list]:
    """The gold tables of a warehouse (or serving) file, opened read-only."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return read_gold(connection)
