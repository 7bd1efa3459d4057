"""Repeatable reads of the lake on blob storage (orchestration/platform/lake_reads.py), on Azurite,
through the filesystem that dbt/profiles.yml gives dbt. With plain adlfs, every test here fails."""

import duckdb
import pytest

from orchestration.platform.lake_reads import PinnedVersionGone
from tests.azurite import dbt_filesystem
from tests.integration.test_lake_azure import DAY, SCHEMA, batches, open_lake, rewrite_while_reading, rows_of

pytestmark = pytest.mark.azurite


def reader(lake_environ, cache_bytes: int | None = None, of: str = "dbt") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection reading the lake as one dbt invocation does (or as the lake's own
    DuckDB readers do: `of="lake"`)."""
    filesystem = dbt_filesystem(lake_environ) if of == "dbt" else open_lake(lake_environ).duckdb_filesystem()
    if cache_bytes is not None:
        filesystem.cache_bytes = cache_bytes
    connection = duckdb.connect()
    connection.register_filesystem(filesystem)
    return connection


def partitions(connection, lake_environ):
    return connection.execute(
        "select partition_date, count(*), min(version), max(version) from read_parquet("
        f"'{lake_environ['LAKEHOUSE_LAKE_ROOT']}/s/t/*/data.parquet', hive_partitioning = true) "
        "group by all order by all"
    ).fetchall()


@pytest.mark.parametrize("of", ["dbt", "lake"])
def test_a_reader_sees_each_file_at_the_version_it_first_read(lake_environ, of):
    lake = open_lake(lake_environ)
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    first = reader(lake_environ, of=of)
    assert partitions(first, lake_environ) == [(DAY, rows_of(1), 1, 1)]
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(2))
    assert partitions(first, lake_environ) == [(DAY, rows_of(1), 1, 1)]  # still its version
    assert partitions(reader(lake_environ, of=of), lake_environ) == [(DAY, rows_of(2), 2, 2)]


def test_a_pinned_version_that_is_gone_is_an_error_not_a_mix(lake_environ):
    lake = open_lake(lake_environ)
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    forgetful = reader(lake_environ, cache_bytes=0)  # keeps no version in memory
    assert partitions(forgetful, lake_environ) == [(DAY, rows_of(1), 1, 1)]
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(2))
    with pytest.raises(duckdb.Error, match="was rewritten while this run was reading it"):
        partitions(forgetful, lake_environ)


def test_only_the_least_recently_read_files_leave_memory(lake_environ):
    from datetime import timedelta

    lake = open_lake(lake_environ)
    days = [DAY, DAY + timedelta(days=1)]
    for day in days:
        lake.publish_partition("s", "t", day, SCHEMA, batches(1))
    paths = [lake.fs.unstrip_protocol(lake.partition_path("s", "t", day)) for day in days]
    filesystem = dbt_filesystem(lake_environ)
    filesystem.cache_bytes = int(lake.fs.size(paths[0]) * 1.5)  # room for one file, not two
    filesystem.cat_file(paths[0])
    second = filesystem.cat_file(paths[1])  # pushes the first one out
    for day in days:
        lake.publish_partition("s", "t", day, SCHEMA, batches(2))
    assert lake.fs.cat_file(paths[1]) != second
    assert filesystem.cat_file(paths[1]) == second  # still held: its old version
    with pytest.raises(PinnedVersionGone, match="was rewritten while this run was reading it"):
        filesystem.cat_file(paths[0])  # evicted, and its pinned version is gone


def test_duckdb_never_sees_a_mix_while_partitions_are_rewritten(lake_environ):
    def read():  # a reader per read, as dbt has one per invocation
        return partitions(reader(lake_environ), lake_environ)

    wrong, errors, good, versions_seen = rewrite_while_reading(lake_environ, read)
    assert not wrong and not errors, (wrong[:3], errors[:3])
    assert good >= 10 and all(n >= 3 for n in versions_seen.values()), (good, versions_seen)
