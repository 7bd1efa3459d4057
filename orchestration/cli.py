"""Command line of the embedded default: `python -m orchestration.cli demo|sample|summary`.

`demo` is what `make demo` runs: generate the sample sources, run the main job over the
sample's whole date range in one run, and print what each gold table holds.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib.sample_data import SAMPLE_DAYS, SAMPLE_START, SampleSpec, generate
from orchestration.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def run_main_job(
    settings: Settings,
    first: date,
    last: date,
    instance=None,
    log_level: str = "INFO",
    select: str | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise every asset (or those `select`ed, Dagster's selection syntax) for the
    partitions first..last (inclusive) in one run."""
    from orchestration.definitions import build_definitions

    definitions = build_definitions(settings)
    job = definitions.resolve_job_def("main")
    keys = None
    if select:
        graph = definitions.get_repository_def().asset_graph
        keys = list(dg.AssetSelection.from_string(select).resolve(graph))
        if not keys:
            raise SystemExit(f"--select {select!r} matches no asset.")
    return job.execute_in_process(
        asset_selection=keys,
        instance=instance or dg.DagsterInstance.get(),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
        raise_on_error=False,
    )


def serving_file(settings: Settings) -> Path:
    return settings.serving.path


def gold_summary(path: Path) -> list[tuple[str, int]]:
    """(relation, row count) of every gold table in a DuckDB file (the serving file)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'gld' and table_name like 'gld%' order by table_name"
        ).fetchall()
        return [
            (f"gld.{name}", connection.execute(f'select count(*) from gld."{name}"').fetchone()[0])
            for (name,) in tables
        ]


def print_summary(settings: Settings) -> None:
    published = serving_file(settings)
    print(f"\nGold tables published for dashboards in {published}:")
    for relation, rows in gold_summary(published):
        print(f"  {relation:<50} {rows:>8} rows")
    print(
        f"\nLake: {settings.lake_root} (gold Parquet under gold/)\n"
        f"Warehouse (dbt builds here): {settings.duckdb_path}\n"
        f"Query the published gold (read-only, never blocks a build): .venv/bin/python -c "
        f"\"import duckdb; print(duckdb.connect('{published}', read_only=True)"
        f".sql('from gld.gld_culture__subventions_mensuelles limit 10'))\"\n"
        "See them in the dashboard: make dashboard (http://127.0.0.1:8501)\n"
        "Explore the asset graph and lineage: make dev (http://127.0.0.1:3000)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="generate the sample sources")
    sample.add_argument("--scale", type=float, default=1.0)
    demo = commands.add_parser("demo", help="sample sources -> lake -> dbt -> gold, one run")
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--log-level", default="WARNING", help="Dagster console log level")
    commands.add_parser("summary", help="print the gold tables")
    commands.add_parser("docs", help="build the dbt documentation site")
    run = commands.add_parser("run", help="materialise a range of partitions in one run")
    run.add_argument("first", type=date.fromisoformat, help="first partition, YYYY-MM-DD")
    run.add_argument("last", type=date.fromisoformat, nargs="?", help="last (default: first)")
    run.add_argument("--select", help="assets to run, e.g. 'key:raw/sport/*' (default: all)")
    run.add_argument("--log-level", default="WARNING", help="Dagster console log level")
    scaffold = commands.add_parser("scaffold", help="write a staging model for a landed table")
    scaffold.add_argument("table", help="<system>.<table> as in the ingestion registry")
    scaffold.add_argument("--entity", help="model name after stg_<system>__ (default: table)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command in ("sample", "demo"):
        paths = generate(settings.sample_dir, SampleSpec(scale=args.scale))
        print(f"Sample sources (scale {args.scale}): {', '.join(map(str, paths.values()))}")
    if args.command == "scaffold":
        return scaffold_staging_model(settings, args.table, args.entity)
    if args.command in ("demo", "run"):
        if args.command == "demo":
            first, last, select = SAMPLE_START, SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1), None
        else:
            first, last, select = args.first, args.last or args.first, args.select
        print(f"Running job `main` for partitions {first} .. {last} in one run...")
        started = time.monotonic()
        result = run_main_job(settings, first, last, log_level=args.log_level, select=select)
        if not result.success:
            for event in result.all_events:
                if event.is_failure and event.step_key:
                    print(f"Step {event.step_key} failed: {event.message}", file=sys.stderr)
            print(f"Run {result.run_id} failed; see the logs above or `make dev`.", file=sys.stderr)
            return 1
        print(f"Run {result.run_id} succeeded in {time.monotonic() - started:.0f} s.")
    if args.command in ("demo", "summary"):
        print_summary(settings)
    if args.command == "docs":
        return build_docs(settings)
    return 0


def scaffold_staging_model(settings: Settings, name: str, entity: str | None) -> int:
    import pyarrow.parquet as pq

    from orchestration.defs.ingestion.assets import REGISTRY_PATH
    from orchestration.lib.registry import load_registry
    from orchestration.lib.scaffold import ScaffoldError, scaffold

    spec = next((s for s in load_registry(REGISTRY_PATH) if s.name == name), None)
    if spec is None:
        print(f"{name} is not in {REGISTRY_PATH}: add its entry there first.", file=sys.stderr)
        return 2
    lake = settings.open_lake()
    days = lake.partition_days(spec.system, spec.table)
    if not days:
        print(
            f"{name} has no partition in the lake yet: land it first, e.g. "
            f"`python -m orchestration.cli run 2026-01-01 --select 'key:raw/{spec.system}/{spec.table}'`.",
            file=sys.stderr,
        )
        return 2
    schema = pq.read_schema(lake.partition_path(spec.system, spec.table, days[-1]), filesystem=lake.fs)
    try:
        written = scaffold(spec, schema, PROJECT_ROOT / "dbt" / "models", entity)
    except ScaffoldError as error:
        print(error, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    print("Next: rename the columns in the `renamed` CTE and describe them, then `make lint`.")
    return 0


def build_docs(settings: Settings) -> int:
    """dbt's documentation site (descriptions, columns, lineage) as one static HTML file."""
    import json
    import subprocess

    from orchestration.defs.transform.assets import DBT_PROJECT, dbt_vars
    from orchestration.lib.partitions import DAILY

    window = dg.TimeWindow(DAILY.start, DAILY.start + timedelta(days=SAMPLE_DAYS))
    command = [
        str(Path(sys.executable).parent / "dbt"), "docs", "generate", "--static",
        "--project-dir", str(DBT_PROJECT.project_dir),
        "--profiles-dir", str(DBT_PROJECT.profiles_dir),
        "--target", settings.dbt_target,
        "--vars", json.dumps(dbt_vars(settings, window)),
    ]
    if subprocess.run(command).returncode:
        return 1
    site = DBT_PROJECT.project_dir / "target" / "static_index.html"
    print(f"\nDocumentation: open file://{site} in a browser (one self-contained file).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
