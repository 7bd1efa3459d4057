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

from dataclasses import dataclass
from datetime import date, datetime


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


@dataclass(frozen=True)
class Export:
    """One export of an open dataset: its rows as the gold publication `version` holds them."""

    dataset: OpenDataset
    fields: tuple[Field, ...]
    rows: int
    modified: datetime  # when the gold table was published
    version: str  # the gold publication it comes from
    temporal: tuple[date, date] | None  # the period the rows describe
    distributions: tuple[Distribution, ...]
