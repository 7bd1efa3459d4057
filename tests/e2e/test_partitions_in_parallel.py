"""Runs of several partitions at once share one DuckDB warehouse without a lock error. (That a
backfill in one run builds what its partitions, or any windows, build one by one is in
test_partition_model.py.)"""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from orchestration.demo.sample_data import SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import run_window
from orchestration.platform.settings import PROJECT_ROOT, settings_for
from tests.gold import gold_tables

pytestmark = pytest.mark.e2e
# the platform's partition logic, on the department that has daily and monthly models
DEPARTMENTS = ["referentiel", "culture"]
FIRST = SAMPLE_START


def dagster_home(tmp_path: Path, day: date) -> Path:
    home = tmp_path / f"dagster-{day}"
    home.mkdir()
    return home


def test_partitions_in_parallel_never_fail_on_the_warehouse_lock(tmp_path: Path):
    data_dir = tmp_path / "data"
    generate(data_dir / "sample", SampleSpec(scale=0.3))
    env = {
        **os.environ,
        "LAKEHOUSE_ENV": "local",
        "LAKEHOUSE_DATA_DIR": str(data_dir),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    days = [FIRST + timedelta(days=i) for i in range(2)]  # two runs build one warehouse at once
    # the culture department's builds (and the reference's): what is shared is its warehouse
    # land the days first, so that no run's dbt build depends on another run's extraction
    settings = settings_for("local", data_dir=data_dir)
    landed = run_window(
        settings,
        days[0],
        days[-1],
        instance=dg.DagsterInstance.ephemeral(),
        select="key:raw/*/*",
        departments=DEPARTMENTS,
    )
    assert landed.success
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orchestration.platform.cli",
                "run",
                "--from",
                day.isoformat(),
                "--location",
                ",".join(DEPARTMENTS),
            ],
            cwd=PROJECT_ROOT,
            # a Dagster home each: what is shared, and tested, is the DuckDB warehouse
            env={**env, "DAGSTER_HOME": str(dagster_home(tmp_path, day))},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for day in days
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for day, run, output in zip(days, runs, outputs):
        assert run.returncode == 0, f"partition {day} failed:\n{output[-3000:]}"
        assert "Could not set lock" not in output
    assert gold_tables(settings_for("local", data_dir=data_dir))
