"""Shared fixtures: settings pointing at a temporary data directory, the sample sources, Azurite,
the dbt manifest and the Dagster asset graph built from it."""

import fcntl
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import run_window
from orchestration.platform.definitions import build_definitions
from orchestration.platform.settings import Settings, settings_for
from orchestration.platform.transform import DBT_PROJECT
from tests.azurite import azurite, lake_environ  # noqa: F401  (fixtures)
from tests.browser import browser  # noqa: F401  (fixture)
from tests.portal import receiver  # noqa: F401  (a fixture: the imitation of the open-data portal)


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    """The embedded default's settings with every file under a fresh temporary directory."""
    return settings_for("local", data_dir=tmp_path / "data")


@pytest.fixture
def sample_settings(local_settings: Settings) -> Settings:
    """`local_settings` whose sample sources have been generated (default spec)."""
    generate(local_settings.sample_dir, SampleSpec())
    return local_settings


@pytest.fixture(scope="session")
def manifest() -> dict:
    """The dbt manifest the definitions load (`make test` parses it first)."""
    assert DBT_PROJECT.manifest_path.exists(), "run `make manifest` first (make test does)"
    return json.loads(DBT_PROJECT.manifest_path.read_text())


@pytest.fixture(scope="session")
def graph(tmp_path_factory):
    """The asset graph of the definitions, on the embedded default."""
    settings = settings_for("local", data_dir=tmp_path_factory.mktemp("data"))
    return build_definitions(settings).get_repository_def().asset_graph


DEMO_SAMPLE = SampleSpec(scale=0.3)


@pytest.fixture(scope="session")
def demo_built_dir(tmp_path_factory) -> Path:
    """A data directory where every department ran over the whole sample (`DEMO_SAMPLE`): built
    once per `make test` and shared by the workers (the first to ask builds it, under a lock).
    Read it through `demo_built`, which gives each module its own copy."""
    workers_share = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        workers_share = workers_share.parent  # the run's folder, above each worker's own
    built = workers_share / "demo-built"
    with open(workers_share / "demo-built.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built / "done").exists():
            shutil.rmtree(built, ignore_errors=True)
            settings = settings_for("local", data_dir=built / "data")
            generate(settings.sample_dir, DEMO_SAMPLE)
            last = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)
            assert run_window(settings, SAMPLE_START, last, instance=dg.DagsterInstance.ephemeral()).success
            (built / "done").touch()
    return built / "data"


@pytest.fixture(scope="module")
def demo_built(demo_built_dir, tmp_path_factory) -> Settings:
    """Settings of a copy of `demo_built_dir`, this module's to read and write."""
    copy = tmp_path_factory.mktemp("demo") / "data"
    shutil.copytree(demo_built_dir, copy)
    return settings_for("local", data_dir=copy)
