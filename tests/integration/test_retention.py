"""Retention and erasure in the lake (orchestration/platform/retention.py), on a local folder
and on Azurite: what is removed, what stays, and the audit record (never a value)."""

import dataclasses
import json
from datetime import date, timedelta

import pyarrow as pa
import pytest

from orchestration.platform.privacy import ColumnPolicy, Privacy
from orchestration.platform.registry import TableSpec
from orchestration.platform.retention import (
    ERASED,
    apply_retention,
    audit,
    erase,
    erased_pseudonyms,
    rebuild_window,
)
from orchestration.platform.settings import settings_for

TODAY = date(2026, 3, 10)
MEMBERS = TableSpec(
    system="sport",
    connection="sport",
    table="membres",
    description="x",
    owner="x@example.be",
    primary_key=("id",),
    mode="incremental",
    cursor="le",
    privacy={"personne": ColumnPolicy("pseudonymise")},
)
CLUBS = dataclasses.replace(MEMBERS, table="clubs", mode="snapshot", cursor=None, privacy={}, retention_days=2)


def rows(day: date, people: list[str]) -> pa.Table:
    return pa.table({"id": list(range(len(people))), "personne": people, "le": [day] * len(people)})


@pytest.fixture(params=["local", "azurite"])
def lake(request, tmp_path):
    if request.param == "local":
        return settings_for("local", data_dir=tmp_path).open_lake()
    environ = request.getfixturevalue("lake_environ")  # a fresh Azurite container
    return settings_for("ci", data_dir=tmp_path, environ=environ).open_lake()


def publish(lake, spec, day, table):
    lake.publish_partition(spec.system, spec.table, day, table.schema, table.to_batches())


def test_partitions_past_their_retention_are_deleted_and_the_newest_snapshot_kept(lake):
    members = dataclasses.replace(MEMBERS, retention_days=3)
    for offset in range(6):  # TODAY-5 .. TODAY
        day = TODAY - timedelta(days=offset)
        publish(lake, members, day, rows(day, ["a", "b"]))
    publish(lake, CLUBS, TODAY - timedelta(days=9), rows(TODAY, ["c"]))  # an old snapshot, the newest
    removed = apply_retention(lake, [members, CLUBS], TODAY, log=lambda _: None)
    assert [(r.table, r.partition, r.rows, r.action) for r in removed] == [
        ("sport.membres", "2026-03-05", 2, "deleted"),
        ("sport.membres", "2026-03-06", 2, "deleted"),
    ]
    assert lake.partition_days("sport", "membres") == [TODAY - timedelta(days=n) for n in (3, 2, 1, 0)]
    assert lake.partition_days("sport", "clubs") == [TODAY - timedelta(days=9)]  # the current state stays
    assert rebuild_window(removed) == (date(2026, 3, 5), date(2026, 3, 6))


def test_an_erased_person_leaves_every_partition_and_never_lands_again(lake):
    for offset, people in enumerate((["p1", "p2"], ["p2"], ["p3", None])):
        day = TODAY - timedelta(days=offset)
        publish(lake, MEMBERS, day, rows(day, people))
    removed = erase(lake, [MEMBERS, CLUBS], "p2", log=lambda _: None)
    assert [(r.partition, r.rows, r.action) for r in removed] == [
        ("2026-03-09", 1, "rewritten"),
        ("2026-03-10", 1, "rewritten"),
    ]
    assert sorted(filter(None, lake.read_table("sport", "membres").column("personne").to_pylist())) == ["p1", "p3"]
    assert erased_pseudonyms(lake) == {"p2"}
    # the next extraction filters them out (the source may still hold them)
    privacy = Privacy(MEMBERS.privacy, b"key", erased_pseudonyms(lake))
    source = pa.record_batch({"id": [1, 2], "personne": ["x", "y"]})
    pseudonyms = privacy.apply(source).column("personne").to_pylist()
    erase(lake, [MEMBERS], pseudonyms[0], log=lambda _: None)
    again = Privacy(MEMBERS.privacy, b"key", erased_pseudonyms(lake)).apply(source)
    assert again.column("personne").to_pylist() == [pseudonyms[1]]
    # the audit record: what, where, when; not the pseudonym
    path = audit(lake, "erasure", "DPO-2026-017", removed)
    record = json.loads(lake.fs.cat_file(path))
    assert record["request"] == "DPO-2026-017" and record["rows"] == 2
    assert record["removed"][0] == {
        "table": "sport.membres",
        "partition": "2026-03-09",
        "rows": 1,
        "action": "rewritten",
    }
    assert "p2" not in lake.fs.cat_file(path).decode()
    assert lake.fs.exists(f"{lake.fs_root}/{ERASED}")
