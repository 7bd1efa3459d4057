"""The same dbt project on Apache Spark (docs/engines.md): with LAKEHOUSE_ENGINE=spark, Dagster
builds the sample's models on a local[2] Spark session (dbt-spark's `session` method) from the
same lake, with the same assets, checks and publication, and publishes gold tables equal, row
for row and type for type, to the ones DuckDB published from the same lake."""

import importlib.util
import shutil
from datetime import timedelta

import dagster as dg
import duckdb
import pytest

from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START
from orchestration.platform.cli import run_window
from orchestration.platform.layout import gold_root
from orchestration.platform.settings import settings_for
from tests.gold import GOLD_TABLES_SQL
from tests.services import require_service

pytestmark = pytest.mark.e2e


def published_gold(serving_file) -> dict[str, tuple[list, list]]:
    """Each published gold table: its columns with their types, and its rows sorted."""
    with duckdb.connect(str(serving_file), read_only=True) as connection:
        names = sorted(name for (name,) in connection.execute(GOLD_TABLES_SQL).fetchall())
        return {
            name: (
                connection.execute(f"select column_name, column_type from (describe gld.{name})").fetchall(),
                sorted(connection.execute(f"select * from gld.{name}").fetchall(), key=repr),
            )
            for name in names
        }


@pytest.fixture(scope="module")
def spark_available():
    require_service(
        "Apache Spark (Java 17 and pyspark)",
        shutil.which("java") is not None and importlib.util.find_spec("pyspark") is not None,
        "install a Java 17 runtime (apt-get install openjdk-17-jre-headless); pyspark comes with make install.",
    )


def test_dagster_builds_the_sample_on_spark_and_publishes_the_same_gold_as_duckdb(spark_available, demo_built):
    on_duckdb = published_gold(demo_built.serving.path)
    assert on_duckdb and all(rows for _, rows in on_duckdb.values())
    # the same data directory and lake, on Spark; nothing of DuckDB's publication is kept
    settings = settings_for("local", data_dir=demo_built.data_dir, environ={"LAKEHOUSE_ENGINE": "spark"})
    assert settings.dbt_target == "spark"
    demo_built.serving.path.unlink()
    shutil.rmtree(gold_root(settings.lake_root))

    last = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)
    run = run_window(settings, SAMPLE_START, last, instance=dg.DagsterInstance.ephemeral(), select="not key:raw/*")

    assert run.success, [r.failure_message for r in run.results if not r.success]
    built = {
        event.asset_key.to_user_string()
        for event in run.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert {f"gld/{name}" for name in on_duckdb} | {f"serving/{name}" for name in on_duckdb} <= built
    checks = [e for e in run.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert checks and [e.event_specific_data for e in checks if not e.event_specific_data.passed] == []
    # Spark's tables, not DuckDB's files: the models were written under the Spark warehouse
    assert sorted(p.name for p in (settings.spark_dir / "warehouse" / "gld.db").iterdir()) == sorted(on_duckdb)

    assert_same_gold(published_gold(settings.serving.path), on_duckdb)

    # A window again, on tables that exist: the `window` strategy on Spark drops the window's
    # partitions and inserts them anew (macros/incremental_window_spark.sql). Rows added twice
    # or partitions lost would change the month's gold.
    day = SAMPLE_START + timedelta(days=45)
    again = run_window(
        settings,
        day,
        day,
        instance=dg.DagsterInstance.ephemeral(),
        select="key:int/int_culture__paiements or key:gld/gld_culture__subventions_mensuelles or key:serving/*",
    )
    assert again.success, [r.failure_message for r in again.results if not r.success]
    assert_same_gold(published_gold(settings.serving.path), on_duckdb)


def assert_same_gold(on_spark: dict, on_duckdb: dict) -> None:
    assert on_spark.keys() == on_duckdb.keys()
    for name in on_duckdb:
        assert on_spark[name][0] == on_duckdb[name][0], f"{name}: columns or types differ"
        assert on_spark[name][1] == on_duckdb[name][1], f"{name}: rows differ"
