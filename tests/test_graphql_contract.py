"""The served schema contains the core and history contracts without breaking or changing a default.

The contract is not part of the repository: it lies beside it (../shared/contract). These tests are left out
of `make test`, which a bare clone passes; `make contract` runs them, and CI (.ci/run) runs both."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes, find_dangerous_changes

from valuegraph.api.graphql.schema import create_schema
from tests.conftest import ROOT

pytestmark = pytest.mark.contract

#: the product contract, beside the repository where the project's shared folder is: the only thing a test
#: reads from outside the repository
CONTRACT = ROOT.parent / "shared" / "contract"
CORE = CONTRACT / "core.graphql"
HISTORY = CONTRACT / "history.graphql"

# additions the contract expects ("the full schema adds typed objects per kind") are fine;
# anything else (a changed default, a changed argument) is not
ALLOWED = {"TYPE_ADDED_TO_UNION", "VALUE_ADDED_TO_ENUM", "IMPLEMENTED_INTERFACE_ADDED", "OPTIONAL_ARG_ADDED"}


def contract(path: Path = CORE) -> str:
    """A contract file's SDL; a missing one fails the check it was asked for."""
    if not path.is_file():
        pytest.fail(f"the contract {path} is missing: `make contract` needs ../shared/contract beside the clone")
    return path.read_text(encoding="utf-8")


def core_contract() -> str:
    return contract(CORE)


def assert_compatible(expected) -> None:
    ours = create_schema()._schema
    assert find_breaking_changes(expected, ours) == []
    assert [c for c in find_dangerous_changes(expected, ours) if c.type.name not in ALLOWED] == []


def test_schema_is_compatible_with_the_core_contract():
    assert_compatible(build_schema(core_contract()))


def test_schema_is_compatible_with_the_history_contract():
    """history.graphql uses the core's types (Kind, PageInfo, JSON…) and adds to its Query: the two are read
    as one schema, history's Query as an extension of the core's, with the asOf arguments and
    Entity.history its comments promise written out."""
    core, history = core_contract(), contract(HISTORY)
    promised = """
    extend interface Entity { history(first: Int = 100): [Change!]! }
    """
    expected = build_schema(core + "\n" + history.replace("type Query {", "extend type Query {") + promised)
    # every core question gains an optional asOf argument
    asked = {"entity", "entities", "whatDelivers", "whyExists", "trace", "alignment", "impact"}
    ours = create_schema()._schema
    for name in asked:
        assert "asOf" in ours.query_type.fields[name].args, name
        arg = ours.query_type.fields[name].args["asOf"]
        assert str(arg.type) == "AsOf", (name, arg.type)
    assert_compatible(expected)


def test_the_published_sdl_is_current():
    from valuegraph.api.graphql.sdl import sdl
    from tests.conftest import ROOT

    published = (ROOT / "schema" / "valuegraph.graphql").read_text(encoding="utf-8")
    assert published == sdl(), "run `make schema` to regenerate schema/valuegraph.graphql"
