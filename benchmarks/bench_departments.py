"""Departments as code locations: what a location costs to load, and whether two departments'
builds wait for each other.

1. Load time: each department's code location as `dagster dev` loads it (a fresh process that
   imports its `definitions.py` and builds its repository), and every department at once as the
   command line loads them, medians of REPEATS. The import of dagster itself is counted apart.
2. Concurrency: on a lake and warehouses built by the demo's 90 days, the next day of culture and
   of sport (`make run FROM=2026-03-31 LOCATION=...`), each alone, then both at the same time
   in two processes. Each department has its own warehouse file, so neither waits for the other's
   lock: the run logs say how long each waited ("Waited ... for the warehouse locks"). On 2
   cores the two share the CPU, so both-at-once is compared with one-after-the-other.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
LOAD = (
    "import time; started = time.perf_counter(); import dagster; imported = time.perf_counter(); "
    "{body}; print('TIMES', imported - started, time.perf_counter() - imported)"
)
ONE = "from orchestration.locations.{name}.definitions import defs; defs().get_repository_def().asset_graph"
ALL = (
    "from orchestration.platform.definitions import build_definitions; "
    "from orchestration.platform.settings import load_settings; "
    "build_definitions(load_settings()).get_repository_def().asset_graph"
)


def python(code: str, env: dict) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("TIMES"))
    return [float(x) for x in line.split()[1:]]


def load_times(env: dict) -> None:
    from orchestration.platform.definitions import all_departments

    print(f"Definitions load time, median of {REPEATS} fresh processes (dagster import apart):")
    rows = [(name, ONE.format(name=name)) for name in all_departments()] + [("all (one graph)", ALL)]
    for label, body in rows:
        runs = [python(LOAD.format(body=body), env) for _ in range(REPEATS)]
        imports = statistics.median(r[0] for r in runs)
        loads = statistics.median(r[1] for r in runs)
        print(f"  {label:<18} {loads:6.2f} s to build   (+ {imports:.2f} s importing dagster)")


def run(department: str, env: dict) -> subprocess.Popen:
    command = [
        sys.executable,
        "-W",
        "ignore",
        "-m",
        "orchestration.platform.cli",
        "run",
        "--from",
        "2026-03-31",
        "--location",
        department,
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def waited(output: str, data_dir: Path) -> float:
    log = Path(re.search(r"full log: (\S+)", output)[1])
    return sum(float(s) for s in re.findall(r"Waited (\d+) s for the warehouse locks", log.read_text()))


def concurrency(env: dict, data_dir: Path) -> None:
    print("\nThe next day of culture and of sport (make run FROM=2026-03-31 LOCATION=...):")
    alone = {}
    for department in ("culture", "sport"):
        started = time.perf_counter()
        process = run(department, env)
        output = process.communicate()[0]
        assert process.returncode == 0, output
        alone[department] = time.perf_counter() - started
        print(
            f"  {department:<8} alone          {alone[department]:6.1f} s   waited for locks {waited(output, data_dir):.0f} s"
        )
    started = time.perf_counter()
    processes = {d: run(d, env) for d in ("culture", "sport")}
    outputs = {d: p.communicate()[0] for d, p in processes.items()}
    both = time.perf_counter() - started
    for department, process in processes.items():
        assert process.returncode == 0, outputs[department]
        print(
            f"  {department:<8} at the same time              waited for locks {waited(outputs[department], data_dir):.0f} s"
        )
    sequential = sum(alone.values())
    print(
        f"  both at the same time: {both:.1f} s, one after the other: {sequential:.1f} s (ratio {both / sequential:.2f})"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        env = {
            **os.environ,
            "LAKEHOUSE_ENV": "local",
            "LAKEHOUSE_DATA_DIR": str(data_dir),
            "DAGSTER_HOME": str(Path(folder) / "dagster"),
        }
        (Path(folder) / "dagster").mkdir()
        load_times(env)
        print("\nBuilding the demo's 90 days first...", flush=True)
        subprocess.run(
            [sys.executable, "-W", "ignore", "-m", "orchestration.demo.cli", "demo"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        concurrency(env, data_dir)
