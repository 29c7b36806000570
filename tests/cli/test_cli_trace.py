"""`zeren trace` prints the findings as a readable table with Chinese and
English labels, or as JSON, and refuses bad input with a clear message."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worlds import world_for, write_world
from zeren.cli import app
from zeren.config import Settings
from zeren.graph.store import GraphStore, open_store
from zeren.loaders.load import load_path


@pytest.fixture(scope="module")
def world_env(data_dir: Path, _embedded_server: GraphStore) -> dict[str, str]:
    settings = Settings(graph="embedded", data_dir=data_dir, graph_name="cli_world")
    store = open_store(settings)
    store.clear()
    load_path(write_world(world_for({}), Path(tempfile.mkdtemp(prefix="zeren-cli-"))), store, settings=settings)
    store.close()
    return {"ZEREN_DATA_DIR": str(data_dir), "ZEREN_GRAPH_NAME": "cli_world", "COLUMNS": "200"}


def test_trace_prints_a_table_with_chinese_and_english_labels(world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["trace", "M-LAND", "--failure", "F-COLL"], env=world_env)
    assert r.exit_code == 0, r.output
    for text in ("负总责", "overall", "主要领导责任", "leadership", "第七条", "Chongqing rules", "免责", "exempt",
                 "王建华", "诫勉", "admonishment"):
        assert text in r.output, text


def test_trace_as_json_carries_basis_text_and_chain(world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["trace", "M-LAND", "--as-of", "2019-08-01", "--json"], env=world_env)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["as_of"] == "2019-08-01" and data["rule_sets"] == ["CN-2016", "CQ-2017"]
    held = [f for f in data["findings"] if f["kind"] == "CASE_HOLDING"]
    assert held[0]["person"]["id"] == "PER-B" and "包案处理" in held[0]["basis"]["text"]
    assert held[0]["chain"]["relationships"][0]["type"] == "HOLDS_CASE"


@pytest.mark.parametrize("args,needle", [
    (["trace", "M-NOPE"], "no petition matter with id 'M-NOPE'"),
    (["trace", "M-LAND", "--as-of", "yesterday"], "not a date in the form YYYY-MM-DD"),
    (["trace", "M-LAND", "--as-of", "2999-01-01"], "is in the future"),
    (["trace", "M-LAND", "--failure", "F-NOPE"], "no failure with id 'F-NOPE'"),
])
def test_trace_refuses_bad_input_with_a_clear_message(world_env: dict[str, str], args: list[str], needle: str) -> None:
    r = CliRunner().invoke(app, args, env=world_env)
    assert r.exit_code == 2 and needle in r.output


def test_the_header_of_a_failure_trace_shows_the_date_each_part_is_judged_on(world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["trace", "M-LAND", "--failure", "F-COLL", "--as-of", "2019-09-02"], env=world_env)
    assert r.exit_code == 0, r.output
    head = r.output.split("Findings")[0]
    assert "standing responsibility as of 2019-09-02" in head
    assert "accountability on 2019-03-01" in head, "the failure is judged on its act date"
    assert "measures as of 2019-09-02" in head


def test_the_table_says_which_rule_sets_applied_to_each_finding(world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["trace", "M-TAX"], env=world_env)
    assert r.exit_code == 0, r.output
    rows = re.split(r"\n[├└]", r.output.split("Findings")[1])
    national = [b for b in rows if re.search(r"│ 国家税务总局\s+│", b)]  # the national department, not its branches
    assert national and all("rules: CN-2016\n" in _column(b, 4) + "\n" and "national measures art." in _column(b, 4)
                            for b in national), national
    district = next(b for b in rows if "国家税务总局重庆市渝中区税务局" in b)
    assert "rules: CN-2016 + CQ-2017" in _column(district, 4) and "Chongqing rules art." in _column(district, 4)


def _column(row: str, n: int) -> str:
    """The text of column ``n`` of a table row printed over several lines."""
    cells = [line.split("│")[n + 1].strip() for line in row.splitlines() if line.count("│") > n + 1]
    return "\n".join(c for c in cells if c)


def test_the_json_says_which_rule_sets_applied_to_each_finding_and_the_date_of_each_part(
        world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["trace", "M-TAX", "--json"], env=world_env)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["judged_on"] == [{"part": "STANDING", "on": "2020-10-10", "what": data["judged_on"][0]["what"]}]
    sets = {(f["kind"], f["institution"]["id"]): f["rule_sets"] for f in data["findings"] if f["institution"]}
    assert sets[("SYSTEM", "N-TAX")] == ["CN-2016"] and sets[("SYSTEM", "CQ-TAX")] == ["CN-2016", "CQ-2017"]


def test_compliance_prints_each_duty_of_each_unit_with_its_status_and_provision_in_both_languages(
        world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["compliance", "500103", "2019"], env=world_env)
    assert r.exit_code == 0, r.output
    for text in ("每年至少开展一次专项督查", "special supervision", "未履行 unmet", "已履行 met", "无数据 unknown",
                 "第九条", "Chongqing rules art. 9", "本地区", "定期"):
        assert text in r.output, text


def test_compliance_as_json_keeps_only_the_status_asked_for(world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["compliance", "500103", "2019", "--status", "UNMET", "--json"], env=world_env)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    statuses = {d["status"] for u in out["units"] for d in u["duties"]}
    assert statuses == {"UNMET"}
    duty = next(d for u in out["units"] for d in u["duties"] if d["duty"] == "SPECIAL_SUPERVISION" and u["id"] == "500103")
    assert duty["basis"]["label"] == "Chongqing rules art. 9" and "专项督查" in duty["basis"]["text"]


def test_compliance_refuses_an_unknown_territory_and_a_bad_status(world_env: dict[str, str]) -> None:
    r = CliRunner().invoke(app, ["compliance", "999999", "2019"], env=world_env)
    assert r.exit_code == 2 and "no territory with id '999999'" in r.output
    r = CliRunner().invoke(app, ["compliance", "500103", "2019", "--status", "DONE"], env=world_env)
    assert r.exit_code == 2 and "not one of MET, UNMET, UNKNOWN" in r.output
