"""The dashboard in a real browser: headless Chromium shows the gold tables' numbers, and a
re-publish while the dashboard is open neither blocks nor breaks it.

The data directory is built by the main job (a small sample), so the serving file is the one
the publish step wrote; expected numbers are read from the warehouse's gold tables.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orchestration.platform.serving import Published, connect_read_only, publish_serving_file
from orchestration.platform.settings import PROJECT_ROOT
from orchestration.platform.warehouse import read_gold
from tests.browser import save_screenshot
from tests.gold import warehouses
from tests.services import free_port, stop_process_group

DEPARTMENTS = ("culture", "sport", "enseignement")

pytestmark = pytest.mark.e2e
SUBVENTIONS = "gld_culture__subventions_mensuelles"
GOLD_TABLES = [
    SUBVENTIONS,
    "gld_culture__operateurs_par_commune",
    "gld_sport__affiliations",
    "gld_enseignement__ecoles_ouvertes",
]


@pytest.fixture(scope="module")
def built(demo_built):
    """Settings of a data directory where the main job ran, publishing the serving file."""
    return demo_built


def gold(settings, sql) -> tuple:
    with warehouses(settings) as connection:
        return connection.execute(sql).fetchall()[0]


@contextmanager
def streamlit_server(environ: dict[str, str]) -> Iterator[str]:
    """`make dashboard`'s server with `environ` added; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as a whole below
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            assert server.poll() is None, "the dashboard exited"
            assert time.monotonic() < deadline, "the dashboard did not answer within 60 s"
            time.sleep(0.5)
        yield url
    finally:
        stop_process_group(server)


@pytest.fixture(scope="module")
def dashboard(built):
    """`make dashboard`'s server on the built data directory; yields its base URL."""
    with streamlit_server({"LAKEHOUSE_DATA_DIR": str(built.data_dir)}) as url:
        yield url


def as_number(text: str) -> Decimal:
    """'11 478 058,86 €' -> Decimal('11478058.86')."""
    return Decimal(re.sub(r"[^\d,-]", "", text).replace(",", "."))


def shown_metrics(
    browser, url: str, expected: dict[str, Decimal] | None = None, timeout=60, labels: list[str] | None = None
) -> dict:
    """The page's metrics, label -> number, once every one is shown (and equals `expected`,
    when given: the page may need a rerun to show a new version)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)

    def metrics(driver):
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'), driver.find_element(
            By.CSS_SELECTOR, '[data-testid="stException"]'
        ).text
        found = {}
        for metric in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]'):
            label, _, value = metric.text.partition("\n")
            found[label] = as_number(value)
        wanted = expected or {}
        # the page draws its metrics one by one: wait for those asked for
        complete = found and set(labels or ()) <= set(found)
        return found if complete and all(found.get(k) == v for k, v in wanted.items()) else None

    return WebDriverWait(browser, timeout).until(metrics)


def screenshot(browser, name: str) -> None:
    save_screenshot(browser, "dashboard", name)


PAGES = {
    "culture_subventions": (
        "select sum(requested_amount), sum(paid_amount), sum(request_count), sum(payment_count) "
        f"from gld.{SUBVENTIONS}",
        ["Montant demandé", "Montant payé", "Demandes", "Paiements"],
    ),
    "culture_operateurs": (
        "select count(*), sum(operator_count), sum(population) from gld.gld_culture__operateurs_par_commune",
        ["Communes", "Opérateurs", "Habitants"],
    ),
    "sport_affiliations": (
        "select sum(affiliation_count), sum(affiliation_count) filter (gender = 'F'), "
        "sum(affiliation_count) filter (gender = 'M') from gld.gld_sport__affiliations "
        "where season = (select max(season) from gld.gld_sport__affiliations)",
        ["Affiliations {season}", "Genre F", "Genre M"],
    ),
    "enseignement_ecoles": (
        "select sum(open_school_count), count(distinct commune_nis_code) from gld.gld_enseignement__ecoles_ouvertes",
        ["Écoles ouvertes", "Communes avec une école"],
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_each_page_shows_its_gold_table_numbers(built, dashboard, browser, page):
    from selenium.webdriver.common.by import By

    sql, labels = PAGES[page]
    season = gold(built, "select max(season) from gld.gld_sport__affiliations")[0]
    expected = {label.format(season=season): Decimal(value) for label, value in zip(labels, gold(built, sql))}
    shown = shown_metrics(browser, f"{dashboard}/{page}", labels=list(expected))
    screenshot(browser, page)
    assert {label: shown.get(label) for label in expected} == expected
    # a page for end users (.streamlit/config.toml): no developer menu, no "Deploy" button
    assert "Deploy" not in browser.find_element(By.TAG_NAME, "header").text
    # the charts' axes and legends: French numbers, readers' words, never a column's name
    texts = chart_texts(browser)
    assert not [t for t in texts if re.search(r"\d,\d{3}\b", t)], "a number written the English way"
    assert not [t for t in texts if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", t)], "a column's name shown"


def chart_texts(browser) -> list[str]:
    """The text of every chart of the page (axes, ticks, legends), once they are drawn."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def drawn(driver):
        charts = driver.find_elements(By.CSS_SELECTOR, ".vega-embed svg")
        return charts and [e.text for chart in charts for e in chart.find_elements(By.TAG_NAME, "text") if e.text]

    return WebDriverWait(browser, 60).until(drawn)


def test_the_home_page_links_every_page_with_its_freshness(built, dashboard, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(dashboard)
    text = WebDriverWait(browser, 60).until(
        lambda d: (
            d.find_element(By.TAG_NAME, "main").text.count("publiée le") == len(PAGES)
            and d.find_element(By.TAG_NAME, "main").text
        )
    )
    screenshot(browser, "overview")
    for table in ("gld_culture__operateurs_par_commune", SUBVENTIONS):
        assert table in text
    # the date the data describes, next to when it was published
    with connect_read_only(built.serving.path) as connection:
        [(last_day, published_at)] = connection.execute(
            f"select data_as_of, published_at from gld._published where table_name = '{SUBVENTIONS}'"
        ).fetchall()
    assert f"données au {last_day:%d/%m/%Y}" in text
    # when, as the readers' clocks say it (Europe/Brussels), never in UTC
    assert f"publiée le {published_at.astimezone(ZoneInfo('Europe/Brussels')):%d/%m/%Y %H:%M}" in text
    assert "UTC" not in text


@pytest.mark.parametrize(
    ("environ", "shown"),
    [
        ({}, "Aucune table n'est encore publiée dans cet environnement"),
        ({"LAKEHOUSE_ENV": "prodd"}, "Le tableau de bord est mal configuré ; à transmettre à l'équipe data : Unknown"),
    ],
    ids=["nothing-published", "wrong-environment"],
)
def test_a_dashboard_with_nothing_to_show_says_why_in_french_without_a_traceback(tmp_path, browser, environ, shown):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with streamlit_server({"LAKEHOUSE_DATA_DIR": str(tmp_path), **environ}) as url:
        browser.get(f"{url}/culture_subventions")
        text = WebDriverWait(browser, 60).until(
            lambda d: shown in d.find_element(By.TAG_NAME, "main").text and d.find_element(By.TAG_NAME, "main").text
        )
    assert "Traceback" not in text and not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


def test_republishing_while_the_dashboard_is_open_neither_blocks_nor_breaks_it(built, dashboard, browser):
    url = f"{dashboard}/culture_subventions"
    before = shown_metrics(browser, url)
    path = built.serving.path
    tables = {
        name: table
        for department in DEPARTMENTS
        for name, table in read_gold(built, department, [t for t in GOLD_TABLES if department in t]).items()
    }
    halved = tables[SUBVENTIONS].slice(0, tables[SUBVENTIONS].num_rows // 2)
    now = datetime.now(UTC)
    started = time.monotonic()
    publish_serving_file(
        path, {name: Published(table, now, None) for name, table in {**tables, SUBVENTIONS: halved}.items()}
    )
    assert time.monotonic() - started < 10, "publishing waited for the open dashboard"

    paid = sum(halved.column("paid_amount").to_pylist())
    assert paid != before["Montant payé"]
    after = shown_metrics(browser, url, expected={"Montant payé": paid})
    screenshot(browser, "culture_subventions_republished")
    assert after["Paiements"] == sum(halved.column("payment_count").to_pylist())


def test_the_dashboard_shows_a_past_publication_as_of_a_day(built, dashboard, browser):
    """The lake moves on (a publication dated tomorrow, with half the grants): the pages show it,
    and the same page as of today shows the gold tables exactly as published today."""
    from orchestration.platform.publish import serve_every_department
    from orchestration.platform.versions import Publication, Rebuilt, publish_versions, read_publication

    lake = built.open_lake()
    today = read_publication(lake, "culture")[SUBVENTIONS].table
    halved = today.slice(0, today.num_rows // 2)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    publication = Publication(f"{tomorrow:%Y%m%dT%H%M%S%fZ}-test", "test", tomorrow)
    publish_versions(lake, "culture", publication, {SUBVENTIONS: Rebuilt(halved, None)}, built.gold_versions_days)
    serve_every_department(lake, built.serving, "culture", read_publication(lake, "culture"))

    url = f"{dashboard}/culture_subventions"
    paid_now = sum(halved.column("paid_amount").to_pylist())
    shown_metrics(browser, url, expected={"Montant payé": paid_now})
    day = datetime.now(ZoneInfo("Europe/Brussels")).date()
    past = shown_metrics(
        browser,
        f"{url}?as_of={day.isoformat()}",
        expected={"Montant payé": sum(today.column("paid_amount").to_pylist())},
    )
    assert past["Paiements"] == sum(today.column("payment_count").to_pylist())
    assert past["Montant payé"] != paid_now, "today's publication differs from tomorrow's"
    assert f"Tel que publié le {day:%d/%m/%Y}" in browser.page_source
    screenshot(browser, "culture_subventions_as_of")
    # a day before the first publication: said in French, with no numbers and no traceback
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{url}?as_of={(day - timedelta(days=1)).isoformat()}")
    WebDriverWait(browser, 60).until(lambda b: "Aucune table n'était encore publiée" in b.page_source)
    assert "Traceback" not in browser.page_source
