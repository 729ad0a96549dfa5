"""The README's examples do what the README says: its GraphQL queries and its loader plugin."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex

import httpx

from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.questions import Questions
from valuegraph.loaders import Loader, LoaderConfig

from tests.conftest import ROOT
from tests.utils.server import serve_in_thread

EXAMPLE = re.compile(r"```graphql\n(.*?)```\n\n```json\n(.*?)```", re.DOTALL)


def test_readme_graphql_examples(sample):
    examples = EXAMPLE.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(examples) >= 7
    with serve_in_thread(sample) as url:
        for query, answer in examples:
            got = httpx.post(f"{url}/graphql", json={"query": query}).json()
            assert got == json.loads(answer), query


PLUGIN = re.compile(r"#### Writing a loader plugin\n.*?```python\n(.*?)```", re.DOTALL)


def test_readme_loader_plugin(tmp_path, mem_graph):
    (code,) = PLUGIN.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    module_path = tmp_path / "objective_list.py"  # the example as a plugin package's module
    module_path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("objective_list", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plugin = module.ObjectiveListLoader
    assert issubclass(plugin, Loader)
    listed = tmp_path / "objectives.tsv"
    listed.write_text("OBJ-9\tGrow exports\nOBJ-10\tCut emissions\n", encoding="utf-8")
    assert plugin.accepts(listed) and not plugin.accepts(tmp_path / "objectives.csv")
    (document,) = plugin(LoaderConfig(path=listed)).documents()
    assert document.errors == []
    mem_graph.sync(document)
    listing = Questions(mem_graph).entities(kind="Objective")
    assert {(r.id, r.name) for r in listing.records} == {("OBJ-9", "Grow exports"), ("OBJ-10", "Cut emissions")}


FILES_SECTION = re.compile(r"#### Files over REST\n(.*?)\n### ", re.DOTALL)
CURL = re.compile(r"```sh\n(curl .*?)```\n\n```json\n(.*?)```", re.DOTALL)


def curl_request(command: str, url: str) -> dict:
    """The request a README curl command sends (its -X, URL, -H and --data-binary @FILE), on ``url``'s server."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl"
    request = {"method": "GET", "headers": {}}
    rest = iter(words[1:])
    for word in rest:
        if word == "-X":
            request["method"] = next(rest)
        elif word == "-H":
            name, _, value = next(rest).partition(":")
            request["headers"][name.strip()] = value.strip()
        elif word == "--data-binary":
            request["content"] = (ROOT / next(rest).removeprefix("@")).read_bytes()
        else:
            assert word.startswith("http://127.0.0.1:8000/"), word
            request["url"] = url + word.removeprefix("http://127.0.0.1:8000")
    return request


def test_readme_files_over_rest_examples():
    """Each curl example of Files over REST, sent in turn to a server over an empty graph, answers the JSON the
    README shows after it."""
    (section,) = FILES_SECTION.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    examples = CURL.findall(section)
    assert len(examples) >= 4
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph) as url:
        for command, answer in examples:
            got = httpx.request(**curl_request(command, url), timeout=120)
            assert got.json() == json.loads(answer), command
    graph.close()
