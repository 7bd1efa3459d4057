"""A local HTTP receiver that imitates the endpoints of the Opendatasoft Automation API v1.0
that the portal push calls (orchestration/platform/portal.py): it records every request and keeps
the datasets, files, resources and metadata it was given, so a second push finds what the first
created. A fixture of the portal tests and of the open-data export's end to end test."""

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from orchestration.platform.portal import Portal

API_KEY = "5e1f0c3a9b7d42e8a6c4f2b0d8e6a4c2b0f8d6e4a2c0b8f6"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_ID, THEME_ID = "4b2x9kq", "7b5b405"  # the portal's ids of CC BY 4.0 and of its culture theme


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
