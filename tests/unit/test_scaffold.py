from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from sqlfluff.core import FluffConfig, Linter

from orchestration.platform.privacy import ColumnPolicy
from orchestration.platform.registry import TableSpec
from orchestration.platform.scaffold import ScaffoldError, scaffold, staging_sql
from orchestration.platform.settings import PROJECT_ROOT

SPEC = TableSpec(
    system="sport",
    connection="sport",
    table="licence",
    description="Licences issued by the federations.",
    owner="sport-data-steward@example.be",
    primary_key=("id_licence",),
    mode="incremental",
    cursor="updated_at",
    privacy={"annee_naissance": ColumnPolicy("keep", "GDPR art. 6.1.e")},
)
SCHEMA = pa.schema(
    [
        ("id_licence", pa.int64()),
        ("id_club", pa.int64()),
        ("categorie", pa.string()),
        ("annee_naissance", pa.int64()),
        ("cotisation", pa.decimal128(8, 2)),
        ("delivree_le", pa.date32()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
        ("partition_date", pa.date32()),
    ]
)

EXPECTED_SQL = """{{ config(event_time='partition_date', batch_size='day') }}

with

source as (

    select * from {{ source('sport', 'licence') }}

),

deduplicated as (

    -- a row sits in the partition of its day only: exact duplicates within it collapse
    select * from source
    qualify row_number() over (
        partition by partition_date, id_licence
        order by updated_at desc
    ) = 1

),

renamed as (

    select
        -- ids
        cast(id_licence as bigint) as id_licence,
        cast(id_club as bigint) as id_club,

        -- attributes
        trim(categorie) as categorie,
        cast(annee_naissance as bigint) as annee_naissance,
        cast(cotisation as decimal(8, 2)) as cotisation,

        -- dates
        cast(delivree_le as date) as delivree_le,

        -- audit
        cast(updated_at as timestamptz) as updated_at,
        cast(partition_date as date) as partition_date

    from deduplicated

)

select * from renamed
"""


def test_staging_sql_follows_the_house_shape_exactly():
    assert staging_sql(SPEC, SCHEMA) == EXPECTED_SQL


def test_scaffolded_sql_passes_the_project_lint():
    config = FluffConfig.from_path(str(PROJECT_ROOT))
    result = Linter(config=config).lint_string(
        EXPECTED_SQL, fname=str(PROJECT_ROOT / "dbt/models/stg/sport/stg_sport__licences.sql")
    )
    assert [v.desc() for v in result.get_violations()] == []


def test_snapshot_keeps_the_latest_partition_and_is_not_partitioned():
    snapshot = TableSpec(**{**SPEC.__dict__, "mode": "snapshot", "cursor": None})
    sql = staging_sql(snapshot, SCHEMA)
    assert "where partition_date = {{ latest_partition('sport', 'licence') }}" in sql
    assert "config(" not in sql and "cast(partition_date as date) as extracted_on" in sql


def test_scaffold_writes_model_and_yaml_keeping_comments(tmp_path: Path):
    folder = tmp_path / "stg" / "sport"
    folder.mkdir(parents=True)
    (folder / "_sport__sources.yml").write_text(
        "version: 2\n# a comment to keep\nsources:\n  - name: sport\n    tables:\n"
        "      - name: club\n        columns:\n          - name: id_club\n"
    )
    (folder / "_sport__models.yml").write_text(
        "version: 2\nmodels:\n  - name: stg_sport__clubs\n    description: Clubs.\nunit_tests: []\n"
    )
    written = scaffold(SPEC, SCHEMA, tmp_path, entity="licences")
    assert [p.name for p in written] == ["stg_sport__licences.sql", "_sport__sources.yml", "_sport__models.yml"]
    sources_text = (folder / "_sport__sources.yml").read_text()
    assert "# a comment to keep" in sources_text
    sources = yaml.safe_load(sources_text)
    assert [t["name"] for t in sources["sources"][0]["tables"]] == ["club", "licence"]
    models = yaml.safe_load((folder / "_sport__models.yml").read_text())
    assert models["unit_tests"] == []
    model = models["models"][-1]
    assert model["name"] == "stg_sport__licences"
    assert model["description"] == SPEC.description
    columns = {c["name"]: c for c in model["columns"]}
    assert columns["id_licence"]["data_tests"] == ["not_null", "unique"]
    assert columns["annee_naissance"]["config"] == {"tags": ["personal"]}
    assert all(c["description"] for c in columns.values())
    assert "partition_date" in columns and "extracted_on" not in columns


def test_scaffold_refuses_to_overwrite(tmp_path: Path):
    folder = tmp_path / "stg" / "sport"
    folder.mkdir(parents=True)
    (folder / "stg_sport__licence.sql").write_text("select 1")
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold(SPEC, SCHEMA, tmp_path)


# --- a new department ---


def project_copy(tmp_path: Path) -> Path:
    """The files `make location` edits, copied (workspace.yaml, dbt_project.yml, the locations)."""
    import shutil

    for name in ("workspace.yaml", "dbt_project.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(PROJECT_ROOT / "orchestration" / "locations", tmp_path / "orchestration" / "locations")
    return tmp_path


def test_a_new_department_gets_its_folder_workspace_entry_and_dbt_folders(tmp_path):
    from orchestration.platform.scaffold import scaffold_location

    project = project_copy(tmp_path)
    before = (project / "dbt_project.yml").read_text()
    scaffold_location(project, "jeunesse", "j@example.be", "Youth.")
    assert (
        (project / "orchestration/locations/jeunesse/defs/models/defs.yaml")
        .read_text()
        .endswith("department: jeunesse\n")
    )
    workspace = yaml.safe_load((project / "workspace.yaml").read_text())
    assert workspace["load_from"][-1]["python_module"]["location_name"] == "jeunesse"
    models = yaml.safe_load((project / "dbt_project.yml").read_text())["models"]["lakehouse"]
    for layer in ("int", "gld"):
        assert models[layer]["jeunesse"] == {"+database": "jeunesse", "+meta": {"owner": "j@example.be"}}
    # the comments of dbt_project.yml stay where they were
    after = (project / "dbt_project.yml").read_text()
    assert [line for line in before.splitlines() if line.lstrip().startswith("#")] == [
        line for line in after.splitlines() if line.lstrip().startswith("#")
    ]


def test_a_department_that_cannot_be_added_leaves_every_file_as_it_was(tmp_path):
    from orchestration.platform.scaffold import scaffold_location

    project = project_copy(tmp_path)
    files = {p: p.read_text() for p in (project / "workspace.yaml", project / "dbt_project.yml")}
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold_location(project, "culture", "c@example.be", "Again.")
    with pytest.raises(ScaffoldError, match="lower case letters"):
        scaffold_location(project, "Jeunesse!", "j@example.be", "Youth.")
    (project / "dbt_project.yml").write_text(files[project / "dbt_project.yml"].replace("    gld:\n", "    gold:\n"))
    files[project / "dbt_project.yml"] = (project / "dbt_project.yml").read_text()
    with pytest.raises(ValueError):  # no `gld:` layer to add the folder to: nothing half-written
        scaffold_location(project, "jeunesse", "j@example.be", "Youth.")
    assert {p: p.read_text() for p in files} == files
    assert not (project / "orchestration/locations/jeunesse").exists()


def test_location_names_a_known_department():
    from orchestration.platform.cli import UsageError, check_departments

    assert check_departments(None) is None
    assert check_departments("culture, sport") == ["culture", "sport"]
    with pytest.raises(UsageError, match="LOCATION=culture,jeunesse: no department jeunesse; the departments are"):
        check_departments("culture,jeunesse")
