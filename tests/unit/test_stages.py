"""How a window of days becomes runs: one per grain, in dependency order, late rows included."""

from datetime import date

import dagster as dg

from orchestration.platform.partitions import DAILY, MONTHLY
from orchestration.platform.stages import Stage, plan_stages, rewritten_windows, stage_range


def graph_of(*assets):
    return dg.Definitions(assets=list(assets)).resolve_asset_graph()


def asset(name, partitions_def=None, deps=()):
    @dg.asset(name=name, partitions_def=partitions_def, deps=list(deps))
    def _asset():
        return None

    return _asset


def test_the_real_graph_runs_in_two_stages_with_gold_and_publication_together(graph):
    stages = plan_stages(graph, graph.executable_asset_keys)
    assert [s.name for s in stages] == ["daily", "monthly"]
    daily, monthly = (set(s.keys) for s in stages)
    assert {k.path[0] for k in daily} == {"raw", "stg", "int"}
    assert all(graph.get(k).partitions_def == DAILY for k in daily)
    # unpartitioned assets go as late as they can: snapshots, reference models, every gold
    # table and the publication share the run of the monthly gold
    assert {k.path[0] for k in monthly} == {"raw", "ref", "stg", "int", "gld", "serving", "dashboard", "open_data"}
    assert dg.AssetKey(["gld", "gld_culture__subventions_mensuelles"]) in monthly
    assert dg.AssetKey(["serving", "gld_enseignement__ecoles_ouvertes"]) in monthly


def test_a_grain_after_another_is_a_later_stage_and_unpartitioned_assets_go_late():
    snapshot = asset("snapshot")
    facts = asset("facts", DAILY)
    month = asset("month", MONTHLY, deps=["facts", "snapshot"])
    current = asset("current", deps=["facts"])
    published = asset("published", deps=["month", "current"])
    graph = graph_of(snapshot, facts, month, current, published)
    stages = plan_stages(graph, graph.executable_asset_keys)
    assert [(s.name, sorted(k.path[-1] for k in s.keys)) for s in stages] == [
        ("daily", ["facts"]),
        ("monthly", ["current", "month", "published", "snapshot"]),
    ]


def test_only_unpartitioned_assets_is_one_current_stage():
    graph = graph_of(asset("a"), asset("b", deps=["a"]))
    [stage] = plan_stages(graph, graph.executable_asset_keys)
    assert stage.name == "current" and stage.partitions_def is None


def test_a_stage_covers_the_window_and_what_earlier_stages_rewrote():
    daily = Stage(DAILY, frozenset())
    monthly = Stage(MONTHLY, frozenset())
    window = (date(2026, 3, 1), date(2026, 3, 2))
    assert stage_range(daily, window) == ("2026-03-01", "2026-03-01")
    late = [(date(2026, 2, 27), date(2026, 2, 28))]  # a payment of 27 February landed on 1 March
    assert stage_range(monthly, window, late) == ("2026-02-01", "2026-03-01")
    assert stage_range(Stage(None, frozenset()), window) is None


def test_rewritten_windows_follow_each_assets_partitions():
    facts = asset("facts", DAILY)
    graph = graph_of(facts)
    windows = rewritten_windows({dg.AssetKey("facts"): ["2026-02-27", "2026-03-01"]}, graph)
    assert sorted(windows) == [(date(2026, 2, 27), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 2))]
