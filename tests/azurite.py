"""Azurite, Microsoft's Azure Storage emulator, for the tests that need blob storage.

A pytest plugin (loaded by tests/conftest.py): the session fixture `azurite` starts the blob
service on a free loopback port with a temporary data folder and stops it at the end; tests
that need it skip loudly when it is not installed (and fail in CI, see tests/services.py).
`python -m tests.azurite install` installs the pinned version into ./node_modules (.ci/run).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.services import port_open, require_service

VERSION = "3.35.0"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented by Microsoft)
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
INSTALL = ["npm", "install", "--no-save", "--no-audit", "--no-fund", f"azurite@{VERSION}"]


def executable() -> str | None:
    local = PROJECT_ROOT / "node_modules" / ".bin" / "azurite-blob"
    return str(local) if local.exists() else shutil.which("azurite-blob")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Azurite:
    """One Azurite blob service: started on `port` (a free one by default), data in `folder`."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};"
        )

    def start(self) -> Azurite:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            executable() or "azurite-blob", "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
            "--location", str(self.folder), "--silent", "--loose", "--skipApiVersionCheck",
            "--disableTelemetry",
        ]
        log = (self.folder / "azurite.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", self.port, timeout=0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Azurite did not start; see {self.folder / 'azurite.log'}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def create_container(self, name: str | None = None) -> str:
        """A new container (a unique name by default); returns its name."""
        from azure.storage.blob import BlobServiceClient

        name = name or f"test-{uuid.uuid4().hex[:12]}"
        with BlobServiceClient.from_connection_string(self.connection_string) as client:
            client.create_container(name)
        return name


def require_azurite() -> None:
    require_service(
        "Azurite",
        executable() is not None,
        f"install it with `python -m tests.azurite install` (npm package azurite@{VERSION})",
    )


@pytest.fixture(scope="session")
def azurite(tmp_path_factory) -> Azurite:
    """The Azurite of the test session (started on first use)."""
    require_azurite()
    service = Azurite(tmp_path_factory.mktemp("azurite")).start()
    yield service
    service.stop()


@pytest.fixture
def lake_environ(azurite: Azurite) -> dict[str, str]:
    """The variables of a lake in a fresh Azurite container (connection-string mode)."""
    return {
        "LAKEHOUSE_LAKE_ROOT": f"abfs://{azurite.create_container()}/lake",
        "LAKEHOUSE_LAKE_CONNECTION_STRING": azurite.connection_string,
    }


def main(argv: list[str]) -> int:
    if argv != ["install"]:
        print("usage: python -m tests.azurite install", file=sys.stderr)
        return 2
    if executable():
        print(f"Azurite is installed: {executable()}")
        return 0
    return subprocess.run(INSTALL, cwd=PROJECT_ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
