"""`make bench`: run every benchmarks/bench_*.py (or those named) and print their ratios.

Each benchmark module has a `main()` that measures our code and its peers in the same run and
prints times, medians and ratios. Benchmarks are never run by the test suite.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [m for m in modules if not names or any(n in m for n in names)]
    if not chosen:
        print(f"No benchmark matches {names}; available: {', '.join(modules) or 'none'}")
        return 1
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
