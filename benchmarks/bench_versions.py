"""Versioned gold (Delta Lake, versions.py) against the publication it replaced (every table
rewritten as Parquet into a folder per publication, behind a pointer file): time and storage.

A department with a monthly table (MONTHS months x 42 sectors and provinces, the shape of the
grants) and a current-state table (262 communes) is published PUBLICATIONS times, as daily runs
do: each time one month of the monthly table rebuilt and the current-state table replaced whole.
Each publication is timed as the publish step does it: write, then read back what is served
(the previous design also read the previous publication, to merge the month into it). Every
version is kept by both, so both can answer "what was published on day D"; the previous design
kept 5. On a local disk, and on Azurite when it is installed. Prints medians, storage, ratios.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration.demo.azurite import Azurite, executable
from orchestration.platform.lake import Lake
from orchestration.platform.layout import gold_root
from orchestration.platform.settings import settings_for
from orchestration.platform.versions import Publication, Rebuilt, publish_versions, read_publication, vacuum_versions

MONTHS = 60
PUBLICATIONS = 30
KEEP_DAYS = 30
DEPARTMENT = "culture"


def monthly(publication: int) -> pa.Table:
    months = [date(2022 + m // 12, m % 12 + 1, 1) for m in range(MONTHS)]
    rows = [(m, s, p) for m in months for s in range(7) for p in range(6)]
    return pa.table(
        {
            "month": pa.array([r[0] for r in rows], pa.date32()),
            "sector_code": [f"SECTEUR_{r[1]}" for r in rows],
            "province_code": [f"P{r[2]}" for r in rows],
            "paid_amount": pa.array(
                [Decimal(f"{(i * 7919 + publication) % 100000}.25") for i in range(len(rows))], pa.decimal128(18, 2)
            ),
            "payment_count": pa.array([(i + publication) % 50 for i in range(len(rows))], pa.int64()),
        }
    )


def communes(publication: int) -> pa.Table:
    return pa.table(
        {
            "commune_nis_code": [f"{i:05d}" for i in range(262)],
            "commune_name": [f"Commune {i}" for i in range(262)],
            "operator_count": pa.array([(i + publication) % 13 for i in range(262)], pa.int64()),
        }
    )


def month_of(publication: int) -> date:
    m = MONTHS - 1 - publication % 3  # the last months, as late rows rebuild them
    return date(2022 + m // 12, m % 12 + 1, 1)


def publish_delta(lake: Lake, number: int, at: datetime) -> None:
    grants = monthly(number)
    rebuilt = {"grants": Rebuilt(grants, None, "", "month", tuple(sorted(set(grants["month"].to_pylist()))))}
    if number:  # after the first, one month rebuilt
        month = month_of(number)
        only = grants.filter(pc.equal(grants["month"], pa.scalar(month, pa.date32())))
        rebuilt = {"grants": Rebuilt(only, None, "", "month", (month,))}
    rebuilt["communes"] = Rebuilt(communes(number), None)
    publish_versions(lake, DEPARTMENT, Publication(f"{at:%Y%m%dT%H%M%S%f}-bench", "bench", at), rebuilt, KEEP_DAYS)
    vacuum_versions(lake, DEPARTMENT, KEEP_DAYS)
    read_publication(lake, DEPARTMENT)


def publish_folders(lake: Lake, number: int, at: datetime) -> None:
    """The previous design: read the current publication, merge the rebuilt month into it, write
    every table into a new folder, then the pointer."""
    root = gold_root(lake.fs_root, DEPARTMENT)
    grants = monthly(number)
    if number:
        pointer = json.loads(lake.fs.cat_file(f"{root}/published.json"))
        previous = pq.read_table(pa.BufferReader(lake.fs.cat_file(f"{root}/{pointer['tables']['grants']}")))
        month = pa.scalar(month_of(number), pa.date32())
        kept = previous.filter(pc.invert(pc.equal(previous["month"], month)))
        grants = pa.concat_tables([kept, grants.filter(pc.equal(grants["month"], month))])
    folder = f"{at:%Y%m%dT%H%M%S%f}"
    tables = {"grants": grants, "communes": communes(number)}
    for name, table in tables.items():
        lake.publish_file(f"{root}/{folder}/{name}.parquet", table.schema, table.to_batches())
    lake.publish_text(f"{root}/published.json", json.dumps({"tables": {n: f"{folder}/{n}.parquet" for n in tables}}))
    pointer = json.loads(lake.fs.cat_file(f"{root}/published.json"))
    for path in pointer["tables"].values():  # read back what is served
        pq.read_table(pa.BufferReader(lake.fs.cat_file(f"{root}/{path}")))


def stored_bytes(lake: Lake) -> int:
    root = gold_root(lake.fs_root, DEPARTMENT)
    return sum(info["size"] for info in lake.fs.find(root, detail=True).values())


def measure(name: str, open_lake) -> dict[str, tuple[float, int]]:
    results = {}
    for contender, publish in (
        ("delta versions (chosen)", publish_delta),
        ("parquet folders (before)", publish_folders),
    ):
        lake = open_lake()
        times, start = [], datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
        for number in range(PUBLICATIONS):
            started = time.perf_counter()
            publish(lake, number, start + timedelta(days=number))
            times.append(time.perf_counter() - started)
        results[contender] = (statistics.median(times[1:]), stored_bytes(lake))
        print(
            f"{name:<8} {contender:<26} median {results[contender][0] * 1000:7.1f} ms per publication "
            f"(first {times[0] * 1000:6.1f} ms); {PUBLICATIONS} versions kept in {results[contender][1] / 2**20:6.2f} MiB"
        )
    (delta_time, delta_bytes), (before_time, before_bytes) = results.values()
    print(
        f"{name:<8} delta / before: time {delta_time / before_time:.2f}x, storage {delta_bytes / before_bytes:.2f}x "
        f"({delta_bytes / PUBLICATIONS / 1024:.0f} KiB against {before_bytes / PUBLICATIONS / 1024:.0f} KiB per publication)"
    )
    return results


def main() -> None:
    print(f"{PUBLICATIONS} publications of a monthly table ({MONTHS} months x 42 rows) and a current-state table")
    with tempfile.TemporaryDirectory() as directory:
        counter = iter(range(1000))
        measure("local", lambda: Lake(str(Path(directory) / f"lake{next(counter)}")))
        if executable() is None:
            print("azurite  skipped: install it with `python -m orchestration.demo.azurite install`")
            return
        azurite = Azurite(Path(directory) / "azurite").start()
        try:

            def azure_lake() -> Lake:
                environ = {
                    "LAKEHOUSE_LAKE_ROOT": f"abfs://{azurite.create_container()}/lake",
                    "LAKEHOUSE_LAKE_CONNECTION_STRING": azurite.connection_string,
                }
                return settings_for("ci", environ=environ).open_lake()

            measure("azurite", azure_lake)
        finally:
            azurite.stop()


if __name__ == "__main__":
    main()
