"""The embedded default's command line: `python -m orchestration.demo.cli sample|demo|summary`.

`demo` is what `make demo` runs: generate the sample sources (SQLite files standing in for the
ministry's databases and Denodo), run every department's pipeline over the sample's whole date
range with the platform's own `run` (orchestration/platform/cli.py), and print what each gold
table holds.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from orchestration.demo.sample_data import SAMPLE_DAYS, SAMPLE_START, SampleSpec, generate
from orchestration.platform.cli import print_summary, run_command
from orchestration.platform.registry import RegistryError
from orchestration.platform.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="generate the sample sources")
    sample.add_argument("--scale", type=float, default=1.0)
    demo = commands.add_parser("demo", help="sample sources -> lake -> dbt -> gold")
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--log-level", default="INFO", help="level of the log file")
    commands.add_parser("summary", help="print the gold tables")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command in ("sample", "demo"):
            paths = generate(settings.sample_dir, SampleSpec(scale=args.scale))
            print(f"Sample sources (scale {args.scale}): {', '.join(map(str, paths.values()))}")
        if args.command == "demo":
            last = SAMPLE_START + timedelta(days=SAMPLE_DAYS - 1)
            if run_command(settings, SAMPLE_START, last, None, args.log_level):
                return 1
    except (SettingsError, RegistryError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.command in ("demo", "summary"):
        print_summary(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
