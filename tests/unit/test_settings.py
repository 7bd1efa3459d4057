from pathlib import Path

import pytest

from orchestration.platform import settings as settings_module
from orchestration.platform.settings import ENVIRONMENTS, SettingsError, load_settings, settings_for


@pytest.mark.parametrize("concern", sorted(settings_module.CONCERNS))
def test_every_map_covers_every_environment(concern):
    assert set(settings_module.CONCERNS[concern]) == set(ENVIRONMENTS)


def test_every_map_is_listed_as_a_concern():
    maps = {
        name
        for name, value in vars(settings_module).items()
        if name.isupper() and isinstance(value, dict) and set(value) & set(ENVIRONMENTS) and name != "CONCERNS"
    }
    assert maps == set(settings_module.CONCERNS)


def test_unknown_environment_is_a_clear_error():
    with pytest.raises(SettingsError, match="Unknown LAKEHOUSE_ENV 'prodd'.*local"):
        load_settings({"LAKEHOUSE_ENV": "prodd"})


def test_default_is_the_embedded_local_environment_not_production():
    settings = load_settings({})
    assert settings.environment == "local"
    assert settings.data_dir == settings_module.PROJECT_ROOT / "data"


def test_data_dir_override_moves_every_local_file(tmp_path: Path):
    settings = load_settings({"LAKEHOUSE_ENV": "local", "LAKEHOUSE_DATA_DIR": str(tmp_path)})
    assert settings.lake_root == str(tmp_path / "lake")
    assert settings.warehouse("culture") == tmp_path / "warehouse" / "culture.duckdb"
    assert {c.options["path"].parent for c in settings.connections.values()} == {tmp_path / "sample"}


def test_settings_for_each_environment_has_a_connection_per_system():
    from orchestration.demo.sample_data import GUIDE_TABLES
    from orchestration.platform.registry import load_all

    declared = {spec.connection for spec in load_all()}
    for environment in ENVIRONMENTS:
        assert declared <= set(settings_for(environment).connections), environment
    # the embedded default also reaches the sample system that the README's guide brings in
    assert set(settings_for("local").connections) == declared | {system for system, _ in GUIDE_TABLES}


def test_serving_defaults_under_the_data_directory_and_postgres_is_optional(tmp_path):
    serving = settings_for("local", data_dir=tmp_path).serving
    assert serving.path == tmp_path / "serving" / "lakehouse.duckdb"
    assert serving.postgres_dsn is None
    serving = settings_for(
        "prod",
        data_dir=tmp_path,
        environ={
            "LAKEHOUSE_SERVING_PATH": "/srv/x.duckdb",
            "LAKEHOUSE_SERVING_POSTGRES_DSN": "host=db password=s3cret",
        },
    ).serving
    assert (serving.path, serving.postgres_dsn, serving.postgres_schema) == (
        Path("/srv/x.duckdb"),
        "host=db password=s3cret",
        "gld",
    )
    assert "s3cret" not in repr(serving)


def test_source_secrets_reach_assets_through_the_settings_only(tmp_path):
    settings = settings_for(
        "prod",
        data_dir=tmp_path,
        environ={"LAKEHOUSE_SPORT_PASSWORD": "s3cret", "LAKEHOUSE_SPORT_HOST": "db", "HOME": "/root"},
    )
    assert settings.source_environ == {"LAKEHOUSE_SPORT_HOST": "db", "LAKEHOUSE_SPORT_PASSWORD": "s3cret"}
    assert "s3cret" not in repr(settings)
    assert settings_for("local", data_dir=tmp_path, environ={"LAKEHOUSE_SPORT_PASSWORD": "x"}).source_environ == {}


def test_the_schedule_time_can_be_moved_by_a_variable_and_a_wrong_one_is_refused(tmp_path):
    assert settings_for("prod", tmp_path, {"LAKEHOUSE_INGESTION_TIME": "03:15"}).ingestion_time == (3, 15)
    assert settings_for("prod", tmp_path, {}).ingestion_time == (4, 30)
    with pytest.raises(SettingsError, match="HH:MM in UTC"):
        settings_for("prod", tmp_path, {"LAKEHOUSE_INGESTION_TIME": "25:00"})


def test_the_engine_is_duckdb_unless_spark_is_asked_for_and_a_wrong_one_is_refused(tmp_path):
    duckdb = settings_for("local", data_dir=tmp_path)
    assert (duckdb.engine, duckdb.dbt_target) == ("duckdb", "local")
    spark = settings_for("local", data_dir=tmp_path, environ={"LAKEHOUSE_ENGINE": "spark"})
    assert (spark.engine, spark.dbt_target) == ("spark", "spark")
    assert spark.spark_dir == tmp_path.resolve() / "warehouse" / "spark"
    cluster = settings_for("prod", data_dir=tmp_path, environ={"LAKEHOUSE_ENGINE": "spark"})
    assert cluster.dbt_target == "spark_cluster"  # a cluster reads the lake on ADLS itself
    with pytest.raises(SettingsError, match="Unknown LAKEHOUSE_ENGINE 'snowflake': use one of duckdb, spark"):
        settings_for("local", data_dir=tmp_path, environ={"LAKEHOUSE_ENGINE": "snowflake"})


def test_every_nightly_run_starts_before_the_brussels_freshness_deadline_in_summer_and_winter(tmp_path):
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    for environment in ENVIRONMENTS:
        hour, minute = settings_for(environment, data_dir=tmp_path).ingestion_time
        for day in (datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC)):
            start = day.replace(hour=hour, minute=minute).astimezone(ZoneInfo("Europe/Brussels")).time()
            assert start <= time(6, 30), f"{environment}: starts at {start} in Brussels, the deadline is 07:00"
