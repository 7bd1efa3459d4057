"""A department's code location, or all of them: its components, then the platform's policy.

Each department is a code location (orchestration/locations/<department>/definitions.py, listed
in workspace.yaml) whose `defs` is `build_definitions(load_settings(), [department])`: the
Dagster Components declared in its `defs/` folder (SourceSystems, DbtModels, Publication:
orchestration/platform/components.py), with the resources and the policy below. The command
line and the tests build every department at once (`departments=None`), one graph. Policy
applied here, once, to every asset:
* code references to the Python or SQL that defines it;
* runs in stages (orchestration/platform/stages.py): a window of days is one run per grain, in
  dependency order. The `daily` job (extraction of the facts, the daily dbt models) runs on a
  schedule for the previous day; when it succeeds, a sensor launches the `monthly` job
  (reference snapshots, current and monthly gold, publication, dashboards) over the months its
  partitions fall in, late rows included;
* freshness: the previous day's partition of every fact table by the morning deadline, and every
  snapshot and gold table updated in the day before it, checked by a sensor against the calendar
  (never at the end of a run: a run over a past window would be judged overdue).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from orchestration.platform.alerts import build_alerts_sensor
from orchestration.platform.components import DbtModels, documented
from orchestration.platform.dbt_translator import DOCUMENTATION, TRANSLATOR
from orchestration.platform.instance import DEPARTMENT_TAG
from orchestration.platform.lineage import LINEAGE_PAGE, lineage_metadata
from orchestration.platform.partitions import DAILY
from orchestration.platform.registry import LOCATIONS_DIR, department_of, load_registry, registry_files
from orchestration.platform.retention import apply_retention, audit, rebuild_window
from orchestration.platform.settings import PROJECT_ROOT, Settings
from orchestration.platform.stages import Stage, plan_stages, rewritten_windows, stage_range
from orchestration.platform.transform import STEPS, build_transform_defs, dbt_resource, load_manifest, step_name

# The platform uses some of Dagster's beta and preview features on purpose (components, code
# references, asset spec mapping): their warnings address Dagster's developers, and repeated on
# every load they would hide the warnings an analyst should read. Every other warning shows.
warnings.filterwarnings("ignore", message=r".* is currently in (beta|preview)", category=Warning)
# the freshness checks kept deliberately although superseded (see build_definitions)
warnings.filterwarnings("ignore", message=r"Function `build_\w*freshness_checks` is superseded", category=Warning)

FRESHNESS_DEADLINE_CRON = "0 7 * * *"  # the previous day's data must be there by 07:00
TIMEZONE = "Europe/Brussels"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


def all_departments() -> list[str]:
    """Every department: the folders of orchestration/locations/ (workspace.yaml lists them)."""
    return sorted(p.parent.name for p in LOCATIONS_DIR.glob("*/definitions.py"))


def department_components(department: str) -> dg.Definitions:
    """The definitions of the components declared in a department's `defs/` folder."""
    module = importlib.import_module(f"orchestration.locations.{department}.defs")
    return dg.ComponentTree.from_module(defs_module=module, project_root=PROJECT_ROOT).build_defs()


def build_definitions(
    settings: Settings, departments: list[str] | None = None, select: str | None = None
) -> dg.Definitions:
    """The assets of `departments` (default: all), and one job per stage of the assets
    `select`ed (Dagster's selection syntax; default: all of them)."""
    chosen = tuple(sorted(departments or all_departments()))
    # the components' assets, gathered (Definitions built from component trees do not merge)
    assets = [a for defs in map(department_components, chosen) for a in defs.assets or []]
    if len(chosen) > 1:  # in one process, their dbt models build together: one dbt build per grain
        per_department = {step_name((d,), g) for g in STEPS for d in chosen}
        assets = [a for a in assets if getattr(a, "node_def", None) is None or a.node_def.name not in per_department]
        assets += documented(build_transform_defs(load_manifest(), chosen), DbtModels).assets
    assets = with_links(dg.with_source_code_references(assets), settings, load_manifest())
    resources = {
        # opened per step, before it reads anything: a wrong credential fails here, clearly
        "lake": dg.ResourceDefinition(resource_fn=lambda _: settings.open_lake()),
        "settings": settings,
        "dbt": dbt_resource(settings),
    }
    graph = dg.Definitions(assets=assets, resources=resources).resolve_asset_graph()
    keys = dg.AssetSelection.from_string(select).resolve(graph) if select else graph.executable_asset_keys
    stages = plan_stages(graph, keys)
    freshness_checks = [
        *dg.build_time_partition_freshness_checks(
            assets=[
                k for k in graph.executable_asset_keys if k.path[0] == "raw" and graph.get(k).partitions_def == DAILY
            ],
            deadline_cron=FRESHNESS_DEADLINE_CRON,
            timezone=TIMEZONE,
            severity=dg.AssetCheckSeverity.WARN,
        ),
        # kept deliberately although Dagster marks them superseded by FreshnessPolicy: that
        # policy is judged per asset, not per partition (a backfill of an old day would look
        # fresh), and is still a preview behind `freshness: enabled` (dagster discussion #34023)
        *dg.build_last_update_freshness_checks(
            assets=[
                k
                for k in graph.executable_asset_keys
                if k.path[0] == "gld" or (k.path[0] == "raw" and graph.get(k).partitions_def is None)
            ],
            lower_bound_delta=timedelta(hours=24),
            deadline_cron=FRESHNESS_DEADLINE_CRON,
            timezone=TIMEZONE,
            severity=dg.AssetCheckSeverity.WARN,
        ),
    ]
    # freshness is judged against the calendar by its sensor at the deadline, not at the end of
    # every run: a run over a past window (a backfill, the demo's sample) would be judged overdue
    freshness_keys = [key for checks in freshness_checks for key in checks.check_keys]
    jobs = [stage_job(stage, chosen, freshness_keys) for stage in stages]
    schedules = []
    hour, minute = settings.ingestion_time  # settings.INGESTION_TIME, UTC
    if stages and stages[0].partitions_def == DAILY:
        schedules.append(dg.build_schedule_from_partitioned_job(jobs[0], hour_of_day=hour, minute_of_hour=minute))
    elif stages:  # a department without daily facts (reference data): its first stage, every day
        schedules.append(
            dg.ScheduleDefinition(
                name=f"{stages[0].name}_schedule",
                job=jobs[0],
                cron_schedule=f"{minute} {hour} * * *",
                execution_timezone="UTC",
            )
        )
    sensors = [
        dg.build_sensor_for_freshness_checks(freshness_checks=freshness_checks, name="freshness_checks_sensor"),
        build_alerts_sensor(settings, chosen),
    ]
    if len(stages) > 1:
        sensors.append(next_stage_sensor(stages, jobs))
    # its own registry files only: another department's broken YAML must not break this one
    own = [s for path in registry_files() if department_of(path) in chosen for s in load_registry(path)]
    kept = [s for s in own if s.retention_days]
    if kept and stages and stages[0].partitions_def == DAILY:  # retention, nightly (docs/personal-data.md)
        retention = retention_job(kept)
        jobs.append(retention)
        schedules.append(
            dg.ScheduleDefinition(
                name="retention_schedule",
                job=retention,
                cron_schedule=f"{minute} {(hour + 23) % 24} * * *",  # an hour before the nightly run
                execution_timezone="UTC",
            )
        )
        sensors.append(retention_rebuild_sensor(retention, stages[0], jobs[0]))
    return dg.Definitions(
        assets=assets,
        asset_checks=freshness_checks,
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources=resources,
    )


def with_links(assets: list, settings: Settings, manifest: dict) -> list:
    """The links that depend on the environment, completed once: each model's page of the dbt
    documentation site (settings.DOCS_URL; `make docs` serves it), each dashboard page's address
    and, on every gold table a page shows, a link to that page (settings.DASHBOARD_URL); and
    each model's column lineage (orchestration/platform/lineage.py)."""
    pages: dict[dg.AssetKey, dict[str, str]] = {}  # gold table -> {page's label: its URL}
    for exposure in manifest["exposures"].values():  # a page's URL path is its exposure's name
        for node_id in exposure["depends_on"]["nodes"]:
            key = TRANSLATOR.get_asset_key(manifest["nodes"][node_id])
            pages.setdefault(key, {})[exposure.get("label") or exposure["name"]] = page_url(settings, exposure["name"])

    def link(spec: dg.AssetSpec) -> dg.AssetSpec:
        metadata = dict(spec.metadata)
        page = metadata.get(DOCUMENTATION)
        page = page.value if isinstance(page, dg.TextMetadataValue) else page
        if isinstance(page, str):
            metadata[DOCUMENTATION] = dg.MetadataValue.url(f"{settings.docs_url}/{page}")
        if spec.key.path[0] == "dashboard":
            url = page_url(settings, spec.key.path[-1])
            metadata |= {"url": dg.MetadataValue.url(url), "dagster/uri": url}
        for label, url in pages.get(spec.key, {}).items():
            metadata[f"dashboard: {label}"] = dg.MetadataValue.url(url)
        if unique_id := metadata.get("dagster_dbt/unique_id"):  # a dbt model: its column lineage
            metadata |= lineage_metadata(manifest, getattr(unique_id, "value", unique_id), TRANSLATOR.get_asset_key)
            metadata["column lineage page"] = dg.MetadataValue.url(
                f"{settings.docs_url}/{LINEAGE_PAGE}#{spec.key.path[-1]}"
            )
        return spec.replace_attributes(metadata=metadata)

    return [a.map_asset_specs(link) if isinstance(a, dg.AssetsDefinition) else a for a in assets]


def page_url(settings: Settings, page: str) -> str:
    return f"{settings.dashboard_url}/{page}"


STAGE_DESCRIPTIONS = {
    "daily": "Extract the facts of the days (late rows included) and build the daily dbt models.",
    "monthly": "Land the reference snapshots, build the current and monthly gold tables, "
    "publish them and refresh the dashboards.",
    "current": "Land the reference snapshots and build the current-state models.",
}


def stage_job(
    stage: Stage, departments: tuple[str, ...], left_out: list[dg.AssetCheckKey]
) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        stage.name,
        # its partitions follow the assets; their checks run with them, except those `left_out`
        selection=dg.AssetSelection.assets(*stage.keys) - dg.AssetSelection.checks(*left_out),
        description=STAGE_DESCRIPTIONS.get(stage.name),
        # the queue limits the runs of one department at once; alerts go to its stewards
        tags={DEPARTMENT_TAG: ",".join(departments)},
    )


def retention_job(specs: list) -> dg.JobDefinition:
    """`make retention` as a Dagster job: the department's expired partitions deleted, audited;
    `retention_rebuild_sensor` then rebuilds the days deleted."""

    @dg.op(name="delete_expired_partitions", out=dg.Out(dict), required_resource_keys={"lake"})
    def delete_expired(context):  # no annotations: this module's are strings, Dagster reads them
        lake = context.resources.lake
        today = context.run.tags.get("lakehouse/today") or datetime.now(UTC).date().isoformat()
        removed = apply_retention(lake, specs, date.fromisoformat(today), log=context.log.info)
        record = audit(lake, "retention", f"retention as of {today}", removed)
        window = rebuild_window(removed)
        rebuild = {"rebuild": f"{window[0]}..{window[1]}"} if window else {}  # read by retention_rebuild_sensor
        context.add_output_metadata(
            {"rows_removed": sum(r.rows for r in removed), "partitions_removed": len(removed), "audit_record": record}
            | rebuild
        )
        return rebuild

    @dg.job(name="retention", description="Delete the lake partitions past their entry's retention_days (audited).")
    def retention():
        delete_expired()

    return retention


def retention_rebuild_sensor(retention: dg.JobDefinition, first: Stage, first_job) -> dg.RunStatusSensorDefinition:
    """After a retention run that deleted partitions: the first stage over those days, without
    the extraction (it would land them again); the next-stage sensor chains the rest."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="retention_rebuild_sensor",
        monitored_jobs=[retention],
        request_job=first_job,
        description="Rebuilds the models and gold tables of the days a retention run deleted.",
    )
    def _rebuild(context: dg.RunStatusSensorContext):
        outputs = context.instance.get_records_for_run(
            context.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_OUTPUT
        ).records
        window = next(
            (
                r.event_log_entry.dagster_event.step_output_data.metadata.get("rebuild")
                for r in outputs
                if r.event_log_entry.dagster_event.step_output_data.metadata.get("rebuild")
            ),
            None,
        )
        if window is None:
            return dg.SkipReason("The retention run deleted nothing: nothing to rebuild.")
        first_day, last_day = window.value.split("..")
        return dg.RunRequest(
            run_key=f"{context.dagster_run.run_id}-rebuild",
            job_name=first.name,
            tags=range_tags((first_day, last_day)),
            asset_selection=[key for key in first.keys if key.path[0] != "raw"],
        )

    return _rebuild


def run_window(tags: dict[str, str], definition: dg.PartitionsDefinition) -> tuple[date, date]:
    """The day window [start, end) of a partitioned run, from its tags."""
    first = tags.get(RANGE_START_TAG) or tags[PARTITION_TAG]
    last = tags.get(RANGE_END_TAG) or tags[PARTITION_TAG]
    return (
        definition.time_window_for_partition_key(first).start.date(),
        definition.time_window_for_partition_key(last).end.date(),
    )


def range_tags(partition_range: tuple[str, str]) -> dict[str, str]:
    return {RANGE_START_TAG: partition_range[0], RANGE_END_TAG: partition_range[1]}


def materialized_partitions(records: Iterable) -> dict[dg.AssetKey, set[str]]:
    """Asset key -> partition keys of the materialisation event records of a run."""
    found: dict[dg.AssetKey, set[str]] = {}
    for record in records:
        event = record.event_log_entry.dagster_event
        if event.partition:
            found.setdefault(event.asset_key, set()).add(event.partition)
    return found


def next_stage_sensor(stages: list[Stage], jobs: list) -> dg.RunStatusSensorDefinition:
    """When a stage's run succeeds, run the next stage over the partitions that cover it."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="next_stage_sensor",
        monitored_jobs=jobs[:-1],
        request_jobs=jobs[1:],
        description="Runs the next stage of a window (e.g. `monthly` after `daily`) when a stage succeeds.",
    )
    def _next_stage(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        index = next(i for i, s in enumerate(stages) if s.name == run.job_name)
        stage, following = stages[index], stages[index + 1]
        window = run_window(run.tags, stage.partitions_def) if stage.partitions_def else None
        records = context.instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        graph = context.repository_def.asset_graph
        rewritten = rewritten_windows(materialized_partitions(records), graph)
        partition_range = None
        if following.partitions_def is not None:
            if window is None and not rewritten:
                return dg.SkipReason(f"Run {run.run_id} wrote no partition: nothing for {following.name}.")
            partition_range = stage_range(following, window or rewritten[0], rewritten)
        return dg.RunRequest(
            run_key=f"{run.run_id}-{following.name}",
            job_name=following.name,
            tags=range_tags(partition_range) if partition_range else {},
        )

    return _next_stage
