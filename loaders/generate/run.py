"""The run: matters allotted to the territories, the walk writing each one, and ``zeren generate``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO

from .chapter3 import RecordWriter
from .common import _weight
from .matters import MatterWriter
from .organisation import Unit
from .sink import Sink
from .world import LEVELS, Place, Plan, places

# --------------------------------------------------------------------------- the run

class Allocation:
    """Matters per territory: each level's total (linear in the scale) shared by stable weights, by running
    sums so that the shares add up to the total exactly without holding the territories."""

    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan, self.seed = plan, seed
        self.total = {lv: 0.0 for lv in LEVELS}
        for place in places(plan, seed):
            self.total[place.level] += _weight(seed, place.code)
        self.cum = {lv: 0.0 for lv in LEVELS}

    def take(self, place: Place) -> int:
        lv, n = place.level, self.plan.matters[place.level]
        before = self.cum[lv]
        self.cum[lv] += _weight(self.seed, place.code)
        return round(n * self.cum[lv] / self.total[lv]) - round(n * before / self.total[lv])


def generate(out: Path, scale: float, seed: int = 1, progress: IO[str] | None = None) -> dict[str, int]:
    """Write the dataset into ``out``; returns rows written per file."""
    plan = Plan.for_scale(scale)
    allocation = Allocation(plan, seed)
    sink = Sink(out)
    matters = MatterWriter(sink, seed)
    records = RecordWriter(sink, seed)
    path: list[Unit] = []  # the current territory and its ancestors
    started = time.monotonic()
    try:
        for place in places(plan, seed):
            depth = LEVELS.index(place.level)
            del path[depth:]
            unit = Unit(place, seed)
            path.append(unit)
            unit.write(sink, seed)
            matters.write(unit, path[depth - 1] if depth else None, allocation.take(place))
            records.write(unit)
            if progress and place.level == "PROVINCE":
                print(f"  province {place.index + 1}/{plan.territories['PROVINCE']} {place.code} {place.name_en}"
                      f"  {time.monotonic() - started:.0f} s", file=progress, flush=True)
    finally:
        sink.close()
    return dict(sink.counts)


def cli_generate(out: Path, scale: float = 0.01, seed: int = 1) -> int:
    """``zeren generate``: write the dataset and print rows per file and the time taken."""
    started = time.monotonic()
    print(f"generating scale {scale}, seed {seed} into {out}", flush=True)
    try:
        counts = generate(out, scale, seed, progress=sys.stdout)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    seconds = time.monotonic() - started
    size = 0
    for file, n in counts.items():
        b = (out / f"{file}.csv").stat().st_size
        size += b
        print(f"  {file + '.csv':<28}{n:>14,} rows {b / 2**20:>10.1f} MiB")
    print(f"  {'total':<28}{sum(counts.values()):>14,} rows {size / 2**20:>10.1f} MiB in {seconds:.1f} s")
    return 0
