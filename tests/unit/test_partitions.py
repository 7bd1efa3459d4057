from datetime import UTC, date, datetime

import pytest

from orchestration.platform.layout import dbt_external_location, partition_path, table_glob
from orchestration.platform.partitions import (
    DAILY,
    MONTHLY,
    covering,
    days_in_window,
    event_time_flags,
    partitions_for,
)


def test_days_in_window_is_half_open():
    start = datetime(2026, 1, 30, tzinfo=UTC)
    end = datetime(2026, 2, 2, tzinfo=UTC)
    assert list(days_in_window(start, end)) == [
        date(2026, 1, 30),
        date(2026, 1, 31),
        date(2026, 2, 1),
    ]


def test_empty_window_has_no_day():
    assert list(days_in_window(date(2026, 1, 1), date(2026, 1, 1))) == []


def test_partition_window_to_dbt_event_time_flags():
    window = DAILY.time_window_for_partition_key("2026-02-28")
    assert event_time_flags(window.start, window.end) == [
        "--event-time-start",
        "2026-02-28",
        "--event-time-end",
        "2026-03-01",
    ]
    month = MONTHLY.time_window_for_partition_key("2026-02-01")
    assert event_time_flags(month.start, month.end)[1::2] == ["2026-02-01", "2026-03-01"]


def test_a_grain_names_its_partitions_and_none_means_unpartitioned():
    assert (partitions_for("day"), partitions_for("month"), partitions_for(None)) == (DAILY, MONTHLY, None)
    with pytest.raises(ValueError, match="Unknown grain 'week'"):
        partitions_for("week")


def test_the_month_in_progress_is_a_partition():
    from datetime import datetime

    keys = MONTHLY.get_partition_keys(current_time=datetime(2026, 3, 15, tzinfo=UTC))
    assert keys[-1] == "2026-03-01"
    assert DAILY.get_partition_keys(current_time=datetime(2026, 3, 15, tzinfo=UTC))[-1] == "2026-03-14"


def test_covering_window():
    assert covering([(date(2026, 3, 1), date(2026, 3, 2)), (date(2026, 2, 27), date(2026, 2, 28))]) == (
        date(2026, 2, 27),
        date(2026, 3, 2),
    )


def test_partition_path_is_hive_style_and_works_for_urls():
    assert (
        partition_path("abfs://lake/prod/", "subventions", "paiement", date(2026, 1, 5))
        == "abfs://lake/prod/subventions/paiement/partition_date=2026-01-05/data.parquet"
    )
    assert (
        partition_path("/tmp/lake", "sport", "club", date(2026, 12, 31))
        == "/tmp/lake/sport/club/partition_date=2026-12-31/data.parquet"
    )


def test_table_glob_reads_only_published_files():
    assert table_glob("/l", "denodo", "bv_commune") == ("/l/denodo/bv_commune/partition_date=*/data.parquet")


def test_dbt_sources_read_the_partitions_that_the_lake_writes():
    rendered = dbt_external_location("sport").replace("{{ var('lake_root') }}", "/l").format(name="club")
    assert rendered == f"read_parquet('{table_glob('/l', 'sport', 'club')}', hive_partitioning = true)"


def test_a_dbt_step_keeps_the_folders_of_its_last_builds_only(tmp_path):
    import os

    from orchestration.platform.transform import prune_targets

    for n in range(8):
        for step in ("dbt_daily_culture", "dbt_daily"):
            folder = tmp_path / f"{step}-run{n:04d}-abc{n:04d}"
            folder.mkdir()
            os.utime(folder, (1_000_000 + n, 1_000_000 + n))
    (tmp_path / "manifest.json").write_text("{}")
    prune_targets(tmp_path / "dbt_daily_culture-run0009-new0000", keep=3)
    kept = sorted(f.name for f in tmp_path.iterdir())
    culture = [name for name in kept if name.startswith("dbt_daily_culture-")]
    assert culture == [
        "dbt_daily_culture-run0005-abc0005",
        "dbt_daily_culture-run0006-abc0006",
        "dbt_daily_culture-run0007-abc0007",
    ]
    assert len([name for name in kept if name.startswith("dbt_daily-")]) == 8  # another step's: untouched
    assert "manifest.json" in kept
