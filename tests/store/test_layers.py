"""The layers of the code: the settings sit at the ground floor and import
nothing of zeren; the rules and the store's port import neither the settings
nor the libraries that read them (pydantic-settings, platformdirs)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# Run in a fresh interpreter: a finder ahead of all others refuses the named
# top-level packages, then the modules are imported and the zeren modules
# loaded are printed.
_PROBE = textwrap.dedent("""
    import importlib, importlib.abc, json, pkgutil, sys

    BLOCKED = set(sys.argv[1].split(",")) - {""}

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ImportError(f"{name} is refused in this test")
            return None

    sys.meta_path.insert(0, Refuse())
    for name in sys.argv[2:]:
        module = importlib.import_module(name)
        if name == "zeren.rules":
            for sub in pkgutil.iter_modules(module.__path__):
                importlib.import_module(f"zeren.rules.{sub.name}")
    print(json.dumps(sorted(m for m in sys.modules if m.startswith("zeren"))))
""")


def _import(modules: list[str], blocked: tuple[str, ...] = ()) -> list[str]:
    r = subprocess.run([sys.executable, "-c", _PROBE, ",".join(blocked), *modules],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_every_rule_module_and_the_store_port_import_without_pydantic_settings_or_platformdirs() -> None:
    loaded = _import(["zeren.rules", "zeren.graph.store", "zeren.graph.store.base"],
                     blocked=("pydantic_settings", "platformdirs"))
    assert {"zeren.rules.engine", "zeren.rules.compliance", "zeren.graph.store"} <= set(loaded)
    assert not [m for m in loaded if m.startswith("zeren.config")]


def test_the_refusing_finder_does_refuse_the_settings() -> None:
    r = subprocess.run([sys.executable, "-c", _PROBE, "pydantic_settings,platformdirs", "zeren.config"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "is refused in this test" in r.stderr


def test_the_settings_import_nothing_else_of_zeren() -> None:
    assert _import(["zeren.config"]) == ["zeren", "zeren.config", "zeren.config.settings"]


def test_opening_a_store_without_settings_reads_them_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from zeren.config import get_settings
    from zeren.graph.store import StoreError, open_store

    monkeypatch.setenv("ZEREN_GRAPH", "falkordb://127.0.0.1:1")  # nothing listens on port 1
    get_settings.cache_clear()
    try:
        with pytest.raises(StoreError, match="falkordb://127.0.0.1:1 is not reachable"):
            open_store()
    finally:
        get_settings.cache_clear()
