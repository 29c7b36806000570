"""The service commands: `zeren schema` prints the SDL; `zeren demo` sets up the
embedded store in its data folder, loads regulations and sample data, and
prints the URLs and one working token per role."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from zeren.cli import app
from zeren.api.security import ROLES, TokenStore


def test_schema_prints_the_graphql_sdl() -> None:
    r = CliRunner().invoke(app, ["schema"])
    assert r.exit_code == 0
    assert "type Query {" in r.output and "counterfactual(" in r.output and '"""' in r.output


def test_demo_loads_the_sample_and_prints_urls_without_tokens_and_a_token_per_role(tmp_path: Path) -> None:
    env = {"ZEREN_DATA_DIR": str(tmp_path), "ZEREN_GRAPH_NAME": "demo_test", "COLUMNS": "200"}
    r = CliRunner().invoke(app, ["demo", "--no-serve", "--port", "8111"], env=env)
    assert r.exit_code == 0, r.output
    assert "http://127.0.0.1:8111/graphql" in r.output and "sign in with a token above" in r.output
    urls = re.findall(r"http://\S+", r.output)
    assert urls and not any("zrn_" in u or "token" in u for u in urls), urls
    tokens = dict(re.findall(r"^\s+(\w+)\s+(zrn_\S+)$", r.output, re.M))
    assert set(tokens) == set(ROLES)
    store = TokenStore(tmp_path / "zeren.db")
    assert {role: store.verify(t).role for role, t in tokens.items()} == {r: r for r in ROLES}  # type: ignore[union-attr]
    assert "PetitionMatter" in r.output and "Article" in r.output
