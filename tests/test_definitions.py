"""The Dagster definitions load, and their graph is what the dbt project and registry declare."""


import dagster as dg

from orchestration.defs.ingestion.assets import REGISTRY_PATH
from orchestration.definitions import build_definitions
from orchestration.lib.registry import load_registry


def ingestion_keys():
    return {spec.asset_key for spec in load_registry(REGISTRY_PATH)}


def nodes(manifest, resource_type):
    return [n for n in manifest["nodes"].values() if n["resource_type"] == resource_type]


def model_key(node):
    return dg.AssetKey([node["fqn"][1], node["name"]])


def test_every_registry_entry_is_a_partitioned_ingestion_asset(graph):
    for key in ingestion_keys():
        node = graph.get(key)
        assert node.is_materializable, key
        assert node.partitions_def is not None, key


def test_every_dbt_source_has_exactly_one_upstream_ingestion_asset(manifest, graph):
    sources = manifest["sources"].values()
    assert sources
    keys = {dg.AssetKey(["raw", s["source_name"], s["name"]]) for s in sources}
    assert keys == ingestion_keys(), "dbt sources and the ingestion registry must match"
    for key in keys:
        assert graph.get(key).is_materializable, f"{key} is not produced by an ingestion asset"


def test_every_gold_table_is_reachable_from_source_tables(manifest, graph):
    gold = [n for n in nodes(manifest, "model") if n["fqn"][1] == "gld"]
    assert len(gold) >= 2
    raw = ingestion_keys()
    for node in gold:
        ancestors = graph.upstream_key_iterator(model_key(node))
        assert raw & set(ancestors), f"{node['name']} does not read any source table"


def guarded_node(manifest, test):
    """The node a dbt test guards: its attached node, its only parent, or its meta ref."""
    if test.get("attached_node"):
        return manifest["nodes"][test["attached_node"]]
    parents = test["depends_on"]["nodes"]
    if len(parents) == 1:
        return manifest["nodes"][parents[0]]
    ref = test["config"]["meta"]["dagster"]["ref"]["name"]
    return next(n for n in manifest["nodes"].values() if n["name"] == ref)


def test_every_dbt_test_is_an_asset_check(manifest, graph):
    checks = {(key.asset_key, key.name) for key in graph.asset_check_keys}
    tests = nodes(manifest, "test")
    assert any(not t.get("attached_node") for t in tests), "singular tests are covered too"
    for test in tests:
        parent = guarded_node(manifest, test)
        owner = model_key(parent) if parent["resource_type"] == "model" else None
        if owner is None:
            owner = dg.AssetKey(["ref", parent["name"]])
        assert (owner, test["name"]) in checks, f"{test['name']} is not an asset check"
    names = {t["name"] for t in tests}
    assert len([c for c in checks if c[1] in names]) == len(tests)


def test_source_and_gold_tables_have_freshness_checks(graph):
    fresh = {key.asset_key for key in graph.asset_check_keys if "freshness" in key.name}
    expected = {
        key for key in graph.get_all_asset_keys()
        if key.path[0] in ("raw", "gld") and graph.get(key).is_materializable
    }
    assert expected and fresh == expected


def test_asset_groups_follow_the_model_folders(manifest, graph):
    for node in nodes(manifest, "model"):
        layer, domain = node["fqn"][1], node["fqn"][2]
        assert graph.get(model_key(node)).group_name == f"{layer}_{domain}"


def test_main_job_covers_every_asset(tmp_path):
    from orchestration.settings import settings_for

    definitions = build_definitions(settings_for("local", data_dir=tmp_path))
    job = definitions.resolve_job_def("main")
    assert job.partitions_def is not None
    assert set(job.asset_layer.executable_asset_keys) == set(
        definitions.get_repository_def().asset_graph.materializable_asset_keys
    )


def test_personal_data_is_tagged_where_it_flows(graph):
    tagged = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).tags.get("personal_data") == "true"
    }
    assert {"raw/sport/affiliation", "stg/stg_sport__affiliations"} <= tagged
    assert "gld/gld_culture__subventions_mensuelles" not in tagged


def test_models_link_to_their_documentation(manifest, graph):
    for node in nodes(manifest, "model"):
        link = graph.get(model_key(node)).metadata["documentation"].value
        assert link.endswith(f"static_index.html#!/model/{node['unique_id']}")


def test_ingestion_schedule_follows_the_environment_settings(tmp_path):
    from orchestration.settings import INGESTION_TIME, settings_for

    for environment in ("local", "prod"):
        definitions = build_definitions(settings_for(environment, data_dir=tmp_path))
        [schedule] = definitions.get_repository_def().schedule_defs
        hour, minute = INGESTION_TIME[environment]
        assert schedule.cron_schedule == f"{minute} {hour} * * *"
