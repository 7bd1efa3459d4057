"""Azurite for the tests that need blob storage (a pytest plugin loaded by tests/conftest.py).

The session fixture `azurite` starts the emulator (orchestration/demo/azurite.py) on a free
loopback port and stops it at the end; tests that need it skip loudly when it is not installed
(and fail in CI, see tests/services.py). `azurite_https` serves HTTPS with a self-signed
certificate; `trust_azurite_https` makes the clients trust it. `dbt_filesystem` and
`duckdb_reader` read the lake the way dbt does.
"""

from __future__ import annotations

import duckdb
import fsspec
import pytest
import yaml
from dbt_common.context import set_invocation_context

from orchestration.demo.azurite import ACCOUNT, ACCOUNT_KEY, PROJECT_ROOT, VERSION, Azurite, executable  # noqa: F401
from tests.services import require_service


def require_azurite() -> None:
    require_service(
        "Azurite",
        executable() is not None,
        f"install it with `python -m orchestration.demo.azurite install` (npm package azurite@{VERSION})",
    )


@pytest.fixture(scope="session")
def azurite(tmp_path_factory) -> Azurite:
    """The Azurite of the test session (started on first use)."""
    require_azurite()
    service = Azurite(tmp_path_factory.mktemp("azurite")).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def azurite_https(tmp_path_factory) -> Azurite:
    """An Azurite of the test session that serves HTTPS (use it with `trust_azurite_https`)."""
    require_azurite()
    service = Azurite(tmp_path_factory.mktemp("azurite-https"), https=True).start()
    yield service
    service.stop()


@pytest.fixture
def trust_azurite_https(azurite_https: Azurite, monkeypatch) -> Azurite:
    """`azurite_https`, whose certificate adlfs trusts for the duration of the test.

    adlfs goes through the Azure SDK's aiohttp transport, and aiohttp builds its default SSL
    context once, when it is imported, so SSL_CERT_FILE set afterwards would be ignored.
    """
    import aiohttp.connector

    context = azurite_https.trusting_ssl_context()
    monkeypatch.setattr(aiohttp.connector, "_SSL_CONTEXT_VERIFIED", context)
    return azurite_https


@pytest.fixture
def lake_environ(azurite: Azurite) -> dict[str, str]:
    """The variables of a lake in a fresh Azurite container (connection-string mode)."""
    return {
        "LAKEHOUSE_LAKE_ROOT": f"abfs://{azurite.create_container()}/lake",
        "LAKEHOUSE_LAKE_CONNECTION_STRING": azurite.connection_string,
    }


def dbt_filesystem(environ) -> fsspec.AbstractFileSystem:
    """The lake filesystem of dbt/profiles.yml's `azure` output, rendered and built as dbt does
    (its plugin, orchestration/platform/lake_reads.py)."""
    from dbt.config.renderer import ProfileRenderer

    from orchestration.platform.lake_reads import Plugin

    set_invocation_context(dict(environ))
    outputs = yaml.safe_load((PROJECT_ROOT / "dbt" / "profiles.yml").read_text())["lakehouse"]
    [plugin] = [
        p
        for p in ProfileRenderer({}).render_data(outputs["outputs"]["azure"])["plugins"]
        if p["module"].endswith("lake_reads")
    ]
    return Plugin("lake", plugin["config"]).filesystem


def duckdb_reader(environ) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.register_filesystem(dbt_filesystem(environ))
    return connection
