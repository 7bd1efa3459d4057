"""The single entry point of the Dagster code: gathers the domains and applies global policy.

`dagster dev -m orchestration.definitions` loads `defs`; tests call `build_definitions`
with their own settings. Policy applied here, once, to every asset:
* code references to the Python or SQL that defines it;
* automation: ingestion runs on the `ingestion` schedule; everything downstream (dbt,
  publication, dashboards) is eager: a partition is rebuilt as soon as one of its inputs
  was updated (declarative automation, so late rows and backfills propagate by themselves);
* freshness: the newest daily partition of every source table and gold table must be
  materialised by the morning deadline, checked by a sensor.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingestion.assets import build_ingestion_defs
from orchestration.defs.publish.assets import build_publish_defs
from orchestration.defs.transform.assets import build_transform_defs, load_manifest
from orchestration.settings import Settings, load_settings

SCHEDULED_PREFIX = "raw"  # ingestion assets: on a schedule; the rest follows them
FRESHNESS_PREFIXES = ("raw", "gld")
FRESHNESS_DEADLINE_CRON = "0 7 * * *"  # the previous day's partition must be there by 07:00
TIMEZONE = "Europe/Brussels"

MAIN_JOB = dg.define_asset_job(
    "main",
    selection=dg.AssetSelection.all(),
    description="Extract every source table into the lake, then build and test the dbt project.",
)
INGESTION_JOB = dg.define_asset_job(
    "ingestion",
    selection=dg.AssetSelection.key_prefixes(SCHEDULED_PREFIX),
    description="Extract every source table into the lake (downstream assets follow by automation).",
)


def build_definitions(settings: Settings) -> dg.Definitions:
    manifest = load_manifest()
    domains = dg.Definitions.merge(
        build_ingestion_defs(),
        build_transform_defs(settings, manifest),
        build_publish_defs(settings, manifest),
    )
    assets = dg.with_source_code_references(list(domains.assets or []))
    assets = [
        a.map_asset_specs(_automation_policy)
        if isinstance(a, dg.AssetsDefinition) and a.is_executable
        else a
        for a in assets
    ]
    keys = [k for a in assets for k in (a.keys if isinstance(a, dg.AssetsDefinition) else [a.key])]
    # Kept deliberately although Dagster marks them superseded by FreshnessPolicy: that policy
    # is evaluated per asset, not per partition (a backfill of an old day would look fresh), and
    # is still a preview behind `freshness: enabled` (dagster-io/dagster discussion #34023).
    freshness_checks = dg.build_time_partition_freshness_checks(
        assets=[key for key in keys if key.path[0] in FRESHNESS_PREFIXES],
        deadline_cron=FRESHNESS_DEADLINE_CRON,
        timezone=TIMEZONE,
        severity=dg.AssetCheckSeverity.WARN,
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=freshness_checks,
        jobs=[MAIN_JOB, INGESTION_JOB],
        schedules=[
            dg.build_schedule_from_partitioned_job(  # settings.INGESTION_TIME, per environment
                INGESTION_JOB,
                hour_of_day=settings.ingestion_time[0],
                minute_of_hour=settings.ingestion_time[1],
            )
        ],
        sensors=[
            dg.build_sensor_for_freshness_checks(
                freshness_checks=freshness_checks, name="freshness_checks_sensor"
            ),
        ],
        resources={
            **(domains.resources or {}),
            # opened per step, before it reads anything: a wrong credential fails here, clearly
            "lake": dg.ResourceDefinition(resource_fn=lambda _: settings.open_lake()),
            "settings": settings,
        },
    )


def _automation_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    if spec.key.path[0] == SCHEDULED_PREFIX:
        return spec
    return spec.replace_attributes(automation_condition=dg.AutomationCondition.eager())


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
