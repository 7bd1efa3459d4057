"""Write, audit, publish: a failing key test stops the run, and the dashboards keep reading
the gold tables published before it."""

import sqlite3
from datetime import date

import dagster as dg
import pytest

from orchestration.demo.sample_data import SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import run_window
from orchestration.platform.serving import connect_read_only
from orchestration.platform.settings import settings_for
from tests.gold import read_gold

pytestmark = pytest.mark.e2e
# the reference data (whose key test fails) and a department that reads it
DEPARTMENTS = ["referentiel", "culture"]
DAY = date(2026, 1, 6)


def served(path) -> dict[str, list]:
    connection = connect_read_only(path)  # as the dashboard reads it
    try:
        return read_gold(connection)
    finally:
        connection.close()


def test_failing_key_test_fails_the_run_and_dashboards_keep_the_previous_gold(tmp_path):
    settings = settings_for("local", data_dir=tmp_path / "data")
    paths = generate(settings.sample_dir, SampleSpec(scale=0.3))
    instance = dg.DagsterInstance.ephemeral()
    assert run_window(settings, SAMPLE_START, DAY, instance=instance, departments=DEPARTMENTS).success
    serving_file = settings.serving.path
    before = served(serving_file)
    assert before and all(before.values())

    # upstream, a commune appears twice: the key test of stg_denodo__communes must fail
    with sqlite3.connect(paths["denodo"]) as connection:
        connection.execute("insert into bv_commune select * from bv_commune limit 1")
    connection.close()
    result = run_window(settings, DAY, DAY, instance=instance, departments=DEPARTMENTS)

    assert not result.success, "a failing key test must fail the run, not skip steps quietly"
    failed_checks = [
        e.asset_check_evaluation_data.check_name
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not e.asset_check_evaluation_data.passed
    ]
    assert "unique_stg_denodo__communes_commune_nis_code" in failed_checks
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    message = failure.step_failure_data.user_failure_data.description
    assert "dashboards keep the previous gold tables" in message
    assert "stg/stg_denodo__communes: unique_stg_denodo__communes_commune_nis_code" in message
    publish_steps = [
        e
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_SUCCESS and "publish" in (e.step_key or "")
    ]
    assert publish_steps == [], "nothing may be published after a failed check"
    assert served(serving_file) == before
