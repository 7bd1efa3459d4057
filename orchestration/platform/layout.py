"""The lake's path layout, in one place: where a table's partitions and the published gold live.

    <lake root>/<system>/<table>/partition_date=<day>/data.parquet      landed tables (Hive partitions)
    <lake root>/gold/<department>/<model>/                              a gold table, every version (Delta Lake)
    <lake root>/gold/<department>/_publications/                        the department's publications (Delta Lake)
    <lake root>/open_data/<department>/<model>/                         the open-data export of a gold table

The lake (lake.py), the publication (versions.py), the open-data export (open_data.py) and the dbt sources read paths from here; the
dbt sources' `external_location` is rendered from the same rule (`dbt_external_location`), and
`make lint` checks every `_<system>__sources.yml` against it (conventions.py).
"""

from __future__ import annotations

from datetime import date

PARTITION_COLUMN = "partition_date"
GOLD = "gold"
PUBLICATIONS = "_publications"  # a department's log of publications: which version of each table
OPEN_DATA = "open_data"


def partition_path(lake_root: str, system: str, table: str, day: date) -> str:
    """Where one day's partition of a table lives in the lake (a local path or a URL)."""
    return f"{lake_root.rstrip('/')}/{system}/{table}/{PARTITION_COLUMN}={day.isoformat()}/data.parquet"


def table_glob(lake_root: str, system: str, table: str) -> str:
    """The glob that reads every published partition of a table, and nothing else."""
    return f"{lake_root.rstrip('/')}/{system}/{table}/{PARTITION_COLUMN}=*/data.parquet"


def dbt_external_location(system: str) -> str:
    """The `external_location` of a dbt source of `system` (dbt-duckdb fills in `{name}`)."""
    glob = table_glob("{{ var('lake_root') }}", system, "{name}")
    return f"read_parquet('{glob}', hive_partitioning = true)"


def gold_root(lake_root: str, department: str | None = None) -> str:
    """Where the published gold tables are: `<lake>/gold/`, one folder per department."""
    root = f"{lake_root.rstrip('/')}/{GOLD}"
    return f"{root}/{department}" if department else root


def gold_table_path(lake_root: str, department: str, name: str) -> str:
    """The Delta table that keeps every published version of a gold table."""
    return f"{gold_root(lake_root, department)}/{name}"


def publications_path(lake_root: str, department: str) -> str:
    """The Delta table of a department's publications (versions.py)."""
    return f"{gold_root(lake_root, department)}/{PUBLICATIONS}"


def open_data_path(lake_root: str, department: str, name: str) -> str:
    """Where the open-data export of a gold table is written (open_data.py)."""
    return f"{lake_root.rstrip('/')}/{OPEN_DATA}/{department}/{name}"
