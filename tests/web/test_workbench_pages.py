"""The investigator's workbench in a real headless Chromium with no network,
over the bundled sample data: signing in per role, search, a matter's page
with its chain graph, citations, the as-of date and a counterfactual, exports
(PDF, CSV, Excel), saved queries, and no petitioner identity for any role but
the petition bureau. Every request that is not to a loopback address is
aborted and recorded, and none may be attempted. Screenshots go to a
temporary folder, or to ``ZEREN_SCREENSHOTS`` when set (the ones in
docs/screenshots/ were made with ``ZEREN_SCREENSHOTS=docs/screenshots``).

Needs Debian's ``chromium`` and ``playwright`` (see test_browser_pages.py)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import pytest

from api_server import served
from test_browser_pages import CHROMIUM, Offline
from zeren.api.app import create_app, open_services
from zeren.api.context import Services
from zeren.api.security import ROLES
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")
pypdf = pytest.importorskip("pypdf", reason="pypdf (the test extra) is not installed")

MATTER = "M-CQ-0012"  # 化龙桥片区旧城改造房屋征收补偿方案异议, Yuzhong district, received 2018-03-05
FAILURE = "F-CQ-003"  # the district government's meeting omitted the risk assessment (2018-01-22)
PETITIONER = "钱永福"  # the sample's petitioner of M-CQ-0012 (stored encrypted)
CADRE = "PER-0033"  # 彭永康, district head, a participant of F-CQ-003's decision


@dataclass
class Site:
    url: str
    services: Services
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def site(data_dir: Path, _embedded_server: GraphStore) -> Iterator[Site]:
    settings = Settings(graph="embedded", data_dir=data_dir, graph_name="workbench_world", cypher_timeout_ms=2000,
                        cypher_max_rows=500)
    services = open_services(settings)
    services.store.clear()
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        load_path(folder, services.store, settings=settings)
    tokens = {role: services.tokens.issue(f"王芳 {role}", role)[1] for role in ROLES}
    try:
        with served(create_app(settings, services)) as url:
            yield Site(url, services, tokens)
    finally:
        services.store.clear()
        services.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"])
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("ZEREN_SCREENSHOTS") or tmp_path)


def signed_in(browser: object, site: Site, role: str, shots: Path, next_path: str = "/") -> Offline:
    o = Offline(browser, shots)
    o.context.set_default_timeout(15_000)
    o.page.set_viewport_size({"width": 1360, "height": 900})
    o.page.goto(f"{site.url}{next_path}")
    assert "/signin" in o.page.url  # not signed in: sent to the form, the page to come back to kept
    o.page.fill("#token", site.tokens[role])
    o.page.click("button[type=submit]")
    o.page.wait_for_url(f"{site.url}{next_path}")
    return o


def test_each_role_signs_in_by_the_form_and_sees_what_the_roles_table_allows(browser: object, site: Site,
                                                                             shots: Path) -> None:
    for role in ROLES:
        o = signed_in(browser, site, role, shots)
        try:
            assert "token" not in o.page.url and site.tokens[role] not in o.page.content()
            nav = o.page.inner_text("#bar nav")
            assert ("Honours roll" in nav) == (role == "personnel"), role
            o.page.goto(f"{site.url}/person/{CADRE}")
            record = o.page.locator("h2:has-text('Cadre record')").count() > 0
            assert record == (role == "personnel"), role
            o.page.goto(f"{site.url}/honours?year=2018")
            assert (o.page.locator("text=Forbidden").count() > 0) == (role != "personnel"), role
            o.page.goto(f"{site.url}/queries")
            assert (o.page.locator("#save-query").count() > 0) == (role in ("analyst", "admin")), role
            o.assert_offline(*([] if role == "personnel" else
                               ["Failed to load resource: the server responded with a status of 403 (Forbidden)"]))
        finally:
            o.context.close()


def test_the_search_box_finds_an_institution_by_two_characters_of_its_name(browser: object, site: Site,
                                                                          shots: Path) -> None:
    o = signed_in(browser, site, "investigator", shots)
    try:
        o.page.fill("input[name=q]", "渝中")
        o.page.click("form.search button")
        o.page.wait_for_selector("#hits")
        hits = o.page.inner_text("#hits")
        assert "中共重庆市渝中区委员会" in hits and "渝中区" in hits
        o.shoot("workbench-search.png")
        o.page.click("#hits a:text('中共重庆市渝中区委员会')")
        o.page.wait_for_url("**/institution/I-500103-PC")
        assert "领导班子及分工" in o.page.inner_text("main")
        o.shoot("workbench-institution.png")
        o.assert_offline()
    finally:
        o.context.close()


def test_a_matters_page_draws_its_chain_and_a_node_opens_its_page(browser: object, site: Site, shots: Path) -> None:
    o = signed_in(browser, site, "investigator", shots, f"/matter/{MATTER}")
    try:
        o.page.wait_for_selector("#chain[data-rendered]")
        names = o.page.evaluate("""() => { const el = document.getElementById('chain');
            return JSON.parse(el.dataset.elements).filter(e => e.group === 'nodes').map(e => e.data.name); }""")
        # territory -> organs -> posts -> persons -> divisions of duties, as the trace found them
        for expected in ("渝中区", "中共重庆市渝中区委员会", "重庆市渝中区人民政府", "区长", "彭永康", "黎国强"):
            assert expected in names, expected
        assert int(o.page.get_attribute("#chain", "data-rendered") or 0) == len(names)
        o.page.set_viewport_size({"width": 1360, "height": 1400})
        o.shoot("workbench-matter.png")
        # Click the node of 彭永康 (the district head) where Cytoscape drew it.
        box = o.page.evaluate("""() => { const el = document.getElementById('chain');
            const r = el.getBoundingClientRect(); return {x: r.x, y: r.y}; }""")
        pos = o.page.evaluate("""() => { const cy = window.zerenGraphs.chain;
            const n = cy.nodes().filter(n => n.data('name') === '彭永康')[0]; return n.renderedPosition(); }""")
        o.page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
        o.page.wait_for_url("**/person/PER-*")
        assert "彭永康" in o.page.inner_text("h1")
        o.assert_offline()
    finally:
        o.context.close()


def test_a_citation_opens_the_exact_text_of_its_article(browser: object, site: Site, shots: Path) -> None:
    from zeren.law import Provision

    o = signed_in(browser, site, "investigator", shots, f"/matter/{MATTER}")
    try:
        cite = o.page.locator(f"#matter-{MATTER}-findings details.cite").first
        assert not cite.locator("blockquote").is_visible()
        label = cite.locator("summary").inner_text()
        cite.locator("summary").click()
        shown = cite.locator("blockquote").inner_text().strip()
        assert cite.locator("blockquote").is_visible() and len(shown) > 20
        # The text is the provision's own, as the regulations hold it.
        texts = {Provision(d, a, p, i).text().strip() for d in ("CN-2016", "CQ-2017") for a in range(1, 40)
                 for p in (None, 1, 2, 3, 4, 5) for i in (None, *range(1, 12))}
        assert shown in texts, (label, shown[:60])
        o.assert_offline()
    finally:
        o.context.close()


def test_a_date_before_the_matter_was_received_is_said_and_no_step_shown(browser: object, site: Site,
                                                                        shots: Path) -> None:
    o = signed_in(browser, site, "investigator", shots, f"/matter/{MATTER}")
    try:
        assert o.page.locator(f"#matter-{MATTER}-steps tbody tr").count() >= 1
        o.page.fill("form.asof input[name=as_of]", "2018-01-10")
        o.page.click("form.asof button")
        o.page.wait_for_url("**as_of=2018-01-10")
        assert "is before the matter was received (2018-03-05)" in o.page.inner_text("main")
        assert o.page.locator(f"#matter-{MATTER}-steps tbody tr").count() == 0
        o.assert_offline()
    finally:
        o.context.close()


def test_a_counterfactual_dissent_changes_the_answer(browser: object, site: Site, shots: Path) -> None:
    o = signed_in(browser, site, "investigator", shots, f"/matter/{MATTER}")
    try:
        o.page.select_option("select[name=cf_failure]", FAILURE)
        o.page.select_option("select[name=cf_kind]", "dissent")
        o.page.select_option("select[name=cf_person]", CADRE)
        o.page.click("form.cf button")
        o.page.wait_for_selector("#counterfactual")
        panel = o.page.inner_text("#counterfactual")
        assert f"stance({CADRE}) = OPPOSED_OVERRULED" in panel
        changed = sum(o.page.locator(f"#{t} tbody tr").count()
                      for t in ("cf-added", "cf-removed", "cf-recs-added", "cf-recs-removed"))
        assert changed > 0, panel[:500]  # the answer changed: a finding or a measure went or came
        before, after = (o.page.inner_text(f"#counterfactual .beforeafter > div:nth-child({i})") for i in (1, 2))
        assert before.split(":", 1)[1] != after.split(":", 1)[1]
        o.page.locator("#counterfactual").scroll_into_view_if_needed()
        o.shoot("workbench-counterfactual.png")
        o.assert_offline()
    finally:
        o.context.close()


def test_a_pdf_export_downloads_with_findings_citations_date_and_exporter(browser: object, site: Site,
                                                                         shots: Path) -> None:
    o = signed_in(browser, site, "investigator", shots, f"/matter/{MATTER}")
    try:
        with o.page.expect_download() as info:
            o.page.click("p.page-exports a")
        path = info.value.path()
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages)
        flat = text.replace("\n", "")
        assert "Trace of matter M-CQ-0012" in flat and "2018-03-05" in flat
        assert "王芳 investigator" in flat and "Exported at" in flat
        assert "彭永康" in flat and "CQ-2017" in flat
        assert "Provisions cited" in flat
        assert PETITIONER not in flat
        o.assert_offline()
    finally:
        o.context.close()


def test_a_table_exports_as_csv_with_a_byte_order_mark_and_as_excel(site: Site) -> None:
    from openpyxl import load_workbook

    auth = {"Authorization": f"Bearer {site.tokens['investigator']}"}
    table = f"matter-{MATTER}-findings"
    r = httpx.get(f"{site.url}/matter/{MATTER}", params={"export": "csv", "table": table}, headers=auth)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "责任 responsibility" and any("彭永康" in row for row in rows)
    r = httpx.get(f"{site.url}/matter/{MATTER}", params={"export": "xlsx", "table": table}, headers=auth)
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.cell(2, 1).value == "责任 responsibility"
    assert any(c.value == "彭永康" for row in ws.iter_rows() for c in row)
    assert "attachment" in r.headers["content-disposition"]


def test_an_analyst_saves_a_query_and_an_investigator_runs_it_as_a_table_and_a_graph(
        browser: object, site: Site, shots: Path) -> None:
    o = signed_in(browser, site, "analyst", shots, "/queries")
    try:
        o.page.fill("#save-query input[name=name]", "区内机关 Institutions of a territory")
        o.page.fill("#save-query textarea[name=description]", "某地区的机关及其所在地区")
        o.page.fill("#save-query textarea[name=query]",
                    "MATCH (i:Institution)-[r:IN_TERRITORY]->(t:Territory {id: $territory}) RETURN i, r, t")
        o.page.fill("#save-query input[name=parameters]", '{"territory": "500103"}')
        o.page.click("#save-query button")
        o.page.wait_for_url("**/queries/*")
        o.assert_offline()
    finally:
        o.context.close()
    o = signed_in(browser, site, "investigator", shots, "/queries")
    try:
        o.page.click("#saved a")
        o.page.fill("input[name=p_territory]", "500103")
        o.page.click("form.params button")
        o.page.wait_for_selector("#result-graph[data-rendered]")
        assert "中共重庆市渝中区委员会" in o.page.inner_text("table")
        assert int(o.page.get_attribute("#result-graph", "data-rendered") or 0) > 2
        o.shoot("workbench-saved-query.png")
        o.assert_offline()
    finally:
        o.context.close()


def test_a_query_that_writes_is_refused_when_saved(site: Site) -> None:
    headers = {"Authorization": f"Bearer {site.tokens['analyst']}"}
    r = httpx.post(f"{site.url}/queries", headers=headers, json={
        "name": "写入 write", "description": "", "query": "MATCH (p:Person) SET p.name = 'x' RETURN p",
        "parameters": {}})
    assert r.status_code == 400 and "only read queries" in r.json()["detail"]
    r = httpx.post(f"{site.url}/queries", headers={"Authorization": f"Bearer {site.tokens['investigator']}"},
                   json={"name": "x", "description": "", "query": "RETURN 1", "parameters": {}})
    assert r.status_code == 403
    r = httpx.post(f"{site.url}/queries", headers=headers, json={
        "name": "缺参数 missing", "description": "", "query": "MATCH (t:Territory {id: $t}) RETURN t", "parameters": {}})
    assert r.status_code == 400 and "no example value for $t" in r.json()["detail"]


PAGES = ["/", f"/?q={MATTER}", f"/matter/{MATTER}", f"/failure/{FAILURE}", f"/person/{CADRE}",
         "/institution/I-500103-GOV", "/honours?year=2018", "/queries"]


def test_no_role_but_the_petition_bureau_sees_a_petitioners_identity_on_any_page(site: Site) -> None:
    before = len(site.services.audit.query(matter_id=MATTER, limit=10_000))
    for role in ROLES:
        auth = {"Authorization": f"Bearer {site.tokens[role]}", "Accept": "text/html"}
        for path in PAGES + [f"/matter/{MATTER}?export=pdf"]:
            r = httpx.get(f"{site.url}{path}", headers=auth)
            body = r.text if "pdf" not in path else "".join(
                p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages)
            shown = PETITIONER in body
            assert shown == (role == "petition_bureau" and path == f"/matter/{MATTER}"), (role, path)
        # The petitioner's name is not searchable (only ids and titles of matters are indexed).
        r = httpx.get(f"{site.url}/", params={"q": PETITIONER}, headers=auth)
        assert "没有找到 Nothing found" in r.text, role
    # One audited read of the petitioner and one of the accusation: the bureau's visit of the page.
    after = site.services.audit.query(matter_id=MATTER, limit=10_000)
    assert len(after) - before == 2 and {e["role"] for e in after[:2]} == {"petition_bureau"}


def test_matters_are_listed_by_territory_and_date(browser: object, site: Site, shots: Path) -> None:
    o = signed_in(browser, site, "investigator", shots)
    try:
        assert o.page.locator("#matters").count() == 0  # nothing listed until a territory or a date is chosen
        o.page.fill("form.browse input[name=territory]", "500103")
        o.page.fill("form.browse input[name=received_from]", "2018-01-01")
        o.page.fill("form.browse input[name=received_to]", "2018-12-31")
        o.page.click("form.browse button")
        o.page.wait_for_selector("#matters")
        rows = o.page.locator("#matters tbody tr")
        assert rows.count() >= 1 and MATTER in o.page.inner_text("#matters")
        for i in range(rows.count()):
            received = rows.nth(i).locator("td").nth(2).inner_text()
            assert "2018-01-01" <= received <= "2018-12-31"
            assert rows.nth(i).locator("td").nth(4).inner_text().startswith("500103")
        assert "渝中区" in o.page.inner_text("main")
        o.assert_offline()
    finally:
        o.context.close()


def _html(site: Site, role: str, path: str) -> str:
    r = httpx.get(f"{site.url}{path}", headers={"Authorization": f"Bearer {site.tokens[role]}", "Accept": "text/html"})
    assert r.status_code == 200, r.text[:300]
    return r.text


def test_a_cadre_record_shows_each_finding_with_its_failure_and_matter_and_the_measures_rectification(
        site: Site) -> None:
    page = _html(site, "personnel", f"/person/{CADRE}")
    assert f'href="/failure/{FAILURE}"' in page and f'href="/matter/{MATTER}"' in page
    assert "AM-0005" in page and "已整改 rectified" in page  # admonished 2018-07-20, rectified 2018-12-20
    assert "区长" in page  # the post held, with its dates
    assert 'id="person-PER-0033-findings"' in page and "Personnel provisions that apply" in page
    assert "AM-0005" not in _html(site, "investigator", f"/person/{CADRE}")  # the record is personnel's


def test_an_institutions_page_shows_its_team_and_divisions_on_the_date_chosen(site: Site) -> None:
    page = _html(site, "investigator", "/institution/I-500103-GOV?as_of=2018-03-05")
    assert "彭永康" in page and "区长" in page and "住房" in page  # a division of duties (housing)
    assert "彭永康" not in _html(site, "investigator", "/institution/I-500103-GOV?as_of=2005-01-01")


def test_the_honours_roll_lists_the_disqualified_for_a_year(site: Site) -> None:
    page = _html(site, "personnel", "/honours?year=2018&territory=500103")
    assert "重庆市渝中区人民政府" in page and "AM-0009" in page
    assert "重庆市渝中区人民政府" not in _html(site, "personnel", "/honours?year=2016&territory=500103")
