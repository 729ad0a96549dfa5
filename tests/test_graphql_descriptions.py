"""Every type, field, argument, input field and enum value of the served schema says what it is
(introspection of a served app)."""

from __future__ import annotations

import httpx
import pytest

from tests.utils.server import serve_in_thread
from valuegraph.graph import ValueGraph, open_store

INTROSPECTION = """{ __schema { types {
  kind name description
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description }
  enumValues(includeDeprecated: true) { name description }
} } }"""


def undescribed(schema: dict) -> list[str]:
    """Types (not GraphQL's own nor the built-in scalars), their fields, arguments, input fields and enum values
    without a description."""
    missing = []
    for t in schema["types"]:
        if t["name"].startswith("__") or t["name"] in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not (t["description"] or "").strip():
            missing.append(t["name"])
        for field in (t["fields"] or []) + (t["inputFields"] or []) + (t["enumValues"] or []):
            if not (field["description"] or "").strip():
                missing.append(f"{t['name']}.{field['name']}")
            for arg in field.get("args") or []:
                if not (arg["description"] or "").strip():
                    missing.append(f"{t['name']}.{field['name']}({arg['name']})")
    return missing


@pytest.fixture(scope="module")
def served_schema():
    with ValueGraph(open_store("memory:")) as graph, serve_in_thread(graph) as url:
        response = httpx.post(url + "/graphql", json={"query": INTROSPECTION}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["data"]["__schema"]


def test_every_type_and_field_has_a_description(served_schema):
    missing = undescribed(served_schema)
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)


def test_the_check_finds_what_lacks_a_description():
    schema = {"types": [
        {"kind": "OBJECT", "name": "Thing", "description": "A thing.", "inputFields": None, "enumValues": None,
         "fields": [{"name": "said", "description": "Said.", "args": [{"name": "n", "description": None}]},
                    {"name": "unsaid", "description": None, "args": []}]},
        {"kind": "ENUM", "name": "Bare", "description": " ", "fields": None, "inputFields": None,
         "enumValues": [{"name": "ONE", "description": "One."}, {"name": "TWO", "description": ""}]},
        {"kind": "INPUT_OBJECT", "name": "In", "description": "In.", "fields": None, "enumValues": None,
         "inputFields": [{"name": "x", "description": None}]},
        {"kind": "SCALAR", "name": "String", "description": None, "fields": None, "inputFields": None,
         "enumValues": None}]}
    assert undescribed(schema) == ["Thing.said(n)", "Thing.unsaid", "Bare", "Bare.TWO", "In.x"]
