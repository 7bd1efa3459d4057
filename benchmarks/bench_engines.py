"""The same dbt project on DuckDB and on Spark `local[2]`: `dbt build` of the sample at two scales.

For each scale (BENCH_ENGINES_SCALES, default `1,100`: the sample's rows times 1 and 100), the
sample is generated and landed in a fresh lake by the ingestion assets (as `make run` does),
then a plain `dbt build` (every seed, model and test, no window) runs on each engine from an
empty warehouse, BENCH_REPEATS times (default 3): the median, and Spark's time over DuckDB's.

Then, from the two scales, each engine's cost as `fixed + per_row * rows` (a straight line
through the two medians), and the rows from which a Spark cluster would build faster than DuckDB
on this machine, under assumptions printed with the figures: Spark's per-row cost divides by
the cluster's cores over the 2 here (perfect scaling: an optimistic bound for Spark), its fixed
cost stays (session start, query planning and one listing of the lake per query), DuckDB stays on
one machine like this one. Gold rows are printed so that a reader can check both engines built
the same thing.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg

from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import run_window
from orchestration.platform.settings import PROJECT_ROOT, settings_for
from orchestration.platform.transform import dbt_vars

DBT = str(Path(sys.executable).parent / "dbt")
ENGINES = {"duckdb": "local", "spark": "spark"}  # engine -> dbt output
SAMPLE_ROWS = 1500 + 6000  # the sample's fact rows at scale 1 (requests, affiliations)
CORES_HERE = 2


def land(data_dir: Path, scale: float) -> None:
    """The sample at `scale`, landed in the lake of `data_dir` by the ingestion assets."""
    settings = settings_for("local", data_dir=data_dir)
    generate(settings.sample_dir, SampleSpec(scale=scale))
    last = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)
    run = run_window(settings, SAMPLE_START, last, instance=dg.DagsterInstance.ephemeral(), select="key:raw/*")
    if not run.success:
        raise SystemExit(f"landing the sample at scale {scale} failed")


def dbt_build(data_dir: Path, engine: str) -> float:
    """Seconds of one `dbt build` of the whole project on `engine`, from an empty warehouse."""
    settings = settings_for("local", data_dir=data_dir, environ={"LAKEHOUSE_ENGINE": engine})
    shutil.rmtree(settings.warehouse_dir, ignore_errors=True)
    target = data_dir / f"target-{engine}"
    shutil.rmtree(target, ignore_errors=True)
    command = [DBT, "build", "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT / "dbt")]
    command += ["--target", ENGINES[engine], "--target-path", str(target), "--vars", json.dumps(dbt_vars(settings))]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-3000:])
        raise SystemExit(f"dbt build on {engine} failed (log: {target}/dbt.log)")
    return elapsed


def main() -> None:
    scales = [float(s) for s in os.environ.get("BENCH_ENGINES_SCALES", "1,100").split(",")]
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    medians: dict[str, dict[float, float]] = {engine: {} for engine in ENGINES}
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        for scale in scales:
            data_dir = Path(tmp) / f"scale-{scale:g}" / "data"
            started = time.perf_counter()
            land(data_dir, scale)
            print(
                f"scale {scale:g} (~{SAMPLE_ROWS * scale:,.0f} fact rows): landed in {time.perf_counter() - started:.0f} s"
            )
            for engine in ENGINES:
                times = [dbt_build(data_dir, engine) for _ in range(repeats)]
                medians[engine][scale] = statistics.median(times)
                print(
                    f"  dbt build on {engine:6}: median {medians[engine][scale]:6.1f} s  ({', '.join(f'{t:.1f}' for t in times)})"
                )
            print(f"  Spark / DuckDB: {medians['spark'][scale] / medians['duckdb'][scale]:.1f}x", flush=True)
    if len(scales) < 2:
        return
    low, high = min(scales), max(scales)
    rows = {s: SAMPLE_ROWS * s for s in (low, high)}
    line = {}
    for engine in ENGINES:
        per_row = (medians[engine][high] - medians[engine][low]) / (rows[high] - rows[low])
        line[engine] = (medians[engine][low] - per_row * rows[low], per_row)
        print(f"{engine}: {line[engine][0]:.1f} s fixed + {line[engine][1] * 1e6:.2f} s per million fact rows")
    print(
        "Assumptions: Spark's per-row cost divides by cores / 2 (perfect scaling), its fixed cost stays, "
        "DuckDB stays on one 2-core machine like this one; a straight line through two small scales."
    )
    (duck_fixed, duck_row), (spark_fixed, spark_row) = line["duckdb"], line["spark"]
    if duck_row <= 0.01 * duck_fixed / (rows[high] / 1e6):
        print(
            f"  DuckDB's build does not grow measurably up to {rows[high]:,.0f} fact rows (its cost is all "
            "fixed): Spark cannot pay below that; measure a larger scale (BENCH_ENGINES_SCALES=1,1000)."
        )
        return
    for cores in (16, 64, 256):
        cluster_row = spark_row * CORES_HERE / cores
        if duck_row <= cluster_row or duck_row <= 0:
            print(f"  a {cores}-core cluster: never faster on this model (DuckDB's per-row cost is lower)")
        else:
            rows_even = (spark_fixed - duck_fixed) / (duck_row - cluster_row)
            print(
                f"  a {cores}-core cluster: faster beyond ~{max(rows_even, 0) / 1e6:,.1f} million fact rows per build"
            )
