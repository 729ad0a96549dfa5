"""The executive pages and the offline GraphiQL: HTML shells and the static assets built from web/.

The shells hold no data (every figure is fetched by the page's script from the GraphQL API), so they
are served without an API key; the GraphQL queries they make are authenticated as any other.
Nothing is fetched from outside the server: the scripts and styles are files of this package
(``api/static/``, built by ``make web`` and committed).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

STATIC = Path(__file__).resolve().parent / "static"

#: The pages: path, page name (read by pages.js) and title.
PAGES = {
    "portfolio": "Portfolio at a glance",
    "entity": "Entity",
    "changes": "What changed",
    "alignment": "Strategic alignment",
}

#: How long a browser keeps a file whose URL names its content: a year (a new build names new URLs).
IMMUTABLE = "public, max-age=31536000, immutable"


class Build:
    """What ``make web`` built (api/static/build.json): each file's digest, and the files named by their content
    (the drawing, which the pages' script imports by that name)."""

    def __init__(self, stamp: dict) -> None:
        self.digests: dict[str, str] = stamp["outputs"]
        self.hashed: set[str] = set(stamp.get("hashed", []))

    @classmethod
    def read(cls, folder: Path = STATIC) -> Build:
        return cls(json.loads((folder / "build.json").read_text(encoding="utf-8")))

    def version(self, name: str) -> str:
        return self.digests[name][:16]

    def url(self, name: str) -> str:
        """The file's URL naming its digest: a browser may keep it as long as it likes (a new build, a new URL)."""
        return f"/static/{name}?v={self.version(name)}"

    def unchanging(self, name: str, query_string: bytes) -> bool:
        """Whether the request names a file that never changes under this URL."""
        if name in self.hashed:
            return True
        asked = parse_qs(query_string.decode("latin-1")).get("v")
        return name in self.digests and asked == [self.version(name)]


BUILD = Build.read()
#: The entity page's first query, started by its HTML before any script loads (web/src/first-query.js)
FIRST_QUERY = (STATIC / "first-query.js").read_text(encoding="utf-8").strip()
if "</" in FIRST_QUERY:  # it would end the inline script early
    raise RuntimeError("api/static/first-query.js cannot be inlined: it holds '</'")


def shell(page: str, title: str, script: str, style: str, build: Build = BUILD) -> str:
    """A page without data: its script fetches everything from /graphql. The entity page's first query is started
    by an inline script ahead of the stylesheet (a script after one waits for it) and of the page's script, which
    loads meanwhile."""
    early = f"<script>{FIRST_QUERY}</script>\n" if page == "entity" else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · valuegraph</title>
{early}<link rel="icon" href="data:,">
<link rel="stylesheet" href="{build.url(style)}">
<script type="module" src="{build.url(script)}"></script>
</head>
<body data-page="{escape(page)}">
<header class="top"><a class="brand" href="/">valuegraph</a>
<nav aria-label="Pages"><a href="/">Portfolio</a> <a href="/alignment">Alignment pack</a> <a href="/changes">Changes</a>
<a href="/graphql">GraphiQL</a></nav></header>
<main id="main"><p class="loading">Loading…</p></main>
</body>
</html>
"""


class Assets(StaticFiles):
    """The built files. A URL naming the file's digest (as the shells name them), or a file named by its content, is
    kept by a browser; any other URL is checked with the server each time (its ETag: a 304 if unchanged)."""

    def __init__(self, build: Build = BUILD, **kwargs) -> None:
        super().__init__(**kwargs)
        self.build = build

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            unchanging = self.build.unchanging(path, scope.get("query_string") or b"")
            response.headers["Cache-Control"] = IMMUTABLE if unchanging else "no-cache"
        return response


GRAPHIQL = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · valuegraph</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{BUILD.url("graphiql.css")}">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql"><p>Loading GraphiQL…</p></div>
<script src="{BUILD.url("graphiql.js")}"></script>
</body>
</html>
"""


def wants_html(scope: Scope) -> bool:
    """A browser opening the URL: a GET whose Accept names HTML and that carries no GraphQL query."""
    if scope.get("method") != "GET":
        return False
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept", b"").decode("latin-1").lower()
    return "text/html" in accept and b"query=" not in (scope.get("query_string") or b"")


class BrowserRoute(APIRoute):
    """Matches only a browser's page request, so that GraphQL over GET still reaches the GraphQL router."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not wants_html(scope):
            return Match.NONE, {}
        return super().matches(scope)


def page_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def html(page: str):
        body = shell(page, PAGES[page], "pages.js", "pages.css")

        async def serve() -> HTMLResponse:
            # checked each time, so that a new build's files (new URLs) are picked up at once
            return HTMLResponse(body, headers={"Cache-Control": "no-cache"})

        return serve

    router.add_api_route("/", html("portfolio"), methods=["GET"])
    # the id is read by the script from the URL: any id, slashes (%2F) included, lands here
    router.add_api_route("/entity/{entity_id:path}", html("entity"), methods=["GET"])
    router.add_api_route("/changes", html("changes"), methods=["GET"])
    router.add_api_route("/alignment", html("alignment"), methods=["GET"])

    async def graphiql() -> HTMLResponse:
        return HTMLResponse(GRAPHIQL)

    router.routes.append(BrowserRoute("/graphql", graphiql, methods=["GET"], include_in_schema=False))
    return router


def install_pages(app: FastAPI) -> None:
    """The pages and /static; call before the GraphQL router is included (its GET /graphql comes first)."""
    app.include_router(page_router())
    app.mount("/static", Assets(directory=STATIC), name="static")
