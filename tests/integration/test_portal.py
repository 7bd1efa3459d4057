"""The push of an open dataset's export to an Opendatasoft portal (orchestration/platform/portal.py),
against a local HTTP receiver that imitates the endpoints of the Automation API v1.0 the push calls:
it records every request and keeps the datasets, files, resources and metadata it was given, so a
second push finds what the first created."""

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from orchestration.platform.open_data import Distribution, Export, Field, OpenDataset, Publisher
from orchestration.platform.portal import Portal, PortalError, push

API_KEY = "5e1f0c3a9b7d42e8a6c4f2b0d8e6a4c2b0f8d6e4a2c0b8f6"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_ID, THEME_ID = "4b2x9kq", "7b5b405"  # the portal's ids of CC BY 4.0 and of its culture theme
NAME = "gld_culture__subventions_mensuelles"
CSV_FILE, PARQUET_FILE = f"{NAME}.csv", f"{NAME}.parquet"
CSV_JANUARY = (
    "mois,secteur,province,montant_eur\r\n"
    "2024-01,Arts de la scène,Liège,125000.00\r\n"
    '2024-01,"Musique, classique",Hainaut,98000.50\r\n'
).encode()
CSV_FEBRUARY = CSV_JANUARY + "2024-02,Théâtre,Brabant wallon,41250.00\r\n".encode()


@dataclass
class Receiver:
    """What the imitated portal was sent and holds; `failures` maps (method, path pattern) to the
    status it answers instead."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    datasets: dict[str, str] = field(default_factory=dict)  # dataset_id -> uid
    files: dict[str, bytes] = field(default_factory=dict)  # file uid -> bytes
    resources: dict[str, dict] = field(default_factory=dict)  # resource uid -> resource
    metadata: dict[str, dict] = field(default_factory=dict)  # "template" or "template/field" -> value
    failures: dict[tuple[str, str], int] = field(default_factory=dict)

    def calls(self, method: str, pattern: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and re.fullmatch(pattern, r["path"])]


class AutomationApi(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's handler names)
        self.answer("GET")

    def do_POST(self):  # noqa: N802
        self.answer("POST")

    def do_PUT(self):  # noqa: N802
        self.answer("PUT")

    def answer(self, method: str):
        receiver: Receiver = self.server.receiver
        url = urlsplit(self.path)
        path = url.path.removeprefix("/api/automation/v1.0")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver.requests.append({"method": method, "path": path, "headers": dict(self.headers), "body": body})
        for (failing_method, pattern), status in receiver.failures.items():
            if method == failing_method and re.fullmatch(pattern, path):
                # as a careless server would, it echoes the credentials it was given
                return self.reply(
                    status, {"error_code": "refused", "message": f"refused {self.headers['Authorization']}"}
                )
        self.reply(*route(receiver, method, path, parse_qs(url.query), self.headers.get("Content-Type", ""), body))

    def reply(self, status: int, document: dict):
        content = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


def route(receiver: Receiver, method: str, path: str, query: dict, content_type: str, body: bytes) -> tuple[int, dict]:
    """The imitated answer of the Automation API (status, JSON)."""
    if method == "GET" and path == "/datasets/":
        found = [
            {"uid": uid, "dataset_id": d} for d, uid in receiver.datasets.items() if d in query.get("dataset_id", [])
        ]
        return 200, {"total_count": len(found), "next": None, "previous": None, "results": found}
    if method == "POST" and path == "/datasets/":
        dataset = json.loads(body)
        uid = receiver.datasets[dataset["dataset_id"]] = f"da_{len(receiver.datasets) + 1:06d}"
        receiver.metadata["default"] = dataset["metadata"]["default"]
        return 201, {"uid": uid, "dataset_id": dataset["dataset_id"], "is_published": False}
    if not (match := re.fullmatch(r"/datasets/(da_\d+)/(.*)", path)) or match[1] not in receiver.datasets.values():
        return 404, {"error_code": "not_found", "message": "Not found"}
    rest = match[2]
    if method == "POST" and rest == "resources/files/":
        file_name, content = multipart_file(content_type, body)
        uid = f"fi_{len(receiver.files) + 1:06d}"
        receiver.files[uid] = content
        return 200, {"uid": uid, "filename": file_name, "mimetype": "text/csv"}
    if method == "GET" and rest == "resources/":
        results = [{"uid": uid, **resource} for uid, resource in receiver.resources.items()]
        return 200, {"total_count": len(results), "next": None, "previous": None, "results": results}
    if method == "POST" and rest == "resources/":
        uid = f"re_{len(receiver.resources) + 1:06d}"
        receiver.resources[uid] = json.loads(body)
        return 201, {"uid": uid, **receiver.resources[uid]}
    if (
        method == "PUT"
        and (resource := re.fullmatch(r"resources/(re_\d+)/", rest))
        and resource[1] in receiver.resources
    ):
        receiver.resources[resource[1]] = json.loads(body)
        return 200, {"uid": resource[1], **receiver.resources[resource[1]]}
    if method == "PUT" and (metadata := re.fullmatch(r"metadata/([a-z_]+(?:/[a-z_]+)?)/", rest)):
        receiver.metadata[metadata[1]] = json.loads(body)
        return 200, receiver.metadata[metadata[1]]
    if method == "POST" and rest == "publish/":
        return 200, {"status": "queued"}
    return 404, {"error_code": "not_found", "message": "Not found"}


def multipart_file(content_type: str, body: bytes) -> tuple[str, bytes]:
    """The file name and the exact bytes of the `file` part of a multipart/form-data body."""
    boundary = re.search(r"boundary=([^;]+)", content_type)[1].encode()
    for part in body.split(b"--" + boundary)[1:-1]:
        head, _, content = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return re.search(rb'filename="([^"]+)"', head)[1].decode(), content.removesuffix(b"\r\n")
    raise AssertionError("no file part in the upload")


@pytest.fixture
def receiver():
    """A running imitation of the portal on a free local port; its state."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), AutomationApi)
    server.receiver = Receiver()
    server.receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.receiver
    server.shutdown()
    server.server_close()


def portal_of(receiver: Receiver, api_key: str = API_KEY) -> Portal:
    return Portal(receiver.url, api_key, licences={CC_BY: LICENCE_ID}, themes={"EDUC": THEME_ID})


def export_of(csv: bytes, modified: datetime, last_month: date) -> tuple[Export, dict[str, bytes]]:
    """An export of the monthly cultural subsidies, as open_data describes it, and its files."""
    parquet = b"PAR1" + csv + b"PAR1"  # stands for the Parquet file: the push must not send it
    dataset = OpenDataset(
        identifier=NAME,
        title="Subventions culturelles par mois, secteur et province",
        description="Montants des subventions accordées par secteur culturel et par province, chaque mois. Montants < 1 000 € regroupés.",
        licence=CC_BY,
        publisher=Publisher(
            "Fédération Wallonie-Bruxelles, Administration générale de la Culture",
            "https://www.culture.be",
            "opendata.culture@cfwb.be",
        ),
        frequency="MONTHLY",
        themes=("EDUC",),
        keywords=("culture", "subventions", "provinces"),
    )
    version = modified.strftime("%Y%m%dT%H%M%SZ")

    def distribution(file_name: str, file_format: str, media_type: str, content: bytes) -> Distribution:
        url = f"https://lake.example.be/open_data/culture/{NAME}/{version}/{file_name}"
        return Distribution(file_name, file_format, media_type, url, len(content), hashlib.sha256(content).hexdigest())

    export = Export(
        dataset=dataset,
        fields=(
            Field("mois", "string"),
            Field("secteur", "string"),
            Field("province", "string"),
            Field("montant_eur", "number"),
        ),
        rows=csv.count(b"\r\n") - 1,
        modified=modified,
        version=version,
        temporal=(date(2024, 1, 1), last_month),
        distributions=(
            distribution(CSV_FILE, "CSV", "text/csv", csv),
            distribution(PARQUET_FILE, "PARQUET", "application/vnd.apache.parquet", parquet),
        ),
    )
    return export, {CSV_FILE: csv, PARQUET_FILE: parquet}


JANUARY = export_of(CSV_JANUARY, datetime(2024, 2, 3, 6, 0, tzinfo=UTC), date(2024, 1, 31))
FEBRUARY = export_of(CSV_FEBRUARY, datetime(2024, 3, 2, 6, 0, tzinfo=UTC), date(2024, 2, 29))


def test_a_first_push_creates_uploads_describes_and_publishes(receiver):
    uid = push(portal_of(receiver), *JANUARY, timeout=5)

    assert receiver.datasets == {NAME: uid}
    assert receiver.files == {"fi_000001": CSV_JANUARY}  # the CSV's exact bytes, and not the Parquet file
    [resource] = receiver.resources.values()
    assert resource["type"] == "csvfile" and resource["title"] == CSV_FILE
    assert resource["datasource"] == {"type": "uploaded_file", "file": {"uid": "fi_000001"}}
    default = {name: value["value"] for name, value in receiver.metadata["default"].items()}
    assert default["title"] == "Subventions culturelles par mois, secteur et province"
    assert default["keyword"] == ["culture", "subventions", "provinces"]
    assert default["modified"] == "2024-02-03T06:00:00+00:00" and default["language"] == "fr"
    assert "Montants &lt; 1 000 € regroupés." in default["description"]  # escaped: the portal reads HTML
    assert receiver.metadata["internal/license_id"] == {"value": LICENCE_ID}
    assert receiver.metadata["internal/theme_id"] == {"value": [THEME_ID]}
    assert receiver.metadata["dcat/accrualperiodicity"] == {
        "value": "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    }
    assert [r["path"] for r in receiver.requests][-1] == f"/datasets/{uid}/publish/"
    assert all(r["headers"]["Authorization"] == f"apikey {API_KEY}" for r in receiver.requests)
    assert API_KEY not in repr(portal_of(receiver))


def test_a_second_push_updates_the_same_dataset(receiver):
    first = push(portal_of(receiver), *JANUARY, timeout=5)
    second = push(portal_of(receiver), *FEBRUARY, timeout=5)

    assert second == first and len(receiver.calls("POST", "/datasets/")) == 1
    [resource] = receiver.resources.values()  # the one resource, now reading the new file
    assert receiver.files[resource["datasource"]["file"]["uid"]] == CSV_FEBRUARY
    assert len(receiver.calls("PUT", r"/datasets/da_\d+/resources/re_\d+/")) == 1
    assert receiver.metadata["default"]["modified"] == {"value": "2024-03-02T06:00:00+00:00"}
    assert len(receiver.calls("POST", r"/datasets/da_\d+/publish/")) == 2


@pytest.mark.parametrize(
    ("method", "path", "status", "step"),
    [
        ("GET", "/datasets/", 401, "find the dataset"),
        ("PUT", r"/datasets/da_\d+/metadata/default/", 500, "set the metadata default"),
    ],
)
def test_a_refused_step_is_named_without_the_api_key(receiver, method, path, status, step):
    receiver.failures[(method, path)] = status

    with pytest.raises(PortalError) as raised:
        push(portal_of(receiver), *JANUARY, timeout=5)

    message = str(raised.value)
    assert f"'{step}'" in message and f"HTTP {status}" in message and NAME in message
    assert "refused apikey ***" in message  # the portal's text, with the key it echoed masked
    assert API_KEY not in message and API_KEY not in repr(raised.value)
    assert not receiver.calls("POST", r"/datasets/da_\d+/publish/")


def test_nothing_is_published_when_the_upload_fails(receiver):
    receiver.failures[("POST", r"/datasets/da_\d+/resources/files/")] = 500

    with pytest.raises(PortalError, match=r"'upload the CSV'.*HTTP 500"):
        push(portal_of(receiver), *JANUARY, timeout=5)

    assert receiver.datasets and not receiver.files and not receiver.resources
    assert not receiver.calls("POST", r"/datasets/da_\d+/publish/")


def test_a_licence_the_portal_has_no_id_for_stops_the_push_before_any_call(receiver):
    portal = replace(portal_of(receiver), licences={})

    with pytest.raises(PortalError, match=f"no id for the licence {CC_BY}"):
        push(portal, *JANUARY, timeout=5)

    assert not receiver.requests
