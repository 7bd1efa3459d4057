"""Partitions that mean something, end to end on the embedded default.

* any sequence of windows (late rows, an old window re-run) builds the tables one run over the
  whole history builds, and re-running an old window never takes the published tables back;
* rows inserted or updated inside the lookback reach the monthly gold with the next daily run;
* a publication takes from the warehouse only what its run built;
* the daily layers read only the lake partitions of their window, and dbt never parses the
  project again from one run to the next.
"""

import sqlite3
from datetime import date, timedelta
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, generate
from orchestration.platform.cli import run_window
from orchestration.platform.serving import connect_read_only
from orchestration.platform.settings import settings_for
from tests.conftest import DEMO_SAMPLE
from tests.gold import gold_tables, warehouses

pytestmark = pytest.mark.e2e
LAST_DAY = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)
SAMPLE = DEMO_SAMPLE  # the shared full run's (tests/conftest.py)
# The partition model is the platform's, the same in every department: it is tested on culture
# (daily facts with late rows, monthly gold, current states) and the reference data it reads.
DEPARTMENTS = ["referentiel", "culture"]
# the tables a window builds: partitioned facts, current states, monthly gold, reference data
WAREHOUSE_TABLES = (
    "int.int_culture__demandes",
    "int.int_culture__paiements",
    "int.int_culture__operateurs",
    "int.int_territoire__communes",
    "gld.gld_culture__subventions_mensuelles",
    "gld.gld_culture__operateurs_par_commune",
)


def tables(settings, relations=WAREHOUSE_TABLES) -> dict[str, list]:
    with warehouses(settings) as connection:
        return {
            relation: sorted(connection.execute(f"select * from {relation}").fetchall(), key=repr)
            for relation in relations
        }


def published(settings) -> dict[str, tuple]:
    """What the dashboard reads: every gold table's rows and the date its data describes."""
    with connect_read_only(settings.serving.path) as connection:
        described = dict(connection.execute("select table_name, data_as_of from gld._published").fetchall())
        return {
            name: (as_of, sorted(connection.execute(f"select * from gld.{name}").fetchall(), key=repr))
            for name, as_of in described.items()
        }


@pytest.fixture(scope="module")
def full_history(demo_built):
    """One run over the sample's whole history (every department): what every other sequence
    must give. Shared with the other modules that need it (tests/conftest.py)."""
    return demo_built


def test_windows_in_any_order_give_the_tables_of_one_run_and_an_old_window_rolls_nothing_back(tmp_path, full_history):
    settings = settings_for("local", data_dir=tmp_path / "data")
    generate(settings.sample_dir, SAMPLE)
    instance = dg.DagsterInstance.ephemeral()
    # January first: payments paid in late January and recorded in February come with the next
    # window, into January's partitions, and January's gold is rebuilt with them
    assert run_window(settings, SAMPLE_START, date(2026, 1, 31), instance=instance, departments=DEPARTMENTS).success
    assert run_window(settings, date(2026, 2, 1), LAST_DAY, instance=instance, departments=DEPARTMENTS).success
    before = published(settings)
    assert {as_of for as_of, _ in before.values()} >= {LAST_DAY}

    # an old window of one day: a single partition, not a range
    old = run_window(settings, date(2026, 1, 10), date(2026, 1, 10), instance=instance, departments=DEPARTMENTS)
    assert old.success
    # the monthly stage of an old window builds January only, and says so
    monthly = old.results[-1]
    assert monthly.dagster_run.tags["dagster/asset_partition_range_start"] == "2026-01-01"
    assert monthly.dagster_run.tags["dagster/asset_partition_range_end"] == "2026-01-01"
    # every published table, current states included, still shows the newest data
    assert published(settings) == before
    assert tables(settings) == tables(full_history)
    built = gold_tables(settings.serving.path)  # the departments of the windows, among all
    assert built and built == {k: v for k, v in gold_tables(full_history.serving.path).items() if k in built}


@pytest.fixture(scope="module")
def landed_until_20_february(tmp_path_factory):
    """History landed up to 20 February; the tests below continue from it, in order (each runs
    the 21st, which a re-run replaces exactly)."""
    settings = settings_for("local", data_dir=tmp_path_factory.mktemp("landed"))
    paths = generate(settings.sample_dir, SAMPLE)
    instance = dg.DagsterInstance.ephemeral()
    assert run_window(settings, SAMPLE_START, date(2026, 2, 20), instance=instance, departments=DEPARTMENTS).success
    return settings, paths["subventions"], instance


def february_paid(source, last_day: str) -> Decimal:
    """Paid in February up to `last_day`, according to the source itself (exact duplicates
    counted once)."""
    with sqlite3.connect(source) as connection:
        rows = connection.execute(
            "select distinct id_paiement, montant from paiement where paye_le >= '2026-02-01' and paye_le <= ?",
            (last_day,),
        ).fetchall()
    connection.close()
    return sum((Decimal(str(amount)).quantize(Decimal("0.01")) for _, amount in rows), Decimal("0"))


def gold_february_paid(path) -> Decimal:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "select sum(paid_amount) from gld.gld_culture__subventions_mensuelles where month = '2026-02-01'"
        ).fetchone()[0]


def test_rows_inserted_or_updated_inside_the_lookback_reach_gold_with_the_next_daily_run(
    landed_until_20_february,
):
    settings, source, instance = landed_until_20_february
    assert gold_february_paid(settings.serving.path) == february_paid(source, "2026-02-20")
    with sqlite3.connect(source) as connection:
        request, submitted = connection.execute(
            "select id_demande, soumise_le from demande where statut = 'acceptee' "
            "and soumise_le < '2026-02-01' order by id_demande limit 1"
        ).fetchone()
        # recorded on 20 February (inside the lookback of the run of the 21st), paid on the 10th
        connection.execute(
            "insert into paiement values (99001, ?, '8777.77', '2026-02-10', '2026-02-20 16:00:00+00:00')",
            (request,),
        )
        # an existing payment of the 5th corrected on the 19th
        payment = connection.execute(
            "select id_paiement from paiement where paye_le = '2026-02-05' limit 1"
        ).fetchone()[0]
        connection.execute(
            "update paiement set montant = '1.00', updated_at = '2026-02-19 09:00:00+00:00' where id_paiement = ?",
            (payment,),
        )
    connection.close()
    assert submitted < "2026-02-10"

    next_day = run_window(settings, date(2026, 2, 21), date(2026, 2, 21), instance=instance, departments=DEPARTMENTS)
    assert next_day.success
    assert gold_february_paid(settings.serving.path) == february_paid(source, "2026-02-21")
    # the partitions of the 5th and the 10th were rewritten and recorded as materialised, down
    # to the daily dbt models
    rewritten = {
        (event.asset_key.to_user_string(), event.partition)
        for event in next_day.all_events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }
    for asset in ("raw/subventions/paiement", "stg/stg_subventions__paiements", "int/int_culture__paiements"):
        assert {(asset, "2026-02-05"), (asset, "2026-02-10"), (asset, "2026-02-21")} <= rewritten, asset
    # the second run reused dbt's parse of the project: a new window is not a new project
    parses = {
        event.event_specific_data.materialization.metadata["dbt_parse"].value
        for event in next_day.all_events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        and "dbt_parse" in event.event_specific_data.materialization.metadata
    }
    assert parses == {"reused"}


def test_a_publication_takes_from_the_warehouse_only_what_its_run_built(landed_until_20_february):
    settings, _, instance = landed_until_20_february
    january = published(settings)["gld_culture__subventions_mensuelles"][1]
    # a January figure changed in the warehouse by something no run audited (a figure no check
    # covers: a paid amount would fail the check against the payments, and stop the run)
    with duckdb.connect(str(settings.warehouse("culture"))) as connection:
        connection.execute(
            "update gld.gld_culture__subventions_mensuelles set requested_amount = requested_amount + 1 "
            "where month = '2026-01-01'"
        )
    assert run_window(
        settings, date(2026, 2, 21), date(2026, 2, 21), instance=instance, departments=DEPARTMENTS
    ).success
    rows = published(settings)["gld_culture__subventions_mensuelles"][1]
    assert [r for r in rows if r[0] == date(2026, 1, 1)] == [r for r in january if r[0] == date(2026, 1, 1)]


def test_the_daily_layers_read_only_the_partitions_of_their_window(full_history):
    with duckdb.connect(str(full_history.warehouse("culture")), read_only=True) as connection:
        plan = connection.execute(
            "explain analyze select count(*) from stg.stg_subventions__paiements "
            "where (partition_date >= cast('2026-02-10' as date) and partition_date < cast('2026-02-12' as date))"
        ).fetchall()[0][1]
    files = next(line for line in plan.splitlines() if "Scanning Files" in line)
    assert "Scanning Files: 2/90" in files, files


def test_in_production_a_daily_run_is_followed_by_the_months_it_touched(landed_until_20_february):
    """The schedule runs `daily`; when it succeeds, the sensor asks for `monthly` over the months
    of every partition the daily run wrote, a late January payment's month included."""
    from orchestration.platform.definitions import build_definitions

    settings, source, instance = landed_until_20_february
    with sqlite3.connect(source) as connection:  # paid on 30 January, recorded on 20 February
        request = connection.execute(
            "select id_demande from demande where statut = 'acceptee' and soumise_le < '2026-01-20' limit 1"
        ).fetchone()[0]
        connection.execute(
            "insert into paiement values (99002, ?, '10.00', '2026-01-30', '2026-02-20 18:00:00+00:00')",
            (request,),
        )
    connection.close()
    definitions = build_definitions(settings, DEPARTMENTS)
    daily = definitions.resolve_job_def("daily").execute_in_process(partition_key="2026-02-21", instance=instance)
    assert daily.success
    sensor = definitions.get_repository_def().get_sensor_def("next_stage_sensor")
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=daily.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=daily.dagster_run,
        repository_def=definitions.get_repository_def(),
    )
    request = sensor(context)
    assert request.job_name == "monthly"
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (
        "2026-01-01",
        "2026-02-01",
    )
