"""The single entry point of the Dagster code: gathers the domains and applies global policy.

`dagster dev -m orchestration.definitions` loads `defs`; tests call `build_definitions`
with their own settings.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingestion.assets import build_ingestion_defs
from orchestration.defs.transform.assets import build_transform_defs
from orchestration.lib.lake import Lake
from orchestration.settings import Settings, load_settings

MAIN_JOB = dg.define_asset_job(
    "main",
    selection=dg.AssetSelection.all(),
    description="Extract every source table into the lake, then build and test the dbt project.",
)


def build_definitions(settings: Settings) -> dg.Definitions:
    domains = dg.Definitions.merge(build_ingestion_defs(), build_transform_defs(settings))
    return dg.Definitions(
        # global policy: every asset links to the code that defines it
        assets=dg.with_source_code_references(list(domains.assets or [])),
        jobs=[MAIN_JOB],
        resources={
            **(domains.resources or {}),
            "lake": Lake(settings.lake_root),
            "settings": settings,
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
