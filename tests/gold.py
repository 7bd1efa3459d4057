"""Reading the warehouses and gold tables back in tests: rows sorted, comparable.

Each department builds in its own warehouse file; `warehouses(settings)` opens all of them in
one read-only session where every table and view is also reachable as `<schema>.<name>`
(`gld.gld_culture__...`), as it would be in a single warehouse.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

GOLD_TABLES_SQL = (
    "select table_name from information_schema.tables "
    "where table_schema = 'gld' and table_name like 'gld\\_%' escape '\\'"
)


def read_gold(connection: duckdb.DuckDBPyConnection) -> dict[str, list]:
    names = sorted({name for (name,) in connection.execute(GOLD_TABLES_SQL).fetchall()})
    return {name: sorted(connection.execute(f"select * from gld.{name}").fetchall(), key=repr) for name in names}


@contextmanager
def warehouses(settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Every department's warehouse, attached read-only, its tables also as <schema>.<name>
    (views over the lake are left out: they would need the lake's filesystem)."""
    with duckdb.connect() as connection:
        for path in sorted(Path(settings.warehouse_dir).glob("*.duckdb")):
            connection.execute(f"attach '{path}' as \"{path.stem}\" (read_only)")
        relations = connection.execute(
            "select table_catalog, table_schema, table_name from information_schema.tables "
            "where table_catalog not in ('memory', 'system', 'temp') and table_type = 'BASE TABLE'"
        ).fetchall()
        for catalog, schema, name in relations:
            connection.execute(f'create schema if not exists memory."{schema}"')
            connection.execute(f'create view memory."{schema}"."{name}" as from "{catalog}"."{schema}"."{name}"')
        yield connection


def gold_tables(path_or_settings) -> dict[str, list]:
    """The gold tables of a serving file (a path), or of every warehouse (settings)."""
    if isinstance(path_or_settings, Path):
        with duckdb.connect(str(path_or_settings), read_only=True) as connection:
            return read_gold(connection)
    with warehouses(path_or_settings) as connection:
        connection.execute("use memory")
        return read_gold(connection)
