"""Transform: a department's dbt models as Dagster assets, one dbt build per grain and run.

On DuckDB (the default) or, with LAKEHOUSE_ENGINE=spark, on Spark (docs/engines.md): the same
assets, checks and build; only the dbt output and where the tables are (warehouse.py) differ.

The department's models are those whose dbt `database` is the department; they are built in its
own warehouse file (`settings.warehouse(department)`), which attaches read-only the warehouses of
the departments it reads (the reference data), so departments never wait on each other's writer
lock (docs/departments.md). Models are grouped by their partitions
(orchestration/platform/partitions.py): daily, monthly (dbt config `batch_size`) and
current-state models each form one multi-asset, built by one `dbt build` of its window. The
window travels as dbt's event-time flags; dbt's partial parse of the project is kept between
runs, so a run never parses the project again.

Several departments run in one process (`make run`, `make demo` without LOCATION) are built
together: one `dbt build` per grain over all their models, each model in its department's file
(a dbt build costs about 8 s before its first model; nothing needs isolating inside one run).
"""

import functools
import importlib.metadata
import json
import shutil
import sys
import uuid
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from packaging import version

from orchestration.platform.dbt_translator import TRANSLATOR
from orchestration.platform.dbt_warehouses import write_attachments
from orchestration.platform.instance import warehouse_pool
from orchestration.platform.lineage import lineage_metadata
from orchestration.platform.partitions import GRAINS, SINGLE_RUN, covering, event_time_flags, partitions_for
from orchestration.platform.settings import PROJECT_ROOT, Settings
from orchestration.platform.warehouse import build_locks, row_counts

DBT_PROJECT = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT / "dbt")
PARTIAL_PARSE = "partial_parse.msgpack"
# dbt build per grain: the daily and monthly partitioned models, then the current-state ones
STEPS = {"day": "dbt_daily", "month": "dbt_monthly", None: "dbt_current"}


def dbt_vars(settings: Settings) -> dict:
    """Where the lake and the warehouses are: the same at every run of an environment, whatever
    the department (a var that changes would make dbt parse the whole project again); a build
    attaches the warehouse files its models need (orchestration/platform/dbt_warehouses.py)."""
    return {
        "lake_root": settings.lake_root,
        "warehouse_dir": str(settings.warehouse_dir),
        "spark_dir": str(settings.spark_dir),
    }


def department_nodes(manifest: dict, departments: tuple[str, ...]) -> dict[str, dict]:
    """unique_id -> node of the models and seeds that `departments` own (their dbt database)."""
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and node["database"] in departments
    }


def upstream_departments(manifest: dict, departments: tuple[str, ...], grain: str | None) -> list[str]:
    """The other departments whose models or seeds the models of `grain` of `departments` read."""
    nodes = {k: n for k, n in department_nodes(manifest, departments).items() if model_grain(n) == grain}
    return sorted(
        {
            manifest["nodes"][parent]["database"]
            for node in nodes.values()
            for parent in node.get("depends_on", {}).get("nodes", [])
            if parent in manifest["nodes"] and manifest["nodes"][parent]["database"] not in departments
        }
    )


def step_name(departments: tuple[str, ...], grain: str | None) -> str:
    """`dbt_daily_culture` for one department's step, `dbt_daily` for several built together."""
    return STEPS[grain] if len(departments) > 1 else f"{STEPS[grain]}_{departments[0]}"


def model_grain(node: dict) -> str | None:
    """The partition grain a dbt model declares (config batch_size), None when it has none."""
    return node.get("config", {}).get("batch_size") if node["resource_type"] == "model" else None


def table_relations(manifest: dict) -> dict[str, tuple[str, str]]:
    """unique_id -> (schema, name) of every model dbt materialises as a table."""
    return {
        unique_id: (node["schema"], node["alias"])
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
        and node["config"].get("materialized") in ("table", "incremental", "seed")
    }


def failure_summary(events: list) -> str:
    """What a data steward needs to read when a build fails: which checks failed."""
    failed = sorted(
        f"{e.asset_key.to_user_string()}: {e.check_name}"
        for e in events
        if isinstance(e, dg.AssetCheckResult) and not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    )
    lines = ["dbt build failed; nothing downstream was published, dashboards keep the previous gold tables."]
    if failed:
        lines.append(f"{len(failed)} blocking check(s) failed:")
        lines.extend(f"  - {name}" for name in failed)
    else:
        lines.append("A model failed to build: see the dbt log.")
    return "\n".join(lines)


def _unique_id(event) -> str | None:
    if isinstance(event, (dg.Output, dg.AssetMaterialization)) and "unique_id" in event.metadata:
        return event.metadata["unique_id"].value
    return None


def load_manifest() -> dict:
    """The dbt manifest, read once per version of the file for all the definitions built from it."""
    # parsed by `make manifest` (every make target that loads definitions runs it first), never
    # here: several code locations load at once, and a parse in each would race
    if not DBT_PROJECT.manifest_path.exists():
        raise FileNotFoundError(f"dbt manifest {DBT_PROJECT.manifest_path} is missing: run `make manifest`.")
    return _read_manifest(DBT_PROJECT.manifest_path, DBT_PROJECT.manifest_path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _read_manifest(path: Path, _version: int) -> dict:
    return json.loads(path.read_text())


def partitions_written_upstream(context: dg.AssetExecutionContext) -> list[str]:
    """Partition keys of this step's upstream assets materialised earlier in the same run,
    outside the run's own range: the partitions a lookback or late rows rewrote."""
    upstream = {
        dep
        for key in context.selected_asset_keys
        for dep in context.assets_def.asset_deps.get(key, ())
        if dep not in context.assets_def.keys
    }
    own = set(context.partition_keys)
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    keys = {
        record.event_log_entry.dagster_event.partition
        for record in records
        if record.event_log_entry.dagster_event.asset_key in upstream
    }
    return sorted(key for key in keys if key and key not in own)


def build_dbt_assets(manifest: dict, departments: tuple[str, ...], grain: str | None) -> dg.AssetsDefinition:
    """The dbt models of one grain of `departments` as one multi-asset, built by one `dbt build` per run."""
    partitions_def = partitions_for(grain)
    owned = department_nodes(manifest, departments)
    # the relations to count after a build, per warehouse file
    relations: dict[str, dict[str, tuple[str, str]]] = {department: {} for department in departments}
    for unique_id, relation in table_relations(manifest).items():
        if unique_id in owned:
            relations[owned[unique_id]["database"]][unique_id] = relation
    upstream = upstream_departments(manifest, departments, grain)
    others = [g for g in GRAINS if g != grain]
    # the departments that have models of this grain (dbt warns about a selector that matches nothing)
    having = (
        sorted({node["database"] for node in owned.values() if model_grain(node) == grain}) if grain else departments
    )
    mine = [f"config.database:{department}" for department in having]
    who = ", ".join(departments)

    @dbt_assets(
        manifest=manifest,
        project=DBT_PROJECT,
        dagster_dbt_translator=TRANSLATOR,
        select=" ".join(f"{m},config.batch_size:{grain}" for m in mine) if grain else " ".join(mine),
        exclude=None if grain else " ".join(f"config.batch_size:{g}" for g in others),
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN if partitions_def else None,
        name=step_name(departments, grain),
        pool=warehouse_pool(departments),  # one build per warehouse at once, in production
    )
    def _dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: dg.ResourceParam[Settings]):
        settings.open_lake()  # a wrong lake credential fails here, naming its variable
        # (on Spark every department's tables are in one catalog: a missing one fails in dbt)
        if settings.engine == "duckdb" and (missing := [n for n in upstream if not settings.warehouse(n).exists()]):
            raise dg.Failure(
                description=(
                    f"{who}'s models read the models of {', '.join(missing)}, which were never "
                    f"built in this environment.\nFix: run {missing[0]} first (make run ... "
                    f"LOCATION={missing[0]}), or every department at once (make run without LOCATION)."
                )
            )
        args = ["build", "--vars", json.dumps(dbt_vars(settings))]
        late: list[str] = []
        if partitions_def is not None:
            window = context.partition_time_window
            late = partitions_written_upstream(context)
            windows = [(window.start.date(), window.end.date())] + [
                (w.start.date(), w.end.date()) for w in map(partitions_def.time_window_for_partition_key, late)
            ]
            start, end = covering(windows)
            args += event_time_flags(start, end)
            if late:
                context.log.info(
                    f"The window reaches back to {start}: partitions rewritten "
                    f"upstream in this run ({', '.join(late)})."
                )
        with build_locks(settings, departments, upstream, context.log) as waited:
            if waited > 1:
                context.log.info(f"Waited {waited:.0f} s for the warehouse locks.")
            target_path = _target_path(context)
            prune_targets(target_path)
            if settings.engine == "duckdb":  # the files the build opens (Spark has one catalog)
                write_attachments(
                    target_path,
                    {name: settings.warehouse(name) for name in departments},
                    {name: settings.warehouse(name) for name in upstream},
                )
            cache = settings.data_dir / "dbt" / settings.dbt_target / PARTIAL_PARSE
            if cache.exists():  # the project as parsed by the previous build: no parse again
                target_path.mkdir(parents=True, exist_ok=True)
                shutil.copy(cache, target_path / PARTIAL_PARSE)
            invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target_path)
            # buffered so that row counts can be read once dbt has released the file
            events = list(invocation.stream())
            counts = {
                key: count for name in departments for key, count in row_counts(settings, name, relations[name]).items()
            }
            reused_parse = _keep_partial_parse(target_path, cache)
        for event in events:
            unique_id = _unique_id(event)
            if unique_id is not None:
                extra = {"dbt_parse": "reused" if reused_parse else "full"}
                if unique_id in counts:
                    extra["dagster/row_count"] = counts[unique_id]
                # the column lineage of what was built, kept with each materialisation
                extra |= lineage_metadata(manifest, unique_id, TRANSLATOR.get_asset_key)
                event = event.with_metadata({**event.metadata, **extra})
            yield event
        if not invocation.is_successful():
            raise dg.Failure(
                description=failure_summary(events),
                metadata={
                    "dbt_log": dg.MetadataValue.path(str(invocation.target_path / "dbt.log")),
                },
            )
        for asset_key in context.selected_asset_keys:  # late partitions were rebuilt too
            for key in late:
                context.log_event(
                    dg.AssetMaterialization(
                        asset_key=asset_key,
                        partition=key,
                        description="Rebuilt with later partitions: rows rewritten upstream in the same run.",
                    )
                )

    return _dbt_build


def _target_path(context: dg.AssetExecutionContext) -> Path:
    """A target folder of this invocation's own (artifacts and log), as dagster-dbt names it."""
    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    return Path(DBT_PROJECT.project_dir) / "target" / name


KEPT_TARGETS = 5  # per dbt step: the folders of its last builds, for their dbt.log and artifacts


def prune_targets(target_path: Path, keep: int = KEPT_TARGETS) -> None:
    """Remove the target folders of this step's older builds, keeping the newest `keep` (a
    build in progress is among them): a long-lived code server's disk stays bounded."""
    step = target_path.name.rsplit("-", 2)[0]
    folders = sorted(
        (f for f in target_path.parent.glob(f"{step}-*-*") if f.is_dir() and f.name.rsplit("-", 2)[0] == step),
        key=lambda f: f.stat().st_mtime,
    )
    for folder in folders[: max(0, len(folders) - keep)]:
        shutil.rmtree(folder, ignore_errors=True)


def _keep_partial_parse(target_path: Path, cache: Path) -> bool:
    """Save the project as this build parsed it for the next build; True when this build
    reused the previous parse instead of parsing the project again."""
    parsed = target_path / PARTIAL_PARSE
    if parsed.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        staged = cache.with_name(f"{cache.name}.{uuid.uuid4().hex}")
        shutil.copy(parsed, staged)
        staged.replace(cache)
    log = target_path / "dbt.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return "Unable to do partial parsing" not in text and "Partial parsing enabled" in text


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt command line without two costs it pays at every run, measured at about
    2.5 s and 3 to 4 s here (benchmarks/bench_scale.py): running `dbt --version` to learn the
    version of the dbt of this very environment (its package metadata says it), and opening a
    dbt adapter in-process to fetch column metadata, which this platform does not use (row
    counts come from warehouse.row_counts; dagster-dbt accepts no adapter, its own fallback)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 (dagster-dbt's signature)
        return None


def dbt_resource(settings: Settings) -> DbtCli:
    return DbtCli(
        project_dir=DBT_PROJECT,
        target=settings.dbt_target,
        # the dbt of this interpreter's environment, whether or not it is on PATH
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )


def build_transform_defs(manifest: dict, departments: tuple[str, ...]) -> dg.Definitions:
    """One multi-asset per grain that the models of `departments` (built together) have."""
    departments = tuple(sorted(departments))
    grains = {model_grain(node) for node in department_nodes(manifest, departments).values()}
    return dg.Definitions(assets=[build_dbt_assets(manifest, departments, g) for g in STEPS if g in grains])
