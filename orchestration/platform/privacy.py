"""Personal data by construction: each personal column's policy, applied as rows are extracted.

A registry entry lists its personal columns under `personal_data:`, each with one policy
(docs/personal-data.md):

    personal_data:
      numero_national: pseudonymise            # keyed HMAC: the same value, the same pseudonym
      nom_affilie: drop                        # never leaves the source
      date_naissance: {generalise: year}       # 1987-05-14 -> 1987
      code_postal: {generalise: province}      # 5000 -> WNA
      genre: {keep: "GDPR art. 6.1.e: ..."}    # in clear, with its legal basis

The lake never holds a clear value of a column whose policy is not `keep`: `apply` runs on every
batch between the source and the lake file. A pseudonym is HMAC-SHA256 of the value's text under
the platform's key (LAKEHOUSE_PSEUDONYM_KEY, a secret; settings.py), hex: the same value gives
the same pseudonym in every system and every run, so joins on it still work, and without the key
it cannot be recomputed from a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

POLICIES = ("keep", "pseudonymise", "generalise", "drop")
GENERALISATIONS = ("year", "province")
PSEUDONYM_LENGTH = 32  # hex characters of the HMAC kept: 128 bits, no collision in practice

# Belgian postcodes -> province (bpost's ranges); Brussels-Capital as BRU
POSTCODE_PROVINCES = (
    (1000, 1299, "BRU"),
    (1300, 1499, "WBR"),
    (1500, 1999, "VBR"),
    (2000, 2999, "VAN"),
    (3000, 3499, "VBR"),
    (3500, 3999, "VLI"),
    (4000, 4999, "WLG"),
    (5000, 5999, "WNA"),
    (6000, 6599, "WHT"),
    (6600, 6999, "WLX"),
    (7000, 7999, "WHT"),
    (8000, 8999, "VWV"),
    (9000, 9999, "VOV"),
)

# what personal data looks like, by column name and by value (make lint; docs/personal-data.md)
PERSONAL_NAME = re.compile(
    r"(^|_)(nom|prenom|firstname|first_name|lastname|last_name|surname|e?mail|courriel|naissance|birth|"
    r"birthdate|niss|rrn|registre_national|national_number|numero_national|telephone|phone|gsm|adresse|"
    r"address|iban)(_|$)"
)
NOT_PERSONAL_NAME = re.compile(r"^nom_(commune|club|operateur|etablissement|centre|federation|province)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
NATIONAL_NUMBER = re.compile(r"^\d{2}\.?\d{2}\.?\d{2}[-.]?\d{3}\.?\d{2}$")


class PolicyError(ValueError):
    """A column's policy is not one the platform applies; the message says which are."""


@dataclass(frozen=True)
class ColumnPolicy:
    action: str  # keep, pseudonymise, generalise, drop
    detail: str = ""  # keep: the legal basis; generalise: year or province

    def __str__(self) -> str:
        return f"{self.action} ({self.detail})" if self.detail else self.action


def parse_policy(value: object) -> ColumnPolicy:
    """`pseudonymise`, `drop`, `{generalise: year}`, `{keep: "<legal basis>"}`."""
    if value in ("pseudonymise", "drop"):
        return ColumnPolicy(str(value))
    if isinstance(value, Mapping) and len(value) == 1:
        [(action, detail)] = value.items()
        if action == "keep" and isinstance(detail, str) and detail.strip():
            return ColumnPolicy("keep", detail.strip())
        if action == "generalise" and detail in GENERALISATIONS:
            return ColumnPolicy("generalise", detail)
    raise PolicyError(
        f"{value!r} is not a policy: write `pseudonymise`, `drop`, `{{generalise: year}}` (a date), "
        '`{generalise: province}` (a Belgian postcode) or `{keep: "<its legal basis>"}`.'
    )


def looks_personal(name: str) -> bool:
    return bool(PERSONAL_NAME.search(name.lower())) and not NOT_PERSONAL_NAME.match(name.lower())


def proposed_policy(name: str, kind: str) -> str | dict[str, str]:
    """A first policy for a column that looks personal (`kind`: its Arrow type), for a steward to
    confirm: identifiers pseudonymised (joins keep working), dates to their year, the rest dropped."""
    if re.search(r"niss|rrn|registre|national|e?mail|courriel", name):
        return "pseudonymise"
    if kind.startswith(("date", "timestamp")):
        return {"generalise": "year"}
    return "drop"


def personal_values(values: Iterable[object]) -> str | None:
    """What a sample of a column's values looks like, if it looks personal: None otherwise."""
    texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if not texts:
        return None
    for kind, pattern in (("e-mail addresses", EMAIL), ("national register numbers", NATIONAL_NUMBER)):
        # "what look like ...": at least half the sample matches
        if sum(bool(pattern.match(t)) for t in texts) >= max(1, len(texts) // 2):
            return f"what look like {kind}"
    return None


def pseudonym(key: bytes, value: object) -> str:
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]


def province_of(postcode: object) -> str | None:
    digits = re.sub(r"\D", "", str(postcode))
    if len(digits) != 4:
        return None
    number = int(digits)
    return next((p for low, high, p in POSTCODE_PROVINCES if low <= number <= high), None)


@dataclass(frozen=True)
class Privacy:
    """The policies of one entry, and the key of its pseudonyms."""

    policies: Mapping[str, ColumnPolicy]
    key: bytes = b""
    erased: frozenset[str] = frozenset()  # pseudonyms of people erased (retention.py): never land again

    def landed_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema the lake holds: dropped columns gone, the others retyped by their policy."""
        fields = []
        for field in schema:
            policy = self.policies.get(field.name)
            if policy is None or policy.action == "keep":
                fields.append(field)
            elif policy.action != "drop":
                fields.append(pa.field(field.name, landed_type(policy), field.nullable))
        return pa.schema(fields, metadata=schema.metadata)

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if not self.policies:
            return batch
        batch = self._landed(batch)
        for name, policy in self.policies.items():  # an erased person's rows stay out
            if self.erased and policy.action == "pseudonymise" and name in batch.schema.names:
                batch = batch.filter(
                    pc.invert(pc.fill_null(pc.is_in(batch.column(name), pa.array(sorted(self.erased))), False))
                )
        return batch

    def _landed(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        columns, fields = [], []
        for field, column in zip(batch.schema, batch.columns):
            policy = self.policies.get(field.name)
            if policy is None or policy.action == "keep":
                columns.append(column)
                fields.append(field)
            elif policy.action != "drop":
                columns.append(self.transform(policy, column))
                fields.append(pa.field(field.name, landed_type(policy), field.nullable))
        return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields, metadata=batch.schema.metadata))

    def apply_all(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return (self.apply(batch) for batch in batches)

    def transform(self, policy: ColumnPolicy, column: pa.Array) -> pa.Array:
        if policy.action == "pseudonymise":
            if not self.key:
                raise PolicyError("no pseudonymisation key: set LAKEHOUSE_PSEUDONYM_KEY (a secret).")
            return pa.array([None if v is None else pseudonym(self.key, v) for v in column.to_pylist()], pa.string())
        if policy.detail == "year":
            return pc.cast(pc.year(column), pa.int32())
        return pa.array([None if v is None else province_of(v) for v in column.to_pylist()], pa.string())


def landed_type(policy: ColumnPolicy) -> pa.DataType:
    return pa.int32() if policy.detail == "year" else pa.string()
