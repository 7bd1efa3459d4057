"""The warehouse lock: builds one at a time, extractions together, never both at once."""

import threading
import time

from orchestration.platform.warehouse import exclusive_writer, lake_writer


def hold(lock, path, seconds, name, timeline):
    with lock(path):
        timeline.append((name, "in", time.monotonic()))
        time.sleep(seconds)
        timeline.append((name, "out", time.monotonic()))


def run(*holders):
    timeline: list = []
    threads = [threading.Thread(target=hold, args=(*h, timeline)) for h in holders]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # in this order
    for thread in threads:
        thread.join()
    return {(name, edge): at for name, edge, at in timeline}


def test_extractions_share_the_lock(tmp_path):
    path = tmp_path / "w.duckdb"
    t = run((lake_writer, path, 0.5, "a"), (lake_writer, path, 0.5, "b"))
    assert t[("b", "in")] < t[("a", "out")], "two extractions must run at the same time"


def test_a_build_waits_for_extractions_and_extractions_wait_for_a_build(tmp_path):
    path = tmp_path / "w.duckdb"
    t = run(
        (lake_writer, path, 0.4, "extract"),
        (exclusive_writer, path, 0.4, "build"),
        (lake_writer, path, 0.1, "late_extract"),
    )
    assert t[("build", "in")] >= t[("extract", "out")]
    assert t[("late_extract", "in")] >= t[("build", "out")] or t[("late_extract", "out")] <= t[("build", "in")]


def test_builds_run_one_at_a_time(tmp_path):
    path = tmp_path / "w.duckdb"
    t = run((exclusive_writer, path, 0.3, "a"), (exclusive_writer, path, 0.3, "b"))
    assert t[("b", "in")] >= t[("a", "out")]
