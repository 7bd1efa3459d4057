"""Personal data by construction: after the demo, no clear value of a column whose policy is not
`keep` is anywhere: not in the lake, the warehouses, the serving file, the run's log file, the
command's output or Dagster's history.

The demo runs as `make demo` runs it (`python -m orchestration.demo.cli demo`, a smaller sample),
with its own data directory and Dagster instance; the clear values are the generator's own.
"""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.demo.sample_data import SampleSpec, generate_rows
from orchestration.platform.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e
SCALE = 0.3


def clear_values() -> set[str]:
    """The values the policies keep out of the platform: members' national register numbers and
    names (pseudonymise, drop), operators' contact e-mails (drop)."""
    rows = generate_rows(SampleSpec(scale=SCALE))
    members = {v for row in rows["sport"]["affiliation"] for v in row[6:8]}
    emails = {row[5] for row in rows["subventions"]["operateur"]}
    return members | emails


def parquet_texts(path: Path) -> set[str]:
    table = pq.read_table(path)
    return {
        str(v)
        for name in table.column_names
        if pa.types.is_string(table.schema.field(name).type)
        for v in table.column(name).to_pylist()
        if v is not None
    }


def duckdb_texts(path: Path) -> set[str]:
    found = set()
    with duckdb.connect(str(path), read_only=True) as connection:
        columns = connection.execute(
            "select table_catalog, table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for catalog, schema, table, column in columns:
            found |= {
                r[0]
                for r in connection.execute(
                    f'select distinct "{column}" from "{catalog}"."{schema}"."{table}"'
                ).fetchall()
            }
    return {str(v) for v in found if v is not None}


def test_after_the_demo_no_clear_personal_value_is_anywhere(tmp_path):
    data, home = tmp_path / "data", tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    env = {**os.environ, "LAKEHOUSE_DATA_DIR": str(data), "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    demo = subprocess.run(
        [sys.executable, "-m", "orchestration.demo.cli", "demo", "--scale", str(SCALE), "--log-level", "DEBUG"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    clear = clear_values()
    assert len(clear) > 100

    # the sources hold them (the test can fail)
    assert clear & duckdb_texts_of_sqlite(data / "sample" / "sport.sqlite")
    places: dict[str, set[str]] = {}
    for path in data.rglob("*.parquet"):
        if "sample" not in path.parts:
            places[str(path.relative_to(data))] = parquet_texts(path)
    for path in [*data.rglob("*.duckdb")]:
        places[str(path.relative_to(data))] = duckdb_texts(path)
    for path in [*data.rglob("*.log"), *data.rglob("*.json"), *home.rglob("*")]:
        if path.is_file() and "sample" not in path.parts:
            text = path.read_bytes().decode("utf-8", errors="replace")
            places[str(path.relative_to(data) if path.is_relative_to(data) else path)] = {v for v in clear if v in text}
    places["the command's output"] = {v for v in clear if v in demo.stdout + demo.stderr}
    assert any(p.startswith("lake/sport/affiliation/") for p in places), "the demo landed no affiliation"
    assert any(p.startswith("logs/") for p in places), "the demo wrote no log file"
    leaks = {place: sorted(values & clear)[:3] for place, values in places.items() if values & clear}
    assert not leaks, f"clear personal values found: {leaks}"

    # what did land: the pseudonym (32 hex characters, the same member across affiliations) and
    # the birth year, in the lake and the staging model
    affiliations = pq.read_table(data / "lake" / "sport" / "affiliation")
    assert "nom_affilie" not in affiliations.column_names
    assert affiliations.schema.field("date_naissance").type == pa.int32()
    pseudonyms = affiliations.column("numero_national").to_pylist()
    assert all(len(p) == 32 for p in pseudonyms) and len(set(pseudonyms)) < len(pseudonyms)
    operators = pq.read_table(data / "lake" / "subventions" / "operateur")
    assert "courriel_contact" not in operators.column_names
    with duckdb.connect(str(data / "warehouse" / "sport.duckdb"), read_only=True) as warehouse:
        [(members,)] = warehouse.execute(
            "select count(distinct member_pseudonym) from stg.stg_sport__affiliations"
        ).fetchall()
    assert members == len(set(pseudonyms))


def duckdb_texts_of_sqlite(path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        rows = connection.execute("select numero_national, nom_affilie from affiliation").fetchall()
    connection.close()
    return {v for row in rows for v in row}
