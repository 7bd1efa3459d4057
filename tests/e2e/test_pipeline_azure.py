"""The whole pipeline in environment `ci` gives the gold tables of a local run.

`ci` is the production shape on this machine: the sample loaded into the real PostgreSQL
(`subventions`, and `referentiel` read as Denodo over the PostgreSQL wire protocol) and
MariaDB (`sport`) servers, the lake in a blob container on Azurite written through adlfs and
read by dbt through the abfs filesystem of dbt/profiles.yml. The local run reads the same
sample from SQLite into a local folder. No secret may reach Dagster's events or dbt's files.
"""

import os
import time
from datetime import timedelta

import dagster as dg
import duckdb
import psycopg
import pymysql
import pytest

from orchestration.demo.azurite import ACCOUNT_KEY
from orchestration.demo.sample_data import (
    SAMPLE_START,
    SampleSpec,
    generate,
    load_mysql,
    load_postgres,
)
from orchestration.platform.cli import main, run_window
from orchestration.platform.settings import PROJECT_ROOT, settings_for
from orchestration.platform.versions import published_departments, read_publication
from tests.gold import gold_tables
from tests.services import port_open, require_service

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]
# every department with sources on the CI servers (enseignement only reads the reference data)
DEPARTMENTS = ["referentiel", "culture", "sport"]
LAST_DAY = SAMPLE_START + timedelta(days=29)
MIDDLE = SAMPLE_START + timedelta(days=14)
SAMPLE = SampleSpec(scale=0.3)
# the `ci` block of orchestration/connections.yml: database -> (engine, system loaded into it)
CI_DATABASES = {
    "referentiel": ("postgres", "denodo"),
    "subventions": ("postgres", "subventions"),
    "sport": ("mysql", "sport"),
}


@pytest.fixture
def ci_source_databases():
    """The sample in the databases the `ci` environment reads; dropped afterwards."""
    require_service("PostgreSQL", port_open("127.0.0.1", 5432), "start it on 127.0.0.1:5432")
    require_service("MariaDB", port_open("127.0.0.1", 3306), "start it on 127.0.0.1:3306")
    pg_admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)
    my_admin = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)

    def drop_all():
        for database, (engine, _) in CI_DATABASES.items():
            if engine == "postgres":
                pg_admin.execute(f'drop database if exists "{database}" with (force)')
            else:
                my_admin.cursor().execute(f"drop database if exists `{database}`")

    drop_all()
    try:
        for database, (engine, system) in CI_DATABASES.items():
            if engine == "postgres":
                pg_admin.execute(f'create database "{database}"')
                with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database) as c:
                    load_postgres(c, system, SAMPLE)
            else:
                my_admin.cursor().execute(f"create database `{database}`")
                c = pymysql.connect(host="127.0.0.1", user="root", password="", database=database)
                try:
                    load_mysql(c, system, SAMPLE)
                    c.commit()
                finally:
                    c.close()
        yield
    finally:
        drop_all()
        pg_admin.close()
        my_admin.close()


def test_ci_environment_gives_the_gold_tables_of_the_local_run(
    tmp_path, lake_environ, monkeypatch, ci_source_databases
):
    started = time.time()
    local = settings_for("local", data_dir=tmp_path / "local")
    generate(local.sample_dir, SAMPLE)
    assert run_window(
        local, SAMPLE_START, LAST_DAY, instance=dg.DagsterInstance.ephemeral(), departments=DEPARTMENTS
    ).success

    for name, value in lake_environ.items():
        monkeypatch.setenv(name, value)  # the dbt subprocess reads them (dbt/profiles.yml)
    on_azurite = settings_for("ci", data_dir=tmp_path / "ci", environ=os.environ)
    assert on_azurite.lake_root.startswith("abfs://") and on_azurite.dbt_target == "azure"
    assert {c.type for c in on_azurite.connections.values()} == {"denodo", "postgres", "mysql"}
    # two windows on Azurite give what one window gives locally: late rows of the first half
    # arrive with the second, in their own days' partitions and months
    instance = dg.DagsterInstance.ephemeral()
    events = []
    for first, last in ((SAMPLE_START, MIDDLE), (MIDDLE + timedelta(days=1), LAST_DAY)):
        result = run_window(on_azurite, first, last, instance=instance, departments=DEPARTMENTS)
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        events += result.all_events

    lake = on_azurite.open_lake()
    assert lake.partition_days("subventions", "paiement")[-1] == LAST_DAY
    gold = gold_tables(on_azurite)
    assert len(gold) >= 3 and all(gold.values())
    assert gold == gold_tables(local)

    def publications(lake) -> dict:
        return {
            (department, name): sorted(p.table.to_pylist(), key=repr)
            for department in published_departments(lake)
            for name, p in read_publication(lake, department).items()
        }

    assert publications(lake) == publications(local.open_lake()) != {}

    # an erasure request on Azurite, as `make erase` runs it: the member leaves the lake blobs,
    # the warehouse's staging and gold, and the audit record lands in the container
    raw = lake.read_table("sport", "affiliation")
    member = raw.column("numero_national")[0].as_py()
    mine = sum(p == member for p in raw.column("numero_national").to_pylist())
    sport = on_azurite.warehouse("sport")
    with duckdb.connect(str(sport), read_only=True) as warehouse:
        [(gold_before,)] = warehouse.execute(
            "select sum(affiliation_count) from gld.gld_sport__affiliations"
        ).fetchall()
    monkeypatch.setenv("LAKEHOUSE_ENV", "ci")
    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(on_azurite.data_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert main(["erase", "--pseudonym", member, "--request", "DPO-2026-018"]) == 0
    assert member not in set(lake.read_table("sport", "affiliation").column("numero_national").to_pylist())
    with duckdb.connect(str(sport), read_only=True) as warehouse:
        [(gold_after,)] = warehouse.execute("select sum(affiliation_count) from gld.gld_sport__affiliations").fetchall()
    assert gold_after == gold_before - mine  # staging reads the lake's blobs, which no longer hold them
    [record] = lake.fs.glob(f"{lake.fs_root}/_audit/erasure/*.json")
    assert member not in lake.fs.cat_file(record).decode()

    # retention on Azurite, as `make retention` runs it ten years on: the oldest affiliation
    # blobs are deleted and gold stops counting their rows
    today = SAMPLE_START + timedelta(days=3650 + 10)
    cutoff = today - timedelta(days=3650)
    remaining = lake.read_table("sport", "affiliation")
    expired = sum(d < cutoff for d in remaining.column("partition_date").to_pylist())
    assert main(["retention", "--today", today.isoformat()]) == 0
    assert min(lake.partition_days("sport", "affiliation")) == cutoff
    with duckdb.connect(str(sport), read_only=True) as warehouse:
        [(gold_retained,)] = warehouse.execute(
            "select sum(affiliation_count) from gld.gld_sport__affiliations"
        ).fetchall()
    assert expired > 0 and gold_retained == gold_after - expired
    assert lake.fs.glob(f"{lake.fs_root}/_audit/retention/*.json")

    # the account key is in the connection string: it must not leak anywhere we record
    recorded = "\n".join(repr(event) for event in events)
    assert ACCOUNT_KEY not in recorded
    for folder in (PROJECT_ROOT / "target", PROJECT_ROOT / "logs", on_azurite.data_dir / "dbt"):
        for path in folder.rglob("*"):
            if path.is_file() and path.stat().st_mtime >= started:
                assert ACCOUNT_KEY.encode() not in path.read_bytes(), path
