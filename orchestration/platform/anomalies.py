"""Anomaly checks of landed tables, judged against the table's own history in the lake.

After an entry lands, each partition written is profiled and compared with earlier partitions of
the same table (docs/monitoring.md):
* `row_count_anomaly`: its rows against the median of the same weekday's last 8 partitions (a
  daily table: Mondays are compared with Mondays), of the last 6 months (monthly), of the last 7
  copies (a snapshot);
* `freshness_anomaly`: how long before the end of its period its newest `partition_by` time is
  (a delivery cut short at noon), against the same history; timestamp columns only;
* `column_anomaly`: null rates and distinct counts of the columns the entry declares
  (`anomalies: columns:`), against the same history;
* `schema_change`: columns added, dropped or retyped since the last published partition.

A partition is judged when it has at least `MIN_HISTORY` earlier partitions to compare with. A
check warns by default; `anomalies: severity: error` in the registry makes it blocking, so the
run stops before anything downstream is built or published. The checks report the numbers that
triggered them (counts and rates only, never a value of the table).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow.parquet as pq

from orchestration.platform.lake import Lake
from orchestration.platform.layout import PARTITION_COLUMN
from orchestration.platform.registry import AnomalyPolicy, TableSpec

ROW_COUNT = "row_count_anomaly"
FRESHNESS = "freshness_anomaly"
COLUMNS = "column_anomaly"
SCHEMA = "schema_change"
MIN_HISTORY = 4  # earlier partitions needed before a partition is judged
CHANCE = 1e-4  # a count is unusual only if chance gives one this far from the usual less often
SAME_WEEKDAYS = 8  # a daily partition's history: the same weekday of the previous 8 weeks
MONTHS = 6
SNAPSHOTS = 7
MIN_LAG_SLACK_HOURS = 3.0  # a delivery is late when its lag exceeds the usual one by this and more
MIN_NULL_RATE_RISE = 0.05  # nor does a null rate rise by less than 5 points


@dataclass
class Profile:
    """What is measured of one lake partition (counts and rates, no value of the table)."""

    rows: int
    lag_hours: float | None = None  # period end - newest partition_by time
    null_rates: dict[str, float] = field(default_factory=dict)
    distinct: dict[str, int] = field(default_factory=dict)


@dataclass
class Finding:
    """One anomalous partition of one check, with the numbers that show it."""

    partition: date
    measure: str
    value: float
    usual: float
    history: int  # how many earlier partitions `usual` is the median of

    def describe(self) -> str:
        return (
            f"{self.partition}: {self.measure} {_number(self.value)}, usually {_number(self.usual)} "
            f"(median of {self.history} earlier partitions)"
        )


@dataclass
class Verdict:
    """One check's outcome over the partitions a run wrote."""

    check: str
    judged: int = 0  # partitions with enough history to be judged
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings


def history_days(spec: TableSpec, day: date, available: Iterable[date]) -> list[date]:
    """The earlier partitions that `day`'s is compared with (those present in the lake)."""
    present = set(available)
    if spec.mode == "snapshot":
        return sorted((d for d in present if d < day), reverse=True)[:SNAPSHOTS]
    if spec.grain == "month":
        candidates = [_month_before(day, n) for n in range(1, MONTHS + 1)]
    else:
        candidates = [day - timedelta(weeks=n) for n in range(1, SAME_WEEKDAYS + 1)]
    return [d for d in candidates if d in present]


def profile(lake: Lake, spec: TableSpec, days: Iterable[date], columns: tuple[str, ...]) -> dict[date, Profile]:
    """The profile of each partition of `days` (published ones: the caller lists them), read in one query."""
    paths = [lake.partition_path(spec.system, spec.table, d) for d in sorted(set(days))]
    if not paths:
        return {}
    schema = pq.read_schema(paths[-1], filesystem=lake.fs)
    timed = (
        spec.partition_by if spec.partition_by and "timestamp" in str(schema.field(spec.partition_by).type) else None
    )
    present = [c for c in columns if c in schema.names]
    measures = ["count(*)", f"max({_quote(timed)})" if timed else "null"]
    for column in present:
        measures += [f"count({_quote(column)})", f"count(distinct {_quote(column)})"]
    with duckdb.connect() as connection:
        if not lake.is_local:
            connection.register_filesystem(lake.duckdb_filesystem())
            paths = [lake.fs.unstrip_protocol(p) for p in paths]
        rows = connection.execute(
            f"select {PARTITION_COLUMN}, {', '.join(measures)} from read_parquet(?, hive_partitioning = true, "
            f"union_by_name = true) group by all",
            [paths],
        ).fetchall()
    profiles = {}
    for day, count, newest, *counts in rows:
        found = Profile(rows=count)
        if newest is not None:
            end = _period_end(spec, day)
            if newest.tzinfo is not None:  # partitions are UTC days
                newest = newest.astimezone(UTC).replace(tzinfo=None)
            found.lag_hours = max(0.0, (end - newest).total_seconds() / 3600)
        for index, column in enumerate(present):
            non_null, distinct = counts[2 * index], counts[2 * index + 1]
            found.null_rates[column] = 1 - non_null / count if count else 0.0
            found.distinct[column] = distinct
        profiles[day] = found
    return profiles


def judge(spec: TableSpec, policy: AnomalyPolicy, written: list[date], lake: Lake) -> list[Verdict]:
    """The row count, freshness and column verdicts of the partitions `written`."""
    available = lake.partition_days(spec.system, spec.table)
    histories = {day: history_days(spec, day, available) for day in written}
    needed = (set(written) | {d for days in histories.values() for d in days}) & set(available)
    profiles = profile(lake, spec, needed, policy.columns)
    verdicts = {check: Verdict(check) for check in (ROW_COUNT, FRESHNESS, COLUMNS)}
    low, high = 1 - policy.tolerance, 1 / (1 - policy.tolerance)
    for day in sorted(written):
        past = [profiles[d] for d in histories[day] if d in profiles]
        current = profiles.get(day)
        if current is None or len(past) < MIN_HISTORY:
            continue

        def compare(check: str, measure: str, value: float, usual: list[float], abnormal) -> None:
            usual_value = statistics.median(usual)
            if abnormal(value, usual_value):
                verdicts[check].findings.append(Finding(day, measure, value, usual_value, len(usual)))

        verdicts[ROW_COUNT].judged += 1
        compare(ROW_COUNT, "rows", current.rows, [p.rows for p in past], lambda v, u: _outside(v, u, low, high))
        lags = [p.lag_hours for p in past if p.lag_hours is not None]
        if current.lag_hours is not None and len(lags) >= MIN_HISTORY:
            verdicts[FRESHNESS].judged += 1
            compare(
                FRESHNESS,
                "hours between its newest row and the end of its period",
                round(current.lag_hours, 1),
                lags,
                lambda v, u: v > u * high and v - u > MIN_LAG_SLACK_HOURS,
            )
        if policy.columns:
            verdicts[COLUMNS].judged += 1
            for column in current.null_rates:
                compare(
                    COLUMNS,
                    f"null rate of {column}",
                    round(current.null_rates[column], 4),
                    [p.null_rates.get(column, 0.0) for p in past],
                    lambda v, u: v - u > max(MIN_NULL_RATE_RISE, u * (high - 1)),
                )
                compare(
                    COLUMNS,
                    f"distinct values of {column}",
                    current.distinct[column],
                    [p.distinct.get(column, 0) for p in past],
                    lambda v, u: _outside(v, u, low, high),
                )
    return list(verdicts.values())


def _outside(value: float, usual: float, low: float, high: float) -> bool:
    """A count is unusual when its ratio to the usual is outside [low, high] and chance alone
    would rarely give it: small counts vary a lot from day to day (7 requests on a day that
    usually has 21 happens about once in 1,400 days), a tenth of them almost never."""
    if usual == 0:  # no ratio to an empty history: a table that starts filling is not an anomaly
        return False
    return not low <= value / usual <= high and poisson_tail(value, usual) < CHANCE


def poisson_tail(value: float, mean: float) -> float:
    """P(X <= value) below the mean, P(X >= value) above it, for X ~ Poisson(mean): how often
    chance alone gives a count this far from the usual. (Written here: scipy for one formula
    would be a heavy dependency.)"""
    if mean > 1000:  # the normal approximation, exact enough where the ratio test decides anyway
        return 0.5 * math.erfc(abs(value - mean) / math.sqrt(2 * mean))
    terms = (math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) for k in range(int(value) + (value < mean)))
    below = sum(terms)  # P(X <= value) below the mean, P(X < value) above it
    return min(1.0, below) if value < mean else max(0.0, 1.0 - below)


def _period_end(spec: TableSpec, day: date) -> datetime:
    end = _month_before(day, -1) if spec.grain == "month" else day + timedelta(days=1)
    return datetime(end.year, end.month, end.day)


def _month_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
