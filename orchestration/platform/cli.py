"""The platform's command line: `python -m orchestration.platform.cli run|scaffold|docs`.

`run` materialises a window of days (`make run`), `scaffold` writes the staging model of a
landed table (`make scaffold`), `docs` builds dbt's documentation site. The sample and `make
demo` have their own command line (orchestration/demo/cli.py). A window runs in stages, one Dagster run per grain (orchestration/platform/stages.py).
While it runs, the terminal shows one line per step; everything else (Dagster's log, driver
messages) goes to a log file, and a failure ends with one short block per failed step: the
asset, the cause and what to fix.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import dagster as dg
import duckdb
import pyarrow.csv as pa_csv

from orchestration.platform.lake import LakeError, first_line
from orchestration.platform.registry import RegistryError
from orchestration.platform.settings import PROJECT_ROOT, Settings, SettingsError, load_settings


@dataclass
class WindowRun:
    """The runs that materialised a window, one per stage, in order."""

    results: list = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    assets_of_steps: dict[str, str] = field(default_factory=dict)  # a one-asset step -> its asset

    @property
    def success(self) -> bool:
        return bool(self.results) and all(r.success for r in self.results)

    @property
    def all_events(self) -> list:
        return [event for result in self.results for event in result.all_events]

    @property
    def run_ids(self) -> list[str]:
        return [result.run_id for result in self.results]


class UsageError(ValueError):
    """A command was given something it cannot run; the message says what to write instead."""


def run_window(
    settings: Settings,
    first: date,
    last: date,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
    select: str | None = None,
    terminal: TextIO | None = None,
    departments: list[str] | None = None,
) -> WindowRun:
    """Materialise every asset of `departments` (default: all), or those `select`ed (Dagster's
    selection syntax), for the days first..last (inclusive): one run per stage, each over the partitions covering the window
    and those its previous stages rewrote (late rows). Stops at the first failed stage."""
    from orchestration.platform.definitions import build_definitions, materialized_partitions, range_tags
    from orchestration.platform.stages import plan_stages, rewritten_windows, stage_range

    definitions = build_definitions(settings, departments, select=select)
    graph = definitions.resolve_asset_graph()
    keys = dg.AssetSelection.from_string(select).resolve(graph) if select else graph.executable_asset_keys
    if not keys:
        raise UsageError(f"SELECT={select!r} matches no asset: e.g. SELECT='key:raw/sport/*'.")
    if instance is None:
        home = os.environ.get("DAGSTER_HOME")
        if home:  # `make` creates it; a direct call of the command line too
            Path(home).mkdir(parents=True, exist_ok=True)
        instance = dg.DagsterInstance.get()
    window = (first, last + timedelta(days=1))
    rewritten: list[tuple[date, date]] = []
    outcome = WindowRun(assets_of_steps={"__".join(k.path): k.to_user_string() for k in keys})
    loggers = {"console": {"config": {"log_level": log_level}}}
    for stage in plan_stages(graph, keys):
        job = definitions.resolve_job_def(stage.name)
        if terminal is not None:
            job = job.with_logger_defs({**job.loggers, "progress": progress_logger(terminal)})
            loggers = {**loggers, "progress": {}}
        partition_range = stage_range(stage, window, rewritten)
        if terminal is not None:
            span = f" {partition_range[0]} .. {partition_range[1]}" if partition_range else ""
            print(f"Stage {stage.name}{span}: {len(stage.keys)} assets", file=terminal, flush=True)
        result = job.execute_in_process(
            instance=instance,
            run_config={"loggers": loggers},
            tags=range_tags(partition_range) if partition_range else None,
            raise_on_error=False,
        )
        outcome.results.append(result)
        outcome.stages.append(stage.name)
        if not result.success:
            break
        records = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        rewritten += rewritten_windows(materialized_partitions(records), graph)
    return outcome


def check_departments(text: str | None) -> list[str] | None:
    """The departments of LOCATION=a,b (None: all), each checked against orchestration/locations/."""
    from orchestration.platform.definitions import all_departments

    if not text:
        return None
    known = all_departments()
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    if unknown := [name for name in chosen if name not in known]:
        raise UsageError(
            f"LOCATION={text}: no department {', '.join(unknown)}; the departments are "
            f"{', '.join(known)} (folders of orchestration/locations/)."
        )
    return chosen


def history_gaps(
    settings: Settings, select: str | None, first: date, departments: list[str] | None = None
) -> list[tuple[str, list[date]]]:
    """Partitioned source tables with days before `first` never landed in the lake: a run that
    starts after them would build its figures on part of the history."""
    from orchestration.platform.partitions import HISTORY_START, days_in_window
    from orchestration.platform.registry import load_all

    specs = {
        spec.asset_key: spec
        for spec in load_all()
        if spec.mode == "incremental" and spec.department in (departments or [spec.department])
    }
    if select:
        from orchestration.platform.definitions import build_definitions

        graph = build_definitions(settings, departments, select=select).resolve_asset_graph()
        chosen = dg.AssetSelection.from_string(select).resolve(graph)
        specs = {key: spec for key, spec in specs.items() if key in chosen}
    lake = settings.open_lake()
    gaps = []
    for key, spec in sorted(specs.items(), key=lambda item: item[0].to_user_string()):
        landed = set(lake.partition_days(spec.system, spec.table))
        expected = {d.replace(day=1) if spec.grain == "month" else d for d in days_in_window(HISTORY_START, first)}
        missing = sorted(expected - landed)
        if missing:
            gaps.append((key.to_user_string(), missing))
    return gaps


def check_dates(first_text: str | None, last_text: str | None, today: date) -> tuple[date, date]:
    """FROM and TO of `make run`, checked before anything runs."""
    from orchestration.platform.partitions import HISTORY_START

    if not first_text:
        raise UsageError("FROM is required: make run FROM=2026-01-01 [TO=2026-01-31].")
    values = {}
    for name, text in (("FROM", first_text), ("TO", last_text or first_text)):
        try:
            values[name] = date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{name}={text} is not a date: write it YYYY-MM-DD, e.g. {name}=2026-03-01.") from None
    first, last = values["FROM"], values["TO"]
    if first > last:
        raise UsageError(f"FROM={first} is after TO={last}: the window would be empty; swap them.")
    newest = today - timedelta(days=1)
    for name, day in values.items():
        if day < HISTORY_START:
            raise UsageError(
                f"{name}={day} is before the first partition ({HISTORY_START}): start at {HISTORY_START} or later."
            )
        if day > newest:
            raise UsageError(
                f"{name}={day} is after the last complete day ({newest}, yesterday in "
                f"UTC): a day is landed once it is over."
            )
    return first, last


# --- what the terminal shows ---


def progress_logger(terminal: TextIO) -> dg.LoggerDefinition:
    """One line per step started and finished, and the progress lines steps log."""

    @dg.logger(description="One line per step, for the terminal of `make run` / `make demo`.")
    def _progress(_init_context):
        log = logging.Logger("lakehouse.progress", level=logging.DEBUG)  # steps start at DEBUG
        handler = logging.StreamHandler(terminal)
        handler.addFilter(_progress_filter)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        return log

    return _progress


STARTED = time.monotonic()


def _progress_filter(record: logging.LogRecord) -> bool:
    meta = getattr(record, "dagster_meta", {}) or {}
    event = meta.get("dagster_event")
    clock = f"{time.monotonic() - STARTED:6.0f} s"
    if event is not None:
        kind = event.event_type_value
        if kind == "STEP_START":
            record.msg = f"{clock}  start  {event.step_key}"
        elif kind == "STEP_SUCCESS":
            record.msg = f"{clock}  done   {event.step_key} ({event.event_specific_data.duration_ms / 1000:.1f} s)"
        elif kind == "STEP_FAILURE":
            record.msg = f"{clock}  FAILED {event.step_key}"
        else:
            return False
        record.args = ()
        return True
    message = str(meta.get("orig_message") or "")
    if "partitions written" in message or "The window reaches back" in message:
        record.msg, record.args = f"{clock}         {message}", ()
        return True
    return False


@contextlib.contextmanager
def terminal_to_log(path: Path) -> Iterator[TextIO]:
    """Send everything written to stdout and stderr (Dagster's log, dbt, drivers' own messages,
    Rust panics) to `path`; yield a stream that still writes to the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()


def failure_blocks(run: WindowRun) -> list[str]:
    """One short block per failed step: what failed, why, and what to fix."""
    blocks = []
    blocking: dict[str, list[str]] = {}  # step -> its failed blocking checks, with their numbers
    for event in run.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                blocking.setdefault(event.step_key, []).append(
                    f"{evaluation.check_name}: {evaluation.description or 'failed'}"
                )
    for event in run.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        asset = run.assets_of_steps.get(event.step_key)
        what = f"{asset} (step {event.step_key})" if asset else f"step {event.step_key}"
        data = event.event_specific_data
        if data.user_failure_data and data.user_failure_data.description:
            cause = data.user_failure_data.description
        else:
            error = data.error
            while error.cause is not None:  # Dagster wraps the error the step raised
                error = error.cause
            cause = error.message.strip()
            if ": " in cause.split("\n", 1)[0] and cause.split(":", 1)[0].replace(".", "").replace("_", "").isalnum():
                cause = cause.split(": ", 1)[1]  # "ExtractError: ..." -> the message itself
        if event.step_key in blocking:  # the checks say why; the error only lists their names
            cause = "\n".join(
                [
                    *blocking[event.step_key],
                    "Fix: nothing downstream was built on it. Look at the check on the asset's page, have "
                    "the data corrected at its source (docs/monitoring.md), then re-run the days.",
                ]
            )
        lines = [line for line in cause.splitlines() if line.strip()]
        if len(lines) > 8:
            lines = lines[:8] + ["(more in the log file)"]
        blocks.append("\n".join([f"{what} failed:", *(f"  {line}" for line in lines)]))
    return blocks


# --- commands ---


def gold_summary(path: Path) -> list[tuple[str, int, date | None]]:
    """(relation, row count, date the data describes) of every gold table of the serving file."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return [
            (f"gld.{name}", rows, as_of)
            for name, rows, as_of in connection.execute(
                "select table_name, row_count, data_as_of from gld._published order by table_name"
            ).fetchall()
        ]


def print_summary(settings: Settings) -> None:
    published = settings.serving.path
    print(f"\nGold tables published for dashboards in {published}:")
    for relation, rows, as_of in gold_summary(published):
        print(f"  {relation:<50} {rows:>8} rows   data as of {as_of or '-'}")
    print(
        f"\nLake: {settings.lake_root} (every published version of the gold tables under gold/<department>/: "
        "make history TABLE=gld_culture__subventions_mensuelles; open data under open_data/)\n"
        f"Warehouses (dbt builds here, one file per department): {settings.warehouse_dir}\n"
        f"Query the published gold (read-only, never blocks a build): .venv/bin/python -c "
        f"\"import duckdb; print(duckdb.connect('{published}', read_only=True)"
        f".sql('from gld.gld_culture__subventions_mensuelles limit 10'))\"\n"
        "See them in the dashboard: make dashboard (http://127.0.0.1:8501)\n"
        "Explore the asset graph and lineage: make dev (http://127.0.0.1:3000)"
    )


def run_command(
    settings: Settings,
    first: date,
    last: date,
    select: str | None,
    log_level: str,
    departments: list[str] | None = None,
) -> int:
    log_path = settings.data_dir / "logs" / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    scope = ", ".join(filter(None, [", ".join(departments or []), select]))
    print(f"Running {first} .. {last}{f' ({scope})' if scope else ''}; full log: {log_path}", flush=True)
    started = time.monotonic()
    with terminal_to_log(log_path) as terminal:
        try:
            outcome = run_window(
                settings,
                first,
                last,
                log_level=log_level,
                select=select,
                terminal=terminal,
                departments=departments,
            )
        except (UsageError, SettingsError, RegistryError):
            raise
        except Exception as error:
            import traceback

            traceback.print_exc()  # into the log file
            print(
                f"\nThe run could not start: {type(error).__name__}: {first_line(error)}\nFull trace: {log_path}",
                file=sys.stderr,
            )
            return 1
    if not outcome.success:
        print("", file=sys.stderr)
        for block in failure_blocks(outcome):
            print(block + "\n", file=sys.stderr)
        print(
            f"Run failed ({', '.join(outcome.run_ids)}); nothing was published by the failed "
            f"stage. Full log: {log_path}",
            file=sys.stderr,
        )
        return 1
    print(
        f"Succeeded in {time.monotonic() - started:.0f} s ({len(outcome.results)} run(s): {', '.join(outcome.stages)})."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("docs", help="build the dbt documentation site")
    run = commands.add_parser("run", help="materialise a window of days")
    run.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (make run FROM=...)")
    run.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: FROM)")
    run.add_argument("--select", help="assets to run, e.g. 'key:raw/sport/*' (default: all)")
    run.add_argument("--location", help="the department(s) to run, comma-separated (default: all)")
    run.add_argument("--log-level", default="INFO", help="level of the log file")
    location = commands.add_parser("location", help="add a department: its code location")
    location.add_argument("name", help="the department's name, e.g. jeunesse")
    location.add_argument("--owner", required=True, help="e-mail of its data steward")
    location.add_argument("--description", default="", help="one sentence on what it covers")
    scaffold = commands.add_parser("scaffold", help="write a staging model for a landed table")
    scaffold.add_argument("table", help="<system>.<table> as in the ingestion registry")
    scaffold.add_argument("--entity", help="model name after stg_<system>__ (default: table)")
    retention = commands.add_parser("retention", help="delete lake partitions past their retention, then rebuild")
    retention.add_argument("--today", help="the day to count from, YYYY-MM-DD (default: today, UTC)")
    erase = commands.add_parser("erase", help="remove a person's rows (by pseudonym) everywhere, then rebuild")
    erase.add_argument("--pseudonym", required=True, help="the person's pseudonym, as the lake holds it")
    erase.add_argument("--request", required=True, help="the request's reference, for the audit record")
    history = commands.add_parser("history", help="every published version of a gold table, or the one of a day")
    history.add_argument("table", help="the gold table, e.g. gld_culture__subventions_mensuelles")
    history.add_argument("--as-of", help="a day, YYYY-MM-DD: write the table as published at its end (Brussels)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
        if args.command == "history":
            return history_command(settings, args.table, check_day(args.as_of))
        if args.command in ("retention", "erase"):
            return privacy_command(settings, args)
        if args.command == "location":
            return scaffold_department(args.name, args.owner, args.description)
        if args.command == "scaffold":
            return scaffold_staging_model(settings, args.table, args.entity)
        if args.command == "run":
            first, last = check_dates(args.first, args.last, datetime.now(UTC).date())
            departments = check_departments(args.location)
            gaps = history_gaps(settings, args.select, first, departments)
            if gaps:
                name, missing = gaps[0]
                raise UsageError(
                    f"{name} has {len(missing)} day(s) before FROM={first} that were never landed "
                    f"({missing[0]} .. {missing[-1]}): figures built from part of the history would "
                    f"be wrong (payments of requests never landed).\nLand the history first: "
                    f"make run FROM={missing[0]} TO={last}"
                    + (f" (and {len(gaps) - 1} more table(s) alike)." if len(gaps) > 1 else ".")
                )
            return run_command(settings, first, last, args.select, args.log_level, departments)
    except (SettingsError, UsageError, RegistryError, LakeError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.command == "docs":
        return build_docs(settings)
    return 0


def check_day(text: str | None) -> date | None:
    """A day given on the command line (YYYY-MM-DD), or a UsageError that says how to write it."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"AS_OF={text!r} is not a day: write YYYY-MM-DD, e.g. 2026-11-03.") from None


def history_command(settings: Settings, table: str, as_of: date | None) -> int:
    """`make history`: the versions of a gold table (an audit's first question), or the table as
    it was published at the end of a day, written as CSV under <data>/history/."""
    from orchestration.platform.publish import gold_models
    from orchestration.platform.transform import load_manifest
    from orchestration.platform.versions import TIMEZONE, end_of_day, publication_history, read_publication

    department = next((n["database"] for n in gold_models(load_manifest()) if n["name"] == table), None)
    if department is None:
        raise UsageError(
            f"{table} is not a gold table: name one of dbt/models/gld/, e.g. gld_culture__subventions_mensuelles."
        )
    lake = settings.open_lake()
    if as_of is None:
        rows = publication_history(lake, department, table).to_pylist()
        if not rows:
            print(f"{table} was never published in this environment ({settings.environment}).")
        for row in rows:
            print(
                f"{row['published_at'].astimezone(TIMEZONE):%Y-%m-%d %H:%M} version {row['version']:>3}  "
                f"{row['row_count']:>7} rows  data as of {row['data_as_of'] or '?'}  run {row['run_id'][:8]}  "
                f"rebuilt: {row['rebuilt']}" + (f"\n    from {row['sources']}" if row["sources"] else "")
            )
        return 0
    published = read_publication(lake, department, end_of_day(as_of)).get(table)
    if published is None:
        raise UsageError(
            f"{table} had not been published by the end of {as_of}: `make history TABLE={table}` lists its versions."
        )
    path = settings.data_dir / "history" / f"{table}_as_of_{as_of.isoformat()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pa_csv.write_csv(published.table, str(path))
    print(
        f"{table} as published at the end of {as_of} (Brussels): version {published.version}, published "
        f"{published.published_at.astimezone(TIMEZONE):%Y-%m-%d %H:%M}, {published.table.num_rows} rows -> {path}"
    )
    return 0


def privacy_command(settings: Settings, args) -> int:
    """`make retention` / `make erase`: change the lake, write the audit record, then rebuild
    the models and gold tables of the days changed (not the extraction)."""
    from orchestration.platform.registry import load_all
    from orchestration.platform.retention import apply_retention, audit, erase, rebuild_window

    lake = settings.open_lake()
    if args.command == "retention":
        today = date.fromisoformat(args.today) if args.today else datetime.now(UTC).date()
        removed = apply_retention(lake, load_all(), today)
        request = f"retention as of {today}"
    else:
        removed = erase(lake, load_all(), args.pseudonym.strip())
        request = args.request
    record = audit(lake, args.command if args.command == "retention" else "erasure", request, removed)
    print(f"{sum(r.rows for r in removed)} row(s) removed from {len(removed)} partition(s); audit record: {record}")
    window = rebuild_window(removed)
    if window is None:
        return 0
    print(f"Rebuilding what was built from them: {window[0]} .. {window[1]}")
    return run_command(settings, window[0], window[1], "not key:raw/*", "INFO")


def scaffold_department(name: str, owner: str, description: str) -> int:
    from orchestration.platform.scaffold import ScaffoldError, scaffold_location

    try:
        written = scaffold_location(PROJECT_ROOT, name, owner, description or f"The {name} department.")
    except ScaffoldError as error:
        print(error, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    print(
        f"Next: declare its source tables in orchestration/locations/{name}/defs/sources/defs.yaml "
        f"(type: orchestration.platform.components.SourceSystems), land them, `make scaffold`, "
        f"write models under dbt/models/{{int,gld}}/{name}/, then `make lint`."
    )
    return 0


def scaffold_staging_model(settings: Settings, name: str, entity: str | None) -> int:
    from orchestration.platform.scaffold import ScaffoldError, scaffold_landed

    try:
        written = scaffold_landed(settings, name, entity)
    except ScaffoldError as error:
        print(error, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    print("Next: rename the columns in the `renamed` CTE and describe them, then `make lint`.")
    return 0


def write_lineage_page(path: Path) -> None:
    """One page, served beside dbt's documentation by `make docs`: every model's columns and the
    source columns each is computed from (orchestration/platform/lineage.py), personal ones marked."""
    import html

    from orchestration.platform.dbt_translator import personal_columns
    from orchestration.platform.lineage import declared_reason, nodes, origin, source_columns
    from orchestration.platform.transform import load_manifest

    manifest = load_manifest()
    everything = nodes(manifest)
    sections = []
    for uid, node in sorted(everything.items(), key=lambda item: item[1]["name"]):
        if node["resource_type"] != "model":
            continue
        personal = set(personal_columns(node))
        rows = []
        for name, column in node["columns"].items():
            found = sorted(origin(everything[s], c) for s, c in source_columns(manifest, uid, name))
            reason = declared_reason(column)
            rows.append(
                f"<tr><td>{html.escape(name)}{' <b>(personal)</b>' if name in personal else ''}</td>"
                f"<td>{html.escape(', '.join(found) or 'computed')}</td><td>{html.escape(reason)}</td></tr>"
            )
        sections.append(
            f"<h2 id='{html.escape(node['name'])}'>{html.escape(node['name'])}</h2>"
            "<table><tr><th>column</th><th>computed from (source and seed columns)</th>"
            f"<th>personal value in clear: why</th></tr>{''.join(rows)}</table>"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><meta charset='utf-8'><title>Column lineage</title><style>body{font-family:sans-serif;"
        "margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "</style><h1>Column lineage of the dbt models</h1><p>From each model's SQL, down to the source and "
        "seed columns (docs/personal-data.md).</p>" + "".join(sections)
    )


def build_docs(settings: Settings) -> int:
    """dbt's documentation site (descriptions, columns, lineage) as one static HTML file."""
    import json
    import subprocess

    from orchestration.platform.dbt_translator import DOCS_PAGE
    from orchestration.platform.transform import DBT_PROJECT, dbt_vars

    command = [
        str(Path(sys.executable).parent / "dbt"),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(DBT_PROJECT.project_dir),
        "--profiles-dir",
        str(DBT_PROJECT.profiles_dir),
        "--target",
        settings.dbt_target,
        "--vars",
        json.dumps(dbt_vars(settings)),
    ]
    from orchestration.platform.lineage import LINEAGE_PAGE

    write_lineage_page(PROJECT_ROOT / "target" / LINEAGE_PAGE)
    if subprocess.run(command).returncode:
        print(
            "\nmake docs: dbt could not build the documentation (its error is above). It compiles every "
            "model against the lake: on a new checkout, run `make demo` first.",
            file=sys.stderr,
        )
        return 1
    print(
        f"\nColumn lineage: target/{LINEAGE_PAGE}. Documentation built: target/{DOCS_PAGE}. The models' pages in the Dagster UI link to "
        f"{settings.docs_url}/{DOCS_PAGE} (LAKEHOUSE_DOCS_URL); make docs serves it until Ctrl-C."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
