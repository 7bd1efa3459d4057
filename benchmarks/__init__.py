"""Benchmarks: `make bench` (`python -m benchmarks [names]`), our code against its peers."""

import statistics
import time
from collections.abc import Callable


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    """The median wall time of `repeats` calls of `action`."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
