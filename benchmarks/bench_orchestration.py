"""Orchestration costs: loading definitions.

Time to build the Dagster definitions from a dbt manifest, per model, for a generated project
of 1,000 models and for the real project, next to `dbt parse` of the same project.

A partition's run against 30 and 365 days of history and its overhead, measured here before,
are measured by bench_scale.py (`make bench BENCH=scale`): the next day's run after 30, 365
and 3,650 days at 100x, with the time before its first step and of each step.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg

from benchmarks import median_seconds

GENERATED_MODELS = 1000
REPEATS = 3
DBT = str(Path(sys.executable).parent / "dbt")
ROOT = Path(__file__).resolve().parent.parent


def generated_project(directory: Path, models: int) -> Path:
    """A dbt project of `models` models in ten chains across the three layers."""
    (directory / "models").mkdir(parents=True)
    (directory / "dbt_project.yml").write_text(
        "name: generated\nversion: '1.0'\nconfig-version: 2\nprofile: generated\nmodel-paths: [models]\n"
    )
    (directory / "profiles.yml").write_text(
        "generated:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {directory / 'generated.duckdb'}\n"
    )
    for i in range(models):
        layer = ("stg", "int", "gld")[min(2, i * 3 // models)]
        folder = directory / "models" / layer / "gen"
        folder.mkdir(parents=True, exist_ok=True)
        parent = f"{{{{ ref('{_name(i - 10, models)}') }}}}" if i >= 10 else "(select 1 as id)"
        (folder / f"{_name(i, models)}.sql").write_text(f"select id from {parent} as parent\n")
    return directory


def _name(i: int, models: int) -> str:
    layer = ("stg", "int", "gld")[min(2, i * 3 // models)]
    return f"{layer}_gen__m{i:04d}"


def timed(action) -> float:
    return median_seconds(action, REPEATS)


def dbt_parse(project: Path, profiles: Path) -> None:
    subprocess.run(
        [DBT, "parse", "--quiet", "--no-partial-parse", "--project-dir", str(project), "--profiles-dir", str(profiles)],
        check=True,
        capture_output=True,
    )


def load_definitions(project_dir: Path, profiles_dir: Path) -> int:
    from dagster_dbt import DbtProject, dbt_assets

    from orchestration.platform.dbt_translator import LakehouseTranslator
    from orchestration.platform.partitions import DAILY

    project = DbtProject(project_dir=project_dir, profiles_dir=profiles_dir)
    manifest = json.loads(project.manifest_path.read_text())

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=LakehouseTranslator(),
        partitions_def=DAILY,
    )
    def models(context):
        yield from ()

    graph = dg.Definitions(assets=[models]).get_repository_def().asset_graph
    return len(graph.get_all_asset_keys())


def bench_definitions() -> None:
    print("-- definitions load vs dbt parse (median of 3)")
    with tempfile.TemporaryDirectory() as scratch:
        project = generated_project(Path(scratch) / "generated", GENERATED_MODELS)
        cases = {
            f"generated ({GENERATED_MODELS} models)": (project, project),
            "real project": (ROOT, ROOT / "dbt"),
        }
        for name, (project_dir, profiles_dir) in cases.items():
            parse = timed(lambda: dbt_parse(project_dir, profiles_dir))
            count = load_definitions(project_dir, profiles_dir)
            load = timed(lambda: load_definitions(project_dir, profiles_dir))
            print(
                f"{name:<28} assets {count:5d}  load {load * 1000:8.1f} ms "
                f"({load * 1000 / count:.2f} ms/asset)  dbt parse {parse:6.2f} s  "
                f"load/parse {load / parse:.3f}"
            )


def main() -> None:
    bench_definitions()


if __name__ == "__main__":
    main()
