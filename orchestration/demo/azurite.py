"""Azurite, Microsoft's Azure Storage emulator: the lake on Azure without an Azure account.

`Azurite(folder).start()` runs the blob service on a free loopback port with its data in
`folder` (`https=True`: over HTTPS with a self-signed certificate, for the modes that adlfs
only speaks over HTTPS: account key, SAS token). The tests and `make bench BENCH=lake` use it.
`python -m orchestration.demo.azurite install` installs the pinned version into ./node_modules
(.ci/run does).
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# 3.36 or later: it honours List Blobs' `startFrom`, which deltalake (versions.py) lists its log with;
# 3.35 ignores it, and every third commit to a Delta table failed ("Invalid table version")
VERSION = "3.37.0"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
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


def write_self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, valid for a day and its own trust anchor, and its private
    key: PEM files in `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    loopback = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(loopback, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Azurite:
    """One Azurite blob service: started on `port` (a free one by default), data in `folder`;
    over HTTPS with a self-signed certificate (`certificate`, written in `folder`) if `https`."""

    def __init__(self, folder: Path, port: int | None = None, https: bool = False):
        self.folder = folder
        self.port = port or free_port()
        self.https = https
        self.certificate: Path | None = None
        self.key: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def account_host(self) -> str:
        """The endpoint as adlfs's `account_host` (path style: the account follows the port)."""
        return f"127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        scheme = "https" if self.https else "http"
        return (
            f"DefaultEndpointsProtocol={scheme};AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={scheme}://{self.account_host};"
        )

    def start(self) -> Azurite:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            executable() or "azurite-blob",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(self.port),
            "--location",
            str(self.folder),
            "--silent",
            "--loose",
            "--skipApiVersionCheck",
            "--disableTelemetry",
        ]
        if self.https:
            if self.certificate is None:
                self.certificate, self.key = write_self_signed_certificate(self.folder)
            command += ["--cert", str(self.certificate), "--key", str(self.key)]
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
        verify = {"connection_verify": str(self.certificate)} if self.https else {}
        with BlobServiceClient.from_connection_string(self.connection_string, **verify) as client:
            client.create_container(name)
        return name

    def trusting_ssl_context(self) -> ssl.SSLContext:
        """The system's trusted certificates and this Azurite's, as aiohttp's default context."""
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=str(self.certificate))
        context.set_alpn_protocols(["http/1.1"])
        return context


def main(argv: list[str]) -> int:
    if argv != ["install"]:
        print("usage: python -m orchestration.demo.azurite install", file=sys.stderr)
        return 2
    if executable() and installed_version() in (VERSION, None):  # None: one on the PATH, not ours
        print(f"Azurite is installed: {executable()}")
        return 0
    return subprocess.run(INSTALL, cwd=PROJECT_ROOT).returncode


def installed_version() -> str | None:
    """The version of the Azurite installed in the project's node_modules, if any."""
    package = PROJECT_ROOT / "node_modules" / "azurite" / "package.json"
    return json.loads(package.read_text())["version"] if package.exists() else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
