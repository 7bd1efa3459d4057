"""The descriptions written beside an open-data export (open_data.py): DCAT-AP 3.0 and a Frictionless data package.

* `dcat_document` is what a data portal harvests: the catalogue, the dataset and one distribution
  per file, in Turtle, every linked resource typed with the class the DCAT-AP 3.0.0 SHACL shapes
  expect (tests/data/dcat-ap-3.0.0 holds them; tests/unit/test_dcat.py validates against them).
* `data_package` is the `datapackage.json` that sits beside the files, so that anyone can check
  them with `frictionless validate`: the CSV as a tabular resource whose values are checked
  against the columns' types, the Parquet as a file whose size and SHA-256 are checked (its
  schema travels in its own footer).

Both read only the export: no clock, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from orchestration.platform.open_data import THEMES, Distribution, Export, OpenDataset

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's is DCAT 2, without DCAT 3's dcat:version
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
AUTHORITY = "http://publications.europa.eu/resource/authority"
FREQUENCY = Namespace(f"{AUTHORITY}/frequency/")
DATA_THEME = Namespace(f"{AUTHORITY}/data-theme/")
LANGUAGE = Namespace(f"{AUTHORITY}/language/")
FILE_TYPE = Namespace(f"{AUTHORITY}/file-type/")
MEDIA_TYPE = Namespace("https://www.iana.org/assignments/media-types/")
PREFIXES = {"dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "skos": SKOS, "spdx": SPDX, "vcard": VCARD}

# EU language code -> the tag of the texts written in it (Belgium's languages and English);
# texts in another language are written untagged.
LANGUAGE_TAGS = {"FRA": "fr", "NLD": "nl", "DEU": "de", "ENG": "en"}
# The catalogue's own title and description, in the dataset's language (English otherwise).
CATALOGUE_TEXTS = {
    "FRA": ("Données ouvertes : {}", "Les jeux de données que {} publie en données ouvertes."),
    "NLD": ("Open data: {}", "De datasets die {} als open data publiceert."),
    "DEU": ("Offene Daten: {}", "Die Datensätze, die {} als offene Daten veröffentlicht."),
    "ENG": ("Open data: {}", "The datasets that {} publishes as open data."),
}
# Licence URI (without its trailing slash) -> its SPDX identifier and title, for the data package.
LICENCES = {
    "https://creativecommons.org/licenses/by/4.0": ("CC-BY-4.0", "Creative Commons Attribution 4.0 International"),
    "https://creativecommons.org/licenses/by-sa/4.0": (
        "CC-BY-SA-4.0",
        "Creative Commons Attribution-ShareAlike 4.0 International",
    ),
    "https://creativecommons.org/publicdomain/zero/1.0": ("CC0-1.0", "Creative Commons Zero v1.0 Universal"),
}


# --- DCAT-AP 3.0 ---


def dcat_document(export: Export, catalogue_url: str) -> str:
    """The export as a DCAT-AP 3.0 catalogue of one dataset, in Turtle: the catalogue at
    `catalogue_url`, the dataset at `{catalogue_url}/datasets/{identifier}`."""
    dataset = export.dataset
    text = _texts_in(dataset.language)
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)

    catalogue = URIRef(catalogue_url.rstrip("/"))
    dataset_uri = URIRef(f"{catalogue}/datasets/{quote(dataset.identifier)}")
    publisher = _publisher(graph, dataset, text)
    language = _typed(graph, LANGUAGE[dataset.language], DCTERMS.LinguisticSystem)

    catalogue_title, catalogue_description = CATALOGUE_TEXTS.get(dataset.language, CATALOGUE_TEXTS["ENG"])
    _add(
        graph,
        catalogue,
        (RDF.type, DCAT.Catalog),
        (DCTERMS.title, text(catalogue_title.format(dataset.publisher.name))),
        (DCTERMS.description, text(catalogue_description.format(dataset.publisher.name))),
        (DCTERMS.publisher, publisher),
        (DCTERMS.language, language),
        (DCAT.dataset, dataset_uri),
    )
    _add(
        graph,
        dataset_uri,
        (RDF.type, DCAT.Dataset),
        (DCTERMS.identifier, Literal(dataset.identifier)),
        (DCTERMS.title, text(dataset.title)),
        (DCTERMS.description, text(dataset.description)),
        (DCTERMS.publisher, publisher),
        (DCTERMS.language, language),
        (DCTERMS.accrualPeriodicity, _typed(graph, FREQUENCY[dataset.frequency], DCTERMS.Frequency)),
        (DCTERMS.modified, Literal(export.modified, datatype=XSD.dateTime)),
        # DCAT-AP 3.0 names the version with dcat:version (owl:versionInfo was DCAT-AP 2's)
        (DCAT.version, Literal(export.version)),
        *((DCAT.theme, _theme(graph, code)) for code in dataset.themes),
        *((DCAT.keyword, text(keyword)) for keyword in dataset.keywords),
    )
    if dataset.publisher.email:
        graph.add((dataset_uri, DCAT.contactPoint, _contact_point(graph, dataset)))
    if export.temporal:
        start, end = export.temporal
        period = BNode()
        _add(
            graph,
            period,
            (RDF.type, DCTERMS.PeriodOfTime),
            (DCAT.startDate, Literal(start, datatype=XSD.date)),
            (DCAT.endDate, Literal(end, datatype=XSD.date)),
        )
        graph.add((dataset_uri, DCTERMS.temporal, period))
    for distribution in export.distributions:
        uri = URIRef(f"{dataset_uri}/distributions/{quote(distribution.file_name)}")
        _distribution(graph, uri, distribution, dataset, text)
        graph.add((dataset_uri, DCAT.distribution, uri))
    return graph.serialize(format="turtle")


def _distribution(
    graph: Graph, uri: URIRef, distribution: Distribution, dataset: OpenDataset, text: Callable[[str], Literal]
) -> None:
    download = _typed(graph, URIRef(distribution.download_url), RDFS.Resource)
    _add(
        graph,
        uri,
        (RDF.type, DCAT.Distribution),
        (DCTERMS.title, text(f"{dataset.title} ({distribution.format})")),
        # the file itself is both where it is reached and what is downloaded
        (DCAT.accessURL, download),
        (DCAT.downloadURL, download),
        (DCTERMS.format, _typed(graph, FILE_TYPE[distribution.format], DCTERMS.MediaTypeOrExtent)),
        (DCAT.mediaType, _typed(graph, MEDIA_TYPE[distribution.media_type], DCTERMS.MediaType)),
        (DCTERMS.license, _typed(graph, URIRef(dataset.licence), DCTERMS.LicenseDocument)),
    )
    if distribution.served_as_is:  # the size and checksum of what the URL serves
        checksum = BNode()
        _add(
            graph,
            checksum,
            (RDF.type, SPDX.Checksum),
            (SPDX.algorithm, _typed(graph, SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)),
            (SPDX.checksumValue, Literal(distribution.sha256, datatype=XSD.hexBinary)),
        )
        _add(
            graph,
            uri,
            (DCAT.byteSize, Literal(distribution.byte_size, datatype=XSD.nonNegativeInteger)),
            (SPDX.checksum, checksum),
        )


def _publisher(graph: Graph, dataset: OpenDataset, text: Callable[[str], Literal]) -> URIRef:
    """The publisher, identified by its web site: the EU corporate-body table lists EU and
    national bodies, not a community's administrations."""
    publisher = URIRef(dataset.publisher.url)
    _add(
        graph,
        publisher,
        (RDF.type, FOAF.Agent),
        (RDF.type, FOAF.Organization),
        (FOAF.name, text(dataset.publisher.name)),
    )
    return publisher


def _contact_point(graph: Graph, dataset: OpenDataset) -> BNode:
    contact = BNode()
    _add(
        graph,
        contact,
        (RDF.type, VCARD.Kind),
        (VCARD.fn, Literal(dataset.publisher.name)),
        (VCARD.hasEmail, URIRef(f"mailto:{dataset.publisher.email}")),
    )
    return contact


def _theme(graph: Graph, code: str) -> URIRef:
    if code not in THEMES:
        raise ValueError(f"theme {code!r} is not one of the EU's data themes ({', '.join(THEMES)}).")
    theme = _typed(graph, DATA_THEME[code], SKOS.Concept)
    graph.add((theme, SKOS.prefLabel, Literal(THEMES[code], lang="en")))
    return theme


def _typed(graph: Graph, resource: URIRef, rdf_class: URIRef) -> URIRef:
    """`resource`, stated to be of `rdf_class`: the shapes check the class of each linked resource,
    and a validator does not dereference the EU vocabularies to learn it."""
    graph.add((resource, RDF.type, rdf_class))
    return resource


def _add(graph: Graph, subject, *pairs) -> None:
    for predicate, value in pairs:
        graph.add((subject, predicate, value))


def _texts_in(language: str) -> Callable[[str], Literal]:
    """A maker of literals tagged with the language of the dataset's texts."""
    tag = LANGUAGE_TAGS.get(language)
    return lambda value: Literal(value, lang=tag)


# --- Frictionless data package ---

NOT_IN_A_NAME = re.compile(r"[^-a-z0-9._/]")  # what a Data Package name may not contain


def data_package(export: Export) -> dict[str, Any]:
    """The export as a Frictionless Data Package (v1) descriptor, its paths relative to the
    folder where it is written beside the files."""
    dataset = export.dataset
    publisher = dataset.publisher
    contributor = {"title": publisher.name, "path": publisher.url, "role": "publisher"}
    if publisher.email:
        contributor["email"] = publisher.email
    return {
        "name": package_name(dataset.identifier),
        "title": dataset.title,
        "description": dataset.description,
        "version": export.version,
        "created": export.modified.isoformat(),
        "keywords": list(dataset.keywords),
        "licenses": [_licence(dataset.licence)],
        "contributors": [contributor],
        "resources": [_resource(export, distribution) for distribution in export.distributions],
    }


def package_name(identifier: str) -> str:
    """A name Frictionless accepts: lower case, alphanumerics and `-._/` (a gold model's name is
    one already); anything else becomes a hyphen."""
    return NOT_IN_A_NAME.sub("-", identifier.lower())


def _resource(export: Export, distribution: Distribution) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": package_name(distribution.file_name),
        "path": distribution.file_name,
        "format": distribution.format.lower(),
        "mediatype": distribution.media_type,
        "bytes": distribution.byte_size,
        "hash": f"sha256:{distribution.sha256}",
    }
    if distribution.format != "CSV":
        # Frictionless reads a Parquet table through pandas, past the bytes it would count and
        # hash; as a file, its size and checksum are what is checked.
        return {**described, "type": "file"}
    fields = [
        {"name": field.name, "type": field.type, **({"description": field.description} if field.description else {})}
        for field in export.fields
    ]
    return {**described, "profile": "tabular-data-resource", "encoding": "utf-8", "schema": {"fields": fields}}


def _licence(uri: str) -> dict[str, str]:
    name, title = LICENCES.get(uri.rstrip("/"), (None, uri))
    return {"path": uri, "title": title, **({"name": name} if name else {})}
