"""Pure rules of an ingestion run: partitions to write, schema drift, retries, connections."""

import threading
import time
from datetime import UTC, date, timedelta

import pyarrow as pa
import pytest

from orchestration.platform.connections import ConnectionError_, ConnectionSpec, parse_connections, resolve_credentials
from orchestration.platform.extractors import ExtractError, with_retries
from orchestration.platform.extractors.base import prefetch
from orchestration.platform.extractors.types import conform, mysql_type, named_type, postgres_type
from orchestration.platform.ingestion_plan import (
    MAX_READ_DAYS,
    Period,
    SchemaDriftError,
    Watermark,
    enforce_policy,
    periods_of,
    periods_to_write,
    reads,
    schema_change,
    split_by_period,
)
from orchestration.platform.registry import TableSpec

SPEC = TableSpec("s", "s", "t", "d", "o@example.be", ("id",), "incremental", "updated_at")
START = date(2026, 1, 1)


def spec(**changes) -> TableSpec:
    return TableSpec(**{**SPEC.__dict__, **changes})


def test_a_day_writes_its_partition_and_the_lookback_rewrites_the_days_before():
    assert periods_to_write(SPEC, date(2026, 1, 5), date(2026, 1, 6), START) == [
        Period(date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 6))
    ]
    keys = [p.key for p in periods_to_write(spec(lookback_days=2), date(2026, 1, 5), date(2026, 1, 7), START)]
    assert keys == [date(2026, 1, 3), date(2026, 1, 4), date(2026, 1, 5), date(2026, 1, 6)]


def test_lookback_never_reaches_before_the_first_partition():
    keys = [p.key for p in periods_to_write(spec(lookback_days=3), date(2026, 1, 2), date(2026, 1, 3), START)]
    assert keys == [date(2026, 1, 1), date(2026, 1, 2)]


def test_monthly_grain_writes_one_partition_per_month_keyed_by_its_first_day():
    periods = periods_to_write(spec(grain="month", lookback_days=3), date(2026, 2, 2), date(2026, 2, 4), START)
    assert periods == [
        Period(date(2026, 1, 1), date(2026, 1, 1), date(2026, 2, 1)),
        Period(date(2026, 2, 1), date(2026, 2, 1), date(2026, 3, 1)),
    ]
    december = periods_to_write(spec(grain="month"), date(2026, 12, 31), date(2027, 1, 1), START)
    assert december == [Period(date(2026, 12, 1), date(2026, 12, 1), date(2027, 1, 1))]


def test_with_another_partition_column_a_run_writes_its_own_days_and_the_days_changes_fall_on():
    paid_on = spec(partition_column="paye_le", lookback_days=2)
    assert [p.key for p in periods_to_write(paid_on, date(2026, 3, 1), date(2026, 3, 2), START)] == [
        date(2026, 3, 1)
    ]  # the lookback reads changes; the partitions are those of the changed rows (periods_of)
    assert [p.key for p in periods_of(paid_on, [date(2026, 3, 1), date(2026, 2, 27), date(2026, 3, 1)])] == [
        date(2026, 2, 27),
        date(2026, 3, 1),
    ]


def test_consecutive_partitions_are_read_together_a_month_at_most():
    days = periods_of(
        SPEC, [date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 2), date(2026, 2, 5)]
    )
    assert [[p.key.day for p in group] for group in reads(days)] == [[30, 31], [1, 2], [5]]
    year = periods_of(SPEC, [date(2026, 1, 1) + timedelta(days=n) for n in range(365)])
    groups = reads(year)
    assert len(groups) == 12 and all(len(g) <= MAX_READ_DAYS for g in groups)
    assert sum(len(g) for g in groups) == 365


def test_rows_of_one_read_are_split_by_the_utc_day_of_the_partition_column():
    from datetime import datetime

    table = pa.table(
        {
            "id": [1, 2, 3],
            "soumise_le": pa.array(
                [
                    datetime(2026, 1, 5, 23, 59, tzinfo=UTC),
                    datetime(2026, 1, 6, 0, 0, tzinfo=UTC),
                    datetime(2026, 1, 9, 12, 0, tzinfo=UTC),  # outside the periods: dropped
                ],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    periods = periods_of(SPEC, [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)])
    parts = split_by_period(spec(partition_column="soumise_le"), table, periods)
    assert {day.day: part.column("id").to_pylist() for day, part in parts.items()} == {5: [1], 6: [2], 7: []}


OLD = pa.schema([("id", pa.int64()), ("montant", pa.decimal128(12, 2)), ("statut", pa.string())])


def test_schema_change_lists_added_dropped_and_retyped_columns():
    new = pa.schema([("id", pa.int64()), ("montant", pa.decimal128(14, 2)), ("canal", pa.string())])
    change = schema_change(OLD, new)
    assert change.added == ("canal",) and change.dropped == ("statut",)
    assert change.retyped == ("montant: decimal128(12, 2) -> decimal128(14, 2)",)
    assert not schema_change(None, new) and not schema_change(OLD, OLD)


def test_evolve_takes_added_columns_freeze_refuses_and_a_retype_always_fails():
    added = schema_change(OLD, OLD.append(pa.field("canal", pa.string())))
    enforce_policy(SPEC, added)
    with pytest.raises(SchemaDriftError, match=r"systems\.s\.tables\.t: .*added canal.*'freeze'"):
        enforce_policy(spec(schema_policy="freeze"), added)
    retyped = schema_change(OLD, OLD.set(2, pa.field("statut", pa.int32())))
    with pytest.raises(SchemaDriftError, match="retyped statut: string -> int32"):
        enforce_policy(SPEC, retyped)


def test_evolve_refuses_a_source_that_replaced_most_of_the_columns():
    # a copied entry still naming another table: every column is new, the old ones are gone
    other = pa.schema([("id_club", pa.int64()), ("nom_club", pa.string()), ("statut", pa.string())])
    change = schema_change(OLD, other)
    assert change.replaces_most_columns
    with pytest.raises(SchemaDriftError, match=r"2 of its 3 columns are gone or retyped .*dropped id, montant"):
        enforce_policy(SPEC, change)
    # one column dropped out of three is an evolution
    enforce_policy(SPEC, schema_change(OLD, OLD.remove(2)))


def test_watermark_follows_the_cursor_across_batches_and_ignores_nulls():
    schema = pa.schema([("updated_at", pa.date32())])
    batches = [
        pa.RecordBatch.from_pylist([{"updated_at": date(2026, 1, 3)}, {"updated_at": None}], schema),
        pa.RecordBatch.from_pylist([{"updated_at": date(2026, 1, 1)}], schema),
        pa.RecordBatch.from_pylist([{"updated_at": None}], schema),
    ]
    watermark = Watermark("updated_at")
    assert sum(b.num_rows for b in watermark.watch(batches)) == 4
    assert (watermark.low, watermark.high) == (date(2026, 1, 1), date(2026, 1, 3))


def test_transient_errors_are_retried_with_backoff_and_permanent_ones_are_not():
    calls, delays = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ExtractError("connection reset", transient=True)
        return "ok"

    assert with_retries(flaky, sleep=delays.append) == "ok"
    assert len(calls) == 3 and delays[0] < delays[1] and 1 <= delays[0] < 1.25

    def broken():
        calls.append(1)
        raise ExtractError("password authentication failed")

    calls.clear()
    with pytest.raises(ExtractError):
        with_retries(broken, sleep=delays.append)
    assert len(calls) == 1

    def always_down():
        calls.append(1)
        raise ExtractError("server down", transient=True)

    calls.clear()
    with pytest.raises(ExtractError, match="server down"):
        with_retries(always_down, attempts=2, sleep=lambda _: None)
    assert len(calls) == 2


def test_connections_refuse_a_password_in_yaml_and_unknown_keys():
    with pytest.raises(ConnectionError_, match=r"test\.db: a password never goes in the YAML.*password_env"):
        parse_connections({"db": {"type": "postgres", "host": "h", "database": "d", "password": "x"}}, "test")
    with pytest.raises(ConnectionError_, match=r"unknown key\(s\) \['hots'\]"):
        parse_connections({"db": {"type": "postgres", "hots": "h", "database": "d"}}, "test")
    with pytest.raises(ConnectionError_, match="`host:` \\(or `host_env:`\\) is required"):
        parse_connections({"db": {"type": "mysql", "database": "d"}}, "test")


@pytest.mark.parametrize(
    ("definition", "allowed"),
    [
        ({"type": "postgres", "streams": 4}, True),
        ({"type": "mysql", "streams": 1}, True),
        ({"type": "postgres", "streams": 0}, False),
        ({"type": "postgres", "streams": "2"}, False),
        ({"type": "postgres", "streams": True}, False),
        ({"type": "mysql", "streams": 2}, False),
        ({"type": "denodo", "streams": 2}, False),
    ],
)
def test_connection_streams_is_a_positive_count_above_one_only_on_postgres(definition, allowed):
    block = {"db": {**definition, "host": "h", "database": "d"}}
    if allowed:
        assert parse_connections(block, "test")["db"].options["streams"] == definition["streams"]
    else:
        with pytest.raises(ConnectionError_, match=r"test\.db: `streams:` is how many connections"):
            parse_connections(block, "test")


def test_prefetch_merges_streams_read_at_once():
    started = []

    def stream(name, items):
        started.append((name, time.monotonic()))
        for item in items:
            time.sleep(0.05)  # a slow source: read one after the other, these take 0.5 s
            yield (name, item)

    began = time.monotonic()
    merged = list(prefetch(stream("a", range(5)), stream("b", range(5))))
    assert sorted(merged) == [(n, i) for n in "ab" for i in range(5)]
    assert time.monotonic() - began < 0.45
    assert [item for name, item in merged if name == "a"] == list(range(5))  # each stream in order


def test_prefetch_raises_the_first_error_and_stops_the_other_streams():
    produced = []

    def endless():
        for i in range(1_000_000):
            produced.append(i)
            yield i

    def broken():
        yield -1
        raise ExtractError("source down", transient=True)

    with pytest.raises(ExtractError, match="source down"):
        list(prefetch(endless(), broken()))
    time.sleep(0.3)
    settled = len(produced)
    time.sleep(0.3)
    assert len(produced) == settled < 1_000_000  # the endless stream was stopped
    assert not [t for t in threading.enumerate() if t.name.startswith("extract-stream")]


def test_credentials_come_from_the_environment_and_never_show():
    spec = ConnectionSpec("db", "postgres", {"host_env": "H", "database": "d", "user": "u", "password_env": "P"})
    credentials = resolve_credentials(spec, {"H": "db1", "P": "p@ss/w:rd"}, "entry")
    assert credentials.url("postgresql") == "postgresql://u:p%40ss%2Fw%3Ard@db1:5432/d"
    assert "p@ss" not in repr(credentials)
    assert credentials.redact("postgresql://u:p%40ss%2Fw%3Ard@db1 and p@ss/w:rd") == "postgresql://u:***@db1 and ***"
    with pytest.raises(ConnectionError_, match="entry: environment variable P .* is not set"):
        resolve_credentials(spec, {"H": "db1"}, "entry")


@pytest.mark.parametrize(
    ("described", "expected"),
    [
        (postgres_type("n", 1700, 12, 2), pa.decimal128(12, 2)),
        (postgres_type("n", 1700, None, None), pa.string()),
        (postgres_type("t", 1184, None, None), pa.timestamp("us", tz="UTC")),
        (mysql_type("n", 246, 14, 2, False), pa.decimal128(12, 2)),
        (mysql_type("n", 246, 13, 0, False), pa.decimal128(12, 0)),
        (mysql_type("b", 1, 1, 0, False), pa.bool_()),
        (mysql_type("s", 252, 65535, 0, False), pa.string()),
        (named_type("m", "decimal(12,2)"), pa.decimal128(12, 2)),
        (named_type("t", "datetimeoffset(7)"), pa.timestamp("us", tz="UTC")),
        (named_type("s", "nvarchar(max)"), pa.string()),
    ],
)
def test_driver_descriptions_map_to_exact_arrow_types(described, expected):
    assert described == expected


def test_conform_casts_the_readers_wide_decimals_back_and_refuses_a_lossy_cast():
    schema = pa.schema([("montant", pa.decimal128(12, 2))])
    wide = pa.RecordBatch.from_pydict({"montant": pa.array([1250.5], pa.float64()).cast(pa.decimal128(38, 10))})
    assert conform(wide, schema).schema == schema
    lossy = pa.RecordBatch.from_pydict({"montant": pa.array(["1.005"]).cast(pa.decimal128(38, 10))})
    with pytest.raises(pa.ArrowInvalid):
        conform(lossy, schema)
