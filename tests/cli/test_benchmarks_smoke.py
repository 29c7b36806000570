"""The benchmark harness runs end to end at a tiny scale and produces every
figure (their values are not checked: timings belong in docs/benchmarks.md,
not in assertions)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _harness():
    spec = importlib.util.spec_from_file_location("zeren_benchmarks_run", ROOT / "benchmarks" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


@pytest.mark.slow
def test_the_harness_produces_every_figure_at_a_tiny_scale(tmp_path: Path) -> None:
    run = _harness()
    with_doc = importlib.util.find_spec("matplotlib") is not None
    args = ["--scales", "0.0005", "--data-root", str(tmp_path / "data"), "--work-dir", str(tmp_path),
            "--samples", "5", "--duration", "2", "--workers", "1", "2", "--load-repeats", "2",
            "--results", str(tmp_path / "results"),
            "--doc", str(tmp_path / "benchmarks.md"), "--plot", str(tmp_path / "latency.png")]
    result = run.main(args if with_doc else [*args, "--no-doc"])

    [s] = result["scales"]
    assert _number(s["rows"])
    assert _number(s["load"]["rows_per_s"]) and _number(s["raw_load"]["rows_per_s"]) and _number(s["load_ratio"])
    assert s["same_graph_counts"], "the loader and the raw baseline must build the same graph"
    assert len(s["load_runs"]) == 2 and all(_number(r["raw_rows_per_s"]) for r in s["load_runs"])
    for side in ("trace_raw", "trace_graphql"):
        assert _number(s[side]["p50_ms"]) and _number(s[side]["p99_ms"])
    assert _number(s["trace_p50_ratio"]) and _number(s["trace_paired_ratio_median"])
    assert all(isinstance(r[f"{side}_store_forks"], int) for r in s["load_runs"] for side in ("raw", "load"))
    assert set(s["throughput"]) == {"1", "2"}
    assert all(_number(t["traces_per_s"]) for t in s["throughput"].values())
    for t in s["throughput"].values():
        assert sum(t["connections_by_worker"]) == t["clients"], "every client's connection is found on a worker"
        cpu = t["cpu_ms_per_trace"]
        assert _number(cpu["store"]) and _number(cpu["service"]) and cpu["clients"] is not None
    assert _number(s["store_peak_rss"]) and _number(s["service_peak_rss"]) and _number(s["load"]["loader_peak_rss"])
    mem = s["store_memory"]
    assert _number(mem["total_graph_sz_mb"]) and _number(mem["store_used_mb"])
    assert mem["amortized_node_attributes_by_label_sz_mb"].keys() >= {"PetitionMatter", "HandlingStep"}
    assert [v[3] for v in run.verdicts(result)], "a verdict per target"

    [saved] = (tmp_path / "results").glob("*.json")
    assert json.loads(saved.read_text())["scales"][0]["rows"] == s["rows"]
    if with_doc:
        doc = (tmp_path / "benchmarks.md").read_text()
        assert "## SF 0.0005" in doc and "| P4 traces/s" in doc and "| store memory after the load, by part |" in doc
        assert "connections per worker" in doc, "the split of the 2-worker run is shown"
        assert (tmp_path / "latency.png").stat().st_size > 0


@pytest.mark.slow
def test_the_harness_runs_against_a_neo4j_protocol_server_when_neo4j_uri_is_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, neo4j_server) -> None:  # type: ignore[no-untyped-def]
    # Against the suite's Neo4j: the code path, not its speed.
    run = _harness()
    monkeypatch.setenv("NEO4J_URI", neo4j_server.uri)
    monkeypatch.setenv("NEO4J_USER", neo4j_server.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_server.password)
    monkeypatch.setenv("NEO4J_DATABASE", neo4j_server.database)
    result = run.main(["--scales", "0.0002", "--data-root", str(tmp_path / "data"), "--work-dir", str(tmp_path),
                       "--samples", "3", "--duration", "1", "--workers", "1", "--results", str(tmp_path / "results"),
                       "--no-doc"])

    [s] = result["scales"]
    assert s["store"].startswith("Neo4j at ")
    assert s["same_graph_counts"], "the loader and the raw baseline must build the same graph"
    assert _number(s["load_ratio"]) and _number(s["trace_raw"]["p50_ms"]) and _number(s["trace_graphql"]["p50_ms"])
    assert s["raw_load"]["store_forks"] is None, "a remote store's forks are not the harness's to count"
    assert _number(s["throughput"]["1"]["traces_per_s"])
    assert s["store_peak_rss"] is None, "a remote store's memory is not the harness's to read"
    assert s["store_memory"] is None
    # P6: the Neo4j GraphQL Library beside zeren, when its node packages are installed
    # (the README's test command installs them).
    why = run.peer.available()
    if why is None:
        peer = s["peer"]
        assert _number(peer["zeren"]["p50_ms"]) and _number(peer["peer"]["p50_ms"])
        assert peer["zeren"]["n"] == peer["peer"]["n"] == 3, "each sampled matter asked of both"
        assert peer["peer_institutions_mean"] > 0, "the library's answers hold the territory's institutions"
        assert _number(peer["peer_throughput"]["traces_per_s"]) and _number(peer["zeren_throughput"]["traces_per_s"])
        assert any(line.startswith("| P6 p50 / p99, the Neo4j GraphQL Library")
                   for line in run.peer_rows(peer))
    else:
        assert s["peer"] == {"skipped": why}
    [saved] = (tmp_path / "results").glob("*-neo4j.json")
    assert json.loads(saved.read_text())["scales"][0]["store"] == s["store"]


def test_load_repeats_are_given_per_scale_and_the_last_holds_for_the_rest() -> None:
    run = _harness()
    args = run.parse_args(["--scales", "0.1", "0.01", "0.2", "--load-repeats", "3", "1"])
    assert [run.load_repeats(args.load_repeats, i) for i in range(3)] == [3, 1, 1]
    assert run.load_repeats(run.parse_args([]).load_repeats, 0) == 1
    with pytest.raises(SystemExit, match="at least 1"):
        run.main(["--scales", "0.01", "--load-repeats", "0", "--no-doc"])


def test_p2_times_both_sides_matter_by_matter_alternating_which_goes_first() -> None:
    run = _harness()
    clock = [0.0]
    calls: list[tuple[str, str]] = []

    def side(name: str, seconds: float):  # type: ignore[no-untyped-def]
        def fn(mid: str) -> None:
            calls.append((name, mid))
            clock[0] += seconds
        return fn

    raw_ms, gql_ms = run.time_interleaved(["m1", "m2", "m3"], side("raw", 0.002), side("gql", 0.005),
                                          clock=lambda: clock[0])

    assert calls == [("raw", "m1"), ("gql", "m1"), ("gql", "m2"), ("raw", "m2"), ("raw", "m3"), ("gql", "m3")]
    assert raw_ms == pytest.approx([2.0, 2.0, 2.0]) and gql_ms == pytest.approx([5.0, 5.0, 5.0])


def test_the_store_memory_reply_is_read_by_part() -> None:
    run = _harness()
    reply = [b"total_graph_sz_mb", 307, b"label_matrices_sz_mb", 12, b"relation_matrices_sz_mb", 68,
             b"amortized_node_attributes_by_label_sz_mb", [b"PetitionMatter", 54, b"HandlingStep", 57, b"Item", 0],
             b"amortized_edge_attributes_by_type_sz_mb", [b"HOLDS", 1], b"indices_sz_mb", 92]
    mem = run.graph_memory(reply)
    assert mem == {"total_graph_sz_mb": 307, "label_matrices_sz_mb": 12, "relation_matrices_sz_mb": 68,
                   "amortized_node_attributes_by_label_sz_mb": {"PetitionMatter": 54, "HandlingStep": 57, "Item": 0},
                   "amortized_edge_attributes_by_type_sz_mb": {"HOLDS": 1}, "indices_sz_mb": 92}
    line = run.memory_parts(mem | {"store_used_mb": 430})
    assert line.startswith("node properties 111 (HandlingStep 57, PetitionMatter 54); indexes 92;")
    assert line.endswith("graph 307 MiB of the server's 430 MiB in use")


def test_the_report_of_two_runs_joined_is_the_report_of_one_run_of_both_scales_but_for_the_commands() -> None:
    run = _harness()
    from zeren_benchmarks.report import render

    whole = json.loads((ROOT / "benchmarks" / "results" / "20261208T002552-neo4j.json").read_text())
    small, large = ({**whole, "scales": [s], "file": f"benchmarks/results/{name}.json",
                     "command": whole["command"].replace("0.01 0.1", f"{s['scale']:g}")}
                    for s, name in zip(whole["scales"], ("a", "b"), strict=True))
    joined = run.join_results([large, small])

    assert [s["scale"] for s in joined["scales"]] == [0.01, 0.1], "in order of scale, whatever the files' order"
    assert joined["file"] == "benchmarks/results/b.json benchmarks/results/a.json"
    doc, alone = (render(r, "", "plot.png", "notes.md").splitlines() for r in (joined, whole))
    commands = [i for i, line in enumerate(doc) if line.startswith("python benchmarks/run.py")]
    assert [doc[i] for i in commands] == [large["command"], small["command"],
                                          "python benchmarks/run.py --report " + joined["file"]]
    assert [x for x in doc if "Generated by" not in x and not x.startswith("python benchmarks/run.py")] == \
        [x for x in alone if "Generated by" not in x and not x.startswith("python benchmarks/run.py")], \
        "the same figures, targets and verdicts as one run of both scales"

    with pytest.raises(SystemExit, match="a scale is in two of the runs"):
        run.join_results([small, whole])
    other = {**large, "args": {**large["args"], "samples": 1000}}
    with pytest.raises(SystemExit, match="differs .* in samples"):
        run.join_results([small, other])
