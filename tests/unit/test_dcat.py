"""The descriptions of an open-data export: the DCAT-AP document against the official DCAT-AP 3.0.0
SHACL shapes (tests/data/dcat-ap-3.0.0), the data package against Frictionless, on files written
by the export's own code."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import frictionless
import pyarrow as pa
import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, SH

from orchestration.platform.dcat import data_package, dcat_document, package_name
from orchestration.platform.open_data import (
    Export,
    Field,
    OpenDataset,
    Publisher,
    distributions,
    export_files,
)

SHAPES = Path(__file__).parents[1] / "data" / "dcat-ap-3.0.0" / "dcat-ap-SHACL.ttl"
CATALOGUE = "https://opendata.example.cfwb.be/catalogue"
IDENTIFIER = "gld_culture__subventions_mensuelles"
DATASET = URIRef(f"{CATALOGUE}/datasets/{IDENTIFIER}")

SUBSIDIES = OpenDataset(
    identifier=IDENTIFIER,
    title="Subventions culturelles par mois, secteur et province",
    description="Montant et nombre des subventions octroyées par l'Administration générale de la Culture, "
    "par mois, secteur culturel et province du bénéficiaire.",
    licence="https://creativecommons.org/licenses/by/4.0/",
    publisher=Publisher(
        name="Fédération Wallonie-Bruxelles - Administration générale de la Culture",
        url="https://www.culture.be",
        email="donnees.ouvertes@cfwb.be",
    ),
    frequency="MONTHLY",
    themes=("EDUC",),
    keywords=("culture", "subventions", "provinces"),
)
FIELDS = (
    Field("mois", "date", "Premier jour du mois d'octroi."),
    Field("secteur", "string", "Secteur culturel (arts de la scène, lettres, musique...)."),
    Field("province", "string", "Province du bénéficiaire, ou Bruxelles-Capitale."),
    Field("nombre_subventions", "integer", "Nombre de subventions octroyées."),
    Field("montant_eur", "number", "Montant total octroyé, en euros."),
)
ROWS = pa.table(
    {
        "mois": pa.array([date(2025, 1, 1), date(2025, 1, 1), date(2025, 2, 1)]),
        "secteur": ["Musique", "Théâtre", "Lettres"],
        "province": ["Liège", "Bruxelles-Capitale", "Hainaut"],
        "nombre_subventions": pa.array([12, 4, 7], pa.int64()),
        "montant_eur": [48250.5, 12000.0, 9830.75],
    }
)


def export_in(folder: Path, rows: pa.Table = ROWS) -> Export:
    """The export of `rows`, its CSV and Parquet written in `folder`: sizes and checksums are true."""
    files = export_files(rows, IDENTIFIER)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return Export(
        dataset=SUBSIDIES,
        fields=FIELDS,
        rows=rows.num_rows,
        modified=datetime(2025, 3, 3, 6, 30, tzinfo=UTC),
        version="42",
        temporal=(date(2025, 1, 1), date(2025, 2, 28)),
        distributions=distributions(files, {name: f"{CATALOGUE}/files/{name}" for name in files}),
    )


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """The DCAT-AP 3.0.0 shapes, parsed once: the parse is most of a validation's time."""
    return Graph().parse(SHAPES, format="turtle")


def validate(document: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    # No inference: the document states every class the shapes check.
    return pyshacl.validate(document, shacl_graph=shapes, inference="none")


def test_the_dcat_document_conforms_to_dcat_ap_3(tmp_path, shapes):
    document = Graph().parse(data=dcat_document(export_in(tmp_path), CATALOGUE), format="turtle")

    conforms, _, report = validate(document, shapes)

    assert conforms, report
    distribution_sizes = {int(size) for size in document.objects(None, URIRef("http://www.w3.org/ns/dcat#byteSize"))}
    assert distribution_sizes == {(tmp_path / f"{IDENTIFIER}.{ext}").stat().st_size for ext in ("csv", "parquet")}


def test_a_dataset_without_description_does_not_conform(tmp_path, shapes):
    document = Graph().parse(data=dcat_document(export_in(tmp_path), CATALOGUE), format="turtle")
    document.remove((DATASET, DCTERMS.description, None))

    conforms, results, report = validate(document, shapes)

    assert not conforms
    violations = {
        (results.value(result, SH.focusNode), results.value(result, SH.resultPath))
        for result in results.subjects(SH.sourceConstraintComponent, SH.MinCountConstraintComponent)
    }
    assert violations == {(DATASET, DCTERMS.description)}, report


def test_an_unknown_theme_is_refused(tmp_path):
    wrong = replace(export_in(tmp_path), dataset=replace(SUBSIDIES, themes=("CULT",)))

    with pytest.raises(ValueError, match="CULT"):
        dcat_document(wrong, CATALOGUE)


def test_the_data_package_beside_the_files_is_valid(tmp_path):
    (tmp_path / "datapackage.json").write_text(json.dumps(data_package(export_in(tmp_path)), ensure_ascii=False))

    report = frictionless.validate(tmp_path / "datapackage.json")

    assert report.valid, report.flatten(["type", "note"])
    assert [task.type for task in report.tasks] == ["table", "file"]  # the CSV's values, the Parquet's bytes


def test_a_value_that_is_not_of_its_column_type_is_invalid(tmp_path):
    wrong = ROWS.set_column(3, "nombre_subventions", pa.array(["12", "abc", "7"]))
    (tmp_path / "datapackage.json").write_text(json.dumps(data_package(export_in(tmp_path, wrong))))

    report = frictionless.validate(tmp_path / "datapackage.json")

    assert not report.valid
    assert report.flatten(["type", "fieldName", "cell"]) == [["type-error", "nombre_subventions", "abc"]]


def test_a_package_name_is_what_frictionless_accepts():
    assert package_name(IDENTIFIER) == IDENTIFIER
    assert package_name("Subventions Culture (FWB)") == "subventions-culture--fwb-"
