"""An objective delivered by more than a thousand projects: its page draws a summary grouped by programme, and its
first screen comes within twice the time its GraphQL query takes from the same browser, counted from the navigation's
start."""

from __future__ import annotations

import pytest

from valuegraph.graph import ValueGraph, open_store
from tests.utils.browser import browser, graphql, open_page, page_of
from tests.utils.factories import E, R, load
from tests.utils.server import serve_process

PROGRAMMES = 11
PER_PROGRAMME = 100
OUTSIDE = 150  # delivering through a deliverable of their own, in no programme


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    store = f"oxigraph:{tmp_path_factory.mktemp('large') / 'store'}"
    graph = ValueGraph(open_store(store))
    entities = [E("OBJ-BIG", "Objective", "Double renewable generation")]
    relations = []
    for p in range(PROGRAMMES):
        entities.append(E(f"PG-{p}", "Programme", f"Programme {p}"))
        relations.append(R(f"PG-{p}", "CONTRIBUTES_TO", "OBJ-BIG"))
        for i in range(PER_PROGRAMME):
            project = f"PRJ-{p}-{i}"
            entities.append(E(project, "Project", f"Project {p}.{i}", budget=1000.0 * (i + 1), health="green"))
            relations.append(R(project, "PART_OF", f"PG-{p}"))
    for i in range(OUTSIDE):
        entities += [E(f"PRJ-X-{i}", "Project", f"Standalone project {i}"),
                     E(f"DEL-X-{i}", "Deliverable", f"Deliverable {i}")]
        relations += [R(f"PRJ-X-{i}", "DELIVERS", f"DEL-X-{i}"), R(f"DEL-X-{i}", "CONTRIBUTES_TO", "OBJ-BIG")]
    load(graph, entities, relations, source="generated")
    graph.close()
    with serve_process(store) as url:  # `valuegraph serve`, as executives' browsers meet it
        yield url


def test_a_target_with_over_a_thousand_deliverers_is_drawn_grouped_by_programme(large):
    counts = graphql(large, """{ projects: whatDelivers(target: "OBJ-BIG", kinds: [PROJECT], first: 1) { totalCount }
        programmes: whatDelivers(target: "OBJ-BIG", kinds: [PROGRAMME], first: 500) { totalCount } }""")
    assert counts["projects"]["totalCount"] > 1000
    with browser() as chromium, page_of(chromium) as (page, watch):
        open_page(page, f"{large}/entity/OBJ-BIG", timeout=120_000)
        page.wait_for_selector("[data-testid=trace][data-drawn=true]")
        assert page.get_attribute(".trace-figure", "data-summarised") == "true"
        # the target, one node per delivering programme and one for the projects in none of them
        nodes = page.evaluate("() => document.querySelector('[data-testid=trace]').cy.nodes().length")
        assert nodes == 1 + counts["programmes"]["totalCount"] + 1
        labels = page.evaluate(
            "() => document.querySelector('[data-testid=trace]').cy.nodes().map(n => n.data('label'))")
        assert any(str(OUTSIDE) in label and "outside" in label for label in labels)
        # the list shows the closest deliverers and says how many there are
        assert len(page.query_selector_all("[data-testid=deliverers] tbody tr")) == 50
        # and walks on, closest first, as the API pages them
        page.click("[data-testid=deliverers] button.more")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=deliverers] tbody tr').length === 100")
        closest = graphql(large, '{ whatDelivers(target: "OBJ-BIG", first: 100) { edges { node { item { id } } } } }')
        shown = page.eval_on_selector_all(
            "[data-testid=deliverers] tbody tr",
            "rows => rows.map(r => decodeURIComponent(r.querySelector('a').getAttribute('href').slice(8)))")
        assert shown == [e["node"]["item"]["id"] for e in closest["whatDelivers"]["edges"]]
        # the first screen (title, roll-ups and the closest deliverers painted; the drawing comes after), from the
        # navigation's start (what a reader waits: the HTML, the scripts and the query), against that same load's
        # GraphQL query (sent to its answer, as the browser timed it): both under the same conditions, on a server
        # that has answered the page once. The best of five loads against the best of five queries.
        screens, queries = [], []
        for _ in range(5):
            page.reload()
            page.wait_for_selector("main[data-ready=true]")
            screens.append(page.evaluate("() => performance.getEntriesByName('vg-first-screen')[0].startTime"))
            # the query the HTML started is the one the page read: asked once, then the details
            asked = page.evaluate("""() => performance.getEntriesByType('resource')
                                           .filter(r => r.name.endsWith('/graphql'))
                                           .map(r => [r.startTime, r.responseEnd])""")
            assert len(asked) == 2
            queries.append(asked[0][1] - asked[0][0])
        # the same query fetched alone afterwards, shown for comparison (a quiet repeat: often faster than in a load)
        alone = [page.evaluate("""async () => {
            const started = performance.now();
            const response = await fetch('/graphql', {method: 'POST', headers: {'content-type': 'application/json'},
                                                      body: JSON.stringify(window.vgFirstQuery)});
            await response.json();
            return performance.now() - started; }""") for _ in range(5)]
        print(f"first screen {[round(ms) for ms in screens]} ms from navigation start, its query "  # pytest -s
              f"{[round(ms) for ms in queries]} ms: {min(screens) / min(queries):.2f}x; the query alone "
              f"{[round(ms) for ms in alone]} ms: {min(screens) / min(alone):.2f}x")
        assert min(screens) <= 2 * min(queries), (screens, queries)
        watch.assert_clean()
