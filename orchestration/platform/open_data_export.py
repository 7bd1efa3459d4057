"""The open-data export: one asset `open_data/<model>` per gold model flagged open (open_data.py).

It sits downstream of the table's publication (`serving/<model>`, publish.py), so it runs only
when the gold table passed its checks and was published. Its two blocking checks are evaluated
before anything is written: a table with personal data, or that breaks its contract, is not
exported nor pushed, and its previous export stays as it was. An export writes, in the lake,
the CSV and Parquet, `dcat.ttl` and `datapackage.json` (dcat.py), then pushes to the open-data
portal when one is configured (portal.py). docs/open-data.md is the stewards' guide.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.platform.dbt_translator import DEPARTMENT, TRANSLATOR
from orchestration.platform.dcat import data_package, dcat_document
from orchestration.platform.lake import Lake
from orchestration.platform.layout import open_data_path
from orchestration.platform.lineage import columns_from
from orchestration.platform.open_data import (
    Export,
    contract_problems,
    distributions,
    export_files,
    fields,
    is_open,
    metadata_problems,
    open_dataset,
    personal_problems,
    temporal_coverage,
)
from orchestration.platform.portal import push
from orchestration.platform.publish import Manifest, gold_models, serving_key
from orchestration.platform.registry import personal_source_columns
from orchestration.platform.serving import Published
from orchestration.platform.settings import Settings
from orchestration.platform.versions import read_publication

NO_PERSONAL_DATA, CONTRACT = "no_personal_data", "contract"


def open_data_key(model_name: str) -> dg.AssetKey:
    return dg.AssetKey(["open_data", model_name])


def build_open_data_defs(manifest: Manifest, department: str) -> dg.Definitions:
    """One asset `open_data/<model>` per gold model of the department flagged open, downstream
    of its publication, with two blocking checks evaluated before anything is written: a table
    with personal data or that breaks its contract is not exported (nor pushed), and the
    previous export stays as it was."""
    models = {open_data_key(n["name"]): n for n in gold_models(manifest, department) if is_open(n)}
    if not models:
        return dg.Definitions()
    specs = [
        dg.AssetSpec(
            key,
            deps=[serving_key(node["name"])],
            description=f"{node['name']} as open data: CSV, Parquet, its DCAT-AP 3.0 description and a "
            "Frictionless data package; pushed to the open-data portal when one is configured.",
            group_name="open_data",
            owners=TRANSLATOR.get_owners(node),
            tags={DEPARTMENT: department},
            kinds={"csv", "parquet"},
            skippable=True,
        )
        for key, node in models.items()
    ]
    checks = [
        spec
        for key in models
        for spec in (
            dg.AssetCheckSpec(
                NO_PERSONAL_DATA,
                asset=key,
                blocking=True,
                description="No column holds personal data: tags, declarations, column lineage, values.",
            ),
            dg.AssetCheckSpec(
                CONTRACT,
                asset=key,
                blocking=True,
                description="The contract's columns, order and types, and the open-data metadata of the YAML.",
            ),
        )
    ]

    @dg.multi_asset(specs=specs, check_specs=checks, name=f"open_data_{department}", can_subset=True)
    def export_open_data(
        context: dg.AssetExecutionContext, lake: dg.ResourceParam[Lake], settings: dg.ResourceParam[Settings]
    ):
        published = read_publication(lake, department)
        personal_sources = personal_source_columns()
        refused = []
        for key in sorted(context.selected_asset_keys, key=str):
            node = models[key]
            if node["name"] not in published:
                continue  # never published: nothing to export yet
            table = published[node["name"]]
            personal = personal_problems(node, columns_from(manifest, node["unique_id"], personal_sources), table.table)
            contract = metadata_problems(node) + contract_problems(table.table, node)
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=NO_PERSONAL_DATA,
                passed=not personal,
                metadata={"problems": "; ".join(personal)},
            )
            yield dg.AssetCheckResult(
                asset_key=key, check_name=CONTRACT, passed=not contract, metadata={"problems": "; ".join(contract)}
            )
            if personal or contract:  # the department's other open tables are still exported
                refused.append(f"{node['name']}: " + " ".join(personal + contract))
                continue
            export, paths, uid = export_open_dataset(lake, settings, department, node, table)
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": export.rows,
                    "gold_version": export.version,
                    "temporal": " to ".join(d.isoformat() for d in export.temporal) if export.temporal else "",
                    "files": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in paths)),
                    "portal": f"{settings.portal.url} (dataset uid {uid})" if settings.portal else "not configured",
                },
            )
        if refused:
            raise dg.Failure(
                description="Not exported as open data (the previous export of each is unchanged): "
                + " ".join(refused)
                + " Fix the YAML or SQL; `make lint` shows the same."
            )

    return dg.Definitions(assets=[export_open_data])


def export_open_dataset(
    lake: Lake, settings: Settings, department: str, node: Mapping[str, Any], published: Published
) -> tuple[Export, list[str], str | None]:
    """Write an open gold table's export in the lake (the data files first, their descriptions
    last), then push it to the portal if one is configured; the export, its paths, the portal's uid."""
    dataset = open_dataset(node)
    files = export_files(published.table, dataset.identifier)
    folder = open_data_path(lake.fs_root, department, dataset.identifier)
    if settings.portal:  # the portal serves the downloads
        exports = f"{settings.portal.url}/api/explore/v2.1/catalog/datasets/{dataset.identifier}/exports"
        urls = {name: f"{exports}/{name.rsplit('.', 1)[-1]}" for name in files}
        catalogue, served_as_is = settings.portal.url, False  # the portal serves its own export of the rows
    else:  # they stay in the lake
        location = open_data_path(lake.root, department, dataset.identifier)
        urls = {name: _uri(f"{location}/{name}") for name in files}
        catalogue, served_as_is = _uri(open_data_path(lake.root, department, "").rstrip("/")), True
    export = Export(
        dataset=dataset,
        fields=fields(node),
        rows=published.table.num_rows,
        modified=published.published_at,
        version=str(published.version),
        temporal=temporal_coverage(published.table, node, published.data_as_of),
        distributions=distributions(files, urls, served_as_is),
    )
    descriptions = {
        "dcat.ttl": dcat_document(export, catalogue).encode(),
        "datapackage.json": json.dumps(data_package(export), indent=2, ensure_ascii=False).encode(),
    }
    for name, content in {**files, **descriptions}.items():
        lake.publish_bytes(f"{folder}/{name}", content)
    uid = push(settings.portal, export, files) if settings.portal else None
    return export, [f"{folder}/{name}" for name in {**files, **descriptions}], uid


def _uri(location: str) -> str:
    return location if "://" in location else Path(location).as_uri()
