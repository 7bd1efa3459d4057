"""How dbt nodes become Dagster assets: one rule, the same as macros/generate_schema_name.sql.

A model's folder path under dbt/models is `<layer>/<domain>/`: its relation is
`<layer>.<model>`, its asset key `[<layer>, <model>]`, its group `<layer>_<domain>`.
Seeds are `[ref, <seed>]`. A dbt source is the ingestion asset that lands that table in the
lake (`[raw, <system>, <table>]`), so lineage runs unbroken from source table to gold table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.lib.registry import raw_asset_key


class LakehouseTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_code_references=True
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        kind = dbt_resource_props["resource_type"]
        if kind == "source":
            return raw_asset_key(dbt_resource_props["source_name"], dbt_resource_props["name"])
        if kind == "model":
            return dg.AssetKey([layer(dbt_resource_props), dbt_resource_props["name"]])
        if kind == "seed":
            return dg.AssetKey(["ref", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            fqn = dbt_resource_props["fqn"]
            return "_".join(fqn[1:-1])
        if dbt_resource_props["resource_type"] == "seed":
            return "ref"
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owner = (dbt_resource_props.get("config", {}).get("meta") or {}).get("owner")
        owner = owner or (dbt_resource_props.get("meta") or {}).get("owner")
        return [owner] if owner else super().get_owners(dbt_resource_props)


def layer(dbt_resource_props: Mapping[str, Any]) -> str:
    """The layer of a model: its first folder under dbt/models (stg, int or gld)."""
    return dbt_resource_props["fqn"][1]
