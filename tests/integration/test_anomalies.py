"""Anomaly checks on the sample (issue 15): a source that suddenly delivers a tenth of its rows,
cuts its delivery short, loses a column's values or changes its schema is caught by the checks
of the landed table, with the numbers that show it; `severity: error` stops the run."""

import dataclasses
import sqlite3
import types
from datetime import date

import dagster as dg
import pytest

from orchestration.platform import anomalies
from orchestration.platform.cli import failure_blocks
from orchestration.platform.ingestion import build_ingestion_asset
from orchestration.platform.lake import Lake
from orchestration.platform.registry import LOCATIONS_DIR, AnomalyPolicy, load_registry

REQUESTS = next(
    s for s in load_registry(LOCATIONS_DIR / "culture" / "defs" / "sources" / "defs.yaml") if s.table == "demande"
)
HISTORY = ("2026-01-01", "2026-03-29")
TENTH, CUT_SHORT = date(2026, 3, 30), date(2026, 3, 31)


def run(spec, settings, first: str, last: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [build_ingestion_asset(spec)],
        resources={"lake": Lake(settings.lake_root), "settings": settings},
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


def evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def damage_the_last_two_days(sample_dir) -> dict[str, int]:
    """30 March: nine requests in ten vanish; 31 March: the delivery stops at 10:00 UTC, and the
    status of every request left is lost; a new column appears."""
    with sqlite3.connect(sample_dir / "subventions.sqlite") as db:
        before = db.execute("select count(*) from demande where date(soumise_le) = ?", [TENTH.isoformat()]).fetchone()
        db.execute(
            "delete from demande where date(soumise_le) = ? and id_demande not in (select id_demande from "
            "demande where date(soumise_le) = ? order by id_demande limit (select count(*) / 10 from demande "
            "where date(soumise_le) = ?))",
            [TENTH.isoformat()] * 3,
        )
        after = db.execute("select count(*) from demande where date(soumise_le) = ?", [TENTH.isoformat()]).fetchone()
        db.execute(
            "delete from demande where date(soumise_le) = ? and time(soumise_le) >= '10:00:00'", [str(CUT_SHORT)]
        )
        db.execute("update demande set statut = null where date(soumise_le) = ?", [str(CUT_SHORT)])
        db.execute("alter table demande add column canal text")
    return {"before": before[0], "after": after[0]}


def test_a_tenth_of_the_rows_stops_the_run_with_the_numbers(sample_settings):
    assert REQUESTS.anomalies.severity == "error" and "statut" in REQUESTS.anomalies.columns
    history = run(REQUESTS, sample_settings, *HISTORY)
    assert history.success
    checks = evaluations(history)
    # a quarter of the history has too few earlier weeks to be judged; none of the rest is unusual
    assert checks[anomalies.ROW_COUNT].passed and checks[anomalies.ROW_COUNT].metadata["partitions_judged"].value > 40
    assert checks[anomalies.FRESHNESS].passed and checks[anomalies.COLUMNS].passed

    counts = damage_the_last_two_days(sample_settings.sample_dir)
    damaged = run(REQUESTS, sample_settings, TENTH.isoformat(), CUT_SHORT.isoformat())

    assert not damaged.success  # blocking: nothing downstream would be built on it
    checks = evaluations(damaged)
    rows = checks[anomalies.ROW_COUNT]
    assert not rows.passed and rows.severity == dg.AssetCheckSeverity.ERROR
    found = {k: v.value for k, v in rows.metadata.items()}
    assert found["partition"] == TENTH.isoformat() and found["value"] == counts["after"]
    assert counts["before"] * 0.7 < found["usual"] < counts["before"] * 1.3  # the usual Monday
    assert f"{TENTH}: rows {counts['after']}, usually" in found["anomalies"]

    late = checks[anomalies.FRESHNESS]
    assert not late.passed and late.metadata["partition"].value == CUT_SHORT.isoformat()
    assert late.metadata["value"].value >= 13  # its newest request is 14 h before midnight, at most
    columns = checks[anomalies.COLUMNS]
    assert not columns.passed and "null rate of statut 1, usually 0" in columns.metadata["anomalies"].value
    schema = checks[anomalies.SCHEMA]
    assert not schema.passed and "canal" in schema.metadata["schema_change"].value
    assert schema.severity == dg.AssetCheckSeverity.WARN  # schema_policy decides, not the anomaly

    # what `make run` prints at the end: the checks with their numbers, and the fix
    run_view = types.SimpleNamespace(all_events=damaged.all_events, assets_of_steps={})
    [block] = failure_blocks(run_view)
    assert f"row_count_anomaly: {TENTH}: rows {counts['after']}, usually" in block
    assert "Fix: nothing downstream was built on it" in block


def test_the_same_anomaly_only_warns_by_default(sample_settings):
    warned = dataclasses.replace(REQUESTS, anomalies=AnomalyPolicy())
    assert run(warned, sample_settings, *HISTORY).success
    damage_the_last_two_days(sample_settings.sample_dir)
    result = run(warned, sample_settings, TENTH.isoformat(), CUT_SHORT.isoformat())
    assert result.success
    rows = evaluations(result)[anomalies.ROW_COUNT]
    assert not rows.passed and rows.severity == dg.AssetCheckSeverity.WARN
    assert anomalies.COLUMNS not in evaluations(result)  # no columns declared, no column check


@pytest.mark.parametrize(
    ("value", "mean", "unusual"),
    [(2, 17, True), (7, 21, False), (17, 17, False), (60, 17, True), (95_000, 100_000, False), (10_000, 100_000, True)],
)
def test_a_count_is_unusual_when_far_from_the_usual_and_unlikely_by_chance(value, mean, unusual):
    assert anomalies._outside(value, mean, 0.5, 2.0) is unusual
