"""Portal: the push of an open dataset's export to an Opendatasoft portal.

The open-data platform of Wallonia and Brussels (https://www.odwb.be) runs on Opendatasoft, whose
Automation API v1.0 (https://help.opendatasoft.com/apis/ods-automation-v1/) is called here in the
order a person would follow in the portal's back office: find the dataset by its identifier (the
gold model's name) or create it, upload the CSV, point the dataset's resource at that file, set the
metadata, publish. Publishing makes the portal process the file, so its records become the export's.

Opendatasoft does not take licences and themes as URIs or EU codes: a dataset names one of the
licences and themes configured on the portal by its id (`internal.license_id`, `internal.theme_id`),
so a Portal carries the map from ours to its ids, and a licence or theme it lacks stops the push
before any call.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from orchestration.platform.open_data import Distribution, Export

API = "/api/automation/v1.0"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
# the EU's language codes of the languages an Opendatasoft dataset can declare
LANGUAGES = {
    "ENG": "en",
    "FRA": "fr",
    "NLD": "nl",
    "POR": "pt",
    "ITA": "it",
    "ARA": "ar",
    "DEU": "de",
    "SPA": "es",
    "CAT": "ca",
    "EUS": "eu",
    "SWE": "sv",
}
# how the portal reads the export's CSV: RFC 4180 (comma, double quotes), a header row, UTF-8
CSV_PARAMS = {"headers_first_row": True, "separator": ",", "encoding": "utf-8", "doublequote": True, "first_row_no": 1}
PORTAL_TEXT_LIMIT = 300  # characters of the portal's error message kept in a PortalError


@dataclass(frozen=True)
class Portal:
    """An Opendatasoft portal, the API key of the account that publishes on it, and its ids of our
    licences and themes (listed in its back office, Catalog > Licences and Themes)."""

    url: str  # its base URL, e.g. https://www.odwb.be
    api_key: str = field(repr=False)
    licences: Mapping[str, str] = field(default_factory=dict)  # licence URI -> the portal's licence id
    themes: Mapping[str, str] = field(default_factory=dict)  # EU data-theme code -> the portal's theme id


class PortalError(RuntimeError):
    """A push that failed: the dataset, the step, what the portal answered and what to do.
    Its message never holds the API key."""


def push(portal: Portal, export: Export, files: Mapping[str, bytes], timeout: float = 60) -> str:
    """Push `export` to `portal` (files: its distributions' bytes by file name) and publish it;
    the portal's uid of the dataset. Nothing is retried: the first refused call raises PortalError."""
    csv = _csv_distribution(portal, export, files)
    metadata = _metadata(portal, export)
    with requests.Session() as session:
        session.headers["Authorization"] = f"apikey {portal.api_key}"
        api = _Api(portal, export.dataset.identifier, session, timeout)
        uid = _find_dataset(api) or _create_dataset(api, metadata["default"])
        file_uid = _upload(api, uid, csv, files[csv.file_name])
        _point_resource_at(api, uid, csv.file_name, file_uid)
        _set_metadata(api, uid, metadata)
        _publish(api, uid)
    return uid


class _Api:
    """The Automation API of one portal for the push of one dataset, through one session."""

    def __init__(self, portal: Portal, dataset: str, session: requests.Session, timeout: float):
        self.portal, self.dataset, self.session, self.timeout = portal, dataset, session, timeout

    def call(self, step: str, method: str, path: str, **request: Any) -> Any:
        """The JSON answer of one call; PortalError, naming `step`, when the portal does not answer 2xx."""
        where = f"{method} {API}{path}"
        try:
            response = self.session.request(
                method, self.portal.url.rstrip("/") + API + path, timeout=self.timeout, **request
            )
        except requests.RequestException as error:
            raise self.error(
                step,
                where,
                f"no answer ({type(error).__name__}: {error})",
                "check the portal's URL and that it is reachable",
            ) from None
        if not 200 <= response.status_code < 300:
            said = " ".join(response.text.split())[:PORTAL_TEXT_LIMIT] or "nothing"
            raise self.error(
                step, where, f"HTTP {response.status_code}, the portal said: {said}", _advice(response.status_code)
            )
        return response.json() if response.content else {}

    def error(self, step: str, where: str, what: str, advice: str) -> PortalError:
        message = f"Pushing {self.dataset} to {self.portal.url} failed at '{step}' ({where}): {what}. To do: {advice}."
        return PortalError(_without(message, self.portal.api_key))


def _advice(status: int) -> str:
    if status in (401, 403):
        return "check the portal's API key and that its account may edit and publish datasets"
    if status == 404:
        return "check the portal's URL, and that the dataset was not deleted during the push"
    if status >= 500:
        return "the portal failed; push again later, and tell its administrators if it persists"
    return "the portal refused what was sent; correct it from the portal's message"


def _without(text: str, secret: str) -> str:
    # a portal may echo the Authorization header it received in its error message
    return text.replace(secret, "***") if secret else text


def _csv_distribution(portal: Portal, export: Export, files: Mapping[str, bytes]) -> Distribution:
    """The export's CSV, the portal's data source, once its bytes are checked to be the export's."""
    dataset = export.dataset.identifier
    csv = next((d for d in export.distributions if d.format == "CSV"), None)
    if csv is None:
        raise PortalError(
            f"Pushing {dataset} to {portal.url}: the export has no CSV distribution, the portal's data source."
        )
    content = files.get(csv.file_name)
    if content is None:
        raise PortalError(
            f"Pushing {dataset} to {portal.url}: no bytes given for {csv.file_name}; pass the export's files."
        )
    if hashlib.sha256(content).hexdigest() != csv.sha256:
        raise PortalError(
            f"Pushing {dataset} to {portal.url}: the bytes given for {csv.file_name} are not the export's (SHA-256 differs)."
        )
    return csv


def _metadata(portal: Portal, export: Export) -> dict[str, dict[str, Any]]:
    """The metadata the push sets, by the path under the dataset's metadata/: the `default`
    template whole (the export is its only author), and single fields of templates that also hold
    settings made in the back office."""
    dataset = export.dataset
    missing = [f"licence {dataset.licence}"] if dataset.licence not in portal.licences else []
    missing += [f"theme {theme}" for theme in dataset.themes if theme not in portal.themes]
    missing += [f"language {dataset.language}"] if dataset.language not in LANGUAGES else []
    if missing:
        raise PortalError(
            f"Pushing {dataset.identifier} to {portal.url}: the portal has no id for the {', '.join(missing)}; "
            "add them to the Portal's licences and themes (a language must be one Opendatasoft knows)."
        )
    default = {
        "title": dataset.title,
        "description": html.escape(dataset.description),  # the portal reads it as HTML
        "keyword": list(dataset.keywords),
        "modified": export.modified.isoformat(),
        # the date is the gold table's publication: the portal must not replace it by its own processing's
        "modified_updates_on_metadata_change": False,
        "modified_updates_on_data_change": False,
        "language": LANGUAGES[dataset.language],
        "publisher": dataset.publisher.name,
    }
    return {
        "default": {name: {"value": value} for name, value in default.items()},
        "internal/license_id": {"value": portal.licences[dataset.licence]},
        "internal/theme_id": {"value": [portal.themes[theme] for theme in dataset.themes]},
        "dcat/accrualperiodicity": {"value": EU_FREQUENCY + dataset.frequency},
    }


def _find_dataset(api: _Api) -> str | None:
    found = api.call("find the dataset", "GET", "/datasets/", params={"dataset_id": api.dataset})["results"]
    return next((d["uid"] for d in found if d["dataset_id"] == api.dataset), None)


def _create_dataset(api: _Api, default_metadata: dict[str, Any]) -> str:
    # open data: visible to every visitor of the portal, not only to named users and groups
    dataset = {"dataset_id": api.dataset, "is_restricted": False, "metadata": {"default": default_metadata}}
    return api.call("create the dataset", "POST", "/datasets/", json=dataset)["uid"]


def _upload(api: _Api, uid: str, csv: Distribution, content: bytes) -> str:
    file = {"file": (csv.file_name, content, csv.media_type)}
    return api.call("upload the CSV", "POST", f"/datasets/{uid}/resources/files/", files=file)["uid"]


def _point_resource_at(api: _Api, uid: str, title: str, file_uid: str) -> None:
    """Make the dataset's resource named `title` read the uploaded file, creating it the first time."""
    resource = {
        "type": "csvfile",
        "title": title,
        "params": CSV_PARAMS,
        "datasource": {"type": "uploaded_file", "file": {"uid": file_uid}},
    }
    resources = api.call("list the resources", "GET", f"/datasets/{uid}/resources/")["results"]
    ours = next((r["uid"] for r in resources if r.get("title") == title), None)
    if ours is None:
        api.call("create the resource", "POST", f"/datasets/{uid}/resources/", json=resource)
    else:
        api.call("update the resource", "PUT", f"/datasets/{uid}/resources/{ours}/", json=resource)


def _set_metadata(api: _Api, uid: str, metadata: dict[str, dict[str, Any]]) -> None:
    for path, value in metadata.items():
        api.call(f"set the metadata {path}", "PUT", f"/datasets/{uid}/metadata/{path}/", json=value)


def _publish(api: _Api, uid: str) -> None:
    api.call("publish", "POST", f"/datasets/{uid}/publish/")
