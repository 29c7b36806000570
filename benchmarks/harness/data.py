"""The generated dataset of a scale: made when missing, counted, read and sampled."""

from __future__ import annotations

import csv
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from zeren.graph.model import LOAD_ORDER, NodeKind, RelKind, kind

from .common import log


def csv_rows(folder: Path, k: NodeKind | RelKind) -> Iterator[dict[str, str]]:
    path = folder / f"{k.file}.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def count_rows(folder: Path) -> int:
    n = 0
    for name in LOAD_ORDER:
        path = folder / f"{kind(name).file}.csv"
        if path.exists():
            with path.open("rb") as fh:
                n += sum(1 for _ in fh) - 1
    return n


def ensure_data(scale: float, data_root: Path) -> Path:
    folder = data_root / f"sf{scale:g}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    log(f"generating scale {scale:g} into {folder}")
    subprocess.run([sys.executable, "-m", "zeren.cli", "generate", "--scale", f"{scale:g}", "--out",
                    str(folder)], check=True, stdout=subprocess.DEVNULL)
    (folder / ".complete").write_text("ok\n")
    return folder


def sample_matters(folder: Path, n: int, seed: int) -> list[str]:
    ids = [r["id"] for r in csv_rows(folder, kind("PetitionMatter"))]
    return random.Random(seed).sample(ids, min(n, len(ids)))
