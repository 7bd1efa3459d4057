"""The whole pipeline on the embedded default: sample sources -> lake -> dbt -> gold.

Gold values are checked against numbers computed here, in plain Python, from the rows the
generator produced, not from anything the pipeline wrote.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, generate_rows
from tests.conftest import DEMO_SAMPLE
from tests.gold import warehouses

pytestmark = pytest.mark.e2e
LAST_DAY = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)


@pytest.fixture(scope="module")
def built(demo_built):
    """Settings of a data directory where the main job ran over the whole sample range."""
    return demo_built


def query(settings, sql):
    with warehouses(settings) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def source():
    """The generator's own rows, cleaned here the way the business defines it."""
    rows = generate_rows(DEMO_SAMPLE)
    communes = {c[0].strip(): c for c in rows["denodo"]["bv_commune"]}
    operators = {
        o[0]: {
            "sector": (o[2] or "INCONNU").strip().upper(),
            "province": communes[o[3].strip()][3].strip().upper(),
            "commune": o[3].strip(),
        }
        for o in rows["subventions"]["operateur"]
    }
    requests = {r[0]: r for r in rows["subventions"]["demande"]}
    payments = set(rows["subventions"]["paiement"])  # exact duplicates removed
    return {"rows": rows, "operators": operators, "requests": requests, "payments": payments}


def test_total_paid_per_sector(built, source):
    expected = defaultdict(Decimal)
    for _, request_id, amount, _, _ in source["payments"]:
        expected[source["operators"][source["requests"][request_id][1]]["sector"]] += amount
    actual = query(
        built,
        "select sector_code, sum(paid_amount) from gld.gld_culture__subventions_mensuelles "
        "group by sector_code having sum(paid_amount) > 0",
    )
    assert dict(actual) == dict(expected)


def test_requested_per_province_and_month(built, source):
    expected = defaultdict(Decimal)
    for _request_id, operator_id, amount, submitted_at, _, _ in source["requests"].values():
        month = date.fromisoformat(submitted_at[:10]).replace(day=1)
        expected[(month, source["operators"][operator_id]["province"])] += amount
    actual = query(
        built,
        "select month, province_code, sum(requested_amount) "
        "from gld.gld_culture__subventions_mensuelles group by all having sum(request_count) > 0",
    )
    assert {(m, p): a for m, p, a in actual} == dict(expected)


def test_operators_per_commune(built, source):
    expected = Counter(o["commune"] for o in source["operators"].values())
    actual = query(
        built,
        "select commune_nis_code, operator_count from gld.gld_culture__operateurs_par_commune",
    )
    assert {c: n for c, n in actual if n} == dict(expected)
    assert len(actual) == len(source["rows"]["denodo"]["bv_commune"])  # every commune, even 0


def test_affiliations_per_gender(built, source):
    expected = Counter(a[4].strip().upper() for a in source["rows"]["sport"]["affiliation"])
    actual = query(built, "select gender, sum(affiliation_count) from gld.gld_sport__affiliations group by 1")
    assert dict(actual) == dict(expected)
