"""Shared fixtures: settings pointing at a temporary data directory, the sample sources, Azurite."""

from pathlib import Path

import pytest

from orchestration.lib.sample_data import SampleSpec, generate
from orchestration.settings import Settings, settings_for
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
