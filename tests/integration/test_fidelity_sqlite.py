"""The type contract on SQLite (the embedded default's sources): each value read back from
the published Parquet file equals what sqlite3 reads, or the run is refused as the contract
says (SQLite stores any value in any column: one that does not fit the declared type refuses)."""

import sqlite3
import struct
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from orchestration.platform.extractors import ExtractError
from tests.integration.fidelity import land, refusal_pattern

MEGABYTE_TEXT = "ä" * 500_000 + "fin"
ALL_CHARACTERS = "".join(map(chr, range(1, 128))) + "é€😀\u0301\u200b\ufeff"
INF = float("inf")

# (declared type, values as sqlite3 stores them, values as they must land)
CASES = {
    "INTEGER": ("INTEGER", [-(2**63), 2**63 - 1, None], [-(2**63), 2**63 - 1, None]),
    "REAL": (
        "REAL",
        [INF, -INF, 5e-324, 0.1, 1.7976931348623157e308],
        [INF, -INF, 5e-324, 0.1, 1.7976931348623157e308],
    ),
    "TEXT": ("TEXT", ["", None, ALL_CHARACTERS, MEGABYTE_TEXT], ["", None, ALL_CHARACTERS, MEGABYTE_TEXT]),
    "BLOB": ("BLOB", [bytes(range(256)), b"", None], [bytes(range(256)), b"", None]),
    "BOOLEAN": ("BOOLEAN", [0, 1, None], [False, True, None]),
    # SQLite keeps a NUMERIC as an integer or a double: a decimal lands as the shortest text
    # of the stored double, parsed (1250.5 -> 1250.50)
    "NUMERIC(38,2)": (
        "NUMERIC(38,2)",
        ["123456789012.5", "1250.5", 7, None],
        [Decimal("123456789012.50"), Decimal("1250.50"), Decimal("7.00"), None],
    ),
    "NUMERIC(12,2)": ("NUMERIC(12,2)", [1250.5, -0.01], [Decimal("1250.50"), Decimal("-0.01")]),
    "DATE": ("DATE", ["0001-01-01", "9999-12-31", None], [date(1, 1, 1), date(9999, 12, 31), None]),
    "TIMESTAMP": (
        "TIMESTAMP",
        ["2026-03-29 02:30:00.5", "0001-01-01 00:00:00"],
        [datetime(2026, 3, 29, 2, 30, 0, 500000), datetime(1, 1, 1)],
    ),
    "TIMESTAMPTZ across DST": (
        "TIMESTAMPTZ",
        [
            "2026-03-29 01:59:59+01:00",
            "2026-03-29 03:00:00+02:00",
            "2026-10-25 02:30:00+02:00",
            "2026-10-25 02:30:00+01:00",
        ],
        [
            datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        ],
    ),
}
# (declared type, a value that does not fit it, the words of its cause)
REFUSALS = {
    "BOOLEAN holding 2": ("BOOLEAN", 2, "other than 0 and 1"),
    "NUMERIC(12,2) holding more decimals": ("NUMERIC(12,2)", 1.005, "more digits"),
    "DATE that is no ISO date": ("DATE", "05/01/2026", "not an ISO date"),
    "TIMESTAMPTZ without offset": ("TIMESTAMPTZ", "2026-01-05 10:00:00", "with an offset"),
    "INTEGER holding text": ("INTEGER", "abc", "cannot hold exactly"),
    # SQLite stored this text as the double nearest to it, which has 37 integer digits
    "NUMERIC(38,2) text that SQLite rounded": ("NUMERIC(38,2)", "9" * 36 + ".99", "more digits"),
    "a declared type out of the contract": ("VARCHAR(10)", "x", "no exact Arrow type"),
}


def create(path, declared: str, values: list) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute(f"create table t (id integer primary key, v {declared})")
        connection.executemany("insert into t values (?, ?)", list(enumerate(values)))
    return str(path)


def floats(values: list) -> list:
    return [None if v is None else struct.pack("d", v) for v in values]  # -0.0 and 0.0 differ


@pytest.mark.parametrize("case", list(CASES))
def test_each_type_lands_exactly(case, local_settings, tmp_path):
    declared, stored, expected = CASES[case]
    path = create(tmp_path / "source.sqlite", declared, stored)
    landed = land("sqlite", path, local_settings, tmp_path)["v"].to_pylist()
    if declared == "REAL":
        landed, expected = floats(landed), floats(expected)
    assert landed == expected


def test_sqlite_keeps_no_nan_and_no_negative_zero(tmp_path):
    """SQLite stores a NaN as NULL and -0.0 as 0.0: there is nothing more to carry."""
    with sqlite3.connect(tmp_path / "s.sqlite") as connection:
        connection.execute("create table t (v REAL)")
        connection.executemany("insert into t values (?)", [(float("nan"),), (-0.0,)])
        assert floats([v for (v,) in connection.execute("select v from t")]) == floats([None, 0.0])


@pytest.mark.parametrize("case", list(REFUSALS))
def test_values_outside_the_contract_are_refused_naming_column_type_and_fix(case, local_settings, tmp_path):
    declared, value, cause = REFUSALS[case]
    path = create(tmp_path / "source.sqlite", declared, [None, value])
    with pytest.raises(ExtractError, match=refusal_pattern("v", declared)) as refused:
        land("sqlite", path, local_settings, tmp_path)
    assert cause in str(refused.value).splitlines()[0]
