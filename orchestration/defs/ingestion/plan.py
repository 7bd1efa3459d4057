"""Pure logic of an ingestion run: which lake partitions to write, what changed in a schema,
what the watermarks are. No I/O here, so each rule is unit-tested exactly."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.lib.extractors.sql import Window
from orchestration.lib.partitions import days_in_window
from orchestration.lib.registry import TableSpec


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


def periods_to_write(spec: TableSpec, start: date, end: date, earliest: date) -> list[Period]:
    """The lake partitions a run over the days [start, end) rewrites: for an incremental
    table also those of the `lookback_days` before (late rows), never before `earliest`."""
    if spec.mode == "incremental" and spec.lookback_days:
        start = max(earliest, start - timedelta(days=spec.lookback_days))
    periods: dict[date, Period] = {}
    for day in days_in_window(start, end):
        if spec.grain == "day":
            periods[day] = Period(day, day, day + timedelta(days=1))
        else:
            first = month_start(day)
            periods[first] = Period(first, first, next_month(first))
    return list(periods.values())


def read_window(spec: TableSpec, period: Period) -> Window | None:
    """Which rows a partition holds: all of them (snapshot) or the cursor's days."""
    return Window(spec.cursor, period.start, period.end) if spec.mode == "incremental" else None


@dataclass(frozen=True)
class SchemaChange:
    added: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    retyped: tuple[str, ...] = ()  # "name: old -> new"

    def __bool__(self) -> bool:
        return bool(self.added or self.dropped or self.retyped)

    def describe(self) -> str:
        parts = [
            f"{label} {', '.join(names)}"
            for label, names in (("added", self.added), ("dropped", self.dropped), ("retyped", self.retyped))
            if names
        ]
        return "; ".join(parts) or "no change"


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
    )


def enforce_policy(spec: TableSpec, change: SchemaChange) -> None:
    """`freeze` refuses any change; `evolve` takes added and dropped columns, never a retype
    (partitions of one table with two types of a column would not read as one table)."""
    if not change:
        return
    if spec.schema_policy == "freeze" or change.retyped:
        raise SchemaDriftError(
            f"{spec.where}: the source's columns changed ({change.describe()}) and "
            f"schema_policy is {spec.schema_policy!r}; nothing was published. Either cast the "
            "column back in a `query:`, or accept the change (`schema_policy: evolve` for "
            "added or dropped columns) and republish the table's earlier partitions."
        )


@dataclass
class Watermark:
    """Smallest and largest cursor value seen, updated batch by batch as rows stream past."""

    column: str | None
    low: object = None
    high: object = None

    def watch(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if self.column is not None and batch.num_rows:
                bounds = pc.min_max(batch.column(self.column))
                low, high = bounds["min"].as_py(), bounds["max"].as_py()
                if low is not None:
                    self.low = low if self.low is None else min(self.low, low)
                    self.high = high if self.high is None else max(self.high, high)
            yield batch
