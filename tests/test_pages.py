"""The executive pages and the offline GraphiQL in a real browser (Debian's chromium through Playwright), served by
a real app over the sample portfolio plus entities with awkward ids. Every answer shown is compared with the API's
own; no request may leave the machine and the console must stay free of errors."""

from __future__ import annotations

import ipaddress
import re
import socket
import shutil
from urllib.parse import quote

import pytest

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from tests.utils.browser import axe_violations, browser, graphql, open_page, page_of
from tests.utils.factories import E, R, load
from tests.utils.server import serve_in_thread

#: ids with a space, a slash and letters beyond ASCII
ODD_OBJECTIVE = "OBJ Ünïcode/2026"
ODD_PROJECT = "PRJ a/b ø"
ODD_DELIVERABLE = "DEL 東京/1"


@pytest.fixture(scope="module")
def site(sample_store_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "store"
    shutil.copytree(sample_store_path, path)
    graph = ValueGraph(open_store(f"oxigraph:{path}"))
    load(graph, [E(ODD_OBJECTIVE, "Objective", "Åland wind/solar partnership"),
                 E(ODD_PROJECT, "Project", "Søren's turbine survey", budget=123456.5, health="green"),
                 E(ODD_DELIVERABLE, "Deliverable", "Survey report 東京")],
         [R(ODD_PROJECT, "DELIVERS", ODD_DELIVERABLE), R(ODD_DELIVERABLE, "CONTRIBUTES_TO", ODD_OBJECTIVE),
          R(ODD_PROJECT, "PART_OF", "PG-CX")], source="partnerships")
    with serve_in_thread(graph) as url:
        yield url
    graph.close()


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture
def page(chromium):
    with page_of(chromium) as (p, watch):
        yield p
        watch.assert_clean()


def linked_ids(page, selector: str) -> list[str]:
    """The entity ids an element's links point to (decoded from /entity/{id})."""
    hrefs = page.eval_on_selector_all(f"{selector} a[href^='/entity/']", "as => as.map(a => a.getAttribute('href'))")
    return [page.evaluate("h => decodeURIComponent(h.slice('/entity/'.length))", h) for h in hrefs]


def delivery_fields(url: str) -> set[str]:
    """The roll-up fields this server's DeliverySummary has (RAG and others arrive in a later version)."""
    found = graphql(url, '{ __type(name: "DeliverySummary") { fields { name } } }')["__type"]["fields"]
    return {f["name"] for f in found}


def fmt_percent(page, share: float) -> str:
    return page.evaluate("s => new Intl.NumberFormat(undefined, {style: 'percent', maximumFractionDigits: 1})"
                         ".format(s)",
                         share)


def test_graphiql_is_served_from_the_package_and_runs_a_query(site, page):
    page.goto(f"{site}/graphql")
    page.wait_for_selector(".graphiql-container", timeout=30_000)
    # it opens on the README's executive questions, not the stock welcome text
    editor = page.inner_text(".graphiql-query-editor")
    assert "whatDelivers" in editor and "Welcome to GraphiQL" not in editor
    page.click(".graphiql-execute-button")
    page.wait_for_function("() => document.querySelector('.result-window')?.innerText.includes('totalCount')",
                           timeout=30_000)
    expected = graphql(site, '{ whatDelivers(target: "OBJ-1", first: 3) { totalCount } }')["whatDelivers"]["totalCount"]
    assert re.search(rf'"totalCount":\s*{expected}\b', page.inner_text(".result-window"))


def test_portfolio_page_shows_the_services_answers(site, page):
    open_page(page, f"{site}/")
    report = graphql(site, "{ alignment { alignedBudgetShare orphans { id } unsupported { id } } }")["alignment"]
    share = page.inner_text("[data-testid=alignment-share] .big")
    assert share == fmt_percent(page, report["alignedBudgetShare"])
    assert linked_ids(page, "[data-testid=orphans]") == [o["id"] for o in report["orphans"]]
    assert linked_ids(page, "[data-testid=unsupported]") == [u["id"] for u in report["unsupported"]]
    # the trend runs from the history's start to now, ending on today's share
    trend = page.get_attribute("[data-testid=alignment-share] svg.sparkline", "aria-label")
    assert trend.endswith(f"to {fmt_percent(page, report['alignedBudgetShare'])}"), trend
    objectives = graphql(site, "{ entities(kind: OBJECTIVE, first: 500) { edges { node { id } } } }"
                         )["entities"]["edges"]
    assert linked_ids(page, "[data-testid=objectives]") == [e["node"]["id"] for e in objectives]
    # each objective's RAG, where the server has the roll-up (the page shows "–" where it has not)
    rags = page.eval_on_selector_all("[data-testid=objectives] tbody tr td:nth-child(2)",
                                     "cs => cs.map(c => c.innerText)")
    if "rag" in delivery_fields(site):
        expected = graphql(site, "{ entities(kind: OBJECTIVE, first: 500) { edges { node { "
                                 "... on Objective { delivery { rag } } } } } }")["entities"]["edges"]
        assert [r.upper() for r in rags] == [e["node"]["delivery"]["rag"] for e in expected]
    else:
        assert set(rags) == {"–"}


@pytest.mark.parametrize("fragment, entity_id", [("app relaun", "PRJ-07"), ("wind/sol", ODD_OBJECTIVE),
                                                  ("turbine", ODD_PROJECT)])
def test_search_finds_an_entity_by_part_of_its_name(site, page, fragment, entity_id):
    open_page(page, f"{site}/")
    name = graphql(site, "query($id: ID!) { entity(id: $id) { name } }", {"id": entity_id})["entity"]["name"]
    assert fragment.lower() in name.lower()
    page.fill("[data-testid=search]", fragment)
    page.wait_for_selector("#search-results a")
    assert entity_id in linked_ids(page, "#search-results")
    page.click(f"#search-results a[href='/entity/{quote(entity_id, safe='')}']")
    page.wait_for_selector("main[data-ready]")
    assert page.inner_text("h1") == name


def test_search_finds_an_entity_by_its_id(site, page):
    open_page(page, f"{site}/")
    page.fill("[data-testid=search]", ODD_DELIVERABLE)
    page.wait_for_selector("#search-results a")
    assert linked_ids(page, "#search-results")[0] == ODD_DELIVERABLE


def trace_node_ids(paths: list[dict]) -> set[str]:
    return {n["id"] for p in paths for n in p["nodes"]}


def assert_drawn(page, expected_nodes: int) -> None:
    page.wait_for_selector("[data-testid=trace][data-drawn=true]")
    assert page.evaluate("() => document.querySelector('[data-testid=trace]').cy.nodes().length") == expected_nodes
    # something is painted: a canvas of the drawing has pixels that are not blank
    painted = page.evaluate("""() => [...document.querySelectorAll('[data-testid=trace] canvas')].some(c => {
        if (!c.width || !c.height) return false;
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false; })""")
    assert painted


@pytest.mark.parametrize("objective", ["OBJ-1", "OBJ-2", ODD_OBJECTIVE])
def test_objective_page_lists_and_draws_what_delivers_it(site, page, objective):
    open_page(page, f"{site}/entity/{quote(objective, safe='')}")
    data = graphql(site, """query($id: ID!) {
        entity(id: $id) { name ... on Objective { delivery { projects } } }
        whatDelivers(target: $id, first: 300) {
            totalCount edges { node { item { id } paths(limit: 1) { nodes { id } } } } }
    }""", {"id": objective})
    assert page.inner_text("h1") == data["entity"]["name"]
    delivered = data["whatDelivers"]
    shown = page.eval_on_selector_all(
        "[data-testid=deliverers] tbody tr",
        "rows => rows.map(r => decodeURIComponent(r.querySelector('a').getAttribute('href').slice(8)))")
    assert shown == [e["node"]["item"]["id"] for e in delivered["edges"]][:50]
    assert_drawn(page, len(trace_node_ids([e["node"]["paths"][0] for e in delivered["edges"]])))
    assert page.get_attribute(".trace-figure", "data-summarised") == "false"


@pytest.mark.parametrize("project", ["PRJ-07", "PRJ-03", "PG-CX", ODD_PROJECT])
def test_project_page_says_why_it_exists_and_what_a_slip_breaks(site, page, project):
    open_page(page, f"{site}/entity/{quote(project, safe='')}")
    data = graphql(site, """query($id: ID!) {
        entity(id: $id) { name }
        whyExists(item: $id) { target { id } paths(limit: 1) { nodes { id } } }
        impact(item: $id) { dependents { id } affected { id } }
    }""", {"id": project})
    assert page.inner_text("h1") == data["entity"]["name"]
    assert linked_ids(page, "[data-testid=why]") == [c["target"]["id"] for c in data["whyExists"]]
    assert linked_ids(page, "[data-testid=impact]") == (
        [e["id"] for e in data["impact"]["dependents"]] + [e["id"] for e in data["impact"]["affected"]])
    if data["whyExists"]:
        assert_drawn(page, len(trace_node_ids([c["paths"][0] for c in data["whyExists"]])))


@pytest.mark.parametrize("entity_id", [ODD_DELIVERABLE, "KR-5", "Omar Haddad"])
def test_every_kind_shows_its_properties_with_sources_and_its_relations(site, page, entity_id):
    found = graphql(site, "query($id: ID!) { entity(id: $id) { id } }", {"id": entity_id})["entity"]
    if found is None:  # a person is known by id, not name
        entity_id = graphql(site, '{ entities(kind: PERSON, search: "Omar", first: 1) { edges { node { id } } } }'
                            )["entities"]["edges"][0]["node"]["id"]
    data = graphql(site, """query($id: ID!) { entity(id: $id) { name sources properties
        out: relations(direction: OUT) { to { id } } in: relations(direction: IN) { from { id } } } }""",
                   {"id": entity_id})
    entity = data["entity"]
    open_page(page, f"{site}/entity/{quote(entity_id, safe='')}")
    assert page.inner_text("h1") == entity["name"]
    rows = page.eval_on_selector_all("[data-testid=properties] tbody tr",
                                     "rows => rows.map(r => [...r.cells].map(c => c.innerText))")
    assert sorted(r[0] for r in rows) == sorted(entity["properties"])
    assert all(r[2] in entity["sources"] or set(r[2].split(", ")) == set(entity["sources"]) for r in rows)
    assert linked_ids(page, "[data-testid=relations]") == (
        [r["to"]["id"] for r in entity["out"]] + [r["from"]["id"] for r in entity["in"]])


def test_a_value_the_sources_disagree_on_is_marked_with_every_sources_value(site, page):
    """The sample's two sources give P-fatima different titles: the page marks the answered title as disputed,
    and the mark opens onto each source's value, as the API lists them (the answered one first)."""
    disputes = graphql(site, '{ entity(id: "P-fatima") { properties disputes { property values { source value } } } }'
                       )["entity"]
    assert [d["property"] for d in disputes["disputes"]] == ["title"]
    open_page(page, f"{site}/entity/P-fatima")
    page.wait_for_selector("[data-testid=properties]")
    marked = page.eval_on_selector_all(
        "[data-testid=properties] tbody tr", "rows => rows.filter(r => r.querySelector('[data-testid=disputed]'))"
        ".map(r => [r.cells[0].innerText, r.cells[2].innerText])")
    values = disputes["disputes"][0]["values"]
    assert marked == [["title", values[0]["source"]]]
    badge = page.locator("[data-testid=disputed] summary")
    assert "disputed" in badge.get_attribute("aria-label") and badge.inner_text() == "disputed"
    badge.click()  # a details element: opened by click or keyboard, read by screen readers
    listed = page.eval_on_selector_all("[data-testid=disputed] li", "lis => lis.map(li => li.innerText)")
    assert listed == [f"{values[0]['value']} ({values[0]['source']}, answered)"] + [
        f"{v['value']} ({v['source']})" for v in values[1:]]
    assert disputes["properties"]["title"] == values[0]["value"]


def test_an_unknown_id_says_so(site, page):
    open_page(page, f"{site}/entity/{quote('NO SUCH/ID', safe='')}")
    assert page.inner_text("h1") == "Not found"


def test_changes_and_alignment_pages(site, page):
    open_page(page, f"{site}/changes")
    revisions = graphql(site, "{ revisions(first: 20) { edges { node { number } } } }")["revisions"]["edges"]
    cells = page.eval_on_selector_all("[data-testid=revisions] tbody tr td:first-child",
                                      "cs => cs.map(c => c.innerText)")
    assert cells == [f"#{r['node']['number']}" for r in revisions]
    open_page(page, f"{site}/alignment")
    report = graphql(site, "{ alignment { alignedBudgetShare orphans { id } } }")["alignment"]
    assert page.inner_text("[data-testid=alignment-share] .big") == fmt_percent(page, report["alignedBudgetShare"])
    page.emulate_media(media="print")
    assert page.evaluate("() => getComputedStyle(document.querySelector('header.top')).display") == "none"
    assert page.pdf()[:4] == b"%PDF"


def test_the_trace_downloads_as_svg_and_png(site, page):
    open_page(page, f"{site}/entity/OBJ-2")
    page.wait_for_selector("[data-testid=trace][data-drawn=true]")
    for kind, magic in (("SVG", b"<?xml"), ("PNG", b"\x89PNG")):
        with page.expect_download() as info:
            page.click(f"text=Download {kind}")
        content = open(info.value.path(), "rb").read()
        assert content.startswith(magic) or (kind == "SVG" and b"<svg" in content[:500]), content[:80]


@pytest.mark.parametrize("path", ["/", "/entity/OBJ-2", "/entity/PRJ-07", f"/entity/{quote(ODD_DELIVERABLE, safe='')}",
                                  "/entity/P-fatima", "/changes", "/alignment"])
def test_no_serious_accessibility_violations(site, page, path):
    open_page(page, f"{site}{path}")
    assert axe_violations(page) == []


def test_the_accessibility_check_finds_a_violation(site, page):
    """axe runs for real: an image without a text alternative on the page is reported."""
    open_page(page, f"{site}/")
    page.evaluate("() => document.querySelector('main').append(Object.assign(document.createElement('img'), "
                  "{src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw='}))")
    assert "image-alt" in [v["id"] for v in axe_violations(page)]


@pytest.fixture(scope="module")
def keyed_site(sample_store_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages-keyed") / "store"
    shutil.copytree(sample_store_path, path)
    graph = ValueGraph(open_store(f"oxigraph:{path}"))
    with serve_in_thread(graph, api_keys=[ApiKeyConfig(name="reader", hash=hash_key("reader-key-000000000001"),
                                                       scopes=["read"])]) as url:
        yield url
    graph.close()


@pytest.mark.parametrize("path", ["/", f"/entity/{quote(ODD_PROJECT, safe='')}?tab=why"])
def test_without_a_session_a_page_goes_to_sign_in_and_back(chromium, keyed_site, path):
    with page_of(chromium) as (page, watch):
        page.goto(keyed_site + path)
        page.wait_for_url(re.compile(r"/signin\?next="))
        assert page.evaluate("() => new URLSearchParams(location.search).get('next')") == path
        assert watch.blocked == []


def test_the_pages_and_graphiql_send_the_session_cookie_and_its_csrf_token(chromium, site):
    with page_of(chromium) as (page, watch):
        page.context.add_cookies([{"name": "vg_csrf", "value": "tok-123_abc", "url": site}])
        sent = []
        page.on("request", lambda r: sent.append(r) if r.url.endswith("/graphql") and r.method == "POST" else None)
        open_page(page, f"{site}/entity/OBJ-2")
        page.goto(f"{site}/graphql")
        page.wait_for_selector(".graphiql-container")
        page.click(".graphiql-execute-button")
        page.wait_for_function("() => document.querySelector('.result-window')?.innerText.includes('data')")
        assert len(sent) > 3
        for request in sent:
            headers = request.all_headers()
            assert headers["x-csrf-token"] == "tok-123_abc" and "vg_csrf=" in headers["cookie"], headers
        watch.assert_clean()


def test_swagger_ui_renders_from_the_package(site, page):
    page.goto(f"{site}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 3


def test_the_browser_reaches_nothing_off_this_machine_and_each_attempt_is_recorded(chromium, site):
    # a listener on this machine's own non-loopback address stands for any host off it: it must hear nothing
    address = socket.gethostbyname(socket.gethostname())
    if ipaddress.ip_address(address).is_loopback:
        address = _routable_address()
    with socket.socket() as listener:
        listener.bind((address, 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        with page_of(chromium) as (page, watch):
            open_page(page, f"{site}/")
            outcomes = page.evaluate("""async urls => Promise.all(urls.map(url =>
                fetch(url, {mode: 'no-cors'}).then(() => 'answered', () => 'failed')))""",
                                     [f"http://{address}:{port}/x", "http://example.com/y"])
            assert outcomes == ["failed", "failed"]
            assert watch.blocked == [f"http://{address}:{port}/x", "http://example.com/y"]
        with pytest.raises(TimeoutError):
            listener.accept()


def _routable_address() -> str:
    """This machine's address on its default route (no packet is sent: a UDP socket only picks its source)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        return probe.getsockname()[0]
