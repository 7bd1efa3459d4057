"""Personal-data policies (orchestration/platform/privacy.py) and how the registry takes them."""

from datetime import date

import pyarrow as pa
import pytest

from orchestration.platform.privacy import (
    ColumnPolicy,
    PolicyError,
    Privacy,
    parse_policy,
    personal_values,
    province_of,
    pseudonym,
)
from orchestration.platform.registry import RegistryError, load_registry

KEY = b"test-key"


@pytest.mark.parametrize(
    ("written", "policy"),
    [
        ("pseudonymise", ColumnPolicy("pseudonymise")),
        ("drop", ColumnPolicy("drop")),
        ({"generalise": "year"}, ColumnPolicy("generalise", "year")),
        ({"generalise": "province"}, ColumnPolicy("generalise", "province")),
        ({"keep": " GDPR art. 6.1.e "}, ColumnPolicy("keep", "GDPR art. 6.1.e")),
    ],
)
def test_each_policy_is_read_as_written(written, policy):
    assert parse_policy(written) == policy


@pytest.mark.parametrize("written", ["keep", {"keep": ""}, "hash", {"generalise": "month"}, ["drop"], None])
def test_a_policy_the_platform_cannot_apply_is_refused_with_the_ones_it_can(written):
    with pytest.raises(PolicyError, match="pseudonymise.*drop.*generalise: year.*keep"):
        parse_policy(written)


def test_every_policy_is_applied_to_a_batch_and_its_schema():
    batch = pa.record_batch(
        {
            "id": pa.array([1, 2, 3]),
            "national": pa.array(["85.07.30-033.61", "85.07.30-033.61", None]),
            "name": pa.array(["Ann", "Jo", "Li"]),
            "born": pa.array([date(1985, 7, 30), None, date(2001, 1, 2)]),
            "postcode": pa.array(["5000", "1050", "99"]),
            "gender": pa.array(["F", "M", "X"]),
        }
    )
    privacy = Privacy(
        {
            "national": ColumnPolicy("pseudonymise"),
            "name": ColumnPolicy("drop"),
            "born": ColumnPolicy("generalise", "year"),
            "postcode": ColumnPolicy("generalise", "province"),
            "gender": ColumnPolicy("keep", "basis"),
        },
        KEY,
    )
    landed = privacy.apply(batch)
    assert landed.schema == privacy.landed_schema(batch.schema)
    assert landed.schema.names == ["id", "national", "born", "postcode", "gender"]
    rows = landed.to_pydict()
    pseudonyms = rows["national"]
    assert pseudonyms[0] == pseudonyms[1] == pseudonym(KEY, "85.07.30-033.61") and pseudonyms[2] is None
    assert len(pseudonyms[0]) == 32 and set(pseudonyms[0]) <= set("0123456789abcdef")
    assert rows["born"] == [1985, None, 2001]
    assert rows["postcode"] == ["WNA", "BRU", None]
    assert rows["gender"] == ["F", "M", "X"]


def test_a_pseudonym_is_the_same_for_the_same_value_in_any_type_and_changes_with_the_key():
    assert pseudonym(KEY, 85073003361) == pseudonym(KEY, "85073003361")
    assert pseudonym(KEY, "a") != pseudonym(b"other-key", "a")


def test_pseudonymising_without_a_key_is_refused():
    batch = pa.record_batch({"national": pa.array(["1"])})
    with pytest.raises(PolicyError, match="LAKEHOUSE_PSEUDONYM_KEY"):
        Privacy({"national": ColumnPolicy("pseudonymise")}).apply(batch)


def test_provinces_follow_the_belgian_postcode_ranges():
    assert [province_of(p) for p in ("1000", 1348, "4000", "6600", "7500", "9000", "123", "B-5000")] == [
        "BRU",
        "WBR",
        "WLG",
        "WLX",
        "WHT",
        "VOV",
        None,
        "WNA",
    ]


def test_values_that_look_personal_are_recognised_by_their_shape():
    assert personal_values(["ann@x.be", "jo@y.org", None]) == "what look like e-mail addresses"
    assert personal_values(["85.07.30-033.61", "85073003361"]) == "what look like national register numbers"
    assert personal_values(["Club 1", "Club 2"]) is None


REGISTRY = """\
type: orchestration.platform.components.SourceSystems
attributes:
  systems:
    sport:
      owner: x@example.be
      tables:
        affiliation:
          description: x
          primary_key: [id_affiliation]
          mode: incremental
          cursor: affilie_le
          personal_data: {personal}
"""


@pytest.mark.parametrize(
    ("personal", "message"),
    [
        ("[annee_naissance]", "maps each personal column to its policy"),
        ("{nom: hash}", "personal_data.nom: 'hash' is not a policy"),
        ("{id_affiliation: drop}", "a primary key column can only be kept or pseudonymised"),
        ("{affilie_le: {generalise: year}}", "the cursor or partition column lands as it is"),
    ],
)
def test_the_registry_refuses_a_personal_data_block_it_cannot_apply(tmp_path, personal, message):
    path = tmp_path / "defs.yaml"
    path.write_text(REGISTRY.format(personal=personal))
    with pytest.raises(RegistryError, match=message):
        load_registry(path)


def test_the_registry_reads_each_columns_policy(tmp_path):
    path = tmp_path / "defs.yaml"
    path.write_text(REGISTRY.format(personal="{numero_national: pseudonymise, nom: drop}"))
    [spec] = load_registry(path)
    assert spec.privacy == {"numero_national": ColumnPolicy("pseudonymise"), "nom": ColumnPolicy("drop")}
    assert spec.personal_data == ("numero_national",)  # what lands: a dropped column does not


@pytest.mark.parametrize(("written", "read"), [("30", 30), ("0", None), ("true", None), ("'30'", None)])
def test_retention_is_a_whole_number_of_days(tmp_path, written, read):
    path = tmp_path / "defs.yaml"
    path.write_text(REGISTRY.format(personal="{genre: drop}") + f"          retention_days: {written}\n")
    if read is None:
        with pytest.raises(RegistryError, match="retention_days"):
            load_registry(path)
    else:
        assert load_registry(path)[0].retention_days == read
