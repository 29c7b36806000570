"""The memory and CPU time of the processes under test."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def proc_status(pid: int, field: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status (VmHWM, VmRSS) in bytes; None if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (from /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids = (task / "children").read_text().split()
            for k in kids:
                out.append(int(k))
                out += descendants(int(k))
    except OSError:
        pass
    return out


class PeakSampler:
    """Reads VmHWM of a running process every 0.2 s (it is monotonic: the last
    read before exit is the peak, give or take 0.2 s of growth)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, None
        self._done = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._done.wait(0.2):
            v = proc_status(self.pid, "VmHWM")
            if v:
                self.peak = max(self.peak or 0, v)

    def stop(self) -> None:
        self._done.set()
        self._t.join()
