"""The type contract on the real PostgreSQL server, on both of its paths: connectorx
(`postgres`) and Denodo's (`denodo`: psycopg's text protocol, CONTEXT off). For every type
family, each value read back from the published Parquet file equals what psycopg reads from
the server (or the server's own rendering, `v::text`, epoch microseconds, days since 1970,
where Python cannot hold the value), or the run is refused as the contract says."""

import struct

import pytest

from orchestration.platform.extractors import ExtractError
from tests.integration.fidelity import land, refusal_pattern

MEGABYTE_TEXT = "ä" * 500_000 + "fin"  # 1 MB of UTF-8
ALL_CHARACTERS = "".join(map(chr, range(1, 128))) + "é€😀\u0301\u200b\ufeff"

# (type, values as SQL literals, how to compare: python | text | days | micros | floats)
CASES = {
    "smallint": ("smallint", ["-32768", "32767", "0", "null"], "python"),
    "integer": ("integer", ["-2147483648", "2147483647", "null"], "python"),
    "bigint": ("bigint", ["-9223372036854775808", "9223372036854775807", "null"], "python"),
    "numeric(38,0)": ("numeric(38,0)", ["9" * 38, "-" + "9" * 38, "0", "null"], "python"),
    "numeric(38,2)": ("numeric(38,2)", ["9" * 36 + ".99", "-0.01", "null"], "python"),
    "numeric(38,38)": ("numeric(38,38)", ["0." + "9" * 38, "-0." + "0" * 37 + "1"], "python"),
    "numeric(28,10) native": ("numeric(28,10)", ["9" * 18 + "." + "9" * 10, "-0.0000000001"], "python"),
    "numeric(12,2) native": ("numeric(12,2)", ["9999999999.99", "-1250.50", "0.00"], "python"),
    "numeric(5,0)": ("numeric(5,0)", ["99999", "-99999"], "python"),
    "numeric unconstrained": ("numeric", ["1.000000000000000000000000000000000000000001", "-1e-50", "'NaN'"], "text"),
    "real": ("real", ["'NaN'", "'Infinity'", "'-Infinity'", "3.4028235e38", "1.4e-45", "'-0'"], "floats32"),
    "double precision": (
        "double precision",
        ["'NaN'", "'Infinity'", "'-Infinity'", "1.7976931348623157e308", "5e-324", "'-0'"],
        "floats",
    ),
    "text": ("text", ["''", "null", "%(all)s", "%(mega)s"], "python"),
    "varchar and char": ("varchar(3)", ["'a b'", "''", "' '"], "python"),
    "char(n) keeps its padding": ("char(5)", ["'ab'", "''"], "python"),
    "bytea": ("bytea", ["'\\x00ff7f0a'::bytea", "''::bytea", "null", "%(bytes)s"], "python"),
    "boolean": ("boolean", ["true", "false", "null"], "python"),
    "date": (
        "date",
        ["'4713-01-01 BC'", "'0001-01-01'", "'2026-03-29'", "'9999-12-31'", "'10000-01-01'", "'262141-12-31'"],
        "days",
    ),
    "timestamp": (
        "timestamp",
        [
            "'4713-01-01 00:00:00 BC'",
            "'2026-03-29 02:30:00'",
            "'2026-10-25 02:30:00.5'",
            "'9999-12-31 23:59:59.999999'",
            "'12345-06-07 08:09:10.111213'",
        ],
        "micros",
    ),
    "timestamptz across DST": (
        "timestamptz",
        [
            "'2026-03-29 00:59:59.999999+00'",
            "'2026-03-29 01:00:00+00'",
            "'2026-10-25 00:30:00+00'",
            "'2026-10-25 01:30:00+00'",
            "'2026-10-25 02:30:00 Europe/Brussels'",
            "'1900-01-01 00:00:00+00'",
        ],
        "micros",
    ),
    "time": ("time", ["'00:00:00'", "'23:59:59.999999'", "'12:34:56.5'"], "micros"),
    "uuid": ("uuid", ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "null"], "text"),
    "json": ("json", ['\'{"b": 1.00000000000000000001, "a":  [1, 2e400]}\'', "'null'", "null"], "text"),
    "jsonb": ("jsonb", ['\'{"b": 1.00000000000000000001, "a":  [1, 2]}\'', "'\"\"'"], "text"),
    "text[]": ("text[]", ['\'{a,"b c",NULL,""}\'', "'{}'", "null"], "text"),
    "integer[][]": ("integer[]", ["'{{1,2},{3,4}}'", "'[0:1]={7,8}'"], "text"),
    "enum": ("mood", ["'happy'", "'sad'"], "text"),
    "bit(8)": ("bit(8)", ["B'10100000'", "B'00000001'"], "text"),
    "bit varying": ("varbit", ["B'101'", "B''"], "text"),
    "interval": ("interval", ["'1 year 2 mons 3 days 04:05:06.789'", "'-1 day'"], "text"),
    "inet and cidr": ("inet", ["'192.168.0.1/24'", "'::1'"], "text"),
    "xml": ("xml", ["'<a b=\"1\">x</a>'"], "text"),
    "int4range": ("int4range", ["'[1,5)'", "'empty'"], "text"),
    "composite": ("pair", ["row(1, 'x')::pair"], "text"),
    "domain over numeric(38,2)": ("amount", ["9" * 36 + ".99", "null"], "python"),
    "domain over text": ("label", ["'x'", "''"], "python"),
    "timetz": ("timetz", ["'12:00:00+02'"], "text"),
}
# the same values, on Denodo's path, where the contract refuses them (Python's date range)
DENODO_REFUSES = {"date", "timestamp"}

# (type, value, the SQL name in the refusal, words of its cause)
REFUSALS = {
    "date infinity": ("date", "'infinity'", "date", "infinity"),
    "date -infinity": ("date", "'-infinity'", "date", "infinity"),
    "date after 262141": ("date", "'262142-06-01'", "date", "infinity"),
    "timestamp infinity": ("timestamp", "'infinity'", "timestamp without time zone", "infinity"),
    "timestamptz -infinity": ("timestamptz", "'-infinity'", "timestamp with time zone", "infinity"),
    "timestamp after 262141": ("timestamp", "'294276-01-01 00:00:00'", "timestamp without time zone", "infinity"),
    "numeric NaN": ("numeric(12,2)", "'NaN'", "numeric(12,2)", "NaN"),
    "wide numeric NaN": ("numeric(38,2)", "'NaN'", "numeric(38,2)", "NaN"),
    "time 24:00": ("time", "'24:00:00'", "time without time zone", "24:00:00"),
    "money": ("money", "1.5", "money", "no exact Arrow type"),
}
DENODO_REFUSALS = {
    "date BC": ("date", "'4713-01-01 BC'", "date", "BC date"),
    "date after 9999": ("date", "'10000-01-01'", "date", "after 9999"),
    "timestamp BC": ("timestamp", "'0001-01-01 00:00:00 BC'", "timestamp without time zone", "BC date"),
}


def create(pg, kind: str, values: list[str]) -> None:
    pg.execute("set timezone = 'Europe/Brussels'")
    pg.execute(f"alter database {pg.info.dbname} set timezone = 'Europe/Brussels'")
    pg.execute("create type mood as enum ('happy', 'sad')")
    pg.execute("create type pair as (a int, b text)")
    pg.execute("create domain amount as numeric(38,2)")
    pg.execute("create domain label as text")
    pg.execute(f"create table t (id int primary key, v {kind})")
    literals = {"all": "%(all)s", "mega": "%(mega)s", "bytes": "%(bytes)s"}
    parameters = {"all": ALL_CHARACTERS, "mega": MEGABYTE_TEXT, "bytes": bytes(range(256))}
    for i, value in enumerate(values):
        used = {k: v for k, v in parameters.items() if literals[k] in value}
        pg.execute(f"insert into t values ({i}, {value})", used or None)


def source_values(pg, compare: str, engine: str) -> list:
    expression = {
        "python": "v",
        "floats": "v",
        "floats32": "v",
        "days": "v - date '1970-01-01'",
        # Denodo's path gets the type's output text (inet: '::1' where ::text gives '::1/128')
        "text": "v::text" if engine == "postgres" else "case when v is not null then format('%s', v) end",
        "micros": "(extract(epoch from v) * 1000000)::bigint",
    }[compare]
    values = [row[0] for row in pg.execute(f"select {expression} from t order by id")]
    if compare == "floats32":  # psycopg reads a real as the double nearest its shortest text
        values = [None if v is None else struct.unpack("f", struct.pack("f", v))[0] for v in values]
    return [repr(v) for v in values] if compare.startswith("floats") else values


def landed_values(table, compare: str) -> list:
    column = table["v"]
    if compare == "days":
        return column.cast("int32").to_pylist()
    if compare == "micros":
        return column.cast("int64").to_pylist()
    if compare.startswith("floats"):
        return [repr(v) for v in column.to_pylist()]
    return column.to_pylist()


@pytest.mark.parametrize("engine", ["postgres", "denodo"])
@pytest.mark.parametrize("case", list(CASES))
def test_each_type_lands_exactly(engine, case, pg, pg_database, local_settings, tmp_path):
    kind, values, compare = CASES[case]
    create(pg, kind, values)
    if engine == "denodo" and case in DENODO_REFUSES:
        with pytest.raises(ExtractError, match="Fix: "):
            land(engine, pg_database, local_settings, tmp_path)
        return
    table = land(engine, pg_database, local_settings, tmp_path)
    assert landed_values(table, compare) == source_values(pg, compare, engine)


@pytest.mark.parametrize(
    ("engine", "case"),
    # what only Denodo's path refuses lands exactly through connectorx (test_each_type_lands_exactly)
    [(engine, case) for engine in ("postgres", "denodo") for case in REFUSALS]
    + [("denodo", case) for case in DENODO_REFUSALS],
)
def test_values_outside_the_contract_are_refused_naming_column_type_and_fix(
    engine, case, pg, pg_database, local_settings, tmp_path
):
    kind, value, sql_name, cause = {**REFUSALS, **DENODO_REFUSALS}[case]
    create(pg, kind, ["null", value])
    with pytest.raises(ExtractError, match=refusal_pattern("v", sql_name)) as refused:
        land(engine, pg_database, local_settings, tmp_path)
    message = str(refused.value)
    assert cause in message.splitlines()[0]
    if any(ch.isdigit() for ch in value) and value.strip("'") not in cause:
        assert value.strip("'") not in message  # values may be personal: never quoted
    assert "panicked" not in message and "backtrace" not in message
