"""Pure logic of an ingestion run: which lake partitions to write and how to read them, what
changed in a schema, what the watermarks are. No I/O here, so each rule is unit-tested exactly."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.platform.extractors.sql import Window
from orchestration.platform.partitions import days_in_window
from orchestration.platform.registry import TableSpec

# A run reads the rows of consecutive partitions with one query, at most a month of them at a
# time (the rows of one read are held in memory while they are split into partitions).
MAX_READ_DAYS = 31


@dataclass(frozen=True)
class Period:
    """One lake partition: its key (`partition_date`) and the days [start, end) it holds."""

    key: date
    start: date
    end: date


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_of(spec: TableSpec, day: date) -> Period:
    """The lake partition that the rows of `day` belong to."""
    if spec.grain == "day":
        return Period(day, day, day + timedelta(days=1))
    first = month_start(day)
    return Period(first, first, next_month(first))


def periods_of(spec: TableSpec, days: Iterable[date]) -> list[Period]:
    """The partitions of `days`, each once, in order."""
    return sorted({period_of(spec, day) for day in days}, key=lambda p: p.key)


def change_window(spec: TableSpec, start: date, end: date, earliest: date) -> tuple[date, date]:
    """The days whose changes a run over [start, end) reads: its own and the `lookback_days`
    before (rows that were recorded late), never before `earliest`."""
    return max(earliest, start - timedelta(days=spec.lookback_days)), end


def periods_to_write(spec: TableSpec, start: date, end: date, earliest: date) -> list[Period]:
    """The partitions a run over the days [start, end) rewrites when the partition column is
    the cursor: those of its own days and of the lookback's. (When the partition column is
    another column, the partitions of the changed rows are added: `periods_of` of their days.)"""
    first, last = change_window(spec, start, end, earliest) if spec.partition_column is None else (start, end)
    return periods_of(spec, days_in_window(first, last))


def reads(periods: list[Period]) -> list[list[Period]]:
    """`periods` grouped into reads of consecutive partitions, none longer than MAX_READ_DAYS
    and none across a month boundary: one query each, split into its partitions."""
    groups: list[list[Period]] = []
    for period in sorted(periods, key=lambda p: p.key):
        group = groups[-1] if groups else None
        if (
            group
            and group[-1].end == period.start
            and (period.end - group[0].start).days <= MAX_READ_DAYS
            and month_start(group[0].start) == month_start(period.start)
        ):
            group.append(period)
        else:
            groups.append([period])
    return groups


def read_window(spec: TableSpec, periods: list[Period]) -> Window | None:
    """Which rows a read of consecutive partitions holds: all (snapshot) or the partition
    column's days."""
    if spec.mode != "incremental":
        return None
    return Window(spec.partition_by, periods[0].start, periods[-1].end)


def partition_days(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The day each row belongs to: a date as it is, a timestamp cut at midnight (UTC when it
    has a time zone)."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
    return pc.cast(column, pa.date32())


def split_by_period(spec: TableSpec, table: pa.Table, periods: list[Period]) -> dict[date, pa.Table]:
    """The rows of `table` for each of `periods` (by the partition column), every period present
    (empty when it has no row). Rows outside the periods are not returned."""
    if spec.mode != "incremental":
        return {periods[0].key: table}
    days = partition_days(table.column(spec.partition_by))
    if spec.grain == "month":
        days = pc.floor_temporal(days, unit="month")
    return {period.key: table.filter(pc.equal(days, pa.scalar(period.key, pa.date32()))) for period in periods}


@dataclass(frozen=True)
class SchemaChange:
    added: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    retyped: tuple[str, ...] = ()  # "name: old -> new"
    published: int = 0  # how many columns the last published schema had

    def __bool__(self) -> bool:
        return bool(self.added or self.dropped or self.retyped)

    def describe(self) -> str:
        parts = [
            f"{label} {', '.join(names)}"
            for label, names in (("added", self.added), ("dropped", self.dropped), ("retyped", self.retyped))
            if names
        ]
        return "; ".join(parts) or "no change"

    @property
    def replaces_most_columns(self) -> bool:
        """More than half of the published columns dropped or retyped: another table's rows, or
        a source that was swapped, far more often than a table that evolved."""
        return self.published > 0 and len(self.dropped) + len(self.retyped) > self.published / 2


class SchemaDriftError(RuntimeError):
    """The source's columns changed in a way the entry's schema policy refuses."""


def schema_change(published: pa.Schema | None, current: pa.Schema) -> SchemaChange:
    """How `current` differs from the last published schema (None: nothing published yet)."""
    if published is None:
        return SchemaChange()
    old = {f.name: f.type for f in published}
    new = {f.name: f.type for f in current}
    return SchemaChange(
        added=tuple(n for n in new if n not in old),
        dropped=tuple(n for n in old if n not in new),
        retyped=tuple(f"{n}: {old[n]} -> {new[n]}" for n in new if n in old and old[n] != new[n]),
        published=len(old),
    )


def enforce_policy(spec: TableSpec, change: SchemaChange) -> None:
    """`freeze` refuses any change; `evolve` takes added and dropped columns, but never a retype
    (partitions of one table with two types of a column would not read as one table) and never
    a change that replaces most of the table's columns."""
    if not change:
        return
    if spec.schema_policy == "evolve" and change.replaces_most_columns:
        raise SchemaDriftError(
            f"{spec.where}: the source no longer looks like the table landed so far: "
            f"{len(change.dropped) + len(change.retyped)} of its {change.published} columns are "
            f"gone or retyped ({change.describe()}); nothing was published.\n"
            "Fix: check that the entry reads the right source (`table:`, `query:`, `connection:`; "
            "a copied entry often still names another table). If the table really was rebuilt, "
            "move its old partitions aside and land it again."
        )
    if spec.schema_policy == "freeze" or change.retyped:
        raise SchemaDriftError(
            f"{spec.where}: the source's columns changed ({change.describe()}) and "
            f"schema_policy is {spec.schema_policy!r}; nothing was published.\n"
            "Fix: either cast the column back in a `query:`, or accept the change "
            "(`schema_policy: evolve` for added or dropped columns) and republish the table's "
            "earlier partitions."
        )


@dataclass
class Watermark:
    """Smallest and largest cursor value seen, updated batch by batch as rows stream past."""

    column: str | None
    low: object = None
    high: object = None

    def watch(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            self.see(batch)
            yield batch

    def see(self, rows: pa.RecordBatch | pa.Table) -> None:
        if self.column is not None and rows.num_rows:
            bounds = pc.min_max(rows.column(self.column))
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is not None:
                self.low = low if self.low is None else min(self.low, low)
                self.high = high if self.high is None else max(self.high, high)
