"""The Dagster definitions load, and their graph is what the dbt project and registry declare."""

import dagster as dg

from orchestration.platform.dbt_translator import LakehouseTranslator
from orchestration.platform.definitions import build_definitions
from orchestration.platform.partitions import DAILY, MONTHLY
from orchestration.platform.registry import load_all
from orchestration.platform.settings import settings_for


def ingestion_keys():
    return {spec.asset_key for spec in load_all()}


def nodes(manifest, resource_type):
    return [n for n in manifest["nodes"].values() if n["resource_type"] == resource_type]


def model_key(node):
    return dg.AssetKey([node["fqn"][1], node["name"]])


def test_partitions_are_those_a_reader_recognises(manifest, graph):
    """The partition model (orchestration/platform/partitions.py): facts by day, monthly figures by
    month, and no partitions on what is a current state."""

    def partitions(key):
        return graph.get(key).partitions_def

    for spec in load_all():
        expected = {"incremental": DAILY, "snapshot": None}[spec.mode]
        assert graph.get(spec.asset_key).is_materializable, spec.asset_key
        assert partitions(spec.asset_key) == expected, spec.asset_key
    for node in nodes(manifest, "model"):
        expected = {"day": DAILY, "month": MONTHLY, None: None}[node["config"].get("batch_size")]
        assert partitions(model_key(node)) == expected, node["name"]
    by_partitions = {
        key.to_user_string(): {DAILY: "day", MONTHLY: "month", None: "-"}[partitions(key)]
        for key in graph.executable_asset_keys
        if key.path[0] != "source"
    }
    assert by_partitions["gld/gld_culture__subventions_mensuelles"] == "month"
    for current in (
        "gld/gld_enseignement__ecoles_ouvertes",
        "gld/gld_culture__operateurs_par_commune",
        "gld/gld_sport__affiliations",
        "raw/denodo/bv_commune",
        "ref/ref_provinces",
        "serving/gld_culture__subventions_mensuelles",
        "dashboard/culture_subventions",
    ):
        assert by_partitions[current] == "-", current
    for facts in ("raw/subventions/paiement", "stg/stg_subventions__paiements", "int/int_culture__paiements"):
        assert by_partitions[facts] == "day", facts
    # no grain but these three: nothing is partitioned by a meaningless day
    assert set(by_partitions.values()) == {"day", "month", "-"}


def test_a_month_of_gold_depends_on_the_days_of_its_facts(graph):
    gold = graph.get(dg.AssetKey(["gld", "gld_culture__subventions_mensuelles"]))
    payments = dg.AssetKey(["int", "int_culture__paiements"])
    mapped = graph.get_parent_partition_keys_for_child("2026-02-01", payments, gold.key)
    days = sorted(mapped.partitions_subset.get_partition_keys())
    assert days[0] == "2026-02-01" and days[-1] == "2026-02-28" and len(days) == 28


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
        key for key in graph.get_all_asset_keys() if key.path[0] in ("raw", "gld") and graph.get(key).is_materializable
    }
    assert expected and fresh == expected


def test_asset_groups_follow_the_model_folders(manifest, graph):
    for node in nodes(manifest, "model"):
        layer, domain = node["fqn"][1], node["fqn"][2]
        assert graph.get(model_key(node)).group_name == f"{layer}_{domain}"


def test_the_stage_jobs_cover_every_asset_once(tmp_path):
    from orchestration.platform.settings import settings_for

    definitions = build_definitions(settings_for("local", data_dir=tmp_path))
    daily, monthly = (definitions.resolve_job_def(name) for name in ("daily", "monthly"))
    assert (daily.partitions_def, monthly.partitions_def) == (DAILY, MONTHLY)
    selected = [set(job.asset_layer.executable_asset_keys) for job in (daily, monthly)]
    assert not selected[0] & selected[1]
    assert selected[0] | selected[1] == set(definitions.get_repository_def().asset_graph.materializable_asset_keys)
    sensor = definitions.get_repository_def().get_sensor_def("next_stage_sensor")
    assert sensor is not None


def test_the_stage_jobs_run_the_blocking_checks_and_leave_freshness_to_its_sensor(tmp_path):
    """A run over a past window (the demo's sample, a backfill) must not be judged overdue at its
    end: freshness is evaluated against the calendar by freshness_checks_sensor only."""
    definitions = build_definitions(settings_for("local", data_dir=tmp_path))
    run_checks = {
        key
        for name in ("daily", "monthly")
        for key in definitions.resolve_job_def(name).asset_layer.asset_graph.asset_check_keys
    }
    freshness = {key for key in definitions.resolve_asset_graph().asset_check_keys if key.name == "freshness_check"}
    assert freshness and not run_checks & freshness
    assert any(key.name.startswith("not_null") for key in run_checks)


def test_personal_data_is_tagged_where_it_flows(graph):
    tagged = {
        key.to_user_string() for key in graph.get_all_asset_keys() if graph.get(key).tags.get("personal_data") == "true"
    }
    assert {"raw/sport/affiliation", "stg/stg_sport__affiliations"} <= tagged
    assert "gld/gld_culture__subventions_mensuelles" not in tagged


def test_models_link_to_their_documentation(manifest, graph):
    for node in nodes(manifest, "model"):
        link = graph.get(model_key(node)).metadata["documentation"].value
        # served over HTTP (make docs) at the environment's address, never a file:// path
        assert link == f"http://127.0.0.1:8080/static_index.html#!/model/{node['unique_id']}"


def test_ingestion_schedule_follows_the_environment_settings(tmp_path):
    from orchestration.platform.settings import INGESTION_TIME, settings_for

    for environment in ("local", "prod"):
        definitions = build_definitions(settings_for(environment, data_dir=tmp_path))
        [schedule] = [s for s in definitions.get_repository_def().schedule_defs if s.name != "retention_schedule"]
        hour, minute = INGESTION_TIME[environment]
        assert schedule.cron_schedule == f"{minute} {hour} * * *"


def test_descriptions_are_words_not_sql_and_every_dbt_check_says_what_it_checks(manifest, graph):
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            description = graph.get(LakehouseTranslator().get_asset_key(node)).description
            assert description == node["description"].strip(), node["name"]
            assert "```" not in description and "select " not in description.lower(), node["name"]
    checks = {key.name: graph.get_check_spec(key).description for key in graph.asset_check_keys}
    dbt_tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert all(checks[test["name"]] for test in dbt_tests)
    relationship = next(n["name"] for n in dbt_tests if n["name"].startswith("relationships_int_culture__paiements"))
    assert checks[relationship] == "Every `request_id` exists in `int_culture__demandes.request_id`."
    assert checks[
        "unique_combination_of_columns_gld_culture__subventions_mensuelles_month__sector_code__province_code"
    ] == ("One row per (month, sector_code, province_code).")
    singular = checks["assert_gold_paid_amount_matches_payments"]
    assert singular.endswith("dbt/tests/assert_gold_paid_amount_matches_payments.sql returns.")


def test_dashboard_links_follow_the_environment_and_gold_tables_link_to_their_pages(tmp_path):
    settings = settings_for("prod", data_dir=tmp_path, environ={"LAKEHOUSE_DASHBOARD_URL": "https://bi.example.be/"})
    graph = build_definitions(settings).resolve_asset_graph()
    page = graph.get(dg.AssetKey(["dashboard", "culture_subventions"]))
    assert page.metadata["url"].value == "https://bi.example.be/culture_subventions"
    gold = graph.get(dg.AssetKey(["gld", "gld_culture__subventions_mensuelles"]))
    assert gold.metadata["dashboard: Subventions culturelles"].value == "https://bi.example.be/culture_subventions"
    docs = gold.metadata["documentation"].value
    assert (
        docs
        == "http://lakehouse-docs:8080/static_index.html#!/model/model.lakehouse.gld_culture__subventions_mensuelles"
    )


def test_each_model_shows_its_column_lineage_down_to_the_source_columns(graph):
    """Column-level lineage from the models' SQL (orchestration/platform/lineage.py), in Dagster's
    format and in words, on the asset's metadata."""
    node = graph.get(dg.AssetKey(["gld", "gld_culture__subventions_mensuelles"]))
    deps = node.metadata["dagster/column_lineage"].deps_by_column
    assert [(d.asset_key.to_user_string(), d.column_name) for d in deps["paid_amount"]] == [
        ("int/int_culture__paiements", "paid_amount")
    ]
    sources = node.metadata["column_sources"].value
    assert "- paid_amount <- subventions.paiement.montant" in sources
    assert "- sector_label <- seed ref_secteurs_culturels.sector_label" in sources
    staging = graph.get(dg.AssetKey(["stg", "stg_sport__affiliations"])).metadata["dagster/column_lineage"]
    [member] = staging.deps_by_column["member_pseudonym"]
    assert (member.asset_key.to_user_string(), member.column_name) == ("raw/sport/affiliation", "numero_national")


def test_make_docs_writes_a_page_of_every_models_column_lineage(tmp_path, graph):
    from orchestration.platform.cli import write_lineage_page

    page = tmp_path / "column_lineage.html"
    write_lineage_page(page)
    text = page.read_text()
    assert "<h2 id='stg_sport__affiliations'>" in text
    assert "<tr><td>member_pseudonym <b>(personal)</b></td><td>sport.affiliation.numero_national</td>" in text
    assert "Kept for statistics by gender" in text  # the declared reason of gold's gender
    link = graph.get(dg.AssetKey(["gld", "gld_sport__affiliations"])).metadata["column lineage page"].value
    assert link == "http://127.0.0.1:8080/column_lineage.html#gld_sport__affiliations"


def test_retention_runs_nightly_and_its_rebuild_leaves_the_extraction_out(tmp_path):
    """The retention job (sport keeps ten years of affiliations) deletes, audits, and its sensor
    asks the daily stage for the days deleted, without the raw assets (they would land them again)."""
    from datetime import date

    import pyarrow as pa

    from orchestration.platform.partitions import DAILY

    settings = settings_for("local", data_dir=tmp_path)
    definitions = build_definitions(settings, ["sport"])
    repository = definitions.get_repository_def()
    schedule = repository.get_schedule_def("retention_schedule")
    assert schedule.cron_schedule == "0 3 * * *" and schedule.job_name == "retention"  # before the 04:00 run
    lake = settings.open_lake()
    old = pa.table({"id_affiliation": [1, 2], "numero_national": ["a", "b"]})
    for day in (date(2026, 1, 1), date(2026, 1, 2), date(2026, 3, 1)):
        lake.publish_partition("sport", "affiliation", day, old.schema, old.to_batches())
    instance = dg.DagsterInstance.ephemeral()
    result = definitions.resolve_job_def("retention").execute_in_process(
        instance=instance, tags={"lakehouse/today": "2036-02-15"}
    )
    assert result.success
    assert lake.partition_days("sport", "affiliation") == [date(2026, 3, 1)]
    sensor = repository.get_sensor_def("retention_rebuild_sensor")
    request = sensor(
        dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=result.get_run_success_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            repository_def=repository,
        )
    )
    assert request.job_name == "daily"
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (
        "2026-01-01",
        "2026-01-02",
    )
    selected = {key.to_user_string() for key in request.asset_selection}
    assert "stg/stg_sport__affiliations" in selected and not [k for k in selected if k.startswith("raw/")]
    assert repository.get_job("daily").partitions_def == DAILY
