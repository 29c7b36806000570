"""Neo4j at national scale: the first load through Neo4j's bulk importer, then
a reload of the same data through ``zeren load``.

Used by ``benchmarks/run.py --neo4j-bulk HEAP_MB PAGECACHE_MB``: per scale,
``zeren load DIR --bulk HOME`` (validation, the importer's files, ``neo4j-admin
database import full``) into a new Neo4j home; a Neo4j 5.26 server (the tests'
launcher, heap and page cache as given) started on it; ``zeren setup-schema``
(unique keys and indexes built over the imported store). The three together
are the first load. Traces and throughput follow as on any store (run.py);
then the same data is loaded again through ``zeren load`` twice: as a user
runs it (it finds the source unchanged since the last finished load, the bulk
load's record, and writes nothing), and with ``--force``, which finds every row
already held, stopped after ``--reload-cap`` seconds with how far it got.

Run as a script (``python benchmarks/neo4j_bulk.py reload DIR [--force]``) it
is that reload, printing one JSON line per progress report for the harness and
a last line with the load's summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TESTS = ROOT / "tests"
LIB = TESTS / "neo4j-server" / "target" / "lib"


def _peak_rss(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def timed(cmd: list[str], env: dict[str, str], cap_s: float | None = None,
          on_line: Any = None) -> tuple[float, int | None, int, str]:
    """Run ``cmd``; (seconds, peak RSS, exit code, output tail). Killed after ``cap_s``."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak: list[int] = [0]
    out: list[str] = []

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _peak_rss(proc.pid) or 0)
            time.sleep(0.5)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if on_line:
                on_line(line, time.perf_counter() - started)

    threads = [threading.Thread(target=sample, daemon=True), threading.Thread(target=read, daemon=True)]
    for t in threads:
        t.start()
    try:
        code = proc.wait(timeout=cap_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    threads[1].join(timeout=10)
    return time.perf_counter() - started, peak[0] or None, code, "".join(out)[-3000:]


@dataclass
class BulkFirstLoad:
    """The first load of one scale and the server it leaves running."""

    result: dict[str, Any]
    server: Any
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.server.stop()


def unlocal(text: str, names: dict[Path, str]) -> str:
    """``text`` with this machine's folders named by what they are (a result
    file is committed; the folders it ran in are no one else's), the longest first;
    the interpreter's and the checkout's folders (in a traceback) likewise."""
    names = {Path(sys.base_prefix): "PYTHON", Path(sys.prefix): "VENV", ROOT: "REPO", **names}
    for path, name in sorted(names.items(), key=lambda kv: -len(str(kv[0]))):
        text = text.replace(str(path), name)
    return text


def first_load(folder: Path, work: Path, heap_mb: int, pagecache_mb: int, *, compress: bool = False) -> BulkFirstLoad:
    """``zeren load --bulk`` into ``work/neo4j``, the server started on it,
    ``zeren setup-schema``; sets ``NEO4J_*`` in this process's environment for
    run.py's Neo4j backend."""
    sys.path.insert(0, str(TESTS))
    from backends import MavenNeo4jServer, build_launcher

    build_launcher()
    home = work / "neo4j"
    env = {**os.environ, "ZEREN_DATA_DIR": str(work)}
    cli = [sys.executable, "-m", "zeren.cli"]
    res: dict[str, Any] = {"heap_mb": heap_mb, "pagecache_mb": pagecache_mb, "compress": compress}
    seconds, peak, code, out = timed([*cli, "load", str(folder), "--bulk", str(home), "--neo4j-lib", str(LIB),
                                      *(["--compress"] if compress else [])], env)
    if code != 0:
        raise RuntimeError(f"zeren load --bulk failed ({code}):\n{out}")
    res["bulk"] = {"seconds": seconds, "peak_rss": peak,
                   "output": unlocal(out.strip()[-800:], {home: "NEO4J_HOME", folder: "DATA", work: "WORK"})}
    log = next((home / "import").glob("*.log"), None)
    if log:
        res["bulk"]["importer_report"] = "\n".join(line for line in log.read_text(errors="replace").splitlines()
                                                   if line.startswith(("IMPORT DONE", "  ", "Peak memory")))[-600:]
    started = time.perf_counter()
    server = MavenNeo4jServer(wait_s=1800, quick_start=False, heap_mb=heap_mb, pagecache_mb=pagecache_mb,
                              store_dir=home / "data", tx_timeout_s=3600)
    running = server.start()
    res["server_start_seconds"] = time.perf_counter() - started
    assert server._proc is not None
    neo = {"NEO4J_URI": running.uri, "NEO4J_USER": running.user, "NEO4J_PASSWORD": running.password,
           "NEO4J_DATABASE": running.database, "NEO4J_PID": str(server._proc.pid)}
    os.environ.update(neo)
    zeren_env = {**env, "ZEREN_GRAPH": running.uri, "ZEREN_NEO4J_USER": running.user,
                 "ZEREN_NEO4J_PASSWORD": running.password, "ZEREN_NEO4J_DATABASE": running.database,
                 "ZEREN_QUERY_TIMEOUT_MS": "600000"}
    seconds, _, code, out = timed([*cli, "setup-schema"], zeren_env)
    if code != 0:
        server.stop()
        raise RuntimeError(f"zeren setup-schema failed ({code}):\n{out}")
    res["schema_seconds"] = seconds
    res["first_load_seconds"] = res["bulk"]["seconds"] + res["server_start_seconds"] + seconds
    res["store_rss_after_first_load"] = _peak_rss(server._proc.pid)
    return BulkFirstLoad(res, server, zeren_env)


def reload(first: BulkFirstLoad, folder: Path, rows: int, cap_s: float, *, force: bool = True) -> dict[str, Any]:
    """``zeren load DIR`` again over the imported graph, stopped after
    ``cap_s``: seconds, validation seconds, rows reached. With ``force`` every
    row is compared with the one held; without, the load is skipped when the
    source is the one of the last finished load (``skipped``)."""
    progress: dict[str, Any] = {"kinds": {}, "validated_at": None, "last": None, "skipped": None}

    def on_line(line: str, at: float) -> None:
        try:
            p = json.loads(line)
        except ValueError:
            return
        if "skipped" in p:
            progress["skipped"] = p["skipped"]
            return
        if progress["validated_at"] is None:
            progress["validated_at"] = at
        progress["kinds"][p["kind"]] = {"done": p["done"], "total": p["total"], "at": round(at, 1)}
        progress["last"] = at

    cmd = [sys.executable, str(Path(__file__).resolve()), "reload", str(folder), *(["--force"] if force else [])]
    seconds, peak, code, out = timed(cmd, first.env, cap_s, on_line)
    done = sum(k["done"] for k in progress["kinds"].values())
    return {"seconds": seconds, "finished": code == 0, "cap_s": cap_s, "exit": code, "peak_rss": peak,
            "force": force, "skipped": progress["skipped"],
            "validation_seconds": progress["validated_at"], "rows_written": done, "rows": rows,
            "rows_per_s_after_validation": (done / (seconds - progress["validated_at"])
                                            if progress["validated_at"] and seconds > progress["validated_at"]
                                            else None),
            "kinds": progress["kinds"],
            "output_tail": "" if code == 0 else unlocal(out[-1500:], {folder: "DATA"})}


def rows(s: dict[str, Any]) -> list[str]:
    """A scale's table rows for the bulk first load and the reload (run.py's report)."""
    b = s["bulk_load"]
    out = [f"| first load: `zeren load --bulk` (validation, importer's files, `neo4j-admin database import`) | "
           f"{b['bulk']['seconds']:.1f} s ({mib(b['bulk'].get('peak_rss'))} peak RSS) |",
           f"| first load: server start on the imported store / `zeren setup-schema` | "
           f"{b['server_start_seconds']:.1f} s / {b['schema_seconds']:.1f} s |",
           f"| **first load in all** (heap {b['heap_mb']:,} MiB + page cache {b['pagecache_mb']:,} MiB) | "
           f"**{b['first_load_seconds']:.1f} s**, {s['rows'] / b['first_load_seconds']:,.0f} rows/s |"]
    u = s.get("reload_unchanged")
    if u:
        what = ("skipped: the source is the one of the last finished load" if u["skipped"]
                else "not skipped" if u["finished"] else f"not finished in {u['cap_s']:.0f} s")
        out.append(f"| `zeren load` of the unchanged data, as a user runs it | **{u['seconds']:.1f} s**, {what} |")
    r = s.get("reload")
    if r:
        if r["finished"]:
            out.append(f"| reload of the unchanged data through `zeren load --force` | **{r['seconds']:.1f} s**, "
                       f"{s['rows'] / r['seconds']:,.0f} rows/s (validation {r['validation_seconds'] or 0:.1f} s) |")
        else:
            rate = r.get("rows_per_s_after_validation")
            rest = (s["rows"] - r["rows_written"]) / rate if rate else None
            reached = (f"validation {r['validation_seconds']:.1f} s, then {r['rows_written']:,} of {s['rows']:,} rows "
                       f"at {rate or 0:,.0f} rows/s" + (f" (the rest: about {rest / 60:,.0f} min more)" if rest else "")
                       if r["validation_seconds"] is not None else "still validating when stopped")
            out.append(f"| reload of the unchanged data through `zeren load --force` | **not finished in {r['cap_s']:.0f} s**: "
                       f"{reached} |")
    return out


FIFTEEN_MIN = 15 * 60.0


def verdicts(scales: list[dict[str, Any]]) -> list[tuple[str, str, str, bool | None]]:
    """(target, required, measured, met) of the bulk first load and the reload, per scale
    (the 15-minute targets hold at SF 1; below it they are shown, not judged)."""
    out: list[tuple[str, str, str, bool | None]] = []
    for s in scales:
        b = s.get("bulk_load")
        if not b:
            continue
        judged = s["scale"] >= 1
        secs = b["first_load_seconds"]
        out.append((f"SF {s['scale']:g} validated and loaded (bulk first load, schema included)", "≤ 15 min at SF 1",
                    f"{secs / 60:.1f} min", secs <= FIFTEEN_MIN if judged else None))
        u = s.get("reload_unchanged")
        if u:
            got = (f"{u['seconds'] / 60:.1f} min" + (" (skipped as unchanged)" if u["skipped"] else "")
                   if u["finished"] else f"not finished in {u['cap_s'] / 60:.0f} min")
            out.append((f"SF {s['scale']:g} reload of unchanged data (`zeren load`)", "≤ 15 min at SF 1", got,
                        (u["finished"] and u["seconds"] <= FIFTEEN_MIN) if judged else None))
        r = s.get("reload")
        if r:
            got = f"{r['seconds'] / 60:.1f} min" if r["finished"] else f"not finished in {r['cap_s'] / 60:.0f} min"
            out.append((f"SF {s['scale']:g} reload of unchanged data, every row compared (`zeren load --force`)",
                        "(not a target)", got, None))
    return out


def mib(b: int | None) -> str:
    return "n/a" if not b else f"{b / 2**20:,.0f} MiB"


def _reload_main(folder: str, force: bool) -> int:
    from zeren.config import Settings
    from zeren.graph.store import open_store
    from zeren.loaders.load import load_path

    last = [0.0]

    def progress(kind: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 2 or done == total:
            last[0] = now
            print(json.dumps({"kind": kind, "done": done, "total": total}), flush=True)

    settings = Settings()
    with open_store(settings) as store:
        summary = load_path(Path(folder), store, settings=settings, progress=progress, skip_unchanged=not force)
    print(json.dumps({"skipped": summary.unchanged}), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "reload" and sys.argv[3:] in ([], ["--force"]):
        raise SystemExit(_reload_main(sys.argv[2], force=sys.argv[3:] == ["--force"]))
    raise SystemExit("usage: python benchmarks/neo4j_bulk.py reload DIR [--force]")
