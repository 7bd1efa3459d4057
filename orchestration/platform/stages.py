"""A range of days across assets of several grains, as the fewest runs in dependency order.

A Dagster run materialises partitions of one partitions definition (plus unpartitioned assets).
The platform's assets have three (daily facts, monthly gold, none for current states), so the
command line and the production sensor both run a window as stages: one run per grain, in
dependency order, each over the partitions that cover the window and every partition a
previous stage rewrote (late rows). Unpartitioned assets go to the latest stage they can (as
late as possible): the gold tables, current or monthly, and their publication share one run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date

import dagster as dg

from orchestration.platform.partitions import covering


@dataclass(frozen=True)
class Stage:
    """One run: these assets, over partitions of `partitions_def` (None: unpartitioned only)."""

    partitions_def: dg.TimeWindowPartitionsDefinition | None
    keys: frozenset[dg.AssetKey]

    @property
    def name(self) -> str:
        if self.partitions_def is None:
            return "current"
        return {"day": "daily", "month": "monthly"}.get(_grain(self.partitions_def), "partitioned")


def plan_stages(graph, keys: Iterable[dg.AssetKey]) -> list[Stage]:
    """The stages that materialise `keys` (executable assets of `graph`) in dependency order."""
    selected = [k for k in graph.toposorted_asset_keys if k in set(keys)]
    parents = {k: [p for p in graph.get(k).parent_keys if p in selected] for k in selected}
    children = {k: [c for c in graph.get(k).child_keys if c in selected] for k in selected}
    partitions = {k: graph.get(k).partitions_def for k in selected}

    stage_of: dict[dg.AssetKey, int] = {}
    definitions: dict[int, dg.PartitionsDefinition] = {}
    floor: dict[dg.AssetKey, int] = {}  # the earliest stage after every partitioned ancestor
    for key in selected:
        bound = max((floor[p] for p in parents[key]), default=0)
        if partitions[key] is not None:
            for parent in parents[key]:
                if parent in stage_of and definitions[stage_of[parent]] != partitions[key]:
                    bound = max(bound, stage_of[parent] + 1)
            stage = bound
            while stage in definitions and definitions[stage] != partitions[key]:
                stage += 1
            definitions[stage] = partitions[key]
            stage_of[key] = stage
            bound = stage
        floor[key] = max(bound, max((floor[p] for p in parents[key]), default=0))
    last = max(definitions, default=0)
    for key in reversed(selected):  # unpartitioned: as late as its children allow
        if partitions[key] is None:
            stage_of[key] = min((stage_of[c] for c in children[key]), default=last)
    numbers = sorted(set(stage_of.values()))
    return [Stage(definitions.get(n), frozenset(k for k in selected if stage_of[k] == n)) for n in numbers]


def stage_range(
    stage: Stage, window: tuple[date, date], rewritten: Iterable[tuple[date, date]] = ()
) -> tuple[str, str] | None:
    """The first and last partition keys a stage runs: those covering the day window
    [start, end) and every window `rewritten` by earlier stages. None for an unpartitioned stage."""
    if stage.partitions_def is None:
        return None
    start, end = covering([window, *rewritten])
    keys = stage.partitions_def.get_partition_keys_in_range(
        dg.PartitionKeyRange(
            stage.partitions_def.get_partition_key_for_timestamp(_timestamp(start)),
            stage.partitions_def.get_partition_key_for_timestamp(_timestamp(end) - 1),
        )
    )
    return keys[0], keys[-1]


def rewritten_windows(partitions_by_asset: Mapping[dg.AssetKey, Iterable[str]], graph) -> list[tuple[date, date]]:
    """The day windows of the partitions materialised by a stage's run (late rows included)."""
    windows = []
    for key, partition_keys in partitions_by_asset.items():
        definition = graph.get(key).partitions_def
        if definition is None:
            continue
        for partition_key in partition_keys:
            window = definition.time_window_for_partition_key(partition_key)
            windows.append((window.start.date(), window.end.date()))
    return windows


def _grain(definition: dg.PartitionsDefinition) -> str | None:
    from orchestration.platform.partitions import GRAINS

    return next((g for g, d in GRAINS.items() if d == definition), None)


def _timestamp(day: date) -> float:
    from datetime import datetime

    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
