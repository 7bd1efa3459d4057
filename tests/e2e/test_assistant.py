"""The analysts' assistant through the Model Context Protocol: the SDK's own client starts the
server over stdio, as an MCP client would, on a copy of the project where the sample ran.

The history holds a successful run (reference data and culture, the sample's first days) and a
deliberately failed one (a commune delivered twice: the key test of stg_denodo__communes fails).
Every answer is collected and searched for secret and personal values at the end of each test.
"""

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import anyio
import dagster as dg
import pytest
import yaml

from orchestration.demo.sample_data import SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import run_window
from orchestration.platform.serving import connect_read_only
from orchestration.platform.settings import PROJECT_ROOT, settings_for
from tests.services import copy_project

pytestmark = pytest.mark.e2e
DEPARTMENTS = ["referentiel", "culture"]
DAY = date(2026, 1, 6)
SECRET = "webhook-token-Zq81vX"  # a secret of the settings (the alerts' webhook): never in an answer
PERSONAL_GOLD = ("gld_culture__operateurs_par_commune", "commune_name")  # tagged personal in the copy
FAILED_CHECK = "unique_stg_denodo__communes_commune_nis_code"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict:
    """A copy of the project (the server writes its drafts there), its data and Dagster history."""
    root = tmp_path_factory.mktemp("assistant")
    copy = root / "project"
    copy_project(copy)
    # a gold column declared personal, to see it masked (the sample's gold tables have none)
    models = copy / "dbt" / "models" / "gld" / "culture" / "_culture__models.yml"
    document = yaml.safe_load(models.read_text())
    model = next(m for m in document["models"] if m["name"] == PERSONAL_GOLD[0])
    column = next(c for c in model["columns"] if c["name"] == PERSONAL_GOLD[1])
    column["config"] = {"tags": ["personal"]}
    models.write_text(yaml.safe_dump(document, sort_keys=False))
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run([dbt, "parse", "--quiet", "--project-dir", ".", "--profiles-dir", "dbt"], cwd=copy, check=True)

    settings = settings_for("local", data_dir=root / "data")
    home = root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    instance = dg.DagsterInstance.from_config(str(home))
    paths = generate(settings.sample_dir, SampleSpec(scale=0.3))
    assert run_window(settings, SAMPLE_START, DAY, instance=instance, departments=DEPARTMENTS).success
    with sqlite3.connect(paths["denodo"]) as connection:  # a commune twice: the key test fails
        connection.execute("insert into bv_commune select * from bv_commune limit 1")
    connection.close()
    failed = run_window(settings, DAY, DAY, instance=instance, departments=DEPARTMENTS)
    assert not failed.success
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(copy),
        "DAGSTER_HOME": str(home),
        "LAKEHOUSE_DATA_DIR": str(settings.data_dir),
        "LAKEHOUSE_ALERT_WEBHOOK_URL": f"https://alerts.example.be/hook/{SECRET}",
    }
    with connect_read_only(settings.serving.path) as connection:
        # the communes' names, except those a province shares (Liège, Namur), shown as provinces
        personal = [
            r[0]
            for r in connection.execute(
                f"select {PERSONAL_GOLD[1]} from gld.{PERSONAL_GOLD[0]} "
                f"where {PERSONAL_GOLD[1]} not in (select province_name from gld.{PERSONAL_GOLD[0]})"
            ).fetchall()
        ]
    return {"root": copy, "env": env, "failed_run": failed.results[-1].run_id, "personal_values": personal}


class Session:
    """One MCP client session with the server: every answer kept, to be searched afterwards."""

    def __init__(self, project: dict):
        self.project = project
        self.answers: list[str] = []

    def run(self, script) -> None:
        """Run `script(call, tools)` inside one session; `call(tool, **arguments)` returns
        (is_error, text)."""
        from mcp import Client
        from mcp.client.stdio import StdioServerParameters

        server = StdioServerParameters(
            command=sys.executable,
            args=["-m", "orchestration.assistant"],
            cwd=str(self.project["root"]),
            env=self.project["env"],
        )

        async def main():
            async with Client(server) as client:
                tools = {t.name: t for t in (await client.list_tools()).tools}

                async def call(tool: str, **arguments) -> tuple[bool, str]:
                    result = await client.call_tool(tool, arguments)
                    text = "\n".join(c.text for c in result.content if c.type == "text")
                    self.answers.append(text)
                    return result.is_error, text

                await script(call, tools)

        anyio.run(main)

    def assert_nothing_leaked(self) -> None:
        everything = "\n".join(self.answers)
        assert SECRET not in everything
        shown = [v for v in self.project["personal_values"] if v and f"| {v} |" in everything]
        assert not shown, f"personal values in an answer: {shown[:3]}"


def test_an_analyst_finds_where_grant_payments_are_and_previews_gold_without_personal_values(project):
    session = Session(project)
    seen = {}

    async def script(call, tools):
        seen["tools"] = set(tools)
        seen["search"] = await call("search_catalogue", query="grant payments")
        seen["describe"] = await call("describe_asset", asset="raw/subventions/paiement")
        seen["gold"] = await call("describe_asset", asset="gld/gld_culture__subventions_mensuelles")
        seen["preview"] = await call("preview_gold_table", table=PERSONAL_GOLD[0], rows=500)
        seen["unknown"] = await call("describe_asset", asset="gld/gld_culture__paiements")

    session.run(script)
    assert {
        "search_catalogue",
        "describe_asset",
        "explain_run",
        "explain_check",
        "preview_gold_table",
        "draft_source_entry",
        "scaffold_staging_model",
        "draft_model",
        "validate_project",
    } <= seen["tools"]
    is_error, found = seen["search"]
    assert not is_error
    best = [line for line in found.splitlines() if line.startswith("- ")][:3]
    assert any(line.startswith("- raw/subventions/paiement ") for line in best), found
    _, described = seen["describe"]
    assert "Downstream: stg/stg_subventions__paiements" in described
    assert "Upstream: source/subventions/paiement" in described
    assert "Partitions: 6 materialised, from 2026-01-01 to 2026-01-06." in described
    _, gold = seen["gold"]
    # the failed run planned it but stopped before: its last verdict is from the run before
    assert (
        "not_null_gld_culture__subventions_mensuelles_month (blocking): not evaluated in the latest run "
        f"{project['failed_run']} (it stopped before); before that: passed on"
    ) in gold
    assert "freshness_check: never evaluated" in gold
    assert "dashboard: Subventions culturelles: http://127.0.0.1:8501/culture_subventions" in gold
    is_error, preview = seen["preview"]
    assert not is_error
    rows = preview.splitlines()
    assert f"personal columns masked: {PERSONAL_GOLD[1]}" in rows[0]
    assert len(rows) == 2 + 20  # capped at 20 rows, whatever is asked
    column = rows[1].split(" | ").index(PERSONAL_GOLD[1])
    assert {row.split(" | ")[column] for row in rows[2:]} == {"<personal>"}
    is_error, unknown = seen["unknown"]
    assert is_error and "No asset 'gld/gld_culture__paiements'" in unknown
    session.assert_nothing_leaked()


def test_an_analyst_gets_a_deliberately_failed_check_explained(project):
    session = Session(project)
    seen = {}

    async def script(call, tools):
        seen["run"] = await call("explain_run")
        seen["check"] = await call("explain_check", asset="stg/stg_denodo__communes", check=FAILED_CHECK)
        seen["wrong"] = await call("explain_check", asset="stg/stg_denodo__communes", check="unique_commune")

    session.run(script)
    is_error, run = seen["run"]
    assert not is_error
    assert run.startswith(f"Run {project['failed_run']} of job monthly: FAILURE.")
    assert f"Check {FAILED_CHECK} of stg/stg_denodo__communes FAILED (blocking" in run
    assert "dashboards keep the previous gold tables" in run  # the platform's own message
    assert "What next:" in run
    assert len(run.splitlines()) <= 12, "a few lines, not a log"
    _, check = seen["check"]
    assert check.startswith(f"{FAILED_CHECK} on stg/stg_denodo__communes: FAILED")
    assert "It checks: `commune_nis_code` is unique: no two rows share a value." in check
    assert project["failed_run"] in check
    is_error, wrong = seen["wrong"]
    assert is_error and FAILED_CHECK in wrong  # the message lists the checks there are
    session.assert_nothing_leaked()


GOLD_SQL = """\
select
    paiements.sector_code,
    count(*) as payment_count
from {{ ref('int_culture__paiements') }} as paiements
group by paiements.sector_code
"""


def test_an_analyst_drafts_a_gold_model_and_a_source_entry_validated_as_make_lint_does(project):
    session = Session(project)
    seen = {}
    root = project["root"]
    columns = [
        {"name": "sector_code", "description": "Cultural sector.", "data_type": "string"},
        {"name": "payment_count", "description": "Payments.", "data_type": "bigint"},
    ]

    async def script(call, tools):
        seen["bad"] = await call(
            "draft_model",
            name="gld_culture__paiements_par_secteur",
            sql=GOLD_SQL.replace("select\n", "SELECT\n").replace(" as payment_count", " payment_count"),
            description="Payments per cultural sector.",
            columns=columns,
            unique_key=["sector_code"],
        )
        (root / "dbt/models/gld/culture/gld_culture__paiements_par_secteur.sql").write_text(GOLD_SQL)
        seen["fixed"] = await call(
            "validate_project", sql_files=["dbt/models/gld/culture/gld_culture__paiements_par_secteur.sql"]
        )
        seen["name"] = await call(
            "draft_model", name="culture_totals", sql=GOLD_SQL, description="x", columns=columns, unique_key=["x"]
        )
        seen["secret"] = await call(  # a draft whose Jinja would print a secret of the settings
            "draft_model",
            name="int_culture__secret",
            sql="{{ exceptions.raise_compiler_error(env_var('LAKEHOUSE_ALERT_WEBHOOK_URL')) }}",
            description="x",
            columns=[{"name": "x", "description": "x"}],
            unique_key=["x"],
        )
        seen["source"] = await call(
            "draft_source_entry", system="subventions", table="operateur", description="Operators again."
        )

    session.run(script)
    is_error, bad = seen["bad"]
    assert not is_error, bad
    assert "- dbt/models/gld/culture/gld_culture__paiements_par_secteur.sql" in bad
    assert "make lint would fail" in bad
    assert "[sqlfluff CP01]" in bad  # upper-case keyword
    assert "[sqlfluff AL02]" in bad  # implicit column alias
    models = yaml.safe_load((root / "dbt/models/gld/culture/_culture__models.yml").read_text())["models"]
    drafted = next(m for m in models if m["name"] == "gld_culture__paiements_par_secteur")
    assert drafted["config"] == {"contract": {"enforced": True}}
    assert [c["data_type"] for c in drafted["columns"]] == ["string", "bigint"]
    assert seen["fixed"] == (False, "make lint's checks pass.")
    is_error, name = seen["name"]
    assert is_error and "int_<department>__<entity> or gld_<department>__<entity>" in name
    is_error, secret = seen["secret"]
    assert not is_error and "make lint would fail" in secret
    is_error, source = seen["source"]
    assert is_error and "already declared" in source
    # written in the working tree it serves (here the copy), nowhere else
    assert not (PROJECT_ROOT / "dbt/models/gld/culture/gld_culture__paiements_par_secteur.sql").exists()
    session.assert_nothing_leaked()


def test_a_registry_entry_is_drafted_from_the_live_schema_of_a_new_source_table(project):
    session = Session(project)
    seen = {}
    sample = Path(project["env"]["LAKEHOUSE_DATA_DIR"]) / "sample"
    with sqlite3.connect(sample / "subventions.sqlite") as connection:
        connection.execute(
            "create table if not exists beneficiaire (id_beneficiaire integer primary key, nom text, "
            "courriel text, cree_le timestamp)"
        )
    connection.close()

    async def script(call, tools):
        seen["draft"] = await call(
            "draft_source_entry",
            system="subventions",
            table="beneficiaire",
            description="Grant beneficiaries.",
            cursor="cree_le",
        )
        seen["not_landed"] = await call("scaffold_staging_model", table="subventions.beneficiaire")
        seen["staging"] = await call("scaffold_staging_model", table="subventions.operateur", entity="operateurs_bis")

    session.run(script)
    is_error, draft = seen["draft"]
    assert not is_error, draft
    assert "Proposed primary key ['id_beneficiaire'] and mode incremental" in draft
    assert "personal columns {'nom': 'drop', 'courriel': 'pseudonymise'}" in draft
    registry = project["root"] / "orchestration/locations/culture/defs/sources/defs.yaml"
    entry = yaml.safe_load(registry.read_text())["attributes"]["systems"]["subventions"]["tables"]["beneficiaire"]
    assert entry == {
        "description": "Grant beneficiaries.",
        "primary_key": ["id_beneficiaire"],
        "mode": "incremental",
        "cursor": "cree_le",
        "personal_data": {"nom": "drop", "courriel": "pseudonymise"},
    }
    # the draft is checked as make lint checks it: the new source has no dbt source yet
    assert "make lint would fail" in draft and "beneficiaire" in draft.split("make lint would fail")[1]
    is_error, not_landed = seen["not_landed"]
    assert is_error and "has no partition in the lake yet: land it first" in not_landed
    is_error, staging = seen["staging"]
    assert not is_error, staging
    assert "- dbt/models/stg/subventions/stg_subventions__operateurs_bis.sql" in staging
    assert (project["root"] / "dbt/models/stg/subventions/stg_subventions__operateurs_bis.sql").exists()
    session.assert_nothing_leaked()


def test_the_client_configuration_printed_by_make_assistant_starts_the_server():
    output = subprocess.run(
        [sys.executable, "-m", "orchestration.assistant", "--client-config"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    server = json.loads(output.stdout)["mcpServers"]["lakehouse"]
    assert server["args"] == ["-m", "orchestration.assistant"] and server["cwd"] == str(PROJECT_ROOT)
    assert Path(server["command"]).exists()
    assert "MCP client" in output.stderr
