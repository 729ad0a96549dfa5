"""The pages and GraphiQL over HTTP: shells without data and public, queries authenticated, every asset the shells
name shipped in the package, the committed build made from the committed sources, nothing loaded from elsewhere."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from urllib.parse import parse_qs, urlsplit
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from valuegraph.api import pages
from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from tests.utils.server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
STATIC = Path(pages.__file__).parent / "static"
KEY = "reader-key-0000000000001"
HTML = {"accept": "text/html,application/xhtml+xml"}
SHELLS = ["/", "/entity/OBJ-1", "/entity/a%2Fb%20%C3%BC", "/changes", "/alignment", "/graphql"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def referenced(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    # Swagger UI's page names its files in its script too
    return parser.urls + re.findall(r"'(/static/[^']+)'", html) + re.findall(r'"(/static/[^"]+)"', html)


@pytest.fixture(scope="module")
def keyed(sample_store_path, tmp_path_factory):
    """The sample portfolio served with API keys configured."""
    path = tmp_path_factory.mktemp("keyed") / "store"
    shutil.copytree(sample_store_path, path)
    graph = ValueGraph(open_store(f"oxigraph:{path}"))
    with serve_in_thread(graph, api_keys=[ApiKeyConfig(name="reader", hash=hash_key(KEY), scopes=["read"])]) as url:
        yield url
    graph.close()


def test_the_api_docs_ask_a_browser_to_sign_in(keyed):
    response = httpx.get(keyed + "/docs", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/docs"


@pytest.mark.parametrize("path", [*SHELLS, "/docs"])
def test_a_page_is_public_holds_no_data_and_loads_only_local_files(keyed, path):
    # the API docs describe the API, and are shown like it: to a caller with a key (see tests/test_openapi.py)
    key = {"Authorization": f"Bearer {KEY}"} if path == "/docs" else {}
    response = httpx.get(keyed + path, headers={**HTML, **key})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    urls = referenced(response.text)
    assert urls, "the page names its script"
    for url in urls:
        assert url.startswith(("/", "data:")), f"{path} loads {url} from elsewhere"
        if url.startswith("/static/"):
            asset = httpx.get(keyed + url)
            assert asset.status_code == 200 and len(asset.content) > 100, url
            name = urlsplit(url).path.removeprefix("/static/")
            assert (STATIC / name).is_file(), f"{url} is not a file of the package"
            # named with its digest: a browser keeps it (a new build names new URLs)
            assert asset.headers["cache-control"] == pages.IMMUTABLE, url
            assert parse_qs(urlsplit(url).query)["v"] == [sha256(STATIC / name)[:16]], url
    # no data: not one name of the sample portfolio is in a shell
    assert "Halve customer complaints" not in response.text and "Customer app relaunch" not in response.text


def test_only_files_named_by_their_content_are_kept_by_browsers(keyed):
    """A shell and a file asked without its digest are checked with the server each time (a 304 when unchanged):
    after a new build a browser gets the new files, never a mix of old and new."""
    shell = httpx.get(keyed + "/entity/OBJ-1", headers=HTML)
    assert shell.headers["cache-control"] == "no-cache"
    for asked in ["/static/pages.js", "/static/pages.js?v=0000000000000000"]:
        response = httpx.get(keyed + asked)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-cache", asked
        again = httpx.get(keyed + asked, headers={"if-none-match": response.headers["etag"]})
        assert again.status_code == 304, asked
    # the drawing, which the pages' script imports by its hashed name
    stamp = json.loads((STATIC / "build.json").read_text(encoding="utf-8"))
    assert stamp["hashed"] and all(name in stamp["outputs"] for name in stamp["hashed"])
    for name in stamp["hashed"]:
        assert f'"./{name}"' in (STATIC / "pages.js").read_text(encoding="utf-8")
        assert httpx.get(f"{keyed}/static/{name}").headers["cache-control"] == pages.IMMUTABLE


def test_the_entity_page_starts_its_first_query_before_its_scripts_load(keyed):
    """The built first-query.js is inlined ahead of the stylesheet and the page's script; the other pages have no
    inline script."""
    html = httpx.get(keyed + "/entity/OBJ-1", headers=HTML).text
    inline = (STATIC / "first-query.js").read_text(encoding="utf-8").strip()
    assert f"<script>{inline}</script>" in html
    assert html.index(inline) < html.index('rel="stylesheet"') < html.index('type="module"')
    assert "<script>" not in httpx.get(keyed + "/", headers=HTML).text


def test_graphql_queries_still_need_a_key(keyed):
    query = {"query": "{ currentRevision }"}
    assert httpx.post(keyed + "/graphql", json=query).status_code == 401
    assert httpx.get(keyed + "/graphql", params=query, headers=HTML).status_code == 401
    assert httpx.get(keyed + "/graphql", params=query).status_code == 401
    # a GET without a query and without HTML in Accept is the GraphQL router's, keyed too
    assert httpx.get(keyed + "/graphql").status_code == 401
    auth = {"Authorization": f"Bearer {KEY}"}
    assert httpx.post(keyed + "/graphql", json=query, headers=auth).json()["data"]["currentRevision"] > 0
    got = httpx.get(keyed + "/graphql", params=query, headers={**auth, **HTML})
    assert got.status_code == 200 and got.json()["data"]["currentRevision"] > 0


def test_redoc_is_off_and_the_openapi_document_is_served(keyed):
    assert httpx.get(keyed + "/redoc").status_code == 404
    assert httpx.get(keyed + "/openapi.json").status_code == 401  # keys are configured
    answer = httpx.get(keyed + "/openapi.json", headers={"Authorization": f"Bearer {KEY}"})
    assert answer.json()["info"]["title"] == "valuegraph"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_committed_build_is_made_from_the_committed_sources():
    stamp = json.loads((STATIC / "build.json").read_text(encoding="utf-8"))
    sources = {str(p.relative_to(ROOT)) for p in (ROOT / "web").glob("*.json") if p.name.startswith("package")}
    sources |= {"web/build.mjs"} | {str(p.relative_to(ROOT)) for p in (ROOT / "web" / "src").iterdir()}
    assert set(stamp["sources"]) == sources, "run `make web`"
    for name, digest in stamp["sources"].items():
        assert sha256(ROOT / name) == digest, f"{name} changed since the build: run `make web`"
    assert set(stamp["outputs"]) == {p.name for p in STATIC.iterdir()} - {"build.json"}
    for name, digest in stamp["outputs"].items():
        assert sha256(STATIC / name) == digest, f"api/static/{name} is not what the build made: run `make web`"


def test_graphiql_opens_on_the_readmes_executive_questions():
    """The build reads them from README.md; the bundled copy must be the README's current text."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Questions an executive can paste into GraphiQL"):]
    section = section[:section.index("\n### ")]
    expected = [{"title": t.strip(), "query": f"# {t.strip()}\n{q}"}
                for t, q in re.findall(r"^#### ([^\n]+)\n+```graphql\n(.*?)```", section, re.M | re.S)]
    assert expected
    assert json.loads((ROOT / "web" / "src" / "examples.json").read_text(encoding="utf-8")) == expected
