"""Versioned gold (versions.py) on a local disk and on Azurite: every publication read back
exactly, a partition replaced alone, a failure halfway, the history, the vacuum."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from orchestration.platform.lake import Lake, LakeError
from orchestration.platform.settings import settings_for
from orchestration.platform.versions import (
    CARRIED_OVER,
    Publication,
    Rebuilt,
    VersionGone,
    end_of_day,
    publication_history,
    publish_versions,
    published_departments,
    read_publication,
    vacuum_versions,
)

MONDAY = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)
JANUARY, FEBRUARY = date(2026, 1, 1), date(2026, 2, 1)
KEEP_DAYS = 30


def grants(*rows: tuple[date, str, str]) -> pa.Table:
    """Monthly grants: (month, sector, amount) with an exact decimal and an accented label."""
    return pa.table(
        {
            "month": pa.array([r[0] for r in rows], pa.date32()),
            "sector_label": pa.array([r[1] for r in rows], pa.string()),
            "paid_amount": pa.array([Decimal(r[2]) for r in rows], pa.decimal128(18, 2)),
        }
    )


def communes(*names: str) -> pa.Table:
    return pa.table(
        {"commune_name": pa.array(names, pa.string()), "population": pa.array(range(len(names)), pa.int64())}
    )


def monthly(rows: pa.Table, *months: date) -> Rebuilt:
    return Rebuilt(rows, months[-1], "subventions.paiement: 2026-01-01..2026-02-28 (59 days)", "month", months)


def publish(lake: Lake, at: datetime, run: str, **rebuilt: Rebuilt) -> dict[str, int]:
    return publish_versions(lake, "culture", Publication(f"{at:%Y%m%dT%H%M%S}-{run}", run, at), rebuilt, KEEP_DAYS)


def rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: tuple(map(str, r.values())))


def publish_twice_and_read_both(lake: Lake) -> None:
    january = (JANUARY, "Théâtre", "1250.10")
    first = grants(january, (FEBRUARY, "Musique", "99.99"))
    assert read_publication(lake, "culture") == {} and published_departments(lake) == []
    publish(lake, MONDAY, "run1", grants=monthly(first, JANUARY, FEBRUARY), communes=Rebuilt(communes("Namur"), None))
    # Tuesday: February rebuilt with a late payment; January and the communes carried over
    second = grants((FEBRUARY, "Musique", "99.99"), (FEBRUARY, "Danse", "0.01"))
    assert publish(lake, TUESDAY, "run2", grants=monthly(second, FEBRUARY)) == {"grants": 1}

    monday, tuesday = read_publication(lake, "culture", MONDAY + timedelta(hours=12)), read_publication(lake, "culture")
    assert rows(monday["grants"].table) == rows(first)
    assert rows(tuesday["grants"].table) == rows(grants(january, *[tuple(r.values()) for r in second.to_pylist()]))
    assert tuesday["grants"].table.schema == first.schema, "the types come back as they were written"
    assert rows(monday["communes"].table) == rows(tuesday["communes"].table) == rows(communes("Namur"))
    assert tuesday["communes"].published_at == MONDAY and tuesday["grants"].published_at == TUESDAY
    assert read_publication(lake, "culture", MONDAY - timedelta(seconds=1)) == {}, "nothing was published before"
    assert published_departments(lake) == ["culture"]

    history = publication_history(lake, "culture", "grants").to_pylist()
    assert [(h["run_id"], h["version"], h["row_count"], h["rebuilt"]) for h in history] == [
        ("run1", 0, 2, "2026-01-01, 2026-02-01"),
        ("run2", 1, 3, "2026-02-01"),
    ]
    assert history[1]["sources"].startswith("subventions.paiement: 2026-01-01..")
    carried = publication_history(lake, "culture", "communes").to_pylist()[-1]
    assert (carried["run_id"], carried["version"], carried["rebuilt"]) == ("run2", 0, CARRIED_OVER)


def test_two_publications_are_read_back_exactly_now_and_as_of_the_first(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    publish_twice_and_read_both(lake)
    # Tuesday's commit replaced February's rows only, and names its publication and run
    history = {h["version"]: h for h in DeltaTable(str(tmp_path / "lake/gold/culture/grants")).history()}
    assert history[1]["operationParameters"]["predicate"] == "month = '2026-02-01'::date"
    assert (history[1]["run_id"], history[0]["run_id"]) == ("run2", "run1")


@pytest.mark.azurite
def test_two_publications_on_azure_blob_storage(lake_environ):
    lake = settings_for("ci", environ=lake_environ).open_lake()
    publish_twice_and_read_both(lake)
    # a third commit to each table and to the log (an emulator that ignored List Blobs'
    # `startFrom` failed it), then a vacuum that keeps every version of the last 30 days
    third = grants((FEBRUARY, "Musique", "1.00"))
    assert publish(lake, TUESDAY + timedelta(days=1), "run3", grants=monthly(third, FEBRUARY)) == {"grants": 2}
    assert vacuum_versions(lake, "culture", KEEP_DAYS) == 0
    assert [h["version"] for h in publication_history(lake, "culture", "grants").to_pylist()] == [0, 1, 2]
    tuesday = read_publication(lake, "culture", TUESDAY)["grants"].table
    assert sorted(tuesday["sector_label"].to_pylist()) == ["Danse", "Musique", "Théâtre"]


def test_a_publication_that_fails_halfway_is_never_read_nor_built_upon(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    first = grants((JANUARY, "Théâtre", "1.00"), (FEBRUARY, "Danse", "1.00"))
    publish(lake, MONDAY, "run1", grants=monthly(first, JANUARY, FEBRUARY), zones=Rebuilt(communes("Namur"), None))
    # run2 writes February's 999.00 (grants sort first), then fails writing zones: its months are
    # replaced by a column the table does not have, which only the write finds out
    broken = Rebuilt(communes("Liège"), None, "", "month", (JANUARY,))
    with pytest.raises(
        LakeError, match="Publishing culture's gold tables failed; the current publication is unchanged"
    ):
        publish(lake, TUESDAY, "run2", grants=monthly(grants((FEBRUARY, "Danse", "999.00")), FEBRUARY), zones=broken)
    assert DeltaTable(str(tmp_path / "lake/gold/culture/grants")).version() == 1, "run2's version was written"
    assert rows(read_publication(lake, "culture")["grants"].table) == rows(first), "but is never read"
    # run3 rebuilds January only: February is the published 1.00, not the unpublished 999.00
    publish(lake, TUESDAY + timedelta(hours=1), "run3", grants=monthly(grants((JANUARY, "Théâtre", "2.00")), JANUARY))
    assert rows(read_publication(lake, "culture")["grants"].table) == rows(
        grants((JANUARY, "Théâtre", "2.00"), (FEBRUARY, "Danse", "1.00"))
    )
    assert [h["rebuilt"] for h in publication_history(lake, "culture", "grants").to_pylist()] == [
        "2026-01-01, 2026-02-01",
        "2026-01-01",
    ]


def test_as_of_a_day_means_the_end_of_that_day_in_brussels(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    evening = datetime(2026, 11, 2, 22, 30, tzinfo=UTC)  # 23:30 in Brussels, on the 2nd
    after_midnight = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 00:30 in Brussels, on the 3rd
    publish(lake, evening, "run1", communes=Rebuilt(communes("Namur"), None))
    publish(lake, after_midnight, "run2", communes=Rebuilt(communes("Liège"), None))
    assert rows(read_publication(lake, "culture", end_of_day(date(2026, 11, 2)))["communes"].table) == rows(
        communes("Namur")
    )
    assert rows(read_publication(lake, "culture", end_of_day(date(2026, 11, 3)))["communes"].table) == rows(
        communes("Liège")
    )
    assert read_publication(lake, "culture", end_of_day(date(2026, 11, 1))) == {}


def test_a_department_published_before_versions_is_read_then_imported(tmp_path):
    """The publication of the previous design (a Parquet folder behind published.json) is served
    until the department's first publication here, which imports it as its first version."""
    lake = Lake(str(tmp_path / "lake"))
    root = tmp_path / "lake/gold/culture"
    (root / "p1").mkdir(parents=True)
    old = grants((JANUARY, "Théâtre", "1.00"), (FEBRUARY, "Danse", "1.00"))
    pq.write_table(old, root / "p1/grants.parquet")
    pointer = {
        "grants": {
            "path": "p1/grants.parquet",
            "rows": 2,
            "published_at": MONDAY.isoformat(),
            "data_as_of": "2026-02-28",
        }
    }
    (root / "published.json").write_text(json.dumps({"publication": "p1", "tables": pointer}))
    assert published_departments(lake) == ["culture"]
    assert rows(read_publication(lake, "culture")["grants"].table) == rows(old)

    publish(lake, TUESDAY, "run2", grants=monthly(grants((FEBRUARY, "Danse", "2.00")), FEBRUARY))
    assert rows(read_publication(lake, "culture")["grants"].table) == rows(
        grants((JANUARY, "Théâtre", "1.00"), (FEBRUARY, "Danse", "2.00"))
    ), "January carried over from the old publication"
    history = publication_history(lake, "culture", "grants").to_pylist()
    assert [(h["run_id"], h["rebuilt"]) for h in history] == [
        ("imported from published.json", "imported"),
        ("run2", "2026-02-01"),
    ]
    assert rows(read_publication(lake, "culture", MONDAY)["grants"].table) == rows(old)


def test_vacuum_keeps_what_the_environment_asks_and_says_when_a_version_is_gone(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    for day in range(3):
        at = MONDAY + timedelta(days=day)
        publish(lake, at, f"run{day}", communes=Rebuilt(communes(f"Commune {day}"), None))
    assert vacuum_versions(lake, "culture", KEEP_DAYS) == 0, "nothing was replaced 30 days ago"
    assert rows(read_publication(lake, "culture", MONDAY)["communes"].table) == rows(communes("Commune 0"))
    assert vacuum_versions(lake, "culture", 0) == 2, "the two replaced versions' files"
    assert rows(read_publication(lake, "culture")["communes"].table) == rows(communes("Commune 2"))
    with pytest.raises(VersionGone, match="version 0 was vacuumed.*GOLD_VERSIONS_DAYS"):
        read_publication(lake, "culture", MONDAY)


def test_the_days_kept_are_set_per_environment_and_checked():
    from orchestration.platform.settings import SettingsError

    assert settings_for("prod").gold_versions_days > settings_for("local").gold_versions_days >= 7
    assert settings_for("local", environ={"LAKEHOUSE_GOLD_VERSIONS_DAYS": "3"}).gold_versions_days == 3
    with pytest.raises(SettingsError, match="LAKEHOUSE_GOLD_VERSIONS_DAYS='0'.*1 or more"):
        settings_for("local", environ={"LAKEHOUSE_GOLD_VERSIONS_DAYS": "0"})


def test_make_history_lists_the_versions_and_writes_a_past_day_as_csv(tmp_path, monkeypatch, capsys):
    from orchestration.platform.cli import main

    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LAKEHOUSE_ENV", raising=False)
    lake = settings_for("local", data_dir=tmp_path).open_lake()
    name = "gld_culture__subventions_mensuelles"
    first = grants((JANUARY, "Théâtre", "1250.10"))
    publish(lake, MONDAY, "run1", **{name: monthly(first, JANUARY)})
    publish(lake, TUESDAY, "run2", **{name: monthly(grants((JANUARY, "Théâtre", "7.00")), JANUARY)})

    assert main(["history", name]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[:4] for line in listed if "version" in line] == [
        ["2026-11-02", "07:00", "version", "0"],  # Brussels time
        ["2026-11-03", "07:00", "version", "1"],
    ]
    assert main(["history", name, "--as-of", "2026-11-02"]) == 0
    written = tmp_path / "history" / f"{name}_as_of_2026-11-02.csv"
    assert written.read_text(encoding="utf-8").splitlines()[1:] == ['2026-01-01,"Théâtre",1250.10']
    assert main(["history", "gld_nope"]) == 2
    assert "is not a gold table" in capsys.readouterr().err


def test_a_monthly_table_whose_columns_changed_is_replaced_whole_or_refused(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    publish(
        lake,
        MONDAY,
        "run1",
        grants=monthly(grants((JANUARY, "Théâtre", "1.10"), (FEBRUARY, "Danse", "2.20")), JANUARY, FEBRUARY),
    )
    wider = grants((FEBRUARY, "Danse", "2.20")).append_column("payment_count", pa.array([3], pa.int64()))
    # February alone, with a new column: January would be published without it
    with pytest.raises(LakeError, match=r"columns changed .* rebuilt only 2026-02-01..2026-02-01.*make run FROM="):
        publish(lake, TUESDAY, "run2", grants=monthly(wider, FEBRUARY))
    assert read_publication(lake, "culture")["grants"].table.column_names == ["month", "sector_label", "paid_amount"]
    # every month rebuilt: the new shape, whole
    both = grants((JANUARY, "Théâtre", "1.10"), (FEBRUARY, "Danse", "2.20")).append_column(
        "payment_count", pa.array([1, 3], pa.int64())
    )
    publish(lake, TUESDAY, "run3", grants=monthly(both, JANUARY, FEBRUARY))
    assert rows(read_publication(lake, "culture")["grants"].table) == rows(both)
    assert rows(read_publication(lake, "culture", MONDAY)["grants"].table)[0].keys() == {
        "month",
        "sector_label",
        "paid_amount",
    }


EXTREMES = pa.table(
    {
        "day": pa.array([date(1, 1, 1), date(9999, 12, 31), None], pa.date32()),
        "count": pa.array([-(2**63), 2**63 - 1, None], pa.int64()),
        "amount": pa.array(
            [Decimal("-99999999999999999999999999999999999.999"), Decimal("0.001"), None], pa.decimal128(38, 3)
        ),
        "ratio": pa.array([float("-inf"), -0.0, None], pa.float64()),
        "label": pa.array(["", "é\u0000\U0001f600 'quote\" ; \n", None], pa.string()),
        "open": pa.array([True, False, None]),
        "at": pa.array(
            [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), None],
            pa.timestamp("us", tz="UTC"),
        ),
        "local_at": pa.array([datetime(1970, 1, 1), datetime(2026, 1, 1, 1, 2, 3, 4), None], pa.timestamp("us")),
        "whole_us": pa.array([1_000_000_000, 1_000, None], pa.timestamp("ns", tz="UTC")),  # nanoseconds, none lost
    }
)


def test_the_extremes_of_each_type_are_read_back_exactly_and_an_empty_table_too(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    publish(lake, MONDAY, "run1", extremes=Rebuilt(EXTREMES, None))
    back = read_publication(lake, "culture")["extremes"].table
    expected = EXTREMES.set_column(8, "whole_us", EXTREMES["whole_us"].cast(pa.timestamp("us", tz="UTC")))
    assert back.schema == expected.schema and back.to_pylist() == expected.to_pylist()
    assert str(back["ratio"][1]) == "-0.0"
    publish(lake, TUESDAY, "run2", extremes=Rebuilt(EXTREMES.slice(0, 0), None))
    assert read_publication(lake, "culture")["extremes"].table.schema == back.schema
    assert read_publication(lake, "culture")["extremes"].table.num_rows == 0


@pytest.mark.parametrize(
    ("column", "refused"),
    [
        (pa.array([1_000_000_001], pa.timestamp("ns", tz="UTC")), "column v holds timestamps with nanoseconds"),
        (pa.array([2**64 - 1], pa.uint64()), "column v is uint64, which Delta Lake cannot store"),
        (pa.array([1], pa.time64("us")), "column v is time64[us], which Delta Lake cannot store"),
    ],
)
def test_a_value_delta_would_not_keep_exactly_is_refused_before_anything_is_written(tmp_path, column, refused):
    lake = Lake(str(tmp_path / "lake"))
    publish(lake, MONDAY, "run1", communes=Rebuilt(communes("Namur"), None))
    with pytest.raises(LakeError, match=f"Gold table odd: {re.escape(refused)}.*cast it|round them"):
        publish(
            lake, TUESDAY, "run2", communes=Rebuilt(communes("Liège"), None), odd=Rebuilt(pa.table({"v": column}), None)
        )
    assert (
        not (tmp_path / "lake/gold/culture/odd").exists()
        and not (tmp_path / "lake/gold/culture/communes/_delta_log/00000000000000000001.json").exists()
    )
    assert rows(read_publication(lake, "culture")["communes"].table) == rows(communes("Namur"))
