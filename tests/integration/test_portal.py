"""The push of an open dataset's export to an Opendatasoft portal (orchestration/platform/portal.py),
against a local HTTP receiver that imitates the endpoints of the Automation API v1.0 the push calls
(tests/portal.py)."""

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from orchestration.platform.open_data import Distribution, Export, Field, OpenDataset, Publisher
from orchestration.platform.portal import PortalError, push
from tests.portal import API_KEY, CC_BY, LICENCE_ID, THEME_ID, portal_of

NAME = "gld_culture__subventions_mensuelles"
CSV_FILE, PARQUET_FILE = f"{NAME}.csv", f"{NAME}.parquet"
CSV_JANUARY = (
    "mois,secteur,province,montant_eur\r\n"
    "2024-01,Arts de la scène,Liège,125000.00\r\n"
    '2024-01,"Musique, classique",Hainaut,98000.50\r\n'
).encode()
CSV_FEBRUARY = CSV_JANUARY + "2024-02,Théâtre,Brabant wallon,41250.00\r\n".encode()


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
