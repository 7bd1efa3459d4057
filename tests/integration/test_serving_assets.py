"""The publish and dashboard assets: what the dbt manifest (gold models, exposures) declares,
and every exposure is a page of the dashboard that reads the gold table it depends on."""

import dagster as dg

from dashboard.views import VIEWS


def test_every_gold_model_is_published_after_it_is_built(manifest, graph):
    gold = [n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "gld"]
    assert gold
    for name in gold:
        node = graph.get(dg.AssetKey(["serving", name]))
        assert node.is_materializable
        assert set(node.parent_keys) == {dg.AssetKey(["gld", name])}


def test_every_exposure_is_a_dashboard_asset_downstream_of_its_gold_tables(manifest, graph):
    exposures = manifest["exposures"].values()
    assert len(exposures) == len(VIEWS)
    for exposure in exposures:
        node = graph.get(dg.AssetKey(["dashboard", exposure["name"]]))
        assert node.metadata["url"].value == exposure["url"]
        gold = {dg.AssetKey(["gld", manifest["nodes"][n]["name"]]) for n in exposure["depends_on"]["nodes"]}
        assert gold and gold <= set(graph.upstream_key_iterator(node.key))


def test_every_exposure_is_a_page_reading_the_tables_it_declares(manifest):
    pages = {view.PAGE: view.TABLE for view in VIEWS}
    for exposure in manifest["exposures"].values():
        assert exposure["url"].rstrip("/").rsplit("/", 1)[-1] == exposure["name"]
        assert exposure["name"] in pages, f"no dashboard page serves exposure {exposure['name']}"
        depends_on = {manifest["nodes"][n]["name"] for n in exposure["depends_on"]["nodes"]}
        assert depends_on == {pages[exposure["name"]]}
