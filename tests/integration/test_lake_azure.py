"""The lake on blob storage (Azurite): layout, atomic publish under concurrent readers, bad input.

Readers here are the ones production has: `Lake.read_table` (pyarrow over adlfs) and DuckDB
over the abfs filesystem that dbt/profiles.yml declares, built the way dbt-duckdb builds it.
"""

import threading
import time
from datetime import date, timedelta

import pyarrow as pa
import pytest

from orchestration.platform.lake import Lake, LakeError
from orchestration.platform.settings import settings_for
from tests.azurite import Azurite, duckdb_reader, require_azurite

pytestmark = pytest.mark.azurite
DAY = date(2026, 1, 5)
SCHEMA = pa.schema([("id", pa.int64()), ("version", pa.int64())])


def rows_of(version: int) -> int:
    return 20_000 + 1_000 * (version % 7)


def batches(version: int, rows: int | None = None):
    rows = rows_of(version) if rows is None else rows
    for start in range(0, rows, 5_000):  # several row groups: a reader needs several ranges
        ids = range(start, min(start + 5_000, rows))
        yield pa.RecordBatch.from_pydict({"id": list(ids), "version": [version] * len(ids)}, SCHEMA)


def open_lake(environ) -> Lake:
    return settings_for("ci", environ=environ).open_lake()


def test_publish_writes_one_blob_per_partition_and_reads_back(lake_environ):
    lake = open_lake(lake_environ)
    root = lake_environ["LAKEHOUSE_LAKE_ROOT"]
    published = lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    container = root.removeprefix("abfs://")
    assert published.path == f"{container}/s/t/partition_date=2026-01-05/data.parquet"
    assert lake.fs.ls(f"{container}/s/t/partition_date=2026-01-05", detail=False) == [published.path]
    assert lake.read_table("s", "t").num_rows == rows_of(1) == published.rows
    count = duckdb_reader(lake_environ).execute(
        f"select count(*) from read_parquet('{root}/s/t/*/data.parquet', hive_partitioning = true)"
    )
    assert count.fetchone()[0] == rows_of(1)


def test_rerun_replaces_exactly_and_an_empty_day_is_published(lake_environ):
    lake = open_lake(lake_environ)
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(2, rows=3))
    assert lake.read_table("s", "t").column("version").to_pylist() == [2, 2, 2]
    assert lake.publish_partition("s", "t", DAY, SCHEMA, iter(())).rows == 0
    assert lake.read_table("s", "t").num_rows == 0


def test_stray_files_are_not_read_and_not_removed(lake_environ):
    lake = open_lake(lake_environ)
    root = lake_environ["LAKEHOUSE_LAKE_ROOT"]
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1, rows=2))
    directory = lake.partition_path("s", "t", DAY).rsplit("/", 1)[0]
    lake.fs.pipe(f"{directory}/notes.txt", b"not ours")
    lake.fs.pipe(f"{directory}/data.parquet.tmp-deadbeef", b"half a file")
    assert lake.read_table("s", "t").num_rows == 2
    sql = f"select count(*) from read_parquet('{root}/s/t/*/data.parquet', hive_partitioning = true)"
    assert duckdb_reader(lake_environ).execute(sql).fetchone()[0] == 2
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(2, rows=1))
    assert sorted(p.rsplit("/", 1)[1] for p in lake.fs.ls(directory, detail=False)) == [
        "data.parquet",
        "data.parquet.tmp-deadbeef",
        "notes.txt",
    ]


def rewrite_while_reading(lake_environ, read, rewrites: int = 30):
    """Rewrite three partitions `rewrites` times while `read()` runs in a loop in a thread.

    `read()` returns (day, rows, lowest version, highest version) per partition. Returns the
    reads that were wrong (half a partition or a mix of versions), the reads that raised, and
    the number of good reads and of versions seen per day."""
    lake = open_lake(lake_environ)
    days = [DAY + timedelta(days=i) for i in range(3)]
    for day in days:
        lake.publish_partition("s", "t", day, SCHEMA, batches(0))
    done, wrong, errors, good = threading.Event(), [], [], []
    seen: dict[date, set[int]] = {day: set() for day in days}

    def loop():
        while not done.is_set():
            try:
                result = read()
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            good.append(1)
            for day, count, low, high in result:
                seen[day].add(low)
                if low != high or count != rows_of(low):
                    wrong.append(f"{day}: {count} rows of versions {low}..{high}")

    reader = threading.Thread(target=loop)
    reader.start()
    try:
        for version in range(1, rewrites + 1):
            for day in days:
                lake.publish_partition("s", "t", day, SCHEMA, batches(version))
    finally:
        done.set()
        reader.join()
    return wrong, errors, len(good), {day: len(v) for day, v in seen.items()}


def test_lake_readers_never_see_half_a_partition_or_a_mix_while_it_is_rewritten(lake_environ):
    reader = Lake(lake_environ["LAKEHOUSE_LAKE_ROOT"], open_lake(lake_environ).credentials)

    def read():
        table = (
            reader.read_table("s", "t")
            .group_by("partition_date")
            .aggregate([("id", "count"), ("version", "min"), ("version", "max")])
        )
        return [tuple(row.values()) for row in table.to_pylist()]

    wrong, errors, good, versions_seen = rewrite_while_reading(lake_environ, read)
    assert not wrong and not errors, (wrong[:3], errors[:3])
    assert good >= 10 and all(n >= 3 for n in versions_seen.values()), (good, versions_seen)


def test_missing_container_is_a_clear_error_and_is_not_created(lake_environ, azurite):
    environ = {**lake_environ, "LAKEHOUSE_LAKE_ROOT": "abfs://no-such-container/lake"}
    with pytest.raises(LakeError, match="container 'no-such-container' does not exist"):
        open_lake(environ)
    from azure.storage.blob import BlobServiceClient

    with BlobServiceClient.from_connection_string(azurite.connection_string) as client:
        assert not client.get_container_client("no-such-container").exists()


@pytest.mark.parametrize("name", ["ab", "Lake", "my_lake", "-lake", "lake--x"])
def test_invalid_container_name_is_a_clear_error(lake_environ, name):
    environ = {**lake_environ, "LAKEHOUSE_LAKE_ROOT": f"abfs://{name}/lake"}
    with pytest.raises(LakeError, match=f"container name '{name}' is invalid"):
        open_lake(environ)


def test_wrong_credential_names_its_variable_and_never_shows_the_secret(lake_environ):
    wrong_key = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk="
    connection_string = lake_environ["LAKEHOUSE_LAKE_CONNECTION_STRING"]
    key = connection_string.split("AccountKey=")[1].split(";")[0]
    environ = {
        **lake_environ,
        "LAKEHOUSE_LAKE_CONNECTION_STRING": connection_string.replace(key, wrong_key),
    }
    with pytest.raises(LakeError) as raised:
        open_lake(environ)
    message = str(raised.value)
    assert "LAKEHOUSE_LAKE_CONNECTION_STRING" in message and "refused" in message
    assert wrong_key not in message and wrong_key not in repr(raised.value.__cause__)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_storage_stopped_mid_write_keeps_the_published_partition_and_a_rerun_succeeds(tmp_path):
    require_azurite()
    service = Azurite(tmp_path / "azurite").start()
    try:
        environ = {
            "LAKEHOUSE_LAKE_ROOT": f"abfs://{service.create_container('lake')}/lake",
            "LAKEHOUSE_LAKE_CONNECTION_STRING": service.connection_string,
        }
        lake = open_lake(environ)
        lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))

        def storage_dies_midway():
            batch = batches(2)
            yield next(batch)
            service.stop()
            yield from batch

        started = time.monotonic()
        with pytest.raises(LakeError, match="published before is unchanged"):
            lake.publish_partition("s", "t", DAY, SCHEMA, storage_dies_midway())
        assert time.monotonic() - started < 600
        service.start()  # same port, same data folder
        assert lake.read_table("s", "t").column("version").unique().to_pylist() == [1]
        assert lake.publish_partition("s", "t", DAY, SCHEMA, batches(3)).rows == rows_of(3)
        assert lake.read_table("s", "t").column("version").unique().to_pylist() == [3]
    finally:
        service.stop()
