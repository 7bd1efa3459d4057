"""Shared fixtures: settings pointing at a temporary data directory, the sample sources, Azurite,
the dbt manifest and the Dagster asset graph built from it."""

import json
from pathlib import Path

import pytest

from orchestration.demo.sample_data import SampleSpec, generate
from orchestration.platform.definitions import build_definitions
from orchestration.platform.settings import Settings, settings_for
from orchestration.platform.transform import DBT_PROJECT
from tests.azurite import azurite, lake_environ  # noqa: F401  (fixtures)


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
