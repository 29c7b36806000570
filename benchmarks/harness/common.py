"""What every part of the harness shares: its folders, the trace it sends, the
graphs' names, the targets, the log and the percentile."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent  # benchmarks/
ROOT = HERE.parent


def beside(name: str) -> Any:
    """A module of benchmarks/ beside this file (the folder is no package), loaded once."""
    if f"zeren_benchmarks_{name}" in sys.modules:
        return sys.modules[f"zeren_benchmarks_{name}"]
    spec = importlib.util.spec_from_file_location(f"zeren_benchmarks_{name}", HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


TRACE_QUERY = ("query Trace($id: ID!) { matter(id: $id) { responsibility { findings "
               "{ kind person { id } basis { label } } } } }")
LOAD_GRAPH = "bench_load"
RAW_GRAPH = "bench_raw"
ANCHOR_GRAPH = "bench_anchor"  # P1's other loads beside the two (scale.py)
TARGETS = {"p1_ratio_min": 0.8, "p2_p50_ratio_max": 2.0, "p2_p99_ms_max": 10.0, "p3_ratio_max": 1.3,
           "p4_tps_min": 1000.0, "p5_gib_max_sf1": 12.0}


def finish(args: Any, runs: list[dict[str, Any]], summary: Any, *local: str) -> dict[str, Any]:
    """A benchmark's result: its arguments (the options naming this machine's
    folders, ``local``, left out), its runs and summary; the summary printed,
    the whole written to ``args.out`` when given."""
    result = {"args": vars(args) | dict.fromkeys(local), "runs": runs, "summary": summary}
    print(json.dumps(summary, indent=2), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]
