"""An erasure request end to end, as `make erase` runs it: the person's rows leave every raw
partition, the models and gold tables built from them are rebuilt without them, the audit record
names the request and the partitions (not the person), and the next extraction does not bring
them back although the source still holds them."""

import json
from datetime import date, timedelta

import dagster as dg
import duckdb
import pyarrow.compute as pc
import pytest

from orchestration.platform.cli import main, run_window

pytestmark = pytest.mark.e2e


@pytest.fixture
def built(demo_built, monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(demo_built.data_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return demo_built


def warehouse(settings, sql: str):
    with duckdb.connect(str(settings.warehouse("sport")), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_an_erased_member_is_gone_from_the_lake_the_models_and_gold(built):
    lake = built.open_lake()
    raw = lake.read_table("sport", "affiliation")
    counts = pc.value_counts(raw.column("numero_national")).to_pylist()
    member = max(counts, key=lambda c: c["counts"])["values"]  # the member with most affiliations
    days = sorted(
        {
            d
            for d, p in zip(raw.column("partition_date").to_pylist(), raw.column("numero_national").to_pylist())
            if p == member
        }
    )
    [(in_staging,)] = warehouse(
        built, f"select count(*) from stg.stg_sport__affiliations where member_pseudonym = '{member}'"
    )
    [(gold_before,)] = warehouse(built, "select sum(affiliation_count) from gld.gld_sport__affiliations")
    assert in_staging == len(days) >= 2

    assert main(["erase", "--pseudonym", member, "--request", "DPO-2026-017"]) == 0

    after = lake.read_table("sport", "affiliation")
    assert member not in set(after.column("numero_national").to_pylist())
    assert after.num_rows == raw.num_rows - in_staging  # nobody else's rows
    assert warehouse(
        built, f"select count(*) from stg.stg_sport__affiliations where member_pseudonym = '{member}'"
    ) == [(0,)]
    [(gold_after,)] = warehouse(built, "select sum(affiliation_count) from gld.gld_sport__affiliations")
    assert gold_after == gold_before - in_staging
    [record_path] = lake.fs.glob(f"{lake.fs_root}/_audit/erasure/*.json")
    record = lake.fs.cat_file(record_path).decode()
    assert member not in record
    assert json.loads(record)["request"] == "DPO-2026-017"
    assert {r["partition"] for r in json.loads(record)["removed"]} == {d.isoformat() for d in days}

    # the source still holds the member: landing their first day again leaves them out
    day = days[0]
    assert run_window(
        built, day, day, instance=dg.DagsterInstance.ephemeral(), select="key:raw/sport/affiliation"
    ).success
    again = lake.read_table("sport", "affiliation")
    assert member not in set(again.column("numero_national").to_pylist())
    assert isinstance(day, date)


def test_retention_deletes_the_old_partitions_and_gold_stops_counting_them(built):
    """Ten years after the sample (sport affiliations keep 3650 days), `make retention` deletes the
    oldest partitions, and the rebuild takes their affiliations out of staging and gold."""
    lake = built.open_lake()
    today = date(2036, 2, 15)
    cutoff = today - timedelta(days=3650)  # sport.affiliation's retention_days
    days = lake.partition_days("sport", "affiliation")
    [(old,)] = warehouse(built, f"select count(*) from stg.stg_sport__affiliations where partition_date < '{cutoff}'")
    [(gold_before,)] = warehouse(built, "select sum(affiliation_count) from gld.gld_sport__affiliations")
    payments = lake.partition_days("subventions", "paiement")
    assert old > 0 and days[0] < cutoff

    assert main(["retention", "--today", today.isoformat()]) == 0

    assert lake.partition_days("sport", "affiliation") == [d for d in days if d >= cutoff]
    assert lake.partition_days("subventions", "paiement") == payments  # no retention: untouched
    assert warehouse(built, f"select count(*) from stg.stg_sport__affiliations where partition_date < '{cutoff}'") == [
        (0,)
    ]
    [(gold_after,)] = warehouse(built, "select sum(affiliation_count) from gld.gld_sport__affiliations")
    assert gold_after == gold_before - old
    [record] = lake.fs.glob(f"{lake.fs_root}/_audit/retention/*.json")
    audit = json.loads(lake.fs.cat_file(record))
    assert audit["request"] == f"retention as of {today}"
    assert {r["partition"] for r in audit["removed"]} == {d.isoformat() for d in days if d < cutoff}
