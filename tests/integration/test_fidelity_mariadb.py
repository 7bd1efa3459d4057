"""The type contract on the real MariaDB server (connectorx, session in UTC): for every type
family, each value read back from the published Parquet file equals what pymysql reads from
the server (or the server's own days, microseconds or text where Python cannot hold the
value), or the run is refused as the contract says."""

import struct

import pytest

from orchestration.platform.extractors import ExtractError
from tests.integration.fidelity import land, refusal_pattern

MEGABYTE_TEXT = "ä" * 500_000 + "fin"
ALL_CHARACTERS = "".join(map(chr, range(1, 128))) + "é€😀\u0301\u200b\ufeff"

# (type, values as SQL literals, how to compare: python | float32 | days | micros | time micros | text)
CASES = {
    "tinyint": ("tinyint", ["-128", "127", "null"], "python"),
    "tinyint unsigned": ("tinyint unsigned", ["0", "255"], "python"),
    "smallint": ("smallint", ["-32768", "32767"], "python"),
    "smallint unsigned": ("smallint unsigned", ["65535"], "python"),
    "mediumint": ("mediumint", ["-8388608", "8388607"], "python"),
    "mediumint unsigned": ("mediumint unsigned", ["16777215"], "python"),
    "int": ("int", ["-2147483648", "2147483647"], "python"),
    "int unsigned": ("int unsigned", ["4294967295", "0"], "python"),
    "bigint": ("bigint", ["-9223372036854775808", "9223372036854775807"], "python"),
    "bigint unsigned": ("bigint unsigned", ["18446744073709551615", "9223372036854775808", "0"], "python"),
    "tinyint(1)": ("tinyint(1)", ["0", "1", "null"], "python"),
    "decimal(38,0)": ("decimal(38,0)", ["9" * 38, "-" + "9" * 38], "python"),
    "decimal(38,2)": ("decimal(38,2)", ["9" * 36 + ".99", "-0.01"], "python"),
    "decimal(38,38)": ("decimal(38,38)", ["0." + "9" * 38, "-0." + "0" * 37 + "1"], "python"),
    "decimal(28,10) native": ("decimal(28,10)", ["9" * 18 + "." + "9" * 10, "-0.0000000001"], "python"),
    "decimal(12,2) native": ("decimal(12,2)", ["9999999999.99", "-1250.50", "0"], "python"),
    "decimal(65,30) as text": ("decimal(65,30)", ["9" * 35 + "." + "9" * 30, "-1"], "text"),
    "decimal(10,2) unsigned": ("decimal(10,2) unsigned", ["99999999.99"], "python"),
    "float": ("float", ["3.40282e38", "-1.17549e-38", "0.1"], "float32"),
    "double": ("double", ["1.7976931348623157e308", "-2.2250738585072014e-308", "0.1"], "python"),
    "varchar": ("varchar(20)", ["''", "null", "' '", "'a  '"], "python"),
    "text": ("longtext", ["%(all)s", "%(mega)s", "''"], "python"),
    "char": ("char(3)", ["'ab'", "''"], "python"),
    "binary": ("binary(4)", ["x'00ff'", "''"], "python"),
    "varbinary and blob": ("longblob", ["%(bytes)s", "''", "null"], "python"),
    "bit(8)": ("bit(8)", ["b'10100000'", "b'1'", "null"], "python"),
    "bit(64)": ("bit(64)", ["b'1" + "0" * 63 + "'"], "python"),
    "year": ("year", ["1901", "2155", "0"], "python"),
    "date": ("date", ["'1000-01-01'", "'9999-12-31'", "'0001-01-01'", "'2026-03-29'"], "days"),
    "datetime": (
        "datetime(6)",
        ["'1000-01-01 00:00:00'", "'9999-12-31 23:59:59.999999'", "'2026-03-29 02:30:00.5'", "'2026-10-25 02:30:00'"],
        "micros",
    ),
    "timestamp across DST": (
        "timestamp(6) null",
        [
            "'2026-03-29 00:59:59.999999'",
            "'2026-03-29 01:00:00'",
            "'2026-10-25 00:30:00'",
            "'2026-10-25 01:30:00'",
            "'1970-01-01 00:00:01'",
            "'2038-01-19 03:14:07.999999'",
        ],
        "micros",
    ),
    "time": ("time(6)", ["'00:00:00'", "'23:59:59.999999'", "'12:34:56.5'"], "time micros"),
    "enum": ("enum('a','b c')", ["'b c'", "''", "null"], "python"),
    "set": ("set('x','y')", ["'x,y'", "''"], "python"),
    "json": ("json", ['\'{"b": 1.00000000000000000001,  "a": [1, 2]}\'', "'null'"], "python"),
    "uuid": ("uuid", ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"], "text"),
    "inet6": ("inet6", ["'::1'", "'192.168.0.1'"], "text"),
}

# (type, value, the SQL name in the refusal, words of its cause, the fix)
REFUSALS = {
    "tinyint(1) -1": ("tinyint(1)", "-1", "tinyint(1)", "other than 0 and 1", "cast(`v` as signed)"),
    "zero date": ("date", "'0000-00-00'", "date", "zero date", "nullif(`v`, '0000-00-00')"),
    "zero month": ("date", "'2026-00-15'", "date", "zero month", "cast(`v` as char)"),
    "zero datetime": (
        "datetime",
        "'0000-00-00 00:00:00'",
        "datetime",
        "zero date",
        "nullif(`v`, '0000-00-00 00:00:00')",
    ),
    "zero timestamp": ("timestamp null", "'0000-00-00 00:00:00'", "timestamp", "zero date", "cast(`v` as char)"),
    "negative time": ("time", "'-01:00:00'", "time", "negative", "time_to_sec(`v`)"),
    "time of 25 hours": ("time", "'25:00:00'", "time", "24 hours or more", "time_to_sec(`v`)"),
    "geometry": ("point", "point(1, 2)", "geometry", "no exact Arrow type", "st_astext(`v`)"),
}


def create(mysql, kind: str, values: list[str]) -> None:
    parameters = {"all": ALL_CHARACTERS, "mega": MEGABYTE_TEXT, "bytes": bytes(range(256))}
    with mysql.cursor() as cursor:
        cursor.execute("set time_zone = '+00:00', sql_mode = ''")
        cursor.execute(f"create table t (id int primary key, v {kind})")
        for i, value in enumerate(values):
            used = {k: v for k, v in parameters.items() if f"%({k})s" in value}
            cursor.execute(f"insert into t values ({i}, {value})", used or None)


def source_values(mysql, compare: str) -> list:
    expression = {
        "python": "v",
        "float32": "v",
        "text": "cast(v as char)",
        "days": "datediff(v, '1970-01-01')",
        "micros": "timestampdiff(microsecond, '1970-01-01 00:00:00', v)",
        "time micros": "cast(time_to_sec(v) * 1000000 as signed)",
    }[compare]
    with mysql.cursor() as cursor:
        cursor.execute("set time_zone = '+00:00'")
        cursor.execute(f"select {expression} from t order by id")
        values = [row[0] for row in cursor.fetchall()]
    if compare == "float32":  # MariaDB prints a float with 6 digits: compare float32 values
        values = [struct.unpack("f", struct.pack("f", v))[0] for v in values]
    return values


def landed_values(table, compare: str) -> list:
    column = table["v"]
    if compare == "days":
        return column.cast("int32").to_pylist()
    if compare in ("micros", "time micros"):
        return column.cast("int64").to_pylist()
    return column.to_pylist()


@pytest.mark.parametrize("case", list(CASES))
def test_each_type_lands_exactly(case, mysql, mysql_database, local_settings, tmp_path):
    kind, values, compare = CASES[case]
    create(mysql, kind, values)
    table = land("mysql", mysql_database, local_settings, tmp_path)
    expected = source_values(mysql, compare)
    if kind == "tinyint(1)":
        expected = [None if v is None else bool(v) for v in expected]
    assert landed_values(table, compare) == expected


@pytest.mark.parametrize("case", list(REFUSALS))
def test_values_outside_the_contract_are_refused_naming_column_type_and_fix(
    case, mysql, mysql_database, local_settings, tmp_path
):
    kind, value, sql_name, cause, fix = REFUSALS[case]
    create(mysql, kind, ["null", "null" if kind == "point" else value])
    with pytest.raises(ExtractError, match=refusal_pattern("v", sql_name)) as refused:
        land("mysql", mysql_database, local_settings, tmp_path)
    first, *_, last = str(refused.value).splitlines()
    assert cause in first and fix in last
    assert "panicked" not in str(refused.value) and "backtrace" not in str(refused.value)
