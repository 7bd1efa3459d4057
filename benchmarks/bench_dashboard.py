"""The dashboard's heaviest page (sport affiliations) answering from the serving file (chosen)
against the same queries on the lake's gold Parquet, on the sample at a large scale factor.

Builds a temporary data directory with the main job (BENCH_DASHBOARD_SCALE, default 10), then
answers the page REPEATS times per contender, each time as the dashboard does: open, run every
query of the page with its default filters, close. Prints medians and the ratio.
"""

import json
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb

from dashboard import data
from dashboard.views import sport_affiliations as page
from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import run_window
from orchestration.platform.layout import POINTER, gold_parquet_path, gold_root
from orchestration.platform.serving import connect_read_only
from orchestration.platform.settings import settings_for

SCALE = float(os.environ.get("BENCH_DASHBOARD_SCALE", "10"))
REPEATS = 30


def connect_parquet(lake_root: str, publication: str) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(f"create schema {data.SCHEMA}")
    path = gold_parquet_path(lake_root, "sport", publication, page.TABLE)
    connection.execute(f"create view {page.RELATION} as from read_parquet('{path}')")
    return connection


def answer(connect) -> float:
    started = time.perf_counter()
    with connect() as connection:
        season = data.column(connection, f"select max(season) from {page.RELATION}")
        data.run(connection, page.queries(season))
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = settings_for("local", data_dir=Path(directory))
        generate(settings.sample_dir, SampleSpec(scale=SCALE))
        started = time.monotonic()
        last = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)
        result = run_window(settings, SAMPLE_START, last, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
        assert result.success, "the main job failed; see its log above"
        serving = settings.serving.path
        with connect_read_only(serving) as connection:
            rows = data.column(connection, f"select count(*) from {page.RELATION}")[0]
        print(f"scale {SCALE}: pipeline {time.monotonic() - started:.0f} s; {page.TABLE}: {rows} rows")
        pointer = json.loads((Path(gold_root(settings.lake_root, "sport")) / POINTER).read_text())
        contenders = {
            "serving file (chosen)": lambda: connect_read_only(serving),
            "lake gold Parquet": lambda: connect_parquet(settings.lake_root, pointer["publication"]),
        }
        medians = {}
        for name, connect in contenders.items():
            runs = [answer(connect) for _ in range(REPEATS)]
            medians[name] = statistics.median(runs)
            print(
                f"{name:<22} median {medians[name] * 1000:7.1f} ms  "
                f"min {min(runs) * 1000:7.1f} ms  max {max(runs) * 1000:7.1f} ms"
            )
        ratio = medians["lake gold Parquet"] / medians["serving file (chosen)"]
        print(f"page {page.PAGE} ({len(page.queries())} queries): Parquet / serving file = {ratio:.2f}x")
