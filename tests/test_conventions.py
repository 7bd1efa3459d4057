"""Each convention holds on the real project, and each fails when broken on purpose."""

import copy

import pytest

from orchestration.platform.conventions import check_manifest


@pytest.fixture
def manifest(manifest):
    """The project's manifest (tests/conftest.py), copied: each test breaks its own copy."""
    return copy.deepcopy(manifest)


def model(manifest, name):
    return manifest["nodes"][f"model.lakehouse.{name}"]


def messages(manifest):
    return [str(v) for v in check_manifest(manifest)]


def test_the_project_follows_every_convention(manifest):
    assert messages(manifest) == []


def test_misnamed_staging_model(manifest):
    model(manifest, "stg_sport__clubs")["name"] = "sport_clubs"
    assert messages(manifest) == [
        "sport_clubs: a model in models/stg/sport/ must be named stg_sport__<name> "
        "(lower case, two underscores after the folder name). [naming]"
    ]


def test_model_outside_the_layer_folders(manifest):
    model(manifest, "int_sport__affiliations")["fqn"] = ["lakehouse", "marts", "x"]
    assert any("lives in models/marts/" in m for m in messages(manifest))


def test_staging_model_reading_another_model(manifest):
    node = model(manifest, "stg_sport__clubs")
    node["depends_on"]["nodes"].append("model.lakehouse.stg_sport__affiliations")
    assert messages(manifest) == [
        "stg_sport__clubs: reads stg_sport__affiliations (stg); a stg model may read: sources only. [layering]"
    ]


def test_gold_model_reading_a_source_directly(manifest):
    node = model(manifest, "gld_sport__affiliations")
    node["depends_on"]["nodes"].append("source.lakehouse.sport.club")
    assert any("reads source sport.club directly" in m for m in messages(manifest))


def test_intermediate_model_reading_gold(manifest):
    node = model(manifest, "int_sport__affiliations")
    node["depends_on"]["nodes"].append("model.lakehouse.gld_sport__affiliations")
    assert any(m.startswith("int_sport__affiliations: reads gld_sport__affiliations (gld)") for m in messages(manifest))


def test_gold_reading_staging_is_refused(manifest):
    node = model(manifest, "gld_sport__affiliations")
    node["depends_on"]["nodes"].append("model.lakehouse.stg_sport__clubs")
    assert any("a gld model may read: gld, int, seed" in m for m in messages(manifest))


def test_model_without_description(manifest):
    model(manifest, "int_culture__demandes")["description"] = ""
    assert messages(manifest) == [
        "int_culture__demandes: has no description: add one in the folder's _<folder>__models.yml. [documentation]"
    ]


def test_gold_column_without_description(manifest):
    node = model(manifest, "gld_sport__affiliations")
    node["columns"]["gender"]["description"] = " "
    assert messages(manifest) == ["gld_sport__affiliations: gold column gender has no description. [documentation]"]


def drop_tests(manifest, model_name, test_kinds):
    for unique_id, node in list(manifest["nodes"].items()):
        if (
            node["resource_type"] == "test"
            and node.get("attached_node") == f"model.lakehouse.{model_name}"
            and (node.get("test_metadata") or {}).get("name") in test_kinds
        ):
            del manifest["nodes"][unique_id]


def test_model_without_key_test(manifest):
    drop_tests(manifest, "int_culture__operateurs", {"unique", "unique_combination_of_columns"})
    assert messages(manifest) == [
        "int_culture__operateurs: has no key test: give its key column a `unique` test (or the "
        "table a `unique_combination_of_columns` test). [keys]"
    ]


def test_key_column_without_not_null(manifest):
    drop_tests(manifest, "int_culture__operateurs", {"not_null"})
    assert messages(manifest) == ["int_culture__operateurs: key column operator_id has no `not_null` test. [keys]"]


def test_gold_without_enforced_contract_or_owner(manifest):
    node = model(manifest, "gld_culture__operateurs_par_commune")
    node["config"]["contract"]["enforced"] = False
    node["config"]["meta"] = {}
    assert messages(manifest) == [
        "gld_culture__operateurs_par_commune: is a gold model without an enforced contract: "
        "dashboards rely on its columns. [contract]",
        "gld_culture__operateurs_par_commune: is a gold model without meta.owner. [ownership]",
    ]


def test_a_landed_table_without_its_dbt_source(manifest):
    del manifest["sources"]["source.lakehouse.sport.club"]
    [message] = [m for m in messages(manifest) if m.endswith("[sources]")]
    assert message.startswith("source sport.club: is landed (orchestration/locations/sport/defs/sources/defs.yaml:")
    assert "_sport__sources.yml" in message


def test_a_dbt_source_that_nobody_lands(manifest):
    source = copy.deepcopy(manifest["sources"]["source.lakehouse.sport.club"])
    manifest["sources"]["source.lakehouse.sport.licence"] = {**source, "name": "licence"}
    assert messages(manifest) == [
        "source sport.licence: is a dbt source that no department's registry lands: add its entry "
        "to the department's defs/sources/defs.yaml, or remove the source. [sources]"
    ]


def test_a_primary_key_that_differs_between_source_and_registry(manifest):
    manifest["sources"]["source.lakehouse.sport.club"]["config"]["meta"]["primary_key"] = "nom_club"
    [message] = messages(manifest)
    assert "has primary_key nom_club in its dbt source but id_club in orchestration/locations/sport/" in message


def test_a_model_of_no_department(manifest):
    model(manifest, "int_sport__clubs")["database"] = "lakehouse"
    [message] = messages(manifest)
    assert message.startswith("int_sport__clubs: belongs to no department (its database is 'lakehouse')")
    assert "`int/sport: +database: <department>`" in message


def test_a_duckdb_only_function_is_refused_at_lint_time(manifest):
    # DuckDB's timezone() and strftime(): the model builds here and fails on Spark
    model(manifest, "int_culture__demandes")["raw_code"] = (
        "select request_id, strftime(submitted_at, '%Y-%m') as submitted_month,\n"
        "    cast(timezone('UTC', submitted_at) as date) as submitted_on\n"
        "from {{ ref('stg_subventions__demandes') }}\nwhere {{ in_window('partition_date') }}"
    )
    assert messages(manifest) == [
        f"int_culture__demandes: calls {name}(), which is not a Spark SQL function: write it with a dbt "
        "cross-database macro (dbt.date_trunc, dbt.datediff, ...) or a macro of macros/ that dispatches "
        "per engine (docs/engines.md) [portable_sql]"
        for name in ("strftime", "timezone")
    ]


def test_qualify_is_refused_and_the_portable_rewrite_passes(manifest):
    node = model(manifest, "stg_subventions__paiements")
    ranked = "row_number() over (partition by partition_date, id_paiement order by updated_at desc)"
    node["raw_code"] = f"select * from {{{{ source('subventions', 'paiement') }}}}\nqualify {ranked} = 1"
    assert messages(manifest) == [
        "stg_subventions__paiements: uses QUALIFY (filter a row_number() column in an outer select "
        "instead), which Spark does not have [portable_sql]"
    ]
    node["raw_code"] = f"select * from (select *, {ranked} as duplicate_rank from x) as ranked where duplicate_rank = 1"
    assert messages(manifest) == []


def test_sql_that_spark_cannot_parse_is_refused(manifest):
    # a DuckDB struct literal
    model(manifest, "int_sport__clubs")["raw_code"] = (
        "select {'club': club_id} as club from {{ ref('stg_sport__clubs') }}"
    )
    [message] = messages(manifest)
    assert message.startswith("int_sport__clubs: is not Spark SQL (")


def test_a_source_column_that_looks_personal_needs_a_policy(manifest):
    columns = manifest["sources"]["source.lakehouse.sport.club"]["columns"]
    columns["courriel_president"] = {"name": "courriel_president", "description": "x", "config": {}}
    columns["remarque"] = {"name": "remarque", "description": "x", "config": {"tags": ["personal"]}}
    found = [m for m in messages(manifest) if m.endswith("[personal_data]")]
    assert [m.split(" looks personal")[0] for m in found] == [
        "source sport.club: column courriel_president",
        "source sport.club: column remarque",
    ]
    assert "under `personal_data:` in orchestration/locations/sport/defs/sources/defs.yaml:" in found[0]


def test_landed_values_that_look_personal_need_a_policy(tmp_path):
    """The content check of make lint: a sample of the newest landed partition of each table."""
    from datetime import date

    import pyarrow as pa

    from orchestration.platform.conventions import personal_content
    from orchestration.platform.registry import load_all
    from orchestration.platform.settings import settings_for

    settings = settings_for("local", data_dir=tmp_path)
    lake = settings.open_lake()
    [club] = [s for s in load_all() if s.name == "sport.club"]
    rows = pa.table(
        {
            "id_club": [1, 2],
            "nom_club": ["Club 1", "Club 2"],
            "contact": ["ann.peeters@club.example", "jo.dubois@club.example"],  # by content
            "federation": ["FRBT", "LFH"],
            "rrn_tresorier": ["x", "y"],  # by name
        }
    )
    lake.publish_partition("sport", "club", date(2026, 1, 1), rows.schema, rows.to_batches())
    found = [str(v) for v in personal_content(settings, [club])]
    assert len(found) == 2
    assert "column contact holds what look like e-mail addresses in the lake (2026-01-01)" in found[0]
    assert "column rrn_tresorier holds personal data, by its name" in found[1]


def test_a_gold_column_computed_from_a_personal_value_kept_in_clear_must_say_why(manifest):
    """Column lineage (orchestration/platform/lineage.py) carries the registry's `keep` policies to
    gold: a test model exposes the members' birth year, traced through staging and intermediate."""
    gold = copy.deepcopy(model(manifest, "gld_sport__affiliations"))
    gold.update(
        unique_id="model.lakehouse.gld_sport__naissances",
        name="gld_sport__naissances",
        raw_code="select affiliations.club_id, affiliations.birth_year as annee\n"
        "from {{ ref('int_sport__affiliations') }} as affiliations",
        columns={"club_id": {"name": "club_id"}, "annee": {"name": "annee"}},
    )
    manifest["nodes"][gold["unique_id"]] = gold
    found = [m for m in messages(manifest) if m.endswith("[personal_data]")]
    assert found == [
        "gld_sport__naissances: gold column annee is computed from sport.affiliation.annee_naissance, personal "
        "data kept in clear: aggregate or pseudonymise it, or say why it may reach gold under `config: meta: "
        "personal_in_clear:` of the column (docs/personal-data.md). [personal_data]"
    ]
    gold["columns"]["annee"]["config"] = {"meta": {"personal_in_clear": "a statistic of births by club"}}
    assert not [m for m in messages(manifest) if m.endswith("[personal_data]")]


def test_the_project_declares_why_each_personal_value_in_clear_reaches_gold(manifest):
    """The sample's gold: age bands and genders come from values kept in clear, and say why."""
    from orchestration.platform.lineage import declared_reason, source_columns

    gold = model(manifest, "gld_sport__affiliations")
    assert source_columns(manifest, gold["unique_id"], "gender") == {("source.lakehouse.sport.affiliation", "genre")}
    assert declared_reason(gold["columns"]["gender"]).startswith("Kept for statistics by gender")


OPEN = {
    "title": "Affiliations sportives",
    "licence": "https://creativecommons.org/licenses/by/4.0/",
    "frequency": "ANNUAL",
    "themes": ["EDUC"],
}


def test_a_gold_table_with_personal_data_cannot_be_flagged_open(manifest):
    # sport affiliations' age band (declared in clear) and gender come from the members' birth
    # year and gender: the column lineage finds both
    model(manifest, "gld_sport__affiliations")["config"]["meta"]["open_data"] = dict(OPEN)
    assert messages(manifest) == [
        "gld_sport__affiliations: is flagged open, but column(s) age_band, gender hold personal data: a table "
        "with personal data cannot be open data; publish an aggregate without them, or remove `meta.open_data`. "
        "[open_data]"
    ]


def test_an_open_table_needs_its_metadata(manifest):
    said = model(manifest, "gld_culture__operateurs_par_commune")["config"]["meta"]
    said["open_data"] = {"licence": "CC-BY-4.0", "frequency": "SOMETIMES", "themes": ["CULT"]}
    del said["open_data_publisher"]
    found = messages(manifest)
    for expected in (
        "`meta.open_data.title` is missing.",
        "frequency 'SOMETIMES' is not one of",
        "theme 'CULT' is not one of the EU's data themes",
        "the licence must be the URI of its text",
        "names no `open_data_publisher`",
    ):
        assert any(expected in m and m.endswith("[open_data]") for m in found), (expected, found)
    assert len(found) == 5
