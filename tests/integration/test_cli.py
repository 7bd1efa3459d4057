"""`make run` as a data steward meets it: dates checked before anything runs, a first window
that would build on missing history refused, and a failure that ends with what failed, why and
what to fix, the trace in a log file and never on the terminal."""

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from orchestration.demo.sample_data import SampleSpec, generate
from orchestration.platform.cli import UsageError, check_dates, main, terminal_to_log
from orchestration.platform.settings import PROJECT_ROOT

TODAY = date(2026, 4, 10)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (None, None, "FROM is required: make run FROM="),
        ("2026-13-01", None, "FROM=2026-13-01 is not a date: write it YYYY-MM-DD"),
        ("2026-03-01", "1 mars", "TO=1 mars is not a date"),
        ("2026-03-02", "2026-03-01", "FROM=2026-03-02 is after TO=2026-03-01"),
        ("2025-12-31", "2026-01-02", r"FROM=2025-12-31 is before the first partition \(2026-01-01\)"),
        ("2026-04-01", "2026-04-10", r"TO=2026-04-10 is after the last complete day \(2026-04-09"),
    ],
)
def test_dates_are_checked_before_anything_runs(first, last, message):
    with pytest.raises(UsageError, match=message):
        check_dates(first, last, TODAY)


def test_one_day_alone_and_to_defaults_to_from():
    assert check_dates("2026-03-01", None, TODAY) == (date(2026, 3, 1), date(2026, 3, 1))


def test_a_first_window_after_days_never_landed_is_refused_with_the_command_that_lands_them(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LAKEHOUSE_ENV", "local")
    assert main(["run", "--from", "2026-03-01", "--to", "2026-03-01"]) == 2
    error = capsys.readouterr().err
    assert "raw/sport/affiliation has 59 day(s) before FROM=2026-03-01 that were never landed" in error
    assert "(2026-01-01 .. 2026-02-28)" in error
    assert "Land the history first: make run FROM=2026-01-01 TO=2026-03-01" in error
    assert not (tmp_path / "data" / "warehouse").exists(), "nothing ran"


def test_what_a_step_writes_to_the_terminal_goes_to_the_log_file(tmp_path, capfd):
    log = tmp_path / "run.log"
    with terminal_to_log(log) as terminal:
        os.write(1, b"dagster's log line\n")
        os.write(2, b"thread '<unnamed>' panicked at src/lib.rs: a driver's own message\n")
        print("progress line", file=terminal)
    out, err = capfd.readouterr()
    assert out == "progress line\n" and err == ""
    assert "panicked" in log.read_text() and "dagster's log line" in log.read_text()


def test_a_failed_step_ends_the_command_with_the_entry_the_cause_and_the_fix(tmp_path):
    data_dir = tmp_path / "data"
    paths = generate(data_dir / "sample", SampleSpec(scale=0.1, days=3))
    with sqlite3.connect(paths["subventions"]) as connection:  # a table renamed upstream
        connection.execute("alter table paiement rename to paiement_2026")
    connection.close()
    (tmp_path / "dagster").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.platform.cli", "run", "--from", "2026-01-01", "--to", "2026-01-02"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "LAKEHOUSE_ENV": "local",
            "LAKEHOUSE_DATA_DIR": str(data_dir),
            "DAGSTER_HOME": str(tmp_path / "dagster"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
    )
    assert done.returncode == 1
    terminal = done.stdout + done.stderr
    assert "Traceback" not in terminal and 'File "/' not in terminal
    block = done.stderr.strip().split("\n\n")
    failure = next(
        b for b in block if b.startswith("raw/subventions/paiement (step raw__subventions__paiement) failed:")
    )
    assert "orchestration/locations/culture/defs/sources/defs.yaml:" in failure
    assert "systems.subventions.tables.paiement" in failure
    assert "table 'paiement' does not exist" in failure and "check `table:`" in failure
    assert len(done.stderr.strip().splitlines()) <= 12, done.stderr
    log = Path(next(line.rsplit(" ", 1)[-1] for line in done.stdout.splitlines() if "full log:" in line))
    assert log.is_file() and "raise ExtractError" in log.read_text()  # the trace is kept there
    assert str(log) in done.stderr
