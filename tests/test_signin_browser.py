"""Signing in from a browser, in a browser: Chromium (Debian's, driven by Playwright) opens the sign-in page,
types a key, lands where it was going and asks GraphQL with its cookie and CSRF token; a page of another
local server that submits a form to the service with the cookie writes nothing."""

from __future__ import annotations

import html
import json
import os
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.utils.server import serve_in_thread
from tests.utils.signin import ENTITIES, KEYS, answer, keys, revisions, strategy_graph

CHROMIUM = Path(os.environ.get("VALUEGRAPH_CHROMIUM", "/usr/bin/chromium"))

#: a GraphQL call from the service's own page, as its pages make one: the cookie, and the CSRF token read
#: from the (readable) vg_csrf cookie into the X-CSRF-Token header
FETCH = """async ([path, body, withToken]) => {
  const csrf = document.cookie.split('; ').find(c => c.startsWith('vg_csrf='))?.split('=')[1];
  const headers = {'Content-Type': 'application/json'};
  if (withToken && csrf) headers['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {method: 'POST', credentials: 'same-origin', headers, body});
  return {status: response.status, body: await response.json()};
}"""


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the test extra installs it
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail(f"playwright is needed for `make test`: {exc}")
        pytest.skip(f"no playwright ({exc})")
    if not CHROMIUM.exists():
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail(f"Chromium is needed for `make test` at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def served():
    graph = strategy_graph()
    with serve_in_thread(graph, api_keys=keys()) as url:
        yield graph, url
    graph.close()


def sign_in(page, url: str, key: str, next_: str) -> None:
    page.goto(f"{url}/signin?next={next_}")
    page.fill("[data-testid=api-key]", key)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_a_browser_signs_in_and_asks_graphql(browser, served):
    _, url = served
    context = browser.new_context()
    page = context.new_page()
    # without a session: nothing, neither a page nor GraphQL
    assert page.goto(url + "/healthz").status == 401
    refused = page.evaluate(FETCH, ["/graphql", json.dumps({"query": ENTITIES}), True])
    assert refused["status"] == 401 and "data" not in refused["body"]
    # the sign-in page: a wrong key is the page again with the error, and no cookie
    sign_in(page, url, "not-a-key", "/healthz")
    assert page.url.startswith(url + "/signin") or page.url == url + "/signin"
    assert "not known" in page.locator("[role=alert]").inner_text() and context.cookies() == []
    # the field is found by its label, as assistive technology finds it
    assert page.get_by_label("API key").get_attribute("data-testid") == "api-key"
    assert page.title().startswith("Sign in")
    # the right one lands on next
    page.fill("[data-testid=api-key]", KEYS["reader"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == url + "/healthz"
    assert json.loads(page.locator("body").inner_text()) == {"status": "ok"}
    # GraphQL from the page, with the cookie and the CSRF token: the service's own answer
    got = page.evaluate(FETCH, ["/graphql", json.dumps({"query": ENTITIES}), True])
    assert got["status"] == 200 and got["body"] == answer(url, "reader")
    assert got["body"]["data"]["entities"]["totalCount"] > 0
    # without the token the same call is refused
    got = page.evaluate(FETCH, ["/graphql", json.dumps({"query": ENTITIES}), False])
    assert got["status"] == 403 and got["body"]["code"] == "CSRF_TOKEN_MISSING"
    context.close()


def test_the_cookies_are_httponly_and_samesite_strict(browser, served):
    _, url = served
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, KEYS["reader"], "/healthz")
    cookies = {c["name"]: c for c in context.cookies()}
    assert set(cookies) == {"vg_session", "vg_csrf"}
    assert cookies["vg_session"]["httpOnly"] and not cookies["vg_csrf"]["httpOnly"]
    assert cookies["vg_session"]["sameSite"] == cookies["vg_csrf"]["sameSite"] == "Strict"
    assert cookies["vg_session"]["path"] == cookies["vg_csrf"]["path"] == "/"
    assert KEYS["reader"] not in cookies["vg_session"]["value"]
    # the page's scripts see the CSRF token but not the session
    visible = page.evaluate("document.cookie")
    assert "vg_csrf=" in visible and "vg_session" not in visible
    # signing out (with the token, as a page does) clears both
    assert page.evaluate("""async () => {
        const csrf = document.cookie.split('; ').find(c => c.startsWith('vg_csrf=')).split('=')[1];
        return (await fetch('/signout', {method: 'POST', headers: {'X-CSRF-Token': csrf}})).status }""") == 204
    assert context.cookies() == []
    assert page.goto(url + "/healthz").status == 401
    context.close()


#: what the other site's pages submit: an exchange document to REST sync, as a text/plain form whose one
#: field spells JSON (refused for its content type too: see the test without keys below), and a GraphQL
#: mutation the same way (which strawberry refuses for its content type)
ATTACKS = {
    "sync": """<form method="post" action="{url}/api/v1/sync/x" enctype="text/plain">
<input type="hidden" name='{{"entities": [{{"id": "PRJ-EVIL", "kind": "Project", "name": "Evil", "x": "' value='"}}]}}'>
</form>""",
    "graphql": """<form method="post" action="{url}/graphql" enctype="text/plain">
<input type="hidden" name='{{"query": "mutation {{ sync(source: \\"x\\", document: {{entities: [{{id: \\"PRJ-EVIL\\", kind: \\"Project\\", name: \\"Evil\\"}}]}}) {{ created }} }}", "pad": "' value='"}}'>
</form>""",
}


@contextmanager
def other_site(url: str):
    """Another local server (another port: another origin of the same site, so the browser sends the
    SameSite=Strict cookie along) whose pages submit a form to the service as soon as they load."""

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            form = ATTACKS.get(self.path.strip("/").removesuffix(".html"))
            if form is None:
                self.send_error(404)
                return
            body = (f"<!doctype html><html><body>{form.format(url=html.escape(url))}"
                    "<script>document.forms[0].submit()</script></body></html>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_form_from_another_site_cannot_write_with_the_cookie(browser, served, attack):
    graph, url = served
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, KEYS["writer"], "/healthz")  # a key that may sync
    before, entities = revisions(graph), answer(url, "writer")
    with other_site(url) as evil:
        with page.expect_navigation(url=lambda u: u.startswith(url)):
            page.goto(f"{evil}/{attack}.html")
        # the cookie went along (the answer is not 401) but the CSRF token could not
        refusal = json.loads(page.locator("body").inner_text())
        assert refusal["code"] == "CSRF_TOKEN_MISSING"
    assert revisions(graph) == before and answer(url, "writer") == entities
    assert "PRJ-EVIL" not in json.dumps(answer(url, "writer"))
    # the same session writes from the service's own page, with the token: it is only the token that was missing
    page.goto(url + "/healthz")
    doc = {"entities": [{"id": "PRJ-OWN", "kind": "Project", "name": "Written from the service's page"}]}
    got = page.evaluate(FETCH, ["/api/v1/sync/x", json.dumps(doc), True])
    assert got["status"] == 200 and got["body"]["created"] == 1
    assert revisions(graph) == before + 1 and "PRJ-OWN" in json.dumps(answer(url, "writer"))
    context.close()


def test_the_sync_attack_is_refused_where_no_session_guards_it(browser):
    """Against a development server (no keys, so no cookie or token is needed) the other site's sync form
    is refused for its content type: a form sends text/plain, and a sync must be application/json."""
    graph = strategy_graph()
    with serve_in_thread(graph) as url, other_site(url) as evil:
        context = browser.new_context()
        page = context.new_page()
        before = revisions(graph)
        with page.expect_navigation(url=lambda u: u.startswith(url)):
            page.goto(f"{evil}/sync.html")
        assert json.loads(page.locator("body").inner_text())["code"] == "UNSUPPORTED_MEDIA_TYPE"
        assert revisions(graph) == before
        context.close()
        context.close()
    graph.close()
