"""Retention and erasure: personal data kept no longer than allowed, and a person's rows removed
on request, in the lake and in everything built from it (docs/personal-data.md).

* **Retention**: an entry's `retention_days:` (registry) is how long its lake partitions are
  kept: `apply_retention` deletes the partitions older than that (a snapshot's newest copy is
  always kept: it is the current state).
* **Erasure**: `erase` removes every row whose pseudonymised column holds the person's pseudonym
  from every raw partition of every entry that pseudonymises, each partition rewritten and
  published atomically as extraction does; the pseudonym joins the lake's list of erased people,
  which extraction filters from then on, so a source that still holds the person does not bring
  them back.

Both then rebuild what was built from the partitions they changed (`rebuild`: the models and gold
tables of those days, not the extraction), and write an audit record in the lake under
`_audit/<kind>/`: the request, who ran it, when, and each table, partition and number of rows
removed. Never the values: not even the pseudonym (the record says which request it answered).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration.platform.lake import Lake
from orchestration.platform.registry import TableSpec

AUDIT_DIR = "_audit"
ERASED = "_privacy/erased.json"  # the pseudonyms of erased people, filtered at every extraction


@dataclass(frozen=True)
class Removal:
    table: str  # <system>.<table>
    partition: str  # its day, ISO
    rows: int  # rows removed (retention: the partition's rows)
    action: str  # "deleted" (the whole partition) or "rewritten"


def expired(lake: Lake, spec: TableSpec, today: date) -> list[date]:
    """The partitions of `spec` older than its retention (none without `retention_days`)."""
    if spec.retention_days is None:
        return []
    days = lake.partition_days(spec.system, spec.table)
    cutoff = today - timedelta(days=spec.retention_days)
    old = [d for d in days if d < cutoff]
    if spec.mode == "snapshot" and days and old and old[-1] == days[-1]:
        old = old[:-1]  # the newest snapshot is the current state: kept
    return old


def apply_retention(
    lake: Lake, specs: Iterable[TableSpec], today: date, log: Callable[[str], None] = print
) -> list[Removal]:
    removed = []
    for spec in specs:
        days = expired(lake, spec, today)
        for day in days:
            rows = pq.ParquetFile(lake.fs.open(lake.partition_path(spec.system, spec.table, day))).metadata.num_rows
            lake.delete_partition(spec.system, spec.table, day)
            removed.append(Removal(spec.name, day.isoformat(), rows, "deleted"))
        if days:
            log(f"{spec.name}: {len(days)} partition(s) before {today - timedelta(days=spec.retention_days)} deleted")
    return removed


def erased_pseudonyms(lake: Lake) -> frozenset[str]:
    path = f"{lake.fs_root}/{ERASED}"
    return frozenset(json.loads(lake.fs.cat_file(path))) if lake.fs.exists(path) else frozenset()


def erase(lake: Lake, specs: Iterable[TableSpec], pseudonym: str, log: Callable[[str], None] = print) -> list[Removal]:
    """Remove the person whose pseudonym is `pseudonym` from every raw partition that holds it."""
    lake.publish_text(f"{lake.fs_root}/{ERASED}", json.dumps(sorted(erased_pseudonyms(lake) | {pseudonym})))
    removed = []
    for spec in specs:
        columns = [c for c, p in spec.privacy.items() if p.action == "pseudonymise"]
        if not columns:
            continue
        for day in lake.partition_days(spec.system, spec.table):
            path = lake.partition_path(spec.system, spec.table, day)
            table = pq.read_table(pa.BufferReader(lake.fs.cat_file(path)))
            present = [c for c in columns if c in table.column_names]
            if not present:
                continue
            match = pc.fill_null(pc.equal(table.column(present[0]), pseudonym), False)
            for column in present[1:]:
                match = pc.or_(match, pc.fill_null(pc.equal(table.column(column), pseudonym), False))
            count = pc.sum(match).as_py() or 0
            if not count:
                continue
            kept = table.filter(pc.invert(match))
            lake.publish_partition(spec.system, spec.table, day, kept.schema, kept.to_batches())
            removed.append(Removal(spec.name, day.isoformat(), count, "rewritten"))
        if any(r.table == spec.name for r in removed):
            log(
                f"{spec.name}: the person's rows removed from {sum(r.table == spec.name for r in removed)} partition(s)"
            )
    return removed


def audit(lake: Lake, kind: str, request: str, removed: list[Removal], now: datetime | None = None) -> str:
    """Write the audit record of a retention or erasure run; returns its path in the lake."""
    now = now or datetime.now(UTC)
    record = {
        "kind": kind,
        "request": request,
        "at": now.isoformat(),
        "removed": [asdict(r) for r in removed],
        "rows": sum(r.rows for r in removed),
    }
    path = f"{lake.fs_root}/{AUDIT_DIR}/{kind}/{now:%Y%m%dT%H%M%S%fZ}.json"
    lake.publish_text(path, json.dumps(record, indent=2))
    return path


def rebuild_window(removed: list[Removal]) -> tuple[date, date] | None:
    """The days whose models and gold tables must be built again."""
    days = sorted(date.fromisoformat(r.partition) for r in removed)
    return (days[0], days[-1]) if days else None
