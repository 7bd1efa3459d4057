"""Publish: the gold tables into the serving layer, and the dashboards that read them.

`serving/<model>`: one asset per gold model, all published by one step after `dbt build` and
its checks succeeded (a failing check fails that step, so nothing is published). The step
writes the lake's Parquet, the serving file and, when configured, the PostgreSQL schema.

`dashboard/<exposure>`: one asset per dbt exposure (a page of the dashboard), downstream of
the published tables it reads, with its URL. dagster-dbt does not turn exposures into
assets, so they are built here from the manifest. Materialising them opens the serving file
as the dashboard does and records what each page now shows (tables, rows, published_at).
"""

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import dagster as dg

from orchestration.defs.publish.serving import (
    PUBLISHED,
    connect_read_only,
    publish_parquet,
    publish_postgres,
    publish_serving_file,
    read_gold,
)
from orchestration.lib.dbt_translator import LakehouseTranslator, layer
from orchestration.lib.lake import Lake
from orchestration.lib.partitions import DAILY, SINGLE_RUN
from orchestration.lib.warehouse import exclusive_writer
from orchestration.settings import Settings

Manifest = Mapping[str, Any]
TRANSLATOR = LakehouseTranslator()


def gold_models(manifest: Manifest) -> list[Mapping[str, Any]]:
    return sorted(
        (n for n in manifest["nodes"].values() if n["resource_type"] == "model" and layer(n) == "gld"),
        key=lambda n: n["name"],
    )


def serving_key(model_name: str) -> dg.AssetKey:
    return dg.AssetKey(["serving", model_name])


def serving_specs(manifest: Manifest) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            serving_key(node["name"]),
            deps=[TRANSLATOR.get_asset_key(node)],
            description=f"{node['name']} as published for dashboards and BI tools.",
            group_name="serving",
            owners=TRANSLATOR.get_owners(node),
            kinds={"duckdb", "parquet"},
        )
        for node in gold_models(manifest)
    ]


def dashboard_specs(manifest: Manifest) -> list[dg.AssetSpec]:
    """One asset per dbt exposure, downstream of the published gold tables it depends on."""
    return [
        dg.AssetSpec(
            dg.AssetKey(["dashboard", exposure["name"]]),
            deps=[
                serving_key(manifest["nodes"][node_id]["name"])
                for node_id in exposure["depends_on"]["nodes"]
            ],
            description=exposure.get("description"),
            group_name="dashboard",
            owners=[exposure["owner"]["email"]] if exposure["owner"].get("email") else None,
            kinds={"streamlit"},
            metadata={
                "label": exposure.get("label") or exposure["name"],
                "url": dg.MetadataValue.url(exposure["url"]),
                "dagster/uri": exposure["url"],
            },
        )
        for exposure in sorted(manifest["exposures"].values(), key=lambda e: e["name"])
    ]


def build_publish_defs(settings: Settings, manifest: Manifest) -> dg.Definitions:
    names = [node["name"] for node in gold_models(manifest)]

    @dg.multi_asset(
        specs=serving_specs(manifest),
        name="publish_gold",
        partitions_def=DAILY,  # runs in the same run as the dbt build it follows
        backfill_policy=SINGLE_RUN,
    )
    def publish_gold(context: dg.AssetExecutionContext, lake: dg.ResourceParam[Lake]):
        config = settings.serving
        with exclusive_writer(settings.duckdb_path, context.log):  # no dbt build writes meanwhile
            tables = read_gold(settings.duckdb_path, names)
        published_at = datetime.now(timezone.utc)
        parquet = publish_parquet(lake, tables)
        publish_serving_file(config.path, tables, published_at)
        if config.postgres_dsn:
            publish_postgres(config.postgres_dsn, config.postgres_schema, tables, published_at)
        context.log.info(f"Published {len(tables)} gold tables to {config.path}")
        for name, table in tables.items():
            yield dg.MaterializeResult(
                asset_key=serving_key(name),
                metadata={
                    "dagster/row_count": table.num_rows,
                    "published_at": dg.MetadataValue.timestamp(published_at),
                    "serving_file": dg.MetadataValue.path(str(config.path)),
                    "parquet": dg.MetadataValue.path(parquet[name]),
                    "postgres": (
                        f"{config.postgres_schema}.{name}" if config.postgres_dsn else "not configured"
                    ),
                },
            )

    @dg.multi_asset(
        specs=dashboard_specs(manifest),
        name="dashboards",
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
    )
    def dashboards(context: dg.AssetExecutionContext):
        path = settings.serving.path
        with connect_read_only(path) as connection:
            published = {
                name: (rows, at)
                for name, rows, at in connection.execute(
                    f"select table_name, row_count, published_at from gld.{PUBLISHED}"
                ).fetchall()
            }
        for key in context.selected_asset_keys:
            tables = [dep.asset_key.path[-1] for dep in context.assets_def.specs_by_key[key].deps]
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "tables": ", ".join(tables),
                    "rows": sum(published[t][0] for t in tables),
                    "published_at": dg.MetadataValue.timestamp(min(published[t][1] for t in tables)),
                },
            )

    return dg.Definitions(assets=[publish_gold, dashboards])
