"""Partitions: the daily partitions definition and the pure functions around a time window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import dagster as dg

from orchestration.lib.sample_data import SAMPLE_START

PARTITION_COLUMN = "partition_date"

DAILY = dg.DailyPartitionsDefinition(start_date=SAMPLE_START.isoformat())

# A range of partitions (a backfill) runs as one run: one query per table and one dbt build.
SINGLE_RUN = dg.BackfillPolicy.single_run()


def days_in_window(start: datetime | date, end: datetime | date) -> Iterator[date]:
    """The days of the half-open window [start, end)."""
    day = _as_date(start)
    last = _as_date(end)
    while day < last:
        yield day
        day += timedelta(days=1)


def dbt_window_vars(start: datetime | date, end: datetime | date) -> dict[str, str]:
    """The dbt vars that tell incremental models which partitions to (re)build."""
    return {"window_start": _as_date(start).isoformat(), "window_end": _as_date(end).isoformat()}


def partition_path(lake_root: str, system: str, table: str, day: date) -> str:
    """Where one day's partition of a table lives in the lake (a local path or a URL)."""
    return f"{lake_root.rstrip('/')}/{system}/{table}/{PARTITION_COLUMN}={day.isoformat()}/data.parquet"


def table_glob(lake_root: str, system: str, table: str) -> str:
    """The glob that reads every published partition of a table, and nothing else."""
    return f"{lake_root.rstrip('/')}/{system}/{table}/{PARTITION_COLUMN}=*/data.parquet"


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
