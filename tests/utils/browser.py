"""A real browser for the pages' tests: Playwright driving Debian's chromium (never a downloaded browser), with
every request off this machine blocked and recorded, and the console's errors collected.

Requests off this machine are blocked by the browser itself, not by intercepting each request in this process:
everything but loopback goes to a proxy at a port where nothing listens, and no host name resolves. Intercepting
would send every request of the page through Playwright and this process (where the server under test runs
too), which costs pages time no reader's browser spends."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
#: axe-core from the web project's node_modules (`npm ci --prefix web`; `make test` runs it)
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


def chromium_path() -> str:
    """Debian's chromium; a test is skipped without one only outside `make test` (VALUEGRAPH_STRICT_TESTS)."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail("chromium is required for `make test` (apt-get install -y chromium)")
        pytest.skip("no chromium (apt-get install -y chromium); `make test` installs it")
    return path


#: chromium's own rules for a machine with no network: loopback is never proxied, everything else goes to a
#: proxy on the discard port (nothing listens there), and no name resolves but localhost and 127.0.0.1
OFFLINE = ["--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]


def local(url: str) -> bool:
    return urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:"))


@dataclass
class Watch:
    """What a page did that it must not: requests off this machine, console errors, uncaught exceptions."""
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests off this machine: {self.blocked}"
        assert self.errors == [], f"console errors: {self.errors}"


@contextmanager
def browser():
    executable = chromium_path()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=["--no-sandbox", *OFFLINE])
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def page_of(chromium, watch: Watch | None = None):
    """A fresh page whose requests go only to 127.0.0.1."""
    watch = watch if watch is not None else Watch()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.on("request", lambda r: None if local(r.url) else watch.blocked.append(r.url))
    page = context.new_page()
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    try:
        yield page, watch
    finally:
        context.close()


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    """The API's own answer (what a page must show)."""
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def open_page(page, url: str, timeout: float = 30_000) -> None:
    """Goes to ``url`` and waits until the page's script has rendered its data."""
    page.goto(url)
    page.wait_for_selector("main[data-ready]", timeout=timeout)
    assert page.get_attribute("main", "data-ready") == "true", page.inner_text("main")


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page (axe injected from local files, not a CDN)."""
    if not AXE.exists():
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail(f"{AXE} is missing: npm ci --prefix web")
        pytest.skip("axe-core is not installed (npm ci --prefix web)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations"
                           ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [v for v in result if v["impact"] in ("serious", "critical")]
