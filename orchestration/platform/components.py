"""The platform's Dagster Components: what a department declares in YAML, validated by schema.

A department (orchestration/locations/<department>/) is a folder of `defs.yaml` files, each
naming one of these components and its attributes. Dagster validates the attributes against the
component's schema when the code location loads (an unknown key, a missing field or a value of
the wrong type is an error naming the file and line, shown in the UI); `make lint` checks the
same files with exact lines. The docstrings below are the user documentation: each asset's page
in the UI names its component and what it does, and `python -m orchestration.platform.components`
prints them with every field of their schema.
"""

from __future__ import annotations

import inspect
from typing import Literal

import dagster as dg
from pydantic import Field

from orchestration.platform.registry import load_registry


def documented(defs: dg.Definitions, component: type) -> dg.Definitions:
    """`defs` with each asset naming, in its metadata, the component that made it and what it does
    (the first line of its docstring): a data steward sees it on the asset's page."""
    summary = f"{component.__name__}: {inspect.cleandoc(component.__doc__ or '').splitlines()[0]}"
    return defs.map_asset_specs(func=lambda spec: spec.merge_attributes(metadata={"component": summary}))


class Anomalies(dg.Model):
    """How an entry's landed partitions are compared with its own history (docs/monitoring.md)."""

    severity: Literal["warn", "error"] = Field(
        "warn", description="warn: the checks warn; error: an anomaly stops the run before anything downstream."
    )
    columns: list[str] = Field(
        default_factory=list, description="Columns whose null rate and distinct count are compared too."
    )
    tolerance: float = Field(
        0.5, description="How far from the usual a count may be: 0.5 allows half to double the median of the history."
    )


class SourceTable(dg.Model):
    """One source table or Denodo view, landed in the lake as `raw/<system>/<table>`."""

    description: str = Field(description="What the table holds, for the catalogue.")
    primary_key: list[str] | str = Field(description="Its key: warned when repeated, used to page Denodo.")
    mode: Literal["snapshot", "incremental"] = Field(
        description="snapshot: a reference table copied whole at each run, under the day it was "
        "taken; incremental: facts, one partition per day of `partition_by`."
    )
    cursor: str | None = Field(None, description="incremental: the change time (or business date) read by a run.")
    partition_by: str | None = Field(
        None, description="incremental: the date column whose day is a row's partition (default: the cursor)."
    )
    lookback_days: int = Field(
        0, description="incremental: also re-read the changes of this many days before the window."
    )
    grain: Literal["day", "month"] = Field("day", description="One lake partition per day (default) or per month.")
    schema_policy: Literal["evolve", "freeze"] = Field(
        "evolve", description="evolve: new or dropped columns land and are reported; freeze: any change stops the run."
    )
    personal_data: dict[str, str | dict[str, str]] = Field(
        default_factory=dict,
        description="Each column that would identify a person, with its policy, applied before the lake: "
        "`pseudonymise`, `drop`, `{generalise: year}`, `{generalise: province}` or `{keep: <legal basis>}` "
        "(docs/personal-data.md).",
    )
    retention_days: int | None = Field(
        None, description="How long its lake partitions are kept; `make retention` deletes older ones (audited)."
    )
    owner: str | None = Field(None, description="Who answers for the table (default: the system's owner).")
    connection: str | None = Field(
        None, description="An entry of orchestration/connections.yml (default: the system's)."
    )
    table: str | None = Field(
        None, description="The table's name in the source, when it differs from the entry's name."
    )
    schema_: str | None = Field(None, alias="schema", description="The source schema of `table`.")
    query: str | None = Field(None, description="A SELECT read instead of a table.")
    anomalies: Anomalies | None = Field(
        None, description="Anomaly checks against the table's history: severity, columns, tolerance."
    )


class SourceSystem(dg.Model):
    """A source system (a database or Denodo) and the tables landed from it."""

    owner: str | None = Field(None, description="The data steward who answers for the system's tables.")
    connection: str | None = Field(
        None, description="An entry of orchestration/connections.yml (default: the system's name)."
    )
    description: str | None = None
    tables: dict[str, SourceTable] = Field(description="One entry per table or view, by its name in the lake.")


class SourceSystems(dg.Component, dg.Model, dg.Resolvable):
    """Import source tables and Denodo views into the lake, one asset per entry.

    Each entry under `systems.<system>.tables` becomes the asset `raw/<system>/<table>`, which
    extracts the table through the connection named in orchestration/connections.yml and stores
    it in the lake as Hive-partitioned Parquet (`<lake>/<system>/<table>/partition_date=<day>/`),
    exactly or not at all: a value that cannot travel unchanged stops the run and names the
    column and the fix (docs/extraction.md). Each asset reports its rows, bytes, schema changes,
    watermark and repeated keys as metadata, and the table in its source system appears
    upstream of it, where lineage starts.

    Keys of an entry: `description`, `primary_key` and `mode` (required); `cursor`,
    `partition_by`, `lookback_days`, `grain` (incremental tables); `schema_policy`,
    `personal_data`, `owner`, `connection`, `anomalies`; `table`/`schema` or `query` to read something other
    than the table of the entry's name. Credentials never go here.
    """

    systems: dict[str, SourceSystem] = Field(description="Source system name -> its owner and tables.")

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        from orchestration.platform.ingestion import build_ingestion_defs

        # the schema above validated the shape; the registry adds the rules between keys and
        # the exact line of each entry for messages
        return documented(build_ingestion_defs(load_registry(context.path / "defs.yaml")), SourceSystems)


class DbtModels(dg.Component, dg.Model, dg.Resolvable):
    """Build a department's dbt models on DuckDB, write-audit-publish.

    The department's models are those whose dbt `database` is the department (set per folder in
    dbt_project.yml: `+database: <department>`); they are built in the department's own
    warehouse file, which attaches the warehouses it reads (the reference data) read-only. One
    asset per model, with its dbt tests as asset checks; one `dbt build` per partition grain
    and run (daily, monthly, current), over the run's window. A failing blocking test fails the
    build, so nothing downstream is published.
    """

    department: str = Field(description="The department whose models these are (its dbt `database`).")

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:  # noqa: ARG002
        from orchestration.platform.transform import build_transform_defs, load_manifest

        return documented(build_transform_defs(load_manifest(), (self.department,)), DbtModels)


class Publication(dg.Component, dg.Model, dg.Resolvable):
    """Publish a department's gold tables for dashboards and BI tools, and its dashboards.

    One asset `serving/<model>` per gold model of the department, published together after the
    run's dbt builds and their checks passed: the lake (`gold/<department>/`, a new version of each
    rebuilt table and one commit to the department's log of publications), the serving DuckDB file
    the dashboards read, and optionally a PostgreSQL schema. One asset `dashboard/<page>` per dbt
    exposure that reads those tables, with its URL. One asset `open_data/<model>` per gold model
    flagged open (`meta.open_data`), exported and pushed to the open-data portal.
    """

    department: str = Field(description="The department whose gold tables are published.")

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:  # noqa: ARG002
        from orchestration.platform.open_data_export import build_open_data_defs
        from orchestration.platform.publish import build_publish_defs
        from orchestration.platform.transform import load_manifest

        manifest = load_manifest()
        published = [build_publish_defs(manifest, self.department), build_open_data_defs(manifest, self.department)]
        return documented(dg.Definitions.merge(*published), Publication)


def describe(component: type[dg.Model]) -> str:
    """A component's documentation: its docstring, then each field of its schema."""
    lines = [f"## {component.__name__}", "", inspect.cleandoc(component.__doc__ or ""), ""]
    models = [component, *(m for m in (SourceSystem, SourceTable, Anomalies) if component is SourceSystems)]
    for model in models:
        lines.append(f"{model.__name__} fields:")
        for name, field in model.model_fields.items():
            required = (
                "required" if field.is_required() else f"default {field.get_default(call_default_factory=True)!r}"
            )
            lines.append(f"  {field.alias or name:<15} {field.description or ''} ({required})")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m orchestration.platform.components: the components' docs
    for component in (SourceSystems, DbtModels, Publication):
        print(describe(component))
