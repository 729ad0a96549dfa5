"""Screenshots of the portfolio page and an objective's page over the sample portfolio (`make screenshots`).

    python -m tests.utils.screenshots docs
"""

from __future__ import annotations

import sys
from pathlib import Path

from valuegraph.graph import ValueGraph, open_store
from valuegraph.loaders import loader_for
from tests.utils.browser import browser, open_page, page_of
from tests.utils.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
SHOTS = {"portfolio.png": "/", "objective.png": "/entity/OBJ-2"}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with ValueGraph(open_store("memory:")) as graph:
        for doc in loader_for(ROOT / "examples" / "strategy.yaml").documents():
            graph.sync(doc)
        for doc in loader_for(ROOT / "examples" / "ppm").documents():
            graph.sync(doc, "ppm-tool")
        with serve_in_thread(graph) as url, browser() as chromium, page_of(chromium) as (page, watch):
            for name, path in SHOTS.items():
                open_page(page, url + path)
                if page.query_selector("[data-testid=trace]"):
                    page.wait_for_selector("[data-testid=trace][data-drawn=true]")
                page.screenshot(path=str(out / name), full_page=False)
                print(out / name)
            watch.assert_clean()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
