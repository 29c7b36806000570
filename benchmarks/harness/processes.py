"""The memory and CPU time of the processes under test (psutil; only the peak
resident set, which psutil does not give on Linux, is read from /proc)."""

from __future__ import annotations

import threading
from pathlib import Path

import psutil


def rss(pid: int) -> int | None:
    """The resident set of a process now, in bytes; None if it is gone or not readable."""
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.Error:
        return None


def peak_rss(pid: int) -> int | None:
    """The peak resident set of a process so far (the kernel's high-water mark,
    ``VmHWM``), in bytes; None if it is gone or not readable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far, or None."""
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return float(t.user + t.system)


def descendants(pid: int) -> list[int]:
    """The pids of a process's children, their children and so on."""
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


class PeakSampler:
    """Reads the peak resident set of a running process every 0.2 s (it is
    monotonic: the last read before exit is the peak, give or take 0.2 s of growth)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, None
        self._done = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._done.wait(0.2):
            v = peak_rss(self.pid)
            if v:
                self.peak = max(self.peak or 0, v)

    def stop(self) -> None:
        self._done.set()
        self._t.join()
