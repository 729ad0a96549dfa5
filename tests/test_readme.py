"""The README's example GraphQL queries return what the README says."""

from __future__ import annotations

import json
import re

import httpx

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
