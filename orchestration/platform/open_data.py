"""Open data: the gold tables flagged open in their dbt YAML, as the portal receives them.

A gold model is open when its YAML says so under `config.meta.open_data` (docs/open-data.md):

    config:
      meta:
        open_data:
          title: Subventions culturelles par mois, secteur et province
          licence: https://creativecommons.org/licenses/by/4.0/
          frequency: MONTHLY            # the EU's frequency vocabulary
          themes: [EDUC]                # the EU's data themes
          keywords: [culture, subventions]

and its department's folder in dbt_project.yml names the publisher (`open_data_publisher`).
Each export is one version of the published gold table: CSV and Parquet, a DCAT-AP 3.0
description (dcat.py) and a Frictionless data package, pushed to the portal when one is
configured (portal.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.platform.dbt_translator import personal_columns
from orchestration.platform.lineage import DECLARED
from orchestration.platform.privacy import personal_values


@dataclass(frozen=True)
class Publisher:
    """Who publishes the datasets of a department: an agent of the administration."""

    name: str
    url: str  # the URI that identifies it (its web site)
    email: str | None = None  # the contact point of its datasets


@dataclass(frozen=True)
class OpenDataset:
    """What the YAML of an open gold model says about it."""

    identifier: str  # the gold model's name
    title: str
    description: str
    licence: str  # a URI, e.g. https://creativecommons.org/licenses/by/4.0/
    publisher: Publisher
    frequency: str  # a code of http://publications.europa.eu/resource/authority/frequency: DAILY, MONTHLY...
    themes: tuple[str, ...] = ()  # codes of http://publications.europa.eu/resource/authority/data-theme: EDUC...
    keywords: tuple[str, ...] = ()
    language: str = "FRA"  # a code of http://publications.europa.eu/resource/authority/language


@dataclass(frozen=True)
class Field:
    """A column as the data package describes it: a Frictionless Table Schema type."""

    name: str
    type: str  # string, integer, number, boolean, date, datetime
    description: str = ""


@dataclass(frozen=True)
class Distribution:
    """One file of an export."""

    file_name: str  # e.g. gld_culture__subventions_mensuelles.csv
    format: str  # CSV or PARQUET (the EU's file-type codes)
    media_type: str  # text/csv, application/vnd.apache.parquet
    download_url: str
    byte_size: int
    sha256: str
    # whether `download_url` serves these very bytes (a portal serves its own export of the data:
    # DCAT then names no size or checksum, which would not match)
    served_as_is: bool = True


@dataclass(frozen=True)
class Export:
    """One export of an open dataset: its rows as the gold publication `version` holds them."""

    dataset: OpenDataset
    fields: tuple[Field, ...]
    rows: int
    modified: datetime  # when the gold table was published
    version: str  # the version of the gold table it comes from (versions.py)
    temporal: tuple[date, date] | None  # the period the rows describe
    distributions: tuple[Distribution, ...]


# --- what the dbt YAML says: the dataset, or why it cannot be open ---

OPEN_DATA = "open_data"  # the key under a gold model's config.meta
PUBLISHER = "open_data_publisher"  # the key under a department's gold folder's +meta (dbt_project.yml)
REQUIRED = ("title", "licence", "frequency")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG", "UNKNOWN")
# the EU's data themes (http://publications.europa.eu/resource/authority/data-theme): the codes a
# YAML may use, and their English labels (DCAT-AP requires a label on every theme, dcat.py)
THEMES: Mapping[str, str] = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}

# dbt contract types -> (Arrow type, Frictionless type); decimals are matched by their prefix
CONTRACT_TYPES: Mapping[str, tuple[pa.DataType, str]] = {
    "string": (pa.string(), "string"),
    "bigint": (pa.int64(), "integer"),
    "integer": (pa.int32(), "integer"),
    "double": (pa.float64(), "number"),
    "boolean": (pa.bool_(), "boolean"),
    "date": (pa.date32(), "date"),
    "timestamp": (pa.timestamp("us", tz="UTC"), "datetime"),
}


def is_open(node: Mapping[str, Any]) -> bool:
    return OPEN_DATA in (node["config"].get("meta") or {})


def open_dataset(node: Mapping[str, Any]) -> OpenDataset:
    """The dataset that an open gold model's YAML describes (metadata_problems says what is
    missing before this is called)."""
    meta = node["config"]["meta"]
    said, publisher = meta[OPEN_DATA], meta[PUBLISHER]
    return OpenDataset(
        identifier=node["name"],
        title=said["title"].strip(),
        description=(said.get("description") or node.get("description") or "").strip(),
        licence=said["licence"],
        publisher=Publisher(publisher["name"], publisher["url"], publisher.get("email")),
        frequency=said["frequency"],
        themes=tuple(said.get("themes") or ()),
        keywords=tuple(said.get("keywords") or ()),
        language=said.get("language", "FRA"),
    )


def metadata_problems(node: Mapping[str, Any]) -> list[str]:
    """What an open gold model's YAML lacks or gets wrong to be described as open data."""
    meta = node["config"].get("meta") or {}
    said = meta.get(OPEN_DATA)
    if not isinstance(said, Mapping):
        return [f"`meta.{OPEN_DATA}` must be a mapping (title, licence, frequency, ...)."]
    problems = [f"`meta.{OPEN_DATA}.{k}` is missing." for k in REQUIRED if not said.get(k)]
    if said.get("frequency") and said["frequency"] not in FREQUENCIES:
        problems.append(f"frequency {said['frequency']!r} is not one of {', '.join(FREQUENCIES)} (the EU's codes).")
    problems += [
        f"theme {t!r} is not one of the EU's data themes ({', '.join(THEMES)})."
        for t in said.get("themes") or ()
        if t not in THEMES
    ]
    if said.get("licence") and not str(said["licence"]).startswith(("http://", "https://")):
        problems.append("the licence must be the URI of its text, e.g. https://creativecommons.org/licenses/by/4.0/.")
    if not (node.get("description") or said.get("description")):
        problems.append(f"the model (or `meta.{OPEN_DATA}.description`) needs a description.")
    publisher = meta.get(PUBLISHER)
    if not isinstance(publisher, Mapping) or not publisher.get("name") or not publisher.get("url"):
        problems.append(f"its department's gold folder names no `{PUBLISHER}` (name, url) in dbt_project.yml.")
    problems += [
        f"column {c} has no `data_type` in its contract."
        for c, col in node["columns"].items()
        if not col.get("data_type")
    ]
    return problems


def personal_problems(
    node: Mapping[str, Any], personal_in_gold: Iterable[str] = (), table: pa.Table | None = None
) -> list[str]:
    """Why an open gold model holds personal data: a column tagged personal, declared as keeping
    a personal value in clear, or computed from a personal source column (`personal_in_gold`,
    from the column lineage); with its published `table`, a text column whose values look
    personal (the kind is named, never a value). Empty when it holds none."""
    personal = sorted({*personal_columns(node), *personal_in_gold, *_declared_in_clear(node)})
    problems = []
    if personal:
        problems.append(
            f"column(s) {', '.join(personal)} hold personal data: a table with personal data cannot be "
            "open data; publish an aggregate without them, or remove `meta.open_data`."
        )
    for field in table.schema if table is not None else ():
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            looks = personal_values(table[field.name].to_pylist())
            if looks:
                problems.append(f"column {field.name} holds {looks}: a personal value must not be open data.")
    return problems


def _declared_in_clear(node: Mapping[str, Any]) -> list[str]:
    """Columns whose YAML says why they keep a personal value in clear (lineage.DECLARED)."""
    return [
        name
        for name, column in node["columns"].items()
        if ((column.get("config") or {}).get("meta") or {}).get(DECLARED)
    ]


def contract_type(data_type: str) -> tuple[pa.DataType, str]:
    """The Arrow and Frictionless types of a dbt contract's `data_type`."""
    data_type = data_type.strip().lower()
    if data_type.startswith(("decimal", "numeric")):
        precision, _, scale = data_type[data_type.index("(") + 1 : -1].partition(",")
        return pa.decimal128(int(precision), int(scale or 0)), "number"
    if data_type not in CONTRACT_TYPES:
        raise ValueError(f"no open-data type for the contract type {data_type!r}: add it to CONTRACT_TYPES.")
    return CONTRACT_TYPES[data_type]


def contract_problems(table: pa.Table, node: Mapping[str, Any]) -> list[str]:
    """How a published table differs from its model's contract: columns, their order, their types
    (metadata_problems says which contract types have no open-data type)."""
    expected = [(name, contract_type(column["data_type"])[0]) for name, column in node["columns"].items()]
    actual = [(field.name, field.type) for field in table.schema]
    if [n for n, _ in expected] != [n for n, _ in actual]:
        return [
            f"columns {', '.join(n for n, _ in actual)} instead of the contract's {', '.join(n for n, _ in expected)}."
        ]
    return [
        f"column {n} is {a} instead of the contract's {e}."
        for (n, e), (_, a) in zip(expected, actual, strict=True)
        if a != e
    ]


def fields(node: Mapping[str, Any]) -> tuple[Field, ...]:
    return tuple(
        Field(name, contract_type(column["data_type"])[1], (column.get("description") or "").strip())
        for name, column in node["columns"].items()
    )


def temporal_coverage(table: pa.Table, node: Mapping[str, Any], data_as_of: date | None) -> tuple[date, date] | None:
    """The period the rows describe: the span of a partitioned table's months (to the end of the
    last one), or the one day a current-state table describes."""
    column = node["config"].get("event_time")
    if column and table.num_rows:
        first, last = pc.min(table[column]).as_py(), pc.max(table[column]).as_py()
        return first, _end_of_month(last) if node["config"].get("batch_size") == "month" else last
    return (data_as_of, data_as_of) if data_as_of else None


def _end_of_month(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


# --- the files of an export ---

FORMATS = {"csv": ("CSV", "text/csv"), "parquet": ("PARQUET", "application/vnd.apache.parquet")}


def export_files(table: pa.Table, identifier: str) -> dict[str, bytes]:
    """The table as CSV (UTF-8, a header, ISO dates, decimals as written) and as Parquet."""
    csv_buffer, parquet_buffer = pa.BufferOutputStream(), pa.BufferOutputStream()
    pa_csv.write_csv(table, csv_buffer, pa_csv.WriteOptions(quoting_style="needed"))
    pq.write_table(table, parquet_buffer, compression="zstd")
    return {
        f"{identifier}.csv": csv_buffer.getvalue().to_pybytes(),
        f"{identifier}.parquet": parquet_buffer.getvalue().to_pybytes(),
    }


def distributions(
    files: Mapping[str, bytes], urls: Mapping[str, str], served_as_is: bool = True
) -> tuple[Distribution, ...]:
    """The files described: format, size, checksum, and where they are downloaded (`urls`)."""
    described = []
    for name, content in files.items():
        code, media_type = FORMATS[name.rsplit(".", 1)[-1]]
        checksum = hashlib.sha256(content).hexdigest()
        described.append(Distribution(name, code, media_type, urls[name], len(content), checksum, served_as_is))
    return tuple(described)
