"""Transform: the dbt project on DuckDB as Dagster assets, one dbt build per run."""


import json
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.lib.dbt_translator import LakehouseTranslator
from orchestration.lib.partitions import DAILY, SINGLE_RUN, dbt_window_vars
from orchestration.lib.warehouse import exclusive_writer, row_counts
from orchestration.settings import PROJECT_ROOT, Settings

DBT_PROJECT = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT / "dbt")


def dbt_vars(settings: Settings, window: dg.TimeWindow) -> dict[str, str]:
    """Everything a dbt run needs to know: where the lake and DuckDB are, which window."""
    return {
        "lake_root": settings.lake_root,
        "duckdb_path": str(settings.duckdb_path),
        **dbt_window_vars(window.start, window.end),
    }


def table_relations(manifest: dict) -> dict[str, str]:
    """unique_id -> quoted relation of every model dbt materialises as a table."""
    return {
        unique_id: f'"{node["schema"]}"."{node["alias"]}"'
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
        and node["config"].get("materialized") in ("table", "incremental", "seed")
    }


def failure_summary(events: list) -> str:
    """What a data steward needs to read when a build fails: which checks failed."""
    failed = sorted(
        f"{e.asset_key.to_user_string()}: {e.check_name}"
        for e in events
        if isinstance(e, dg.AssetCheckResult) and not e.passed
        and e.severity == dg.AssetCheckSeverity.ERROR
    )
    lines = [f"dbt build failed; nothing downstream was published, dashboards keep the "
             f"previous gold tables."]
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
    """The dbt manifest, read once for all the definitions built from it."""
    DBT_PROJECT.prepare_if_dev()  # parses the project under `dagster dev` only
    if not DBT_PROJECT.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest {DBT_PROJECT.manifest_path} is missing: run `make manifest`."
        )
    return json.loads(DBT_PROJECT.manifest_path.read_text())


def build_transform_defs(settings: Settings, manifest: dict) -> dg.Definitions:
    table_relations_by_id = table_relations(manifest)

    @dbt_assets(
        manifest=manifest,
        project=DBT_PROJECT,
        dagster_dbt_translator=LakehouseTranslator(),
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
        name="dbt_build",
    )
    def dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        settings.open_lake()  # a wrong lake credential fails here, naming its variable
        variables = dbt_vars(settings, context.partition_time_window)
        with exclusive_writer(settings.duckdb_path, context.log) as waited:
            if waited > 1:
                context.log.info(f"Waited {waited:.0f} s for the warehouse writer lock.")
            invocation = dbt.cli(
                ["build", "--vars", json.dumps(variables)], context=context, raise_on_error=False
            )
            # buffered so that row counts can be read once dbt has released the file
            events = list(invocation.stream())
            counts = row_counts(settings.duckdb_path, table_relations_by_id)
        for event in events:
            unique_id = _unique_id(event)
            if unique_id in counts:
                event = event.with_metadata({**event.metadata, "dagster/row_count": counts[unique_id]})
            yield event
        if not invocation.is_successful():
            raise dg.Failure(description=failure_summary(events), metadata={
                "dbt_log": dg.MetadataValue.path(str(invocation.target_path / "dbt.log")),
            })

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
