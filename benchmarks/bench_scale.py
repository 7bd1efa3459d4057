"""The pipeline at scale: the next day's run after a long history, and the backfill of a year.

1. The next day's run (one day: extraction, daily dbt models, snapshots, current and monthly
   gold, publication) after N days of history at 100x the sample's rows per day, with its ratio
   to N = 30 (target: 365 / 30 <= 1.1), the share of it spent before its first step, and the
   time of each stage, step and dbt node. The history is generated with DuckDB straight into
   the lake as the ingestion writes it: one Parquet file per day of each fact table, written by
   `Lake.publish_partition` with the schema the extractor describes, and one copy of each
   snapshot table per day (hard links to one copy landed by `ingest`). One `dbt build` then
   builds the warehouse over the whole history, and the previous day's run goes through the
   pipeline, so that the runs measured start from the state a daily schedule leaves. The SQLite
   source holds the reference tables of the sample at 100x and the fact rows of the last days
   (every row the two runs read). The day measured is yesterday (UTC): a long history starts
   before HISTORY_START (orchestration/platform/partitions.py), so the lake and the warehouse hold
   it but Dagster's partitions do not, and Dagster's run history is this benchmark's only.
2. The backfill of a year at 100x (`SampleSpec(scale=100 * 365 / 90, days=365)`) in one run
   from its SQLite sources into a fresh data directory, against the 751 s it took before
   (target: a third of it).

Each run is `make run`'s (cli.run_command) in a process of its own, with a Dagster instance on
disk. Environment: BENCH_SCALE_DAYS (default 30,365, about 5 min; 30,365,3650 for the issue's
three, about 4 min more), BENCH_REPEATS (next-day runs per history, default 3: the median, as
the machine's two cores are shared and single runs are noisy), BENCH_SCALE_BACKFILL=0 to skip
the backfill (about 2.5 min), BENCH_SCALE_DIR to keep the generated data there.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.compute as pc

from orchestration.demo.sample_data import SAMPLE_DAYS, SCHEMAS, SEASONS, SampleSpec, generate
from orchestration.platform.settings import PROJECT_ROOT, Settings, settings_for

RATE = 100  # times the sample's rows per day
# the sample's rows per day (1,500 requests and 6,000 affiliations over 90 days) at RATE;
# payments follow from the accepted requests
PER_DAY = {"demande": round(1500 * RATE / SAMPLE_DAYS), "affiliation": round(6000 * RATE / SAMPLE_DAYS)}
REFERENCE = SampleSpec(scale=RATE)  # reference tables: the sample's at RATE
FACTS = {"demande": "subventions", "paiement": "subventions", "affiliation": "sport"}
KEYS = {"demande": "id_demande", "paiement": "id_paiement", "affiliation": "id_affiliation"}
# The source holds the fact rows of the next day and of the SOURCE_DAYS before: every row the
# runs of the previous and the next day read (changes of 2 days of lookback, payments recorded
# up to 5 days late, whose partitions are rewritten whole).
SOURCE_DAYS = 9
CHUNK_DAYS = 100  # history read from DuckDB this many days at a time
BACKFILL_DAYS = 365
BACKFILL_BEFORE = 751.0  # seconds: the old figure of the year's backfill at 100x
DBT = str(Path(sys.executable).parent / "dbt")

FACTS_SQL = """
create or replace macro rnd(i, salt) as (hash(i, salt) % 1000000007) / 1000000007.0;
create or replace macro at_day(d) as date '{start}' + cast(d as integer);
create or replace macro at_time(d, i, salt) as
    cast(at_day(d) as timestamptz) + to_seconds(cast(8 * 3600 + floor(rnd(i, salt) * 36000) as bigint));
create or replace macro dirty(value, i, salt) as
    case when rnd(i, salt) < 0.05 then value || '  ' when rnd(i, salt) < 0.10 then lower(value) else value end;

create or replace table demande as
select
    id as id_demande,
    1 + cast(floor(rnd(id, 1) * {operators}) as bigint) as id_operateur,
    cast(cast(50000 + floor(rnd(id, 2) * 4950000) as decimal(18, 0)) * 0.01 as decimal(12, 2))
        as montant_demande,
    at_time(day, id, 3) as soumise_le,
    case when rnd(id, 4) < 0.3 then 'soumise' when rnd(id, 4) < 0.8 then 'acceptee' else 'refusee' end
        as statut,
    at_time(least(day + floor(rnd(id, 5) * 2), {last}), id, 6) as updated_at,
    day
from (select range + 1 as id, range // {requests} as day from range({requests} * {days}));

create or replace table paiement as
with planned as (
    select
        id_demande,
        montant_demande,
        day as submitted,
        unnest(range(([1, 1, 2, 3])[1 + cast(floor(rnd(id_demande, 7) * 4) as integer)])) as n
    from demande
    where statut = 'acceptee'
),
keyed as (
    select *, id_demande * 4 + n as k from planned
),
placed as (
    select *, submitted + 2 + cast(floor(rnd(k, 8) * 28) as bigint) as day from keyed
),
numbered as (
    select
        row_number() over (order by id_demande, n) as id_paiement,
        id_demande,
        cast(
            montant_demande * ([1.00, 0.50, 0.25])[1 + cast(floor(rnd(k, 9) * 3) as integer)] as decimal(12, 2)
        ) as montant,
        at_day(day) as paye_le,
        at_time(
            least(day + case when rnd(k, 10) < 0.05 then 1 + floor(rnd(k, 11) * 5) else 0 end, {last}), k, 12
        ) as updated_at,
        day,
        k
    from placed
    where day <= {last}
)
select * exclude (k) from numbered
union all
select * exclude (k) from numbered where rnd(k, 13) < 0.01;  -- exact duplicates, as the legacy app

create or replace table affiliation as
select
    id as id_affiliation,
    1 + cast(floor(rnd(id, 21) * {clubs}) as bigint) as id_club,
    case when rnd(id, 22) < 0.5 then '{season_1}' else '{season_2}' end as saison,
    case when rnd(id, 23) >= 0.01 then 1940 + cast(floor(rnd(id, 24) * 81) as bigint) end as annee_naissance,
    dirty(case when rnd(id, 25) < 0.45 then 'F' when rnd(id, 25) < 0.98 then 'M' else 'X' end, id, 26) as genre,
    at_day(day) as affilie_le,
    day
from (select range + 1 as id, range // {affiliations} as day from range({affiliations} * {days}));
"""


def generate_facts(connection: duckdb.DuckDBPyConnection, first: date, days: int) -> None:
    """The three fact tables over `days` days from `first`, with the sample's distributions at
    RATE (ids in submission order, payments of accepted requests 2 to 29 days later, 5 % of them
    recorded up to 5 days late, 1 % duplicated, dirty codes), each row with `day`, the index of
    its partition. Deterministic: values are hashes of the ids."""
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(
        FACTS_SQL.format(
            start=first.isoformat(),
            days=days,
            last=days - 1,
            requests=PER_DAY["demande"],
            affiliations=PER_DAY["affiliation"],
            operators=REFERENCE.count(200),
            clubs=REFERENCE.count(150),
            season_1=SEASONS[0],
            season_2=SEASONS[1],
        )
    )


def write_source(sample_dir: Path, connection: duckdb.DuckDBPyConnection, first_day: int, last_day: int):
    """Replace the fact rows of the SQLite source by the generated ones of days first..last,
    stored as the sample stores them (text decimals, dates and timestamps)."""
    for table, system in FACTS.items():
        columns = SCHEMAS[system][table]
        select = ", ".join(_as_sqlite(name, kind) for name, kind in columns.items())
        rows = connection.execute(
            f"select {select} from {table} where day between ? and ? order by day, {KEYS[table]}",
            [first_day, last_day],
        ).fetchall()
        source = sqlite3.connect(sample_dir / f"{system}.sqlite")
        with source:
            source.execute(f'delete from "{table}"')
            source.executemany(f'insert into "{table}" values ({", ".join("?" for _ in columns)})', rows)
        source.close()


def _as_sqlite(name: str, kind: str) -> str:
    if kind == "TIMESTAMPTZ":
        return f"strftime({name}, '%Y-%m-%d %H:%M:%S') || '+00:00'"
    if kind.startswith("NUMERIC") or kind == "DATE":
        return f"cast({name} as varchar)"
    return name


def land_history(settings: Settings, connection: duckdb.DuckDBPyConnection, first: date, days: int) -> None:
    """One lake partition per day of `days` from `first` for each fact table, written by the
    lake's own writer with the Arrow schema the extractor describes for the source (an empty
    file for a day without rows, as the ingestion writes it)."""
    from orchestration.platform.extractors import open_extractor
    from orchestration.platform.registry import load_all

    lake = settings.open_lake()
    specs = {spec.table: spec for spec in load_all()}
    for table, system in FACTS.items():
        spec = specs[table]
        extractor = open_extractor(settings.connections[spec.connection], {}, spec.where)
        schema = extractor.describe(spec.source).schema
        for start in range(0, days, CHUNK_DAYS):
            end = min(days, start + CHUNK_DAYS)
            chunk = connection.execute(
                f"select {', '.join(schema.names)}, day from {table} where day >= ? and day < ? "
                f"order by day, {KEYS[table]}",
                [start, end],
            ).to_arrow_table()
            values, counts = (a.to_pylist() for a in pc.value_counts(chunk.column("day")).flatten())
            rows_of_day = dict(zip(values, counts))
            chunk = chunk.drop_columns(["day"]).cast(schema)
            offset = 0
            for index in range(start, end):
                part = chunk.slice(offset, rows_of_day.get(index, 0))
                offset += part.num_rows
                day = first + timedelta(days=index)
                lake.publish_partition(system, table, day, schema, part.to_batches())


def land_snapshots(settings: Settings, first: date, days: int) -> None:
    """A copy of each snapshot table under every day after the first of the history, as the
    runs of those days left them: one landed by `ingest`, the others hard links to it."""
    from orchestration.platform.ingestion import ingest
    from orchestration.platform.registry import load_all

    lake = settings.open_lake()
    for spec in load_all():
        if spec.mode != "snapshot":
            continue
        landed = first + timedelta(days=1)
        ingest(spec, settings, lake, None, None, {}, today=landed)
        original = Path(lake.partition_path(spec.system, spec.table, landed))
        for offset in range(2, days + 1):
            copy = Path(lake.partition_path(spec.system, spec.table, first + timedelta(days=offset)))
            copy.parent.mkdir(parents=True, exist_ok=True)
            os.link(original, copy)


def dbt_build_everything(settings: Settings) -> None:
    """One `dbt build` of every model over the whole lake (no event-time window)."""
    from orchestration.platform.transform import dbt_vars

    target = settings.data_dir / "dbt-history"
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    command = [
        DBT,
        "build",
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT / "dbt"),
        "--target",
        settings.dbt_target,
        "--vars",
        json.dumps(dbt_vars(settings)),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT)
    if done.returncode:
        raise RuntimeError("dbt build of the history failed:\n" + "\n".join(done.stdout.splitlines()[-30:]))


# --- timing a window's run from Dagster's event log ---


@dataclass
class Timing:
    """Where a run of a window spent its time, from Dagster's event log and dbt's results."""

    wall: float
    run_ids: list[str] = field(default_factory=list)
    until_first_run: float = 0.0  # process start, imports, definitions, until the first run exists
    before_first_step: float = 0.0  # from the process start to the first step's start
    # stage -> seconds to the end of its run from the end of the previous one (the first: from
    # its first step)
    stages: dict[str, float] = field(default_factory=dict)
    steps: dict[str, dict[str, float]] = field(default_factory=dict)  # stage -> step -> seconds
    dbt_nodes: dict[str, float] = field(default_factory=dict)  # dbt node -> execution time
    dbt_elapsed: dict[str, float] = field(default_factory=dict)  # dbt step -> dbt's own elapsed time
    dbt_parse: set[str] = field(default_factory=set)  # "reused" when no build parsed the project


# `make run` without its two checks of the dates (a short history has days never landed after
# HISTORY_START; the backfill's last days are after today): run_command in a process of its own
RUN = (
    "import sys; from datetime import date; from orchestration.platform.cli import run_command; "
    "from orchestration.platform.settings import load_settings; "
    "sys.exit(run_command(load_settings(), *map(date.fromisoformat, sys.argv[1:3]), None, 'INFO'))"
)


def timed_run(settings: Settings, instance: dg.DagsterInstance, first: date, last: date) -> Timing:
    """Materialise the days first..last as `make run` does, in a new process (imports and
    definitions included, as for every run); where the time went."""
    environ = {
        **os.environ,
        "LAKEHOUSE_ENV": settings.environment,
        "LAKEHOUSE_DATA_DIR": str(settings.data_dir),
        "DAGSTER_HOME": instance.root_directory,
    }
    spawned = time.time()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUN, first.isoformat(), last.isoformat()],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=environ,
    )
    timing = Timing(wall=time.perf_counter() - started)
    if done.returncode:
        raise RuntimeError(f"run of {first} .. {last} failed:\n{done.stdout}{done.stderr}")
    records = instance.get_run_records(
        dg.RunsFilter(created_after=datetime.fromtimestamp(spawned, UTC)), ascending=True
    )
    timing.until_first_run = records[0].create_timestamp.timestamp() - spawned
    boundary = None  # a stage runs from the end of the previous one (the first: its first step)
    for record in records:
        stage, run_id = record.dagster_run.job_name, record.dagster_run.run_id
        timing.run_ids.append(run_id)
        starts, steps = {}, {}
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                starts[event.step_key] = entry.timestamp
                if boundary is None:
                    timing.before_first_step = entry.timestamp - spawned
                    boundary = entry.timestamp
            elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
                steps[event.step_key] = entry.timestamp - starts[event.step_key]
            elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                parse = event.event_specific_data.materialization.metadata.get("dbt_parse")
                if parse is not None:
                    timing.dbt_parse.add(parse.value)
            elif event.event_type == dg.DagsterEventType.RUN_SUCCESS:
                timing.stages[stage] = entry.timestamp - boundary
                boundary = entry.timestamp
        timing.steps[stage] = steps
        for step, elapsed, nodes in dbt_results(run_id):
            timing.dbt_elapsed[step] = elapsed
            timing.dbt_nodes.update(nodes)
    return timing


def dbt_results(run_id: str) -> Iterator[tuple[str, float, dict[str, float]]]:
    """(dbt step, dbt's elapsed time, node -> execution time) of each dbt build of a run, from
    its run_results.json; the build's target folder is removed once read."""
    for folder in sorted((PROJECT_ROOT / "target").glob(f"*-{run_id[:7]}-*")):
        results_path = folder / "run_results.json"
        if results_path.exists():
            results = json.loads(results_path.read_text())
            nodes = {_node_name(r["unique_id"]): r["execution_time"] for r in results["results"]}
            yield folder.name.split("-")[0], results["elapsed_time"], nodes
        shutil.rmtree(folder, ignore_errors=True)


def _node_name(unique_id: str) -> str:
    kind, _, name = unique_id.split(".")[:3]
    return name if kind == "model" else f"{kind} {name}"


def new_instance(directory: Path) -> dg.DagsterInstance:
    """A Dagster instance on disk (SQLite storage), as `make run` uses one."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.from_config(str(directory))


# --- 1. the next day's run after a history ---


@dataclass
class History:
    days: int
    next_day: date
    rows: dict[str, int]
    seconds: dict[str, float]  # preparation: generate, land, dbt build, previous day's run
    runs: list[Timing]

    @property
    def median(self) -> float:
        return statistics.median(t.wall for t in self.runs)

    def median_of(self, value) -> float:
        return statistics.median(value(t) for t in self.runs)


def next_day_after(days: int, reference: Path, directory: Path, repeats: int) -> History:
    """The next day's run after `days` days of history, `repeats` times."""
    if days < SOURCE_DAYS:
        raise ValueError(f"BENCH_SCALE_DAYS: a history of at least {SOURCE_DAYS} days")
    settings = settings_for("local", data_dir=directory)
    next_day = datetime.now(UTC).date() - timedelta(days=1)
    first = next_day - timedelta(days=days)
    seconds: dict[str, float] = {}

    clock = time.perf_counter()
    settings.sample_dir.mkdir(parents=True, exist_ok=True)
    for source in reference.glob("*.sqlite"):
        shutil.copy(source, settings.sample_dir / source.name)
    connection = duckdb.connect()
    generate_facts(connection, first, days + 1)
    write_source(settings.sample_dir, connection, days - SOURCE_DAYS, days)
    rows = {t: connection.execute(f"select count(*) from {t} where day < ?", [days]).fetchone()[0] for t in FACTS}
    seconds["generate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    land_history(settings, connection, first, days)
    land_snapshots(settings, first, days)
    connection.close()
    seconds["land"] = time.perf_counter() - clock

    clock = time.perf_counter()
    dbt_build_everything(settings)
    seconds["dbt build"] = time.perf_counter() - clock

    instance = new_instance(directory / "dagster")
    previous = timed_run(settings, instance, next_day - timedelta(days=1), next_day - timedelta(days=1))
    seconds["previous day"] = previous.wall
    history = History(days, next_day, rows, seconds, [])
    for _ in range(repeats):
        timing = timed_run(settings, instance, next_day, next_day)
        if not history.runs:
            check_landed_as_history(instance, timing.run_ids)
        history.runs.append(timing)
    instance.dispose()
    return history


def check_landed_as_history(instance: dg.DagsterInstance, run_ids: list[str]) -> None:
    """The next day's extraction found the history's schema unchanged: the generated partitions
    are what the ingestion writes."""
    for run_id in run_ids:
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            materialization = entry.dagster_event.event_specific_data.materialization
            change = materialization.metadata.get("schema_change")
            if change is not None and change.value != "no change":
                raise RuntimeError(
                    f"{materialization.asset_key.to_user_string()}: the generated history's schema "
                    f"differs from the source's ({change.value})"
                )


# --- 2. the backfill of a year ---


@dataclass
class Backfill:
    rows: dict[str, int]
    generate_seconds: float
    timing: Timing


def backfill_year(directory: Path) -> Backfill:
    settings = settings_for("local", data_dir=directory)
    spec = SampleSpec(scale=RATE * BACKFILL_DAYS / SAMPLE_DAYS, days=BACKFILL_DAYS)
    clock = time.perf_counter()
    generate(settings.sample_dir, spec)
    generated = time.perf_counter() - clock
    instance = new_instance(directory / "dagster")
    timing = timed_run(settings, instance, spec.start, spec.start + timedelta(days=spec.days - 1))
    instance.dispose()
    return Backfill(lake_rows(settings), generated, timing)


def lake_rows(settings: Settings) -> dict[str, int]:
    """Rows in the lake per table (a snapshot: its newest copy)."""
    from orchestration.platform.layout import table_glob

    rows = {}
    with duckdb.connect() as connection:
        for table, system in {
            **FACTS,
            "bv_commune": "denodo",
            "bv_etablissement": "denodo",
            "operateur": "subventions",
            "club": "sport",
        }.items():
            files = table_glob(settings.lake_root, system, table)
            if table not in FACTS:
                files = sorted(Path(settings.lake_root).glob(f"{system}/{table}/*/data.parquet"))[-1]
            count = connection.execute("select count(*) from read_parquet(?)", [str(files)]).fetchone()[0]
            rows[f"{system}.{table}"] = count
    return rows


# --- report ---


def print_history(history: History) -> None:
    rows = ", ".join(f"{n:,} {t}" for t, n in history.rows.items())
    prepared = ", ".join(f"{name} {s:.0f} s" for name, s in history.seconds.items())
    print(f"history {history.days} days to {history.next_day - timedelta(days=1)}: {rows} ({prepared})")
    runs = ", ".join(f"{t.wall:.1f}" for t in history.runs)
    before = history.median_of(lambda t: t.before_first_step)
    parse = set().union(*(t.dbt_parse for t in history.runs))
    print(
        f"  next day {history.next_day}: runs {runs} s, median {history.median:.1f} s, "
        f"before the first step {before:.1f} s; dbt parse {', '.join(sorted(parse))}",
        flush=True,
    )


def print_histories(histories: list[History]) -> None:
    base = next((h for h in histories if h.days == 30), histories[0])
    width = 12
    header = "".join(f"{f'{h.days} d':>{width}}" for h in histories)
    print(
        f"\n-- next-day run after N days of history at {RATE}x (median of {len(base.runs)} runs; 2 shared cores, noisy)"
    )
    print(f"{'N':<44}{header}")

    def row(label: str, values: list[str]) -> None:
        print(f"{label:<44}{''.join(f'{v:>{width}}' for v in values)}")

    row("next-day run, s", [f"{h.median:.1f}" for h in histories])
    row(f"ratio to {base.days} days (target 365/30 <= 1.1)", [f"{h.median / base.median:.2f}" for h in histories])
    row("before the first step, s", [f"{h.median_of(lambda t: t.before_first_step):.1f}" for h in histories])
    row("  of which until the first run exists", [f"{h.median_of(lambda t: t.until_first_run):.1f}" for h in histories])
    row("  share of the run", [f"{h.median_of(lambda t: t.before_first_step / t.wall):.0%}" for h in histories])
    for stage in base.runs[0].stages:
        row(f"stage {stage}, s", [f"{h.median_of(lambda t: t.stages.get(stage, 0)):.1f}" for h in histories])
        for step in base.runs[0].steps[stage]:
            row(f"  {step}", [f"{h.median_of(lambda t: t.steps[stage].get(step, 0)):.2f}" for h in histories])
            if step in base.runs[0].dbt_elapsed:
                row(
                    "    of which dbt's own elapsed time",
                    [f"{h.median_of(lambda t: t.dbt_elapsed.get(step, 0)):.2f}" for h in histories],
                )
        row(
            "  not in a step (stage - its steps)",
            [f"{h.median_of(lambda t: t.stages.get(stage, 0) - sum(t.steps[stage].values())):.2f}" for h in histories],
        )
    row(
        "after the last stage (process exit), s",
        [f"{h.median_of(lambda t: t.wall - t.before_first_step - sum(t.stages.values())):.1f}" for h in histories],
    )
    last = histories[-1]
    nodes = sorted(last.runs[0].dbt_nodes, key=lambda n: -last.median_of(lambda t: t.dbt_nodes.get(n, 0)))
    print(f"dbt nodes, s (the 12 slowest at {last.days} days)")
    for node in nodes[:12]:
        row(f"  {node[:42]}", [f"{h.median_of(lambda t: t.dbt_nodes.get(node, 0)):.2f}" for h in histories])
    row("history fact rows", [f"{sum(h.rows.values()):,}" for h in histories])


def print_backfill(backfill: Backfill) -> None:
    timing = backfill.timing
    facts = sum(n for t, n in backfill.rows.items() if t.split(".")[1] in FACTS)
    print(f"\n-- backfill of a year at {RATE}x in one run (1 run)")
    print(
        f"{timing.wall:.0f} s for {facts:,} fact rows; before: {BACKFILL_BEFORE:.0f} s, ratio "
        f"{timing.wall / BACKFILL_BEFORE:.2f} (target <= 0.33); sample generated in "
        f"{backfill.generate_seconds:.0f} s (not counted)"
    )
    print(f"  rows landed: {', '.join(f'{n:,} {t}' for t, n in backfill.rows.items())}")
    print(
        f"  before the first step {timing.before_first_step:.1f} s (until the first run exists "
        f"{timing.until_first_run:.1f} s)"
    )
    for stage, seconds in timing.stages.items():
        dbt_own = {step: f" (dbt's own {elapsed:.0f})" for step, elapsed in timing.dbt_elapsed.items()}
        steps = ", ".join(
            f"{step} {v:.0f}{dbt_own.get(step, '')}"
            for step, v in sorted(timing.steps[stage].items(), key=lambda item: -item[1])
            if v >= 0.5
        )
        print(f"  stage {stage} {seconds:.0f} s: {steps}")
    slowest = sorted(timing.dbt_nodes.items(), key=lambda i: -i[1])[:8]
    print(f"  slowest dbt nodes: {', '.join(f'{n} {v:.1f}' for n, v in slowest)}")


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    kept = os.environ.get("BENCH_SCALE_DIR")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        yield Path(kept)
        return
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as directory:
        yield Path(directory)


def main() -> None:
    days_list = [int(d) for d in os.environ.get("BENCH_SCALE_DAYS", "30,365").split(",") if d.strip()]
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    histories = []
    with scratch() as root:
        reference = root / "reference"
        if days_list:
            generate(reference, REFERENCE)  # the reference tables; the fact rows are replaced
            print(
                f"-- next-day run after {', '.join(map(str, days_list))} days of history at {RATE}x "
                f"({PER_DAY['demande']:,} requests and {PER_DAY['affiliation']:,} affiliations a day)",
                flush=True,
            )
        for days in days_list:
            directory = root / f"history-{days}"
            shutil.rmtree(directory, ignore_errors=True)
            histories.append(next_day_after(days, reference, directory, repeats))
            print_history(histories[-1])
            if not os.environ.get("BENCH_SCALE_DIR"):
                shutil.rmtree(directory)
        backfill = None
        if os.environ.get("BENCH_SCALE_BACKFILL", "1") != "0":
            print(f"-- backfill of {BACKFILL_DAYS} days at {RATE}x", flush=True)
            directory = root / "backfill"
            shutil.rmtree(directory, ignore_errors=True)
            backfill = backfill_year(directory)
    if histories:
        print_histories(histories)
    if backfill is not None:
        print_backfill(backfill)


if __name__ == "__main__":
    main()
