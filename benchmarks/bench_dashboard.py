"""The dashboard's heaviest page (sport affiliations) answering from the serving file (chosen)
against the same page "as of" today, which reads every gold table's version from the lake
(versions.py) into an in-memory database, on the sample at a large scale factor.

Builds a temporary data directory with the main job (BENCH_DASHBOARD_SCALE, default 10), then
answers the page REPEATS times per contender, each time as the dashboard does: open, run every
query of the page with its default filters, close. Prints medians and the ratio.
"""

import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from dashboard import data
from dashboard.views import sport_affiliations as page
from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import run_window
from orchestration.platform.serving import connect_read_only
from orchestration.platform.settings import settings_for

SCALE = float(os.environ.get("BENCH_DASHBOARD_SCALE", "10"))
REPEATS = 30


def as_of_today(settings):
    """The dashboard's own "as of" connection, with this data directory's settings."""
    os.environ["LAKEHOUSE_DATA_DIR"] = str(settings.data_dir)
    return data.connect(date.today())


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
        contenders = {
            "serving file (chosen)": lambda: connect_read_only(serving),
            "lake versions (as of today)": lambda: as_of_today(settings),
        }
        medians = {}
        for name, connect in contenders.items():
            runs = [answer(connect) for _ in range(REPEATS)]
            medians[name] = statistics.median(runs)
            print(
                f"{name:<22} median {medians[name] * 1000:7.1f} ms  "
                f"min {min(runs) * 1000:7.1f} ms  max {max(runs) * 1000:7.1f} ms"
            )
        ratio = medians["lake versions (as of today)"] / medians["serving file (chosen)"]
        print(f"page {page.PAGE} ({len(page.queries())} queries): lake as of today / serving file = {ratio:.2f}x")
