"""The lake writer on a real local filesystem through fsspec."""

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.platform.lake import Lake

DAY = date(2026, 1, 5)
SCHEMA = pa.schema([("id", pa.int64()), ("amount", pa.decimal128(12, 2))])


def batches(*ids):
    yield pa.RecordBatch.from_pylist([{"id": i, "amount": None} for i in ids], schema=SCHEMA)


def test_publish_writes_one_hive_partition_file(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    published = lake.publish_partition("s", "t", DAY, SCHEMA, batches(1, 2, 3))
    assert published.path == f"{tmp_path}/lake/s/t/partition_date=2026-01-05/data.parquet"
    assert published.rows == 3 and published.bytes > 0
    assert pq.read_table(published.path).schema == SCHEMA
    assert [p.name for p in (tmp_path / "lake/s/t/partition_date=2026-01-05").iterdir()] == ["data.parquet"]


def test_rerun_replaces_the_partition_exactly(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1, 2, 3))
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(4))
    table = lake.read_table("s", "t")
    assert table.column("id").to_pylist() == [4]
    assert table.column("partition_date").to_pylist() == [DAY]


def test_empty_partition_is_published_and_replaces_old_rows(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    published = lake.publish_partition("s", "t", DAY, SCHEMA, iter(()))
    assert published.rows == 0
    assert lake.read_table("s", "t").num_rows == 0


def test_failure_mid_write_leaves_the_published_partition_and_no_temporary(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1, 2))

    def failing():
        yield from batches(7, 8)
        raise ConnectionError("source went away")

    with pytest.raises(ConnectionError):
        lake.publish_partition("s", "t", DAY, SCHEMA, failing())
    assert lake.read_table("s", "t").column("id").to_pylist() == [1, 2]
    assert len(list((tmp_path / "lake/s/t/partition_date=2026-01-05").iterdir())) == 1


def test_leftover_of_a_crashed_run_is_ignored_by_readers_and_cleaned_on_rerun(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    directory = tmp_path / "lake/s/t/partition_date=2026-01-05"
    (directory / "data.parquet.tmp-deadbeef").write_bytes(b"half a file")
    (directory / "notes.txt").write_text("not ours")
    assert lake.read_table("s", "t").num_rows == 1
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(2))
    assert sorted(p.name for p in directory.iterdir()) == ["data.parquet", "notes.txt"]


def test_a_concurrent_writer_s_temporary_file_is_not_taken_for_a_leftover(tmp_path):
    import fcntl

    lake = Lake(str(tmp_path / "lake"))
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    in_flight = tmp_path / "lake/s/t/partition_date=2026-01-05/data.parquet.tmp-otherwriter"
    with open(in_flight, "ab") as other_writer:
        fcntl.flock(other_writer, fcntl.LOCK_EX)  # as publish_file holds it while writing
        lake.publish_partition("s", "t", DAY, SCHEMA, batches(2))
        assert in_flight.exists(), "another run's file in the middle of its write was deleted"
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(3))  # its writer is gone now
    assert not in_flight.exists()
    assert lake.read_table("s", "t").column("id").to_pylist() == [3]


def test_the_newest_partition_is_the_newest_published_one(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    assert lake.newest_partition("s", "t") is None
    lake.publish_partition("s", "t", DAY, SCHEMA, batches(1))
    lake.publish_partition("s", "t", date(2026, 1, 3), SCHEMA, batches(2))
    # a later day whose first write is still in progress: its folder holds no data.parquet yet
    (tmp_path / "lake/s/t/partition_date=2026-01-09").mkdir()
    (tmp_path / "lake/s/t/partition_date=2026-01-09/data.parquet.tmp-0123").write_bytes(b"")
    assert lake.newest_partition("s", "t") == DAY
    assert lake.partition_days("s", "t") == [date(2026, 1, 3), DAY]
