"""How dbt nodes become Dagster assets: one rule, the same as macros/generate_schema_name.sql.

A model's folder path under dbt/models is `<layer>/<domain>/`: its relation is
`<layer>.<model>`, its asset key `[<layer>, <model>]`, its group `<layer>_<domain>`.
Seeds are `[ref, <seed>]`. A dbt source is the ingestion asset that lands that table in the
lake (`[raw, <system>, <table>]`), so lineage runs unbroken from source table to gold table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.platform.registry import raw_asset_key

DEPARTMENT = "department"  # the tag that names the department (code location) owning an asset
# `make docs` writes the dbt documentation site as one self-contained file, and serves it
DOCS_PAGE = "static_index.html"
DOCUMENTATION = "documentation"  # the metadata key of a model's link to its page of the site


class LakehouseTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=True))

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

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The dbt description alone: dagster-dbt appends the model's raw SQL, which the asset's
        code reference opens where it is written."""
        description = (dbt_resource_props.get("description") or "").strip()
        return description or f"dbt {dbt_resource_props['resource_type']} {dbt_resource_props['name']}"

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        """dbt's test as a check, described by what it checks when its YAML gives no description."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_test(manifest["nodes"][unique_id]))

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        """dbt tags, the department that owns the model, and `personal_data` when a column is tagged `personal`: the UI can then
        show where personal data flows."""
        tags = dict(super().get_tags(dbt_resource_props))
        if dbt_resource_props["resource_type"] in ("model", "seed"):
            tags[DEPARTMENT] = dbt_resource_props["database"]  # `+database:` in dbt_project.yml
        if personal_columns(dbt_resource_props):
            tags["personal_data"] = "true"
        return tags

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        if columns := personal_columns(dbt_resource_props):
            metadata["personal_data_columns"] = ", ".join(columns)
        if dbt_resource_props["resource_type"] in ("model", "seed"):
            # the site's address depends on the environment: definitions.py completes the link
            metadata[DOCUMENTATION] = docs_page(dbt_resource_props)
        return metadata

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owner = (dbt_resource_props.get("config", {}).get("meta") or {}).get("owner")
        owner = owner or (dbt_resource_props.get("meta") or {}).get("owner")
        return [owner] if owner else super().get_owners(dbt_resource_props)


TRANSLATOR = LakehouseTranslator()  # one instance for every module that maps nodes to assets


def docs_page(dbt_resource_props: Mapping[str, Any]) -> str:
    """A node's page in the dbt documentation site, relative to the site's address."""
    return f"{DOCS_PAGE}#!/{dbt_resource_props['resource_type']}/{dbt_resource_props['unique_id']}"


def describe_test(test: Mapping[str, Any]) -> str:
    """What a dbt test checks, in a sentence, from its name and arguments."""
    if (test.get("description") or "").strip():
        return test["description"].strip()
    metadata = test.get("test_metadata") or {}
    name, arguments = metadata.get("name"), metadata.get("kwargs") or {}
    column = arguments.get("column_name")
    if name == "not_null":
        return f"`{column}` is never NULL."
    if name == "unique":
        return f"`{column}` is unique: no two rows share a value."
    if name == "accepted_values":
        return f"`{column}` is one of: {', '.join(map(str, arguments.get('values', [])))}."
    if name == "relationships":
        target = re.search(r"""ref\(['"]([^'"]+)['"]\)""", str(arguments.get("to", "")))
        where = f"{target.group(1)}.{arguments.get('field')}" if target else arguments.get("to")
        return f"Every `{column}` exists in `{where}`."
    if name == "unique_combination_of_columns":
        return f"One row per ({', '.join(arguments.get('combination_of_columns', []))})."
    if name:
        return f"dbt test `{name}`" + (f" on `{column}`" if column else "") + "."
    return f"Fails on every row that the query of dbt/tests/{test['name']}.sql returns."


def personal_columns(dbt_resource_props: Mapping[str, Any]) -> list[str]:
    return [
        name
        for name, column in (dbt_resource_props.get("columns") or {}).items()
        if "personal" in (column.get("tags") or []) + ((column.get("config") or {}).get("tags") or [])
    ]


def layer(dbt_resource_props: Mapping[str, Any]) -> str:
    """The layer of a model: its first folder under dbt/models (stg, int or gld)."""
    return dbt_resource_props["fqn"][1]
