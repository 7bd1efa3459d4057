from datetime import date, datetime, timezone

from orchestration.lib.partitions import (
    DAILY,
    days_in_window,
    dbt_window_vars,
    partition_path,
    table_glob,
)


def test_days_in_window_is_half_open():
    start = datetime(2026, 1, 30, tzinfo=timezone.utc)
    end = datetime(2026, 2, 2, tzinfo=timezone.utc)
    assert list(days_in_window(start, end)) == [
        date(2026, 1, 30),
        date(2026, 1, 31),
        date(2026, 2, 1),
    ]


def test_empty_window_has_no_day():
    assert list(days_in_window(date(2026, 1, 1), date(2026, 1, 1))) == []


def test_partition_window_to_dbt_vars():
    window = DAILY.time_window_for_partition_key("2026-02-28")
    assert dbt_window_vars(window.start, window.end) == {
        "window_start": "2026-02-28",
        "window_end": "2026-03-01",
    }


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
    assert table_glob("/l", "denodo", "bv_commune") == (
        "/l/denodo/bv_commune/partition_date=*/data.parquet"
    )
