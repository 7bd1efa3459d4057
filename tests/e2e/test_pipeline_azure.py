"""The whole pipeline with the lake on Azurite (environment `ci`) gives the gold tables of a local run.

Both runs read the same generated SQLite sources, so the only difference is the lake: a local
folder, or a blob container that ingestion writes through adlfs and dbt reads through the
abfs filesystem of dbt/profiles.yml. No secret may reach Dagster's events or dbt's artifacts.
"""

import dataclasses
import os
import time
from datetime import timedelta

import dagster as dg
import duckdb
import pytest

from orchestration.cli import run_main_job
from orchestration.lib.sample_data import SAMPLE_START, SampleSpec, generate
from orchestration.settings import PROJECT_ROOT, settings_for
from tests.azurite import ACCOUNT_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]
LAST_DAY = SAMPLE_START + timedelta(days=29)


def gold_tables(settings):
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
        names = [
            n
            for (n,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'gld'"
            ).fetchall()
        ]
        return {
            n: sorted(connection.execute(f"select * from gld.{n}").fetchall(), key=repr)
            for n in names
        }


def test_pipeline_on_azurite_gives_the_gold_tables_of_the_local_run(
    tmp_path, lake_environ, monkeypatch
):
    started = time.time()
    local = settings_for("local", data_dir=tmp_path / "local")
    generate(local.sample_dir, SampleSpec(scale=0.3))
    assert run_main_job(local, SAMPLE_START, LAST_DAY, instance=dg.DagsterInstance.ephemeral()).success

    for name, value in lake_environ.items():
        monkeypatch.setenv(name, value)  # the dbt subprocess reads them (dbt/profiles.yml)
    on_azurite = dataclasses.replace(
        settings_for("ci", data_dir=tmp_path / "ci", environ=os.environ),
        connections=local.connections,  # the sample's SQLite files: the sources are not under test
    )
    assert on_azurite.lake_root.startswith("abfs://") and on_azurite.dbt_target == "azure"
    result = run_main_job(on_azurite, SAMPLE_START, LAST_DAY, instance=dg.DagsterInstance.ephemeral())
    assert result.success, [e.message for e in result.all_events if e.is_failure]

    lake = on_azurite.open_lake()
    assert lake.partition_days("subventions", "paiement")[-1] == LAST_DAY
    gold = gold_tables(on_azurite)
    assert len(gold) >= 4 and all(gold.values())
    assert gold == gold_tables(local)

    # the account key is in the connection string: it must not leak anywhere we record
    events = "\n".join(repr(event) for event in result.all_events)
    assert ACCOUNT_KEY not in events
    for folder in (PROJECT_ROOT / "target", PROJECT_ROOT / "logs"):
        for path in folder.rglob("*"):
            if path.is_file() and path.stat().st_mtime >= started:
                assert ACCOUNT_KEY.encode() not in path.read_bytes(), path
