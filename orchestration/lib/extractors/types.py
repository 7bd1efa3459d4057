"""Arrow types of source columns, decided from what the driver describes (no catalog query).

A type we cannot carry exactly is refused with its column named, so that the entry can cast
it in a `query:`; a numeric the reader would round travels as text and is parsed here.
"""

from __future__ import annotations

import re

import pyarrow as pa

UTC = "UTC"
# connectorx hands every decimal over as decimal128(38, 10): wider scales travel as text
READER_MAX_DECIMAL_SCALE = 10


class UnsupportedType(ValueError):
    """A source column whose type has no exact Arrow counterpart here."""


def decimal(precision: int | None, scale: int | None) -> pa.DataType:
    """numeric(p, s) -> decimal128(p, s); an unconstrained numeric keeps its digits as text."""
    if precision is None or precision > 38:
        return pa.string()
    return pa.decimal128(precision, scale or 0)


# PostgreSQL (and Denodo's PostgreSQL interface): type OIDs of the RowDescription message
POSTGRES_OIDS: dict[int, pa.DataType] = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 26: pa.int64(),
    25: pa.string(), 1042: pa.string(), 1043: pa.string(), 19: pa.string(), 2950: pa.string(),
    114: pa.string(), 3802: pa.string(), 700: pa.float32(), 701: pa.float64(),
    1082: pa.date32(), 1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz=UTC),
    1083: pa.time64("us"), 17: pa.binary(),
}
POSTGRES_NUMERIC = 1700


def postgres_type(name: str, oid: int, precision: int | None, scale: int | None) -> pa.DataType:
    if oid == POSTGRES_NUMERIC:
        return decimal(precision, scale)
    if oid not in POSTGRES_OIDS:
        raise UnsupportedType(f"column {name!r} has PostgreSQL type OID {oid}")
    return POSTGRES_OIDS[oid]


# MySQL / MariaDB: protocol field types (pymysql.constants.FIELD_TYPE)
MYSQL_TYPES: dict[int, pa.DataType] = {
    2: pa.int16(), 3: pa.int32(), 4: pa.float32(), 5: pa.float64(), 8: pa.int64(),
    9: pa.int32(), 10: pa.date32(), 12: pa.timestamp("us"), 13: pa.int16(),
    7: pa.timestamp("us", tz=UTC),  # TIMESTAMP is UTC inside; the session is set to UTC
    15: pa.string(), 245: pa.string(), 253: pa.string(), 254: pa.string(),
}
MYSQL_DECIMALS = (0, 246)
MYSQL_TINY = 1
MYSQL_BLOBS = (249, 250, 251, 252)
MYSQL_BINARY_CHARSET = 63


def mysql_type(name: str, code: int, length: int, scale: int, binary: bool) -> pa.DataType:
    """`length` is the column's display length: tinyint(1) is MySQL's boolean."""
    if code in MYSQL_DECIMALS:
        digits = length - (1 if scale else 0) - 1  # display length counts the sign and point
        return decimal(digits, scale)
    if code == MYSQL_TINY:
        return pa.bool_() if length == 1 else pa.int8()
    if code in MYSQL_BLOBS:
        return pa.binary() if binary else pa.string()
    if code not in MYSQL_TYPES:
        raise UnsupportedType(f"column {name!r} has MySQL field type {code}")
    return MYSQL_TYPES[code]


# SQL Server and DB2: type names as their describe functions spell them
NAMED_TYPES: dict[str, pa.DataType] = {
    "bit": pa.bool_(), "boolean": pa.bool_(), "tinyint": pa.uint8(), "smallint": pa.int16(),
    "int": pa.int32(), "integer": pa.int32(), "bigint": pa.int64(), "real": pa.float32(),
    "float": pa.float64(), "double": pa.float64(), "date": pa.date32(),
    "datetime": pa.timestamp("us"), "datetime2": pa.timestamp("us"),
    "timestamp": pa.timestamp("us"), "smalldatetime": pa.timestamp("us"),
    "datetimeoffset": pa.timestamp("us", tz=UTC), "char": pa.string(), "nchar": pa.string(),
    "varchar": pa.string(), "nvarchar": pa.string(), "text": pa.string(), "ntext": pa.string(),
    "clob": pa.string(), "graphic": pa.string(), "vargraphic": pa.string(),
    "uniqueidentifier": pa.string(), "string": pa.string(),
}


def named_type(name: str, declared: str) -> pa.DataType:
    """A type spelled like `decimal(12,2)`, `datetimeoffset(7)` or `varchar(max)`."""
    match = re.fullmatch(r"\s*([a-z0-9 ]+?)\s*(?:\((\d+|max)(?:\s*,\s*(\d+))?\))?\s*", declared.lower())
    if not match:
        raise UnsupportedType(f"column {name!r} has type {declared!r}")
    base, first, second = match.groups()
    if base in ("decimal", "numeric", "money"):
        return decimal(int(first) if first else 18, int(second or 0) if first else 0)
    if base not in NAMED_TYPES:
        raise UnsupportedType(f"column {name!r} has type {declared!r}")
    return NAMED_TYPES[base]


# SQLite: the type declared in the table's DDL (SQLite stores little more than text and numbers)
SQLITE_TYPES: dict[str, pa.DataType] = {
    "INTEGER": pa.int64(), "TEXT": pa.string(), "REAL": pa.float64(), "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"), "TIMESTAMPTZ": pa.timestamp("us", tz=UTC),
}


def sqlite_type(name: str, declared: str) -> pa.DataType:
    kind = declared.strip().upper()
    if match := re.fullmatch(r"(?:NUMERIC|DECIMAL)\((\d+),\s*(\d+)\)", kind):
        return pa.decimal128(int(match[1]), int(match[2]))
    if kind not in SQLITE_TYPES:
        raise UnsupportedType(f"column {name!r} has type {declared!r}")
    return SQLITE_TYPES[kind]


def travels_as_text(kind: pa.DataType) -> bool:
    """A decimal the Arrow reader would round (scale above its fixed 10) is read as text."""
    return pa.types.is_decimal(kind) and kind.scale > READER_MAX_DECIMAL_SCALE


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """`batch` with exactly `schema`'s types; a cast that would lose data raises."""
    if batch.schema.equals(schema):
        return batch
    arrays = [
        column if column.type == field.type else column.cast(field.type, safe=True)
        for column, field in zip(batch.columns, schema)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
