"""Open data end to end: the main job exports the gold tables flagged open (CSV, Parquet, DCAT-AP,
a data package) exactly as published; a table with personal data is refused by its blocking
check and nothing is written; an export reaches a portal (its local imitation)."""

import copy
import hashlib
import json
from pathlib import Path

import dagster as dg
import frictionless
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pyshacl
import pytest
from rdflib import Graph

from orchestration.platform.layout import open_data_path
from orchestration.platform.open_data_export import NO_PERSONAL_DATA, build_open_data_defs, export_open_dataset
from orchestration.platform.publish import gold_models
from orchestration.platform.transform import load_manifest
from orchestration.platform.versions import read_publication
from tests.portal import multipart_file, portal_of

pytestmark = pytest.mark.e2e
SHAPES = Path(__file__).parents[1] / "data" / "dcat-ap-3.0.0" / "dcat-ap-SHACL.ttl"
OPEN = {"culture": "gld_culture__subventions_mensuelles", "enseignement": "gld_enseignement__ecoles_ouvertes"}


def rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: tuple(map(str, r.values())))


@pytest.mark.parametrize("department", OPEN)
def test_an_open_gold_table_is_exported_exactly_with_valid_metadata(demo_built, department):
    name, lake = OPEN[department], demo_built.open_lake()
    published = read_publication(lake, department)[name]
    folder = Path(open_data_path(demo_built.lake_root, department, name))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{name}.csv", f"{name}.parquet", "dcat.ttl", "datapackage.json"]
    )

    # the data: the Parquet file is the published table, types and all; the CSV reads back to it
    parquet = pq.read_table(folder / f"{name}.parquet")
    assert parquet.schema == published.table.schema and rows(parquet) == rows(published.table)
    types = pa_csv.ConvertOptions(column_types=published.table.schema)
    assert rows(pa_csv.read_csv(folder / f"{name}.csv", convert_options=types)) == rows(published.table)

    # DCAT-AP 3.0.0: the official shapes, no inference
    conforms, _, report = pyshacl.validate(
        Graph().parse(folder / "dcat.ttl"), shacl_graph=Graph().parse(SHAPES), inference="none"
    )
    assert conforms, report

    # the data package: valid for Frictionless (the CSV's values against its schema, both files'
    # sizes and checksums), and naming the version of the gold table it comes from
    package = json.loads((folder / "datapackage.json").read_text())
    report = frictionless.validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert package["version"] == str(published.version)
    sha = {r["path"]: r["hash"] for r in package["resources"]}
    assert sha[f"{name}.csv"] == "sha256:" + hashlib.sha256((folder / f"{name}.csv").read_bytes()).hexdigest()


def test_a_gold_table_with_personal_data_is_refused_before_anything_is_written(demo_built):
    """Sport affiliations flagged open by mistake: the blocking check fails, the export fails, and
    the lake has no open-data folder for it."""
    manifest = copy.deepcopy(load_manifest())
    node = next(n for n in gold_models(manifest, "sport") if n["name"] == "gld_sport__affiliations")
    node["config"]["meta"]["open_data"] = {
        "title": "Affiliations sportives",
        "licence": "https://creativecommons.org/licenses/by/4.0/",
        "frequency": "ANNUAL",
    }
    [assets] = build_open_data_defs(manifest, "sport").assets
    result = dg.materialize(
        [assets],
        resources={"lake": demo_built.open_lake(), "settings": demo_built},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {NO_PERSONAL_DATA: False, "contract": True}
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "age_band, gender hold personal data" in failure.step_failure_data.error.message
    assert not Path(open_data_path(demo_built.lake_root, "sport", node["name"])).exists()


def test_an_export_is_pushed_to_the_portal_when_one_is_configured(demo_built, receiver):
    from dataclasses import replace

    portal = portal_of(receiver)
    settings = replace(demo_built, portal=replace(portal, themes={**portal.themes, "GOVE": "gouvernement"}))
    name, lake = OPEN["culture"], demo_built.open_lake()
    node = next(n for n in gold_models(load_manifest(), "culture") if n["name"] == name)
    export, paths, uid = export_open_dataset(lake, settings, "culture", node, read_publication(lake, "culture")[name])

    upload = next(r for r in receiver.requests if r["path"].endswith("/resources/files/"))
    file_name, content = multipart_file(upload["headers"]["Content-Type"], upload["body"])
    assert (file_name, content) == (f"{name}.csv", Path(paths[0]).read_bytes())
    assert uid and receiver.requests[-1]["path"].endswith(f"/datasets/{uid}/publish/")
    # the DCAT distributions point at the portal's exports, not at the lake, and name no size or
    # checksum: the portal serves its own export of the rows, not these bytes
    assert {d.download_url for d in export.distributions} == {
        f"{receiver.url}/api/explore/v2.1/catalog/datasets/{name}/exports/{kind}" for kind in ("csv", "parquet")
    }
    described = Path(paths[-2]).read_text() if paths[-2].endswith("dcat.ttl") else ""
    assert "exports/csv" in described and "spdx:checksum" not in described and "byteSize" not in described
