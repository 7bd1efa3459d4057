"""sqlfluff on the whole dbt project: the jinja templater (chosen) against the dbt templater.

Each templater lints every model, test and macro three times in a fresh process; we print
the median wall time, seconds per file and the ratio. Both must find the same violations.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["dbt/models", "dbt/tests", "macros"]
REPEATS = 3
DBT_TEMPLATER_CONFIG = """[sqlfluff]
templater = dbt

[sqlfluff:templater:dbt]
project_dir = {root}
profiles_dir = {root}/dbt
"""


def sql_files() -> list[Path]:
    return [p for base in PATHS for p in (ROOT / base).rglob("*.sql")]


def lint(extra: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sqlfluff"), "lint", *PATHS, "--nofail", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    violations = sum(1 for line in result.stdout.splitlines() if line.startswith("L:"))
    return elapsed, violations


def main() -> None:
    files = len(sql_files())
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as config:
        config.write(DBT_TEMPLATER_CONFIG.format(root=ROOT))
    contenders = {"jinja (chosen)": [], "dbt": ["--config", config.name]}
    medians = {}
    for name, extra in contenders.items():
        runs = [lint(extra) for _ in range(REPEATS)]
        medians[name] = statistics.median(t for t, _ in runs)
        print(
            f"{name:<16} median {medians[name]:6.2f} s  {medians[name] / files:.3f} s/file  "
            f"violations {runs[0][1]}  runs {[round(t, 2) for t, _ in runs]}"
        )
    ratio = medians["dbt"] / medians["jinja (chosen)"]
    print(f"{files} files; dbt templater / jinja templater = {ratio:.2f}x")
