"""Transform: the dbt project on DuckDB as Dagster assets, one dbt build per run."""


import json
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.lib.dbt_translator import LakehouseTranslator
from orchestration.lib.partitions import DAILY, SINGLE_RUN, dbt_window_vars
from orchestration.settings import PROJECT_ROOT, Settings

DBT_PROJECT = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT / "dbt")


def dbt_vars(settings: Settings, window: dg.TimeWindow) -> dict[str, str]:
    """Everything a dbt run needs to know: where the lake and DuckDB are, which window."""
    return {
        "lake_root": settings.lake_root,
        "duckdb_path": str(settings.duckdb_path),
        **dbt_window_vars(window.start, window.end),
    }


def build_transform_defs(settings: Settings) -> dg.Definitions:
    DBT_PROJECT.prepare_if_dev()  # parses the project under `dagster dev` only
    if not DBT_PROJECT.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest {DBT_PROJECT.manifest_path} is missing: run `make manifest`."
        )

    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path,
        project=DBT_PROJECT,
        dagster_dbt_translator=LakehouseTranslator(),
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
        name="dbt_build",
    )
    def dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        variables = dbt_vars(settings, context.partition_time_window)
        yield from dbt.cli(["build", "--vars", json.dumps(variables)], context=context).stream()

    return dg.Definitions(
        assets=[dbt_build],
        resources={
            "dbt": DbtCliResource(
                project_dir=DBT_PROJECT,
                target=settings.dbt_target,
                # the dbt of this interpreter's environment, whether or not it is on PATH
                dbt_executable=str(Path(sys.executable).parent / "dbt"),
            )
        },
    )
