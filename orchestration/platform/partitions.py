"""The partition model: which assets are partitioned, by what, and the pure functions around a
partition window. docs/partitions.md explains it for a data steward.

| assets                                   | partitions      | a partition holds                   |
|------------------------------------------|-----------------|-------------------------------------|
| raw/<system>/<table>, incremental        | daily (monthly) | the rows whose `partition_by` column falls on its day (month) |
| raw/<system>/<table>, snapshot           | none            | (each run lands a copy of the table under the day it was taken) |
| dbt models with batch_size: day / month  | daily / monthly | the rows whose event_time column falls on its day / month |
| other dbt models, seeds                  | none            | a current state, rebuilt from the newest data |
| serving/<model>, dashboard/<page>        | none            | what is published                   |

A grain is declared once, where the data is described: `grain:` in the ingestion registry,
`batch_size:` in a dbt model's config. A partitioned dbt model is incremental on its partition
(incremental_strategy `window`, macros/incremental_window.sql). Dagster maps the partitions from
one grain to the other (a month depends on its days).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import dagster as dg

# The first day of the ministry's history on the platform: the first partition of every grain.
# It is the platform's calendar, not the sample's (the demo's sample starts on it); a deployment
# that lands older history moves it back, and Dagster then offers the earlier partitions.
HISTORY_START = date(2026, 1, 1)

DAILY = dg.DailyPartitionsDefinition(start_date=HISTORY_START.isoformat())
# the month in progress is a partition too: it is rebuilt every day until it ends
MONTHLY = dg.MonthlyPartitionsDefinition(start_date=HISTORY_START.isoformat(), end_offset=1)
GRAINS: dict[str, dg.TimeWindowPartitionsDefinition] = {"day": DAILY, "month": MONTHLY}

# A range of partitions (a backfill) runs as one run: one read per month of source rows and
# one dbt build, whatever the number of days.
SINGLE_RUN = dg.BackfillPolicy.single_run()


def partitions_for(grain: str | None) -> dg.TimeWindowPartitionsDefinition | None:
    """The partitions of an asset of `grain` ("day", "month"; None: not partitioned)."""
    if grain is None:
        return None
    if grain not in GRAINS:
        raise ValueError(f"Unknown grain {grain!r}: use one of {', '.join(GRAINS)} (or none).")
    return GRAINS[grain]


def days_in_window(start: datetime | date, end: datetime | date) -> Iterator[date]:
    """The days of the half-open window [start, end)."""
    day = _as_date(start)
    last = _as_date(end)
    while day < last:
        yield day
        day += timedelta(days=1)


def event_time_flags(start: datetime | date, end: datetime | date) -> list[str]:
    """The dbt flags that give a run its partition window [start, end) (macros/in_window.sql).
    Flags, not vars: a new window does not make dbt parse the project again."""
    return ["--event-time-start", _as_date(start).isoformat(), "--event-time-end", _as_date(end).isoformat()]


def covering(windows: list[tuple[date, date]]) -> tuple[date, date]:
    """The smallest window [start, end) that holds every window of `windows`."""
    return min(w[0] for w in windows), max(w[1] for w in windows)


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
